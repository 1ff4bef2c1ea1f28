// Agent levels and weights, the manager's view of agents, deals (preview and
// commit) and recalling an agent's unworked leads.
//
// Scope: a manager deals to and sees the agents of their department subtree;
// admins all. Commits run in one write transaction with their audit entry.
// Thread-safe: share one instance.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/dealing/deal_plan.hpp"
#include "modules/settings/settings.hpp"

namespace dd::dealing {

struct DealRequest {
  std::vector<int64_t> batch_ids;  // empty with pool=true: all unassigned leads
  bool pool = false;
  std::string strategy = "even";
  std::vector<int64_t> agent_ids;  // empty: every active agent in scope
  std::optional<int64_t> department_id;
  std::optional<uint64_t> seed;   // for reproducing a deal; random otherwise
  std::vector<int64_t> lead_ids;  // only these leads (a recall's redeal)
};

class DealingService {
 public:
  DealingService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
                 const settings::Settings& settings)
      : db_(db), clock_(clock), audit_(audit), settings_(settings) {}

  // Levels.
  Result<nlohmann::json> ListLevels();
  Result<nlohmann::json> SetLevel(const Actor& actor, const std::string& name, double weight);
  Result<nlohmann::json> UpdateLevel(const Actor& actor, int64_t id,
                                     std::optional<std::string> name, std::optional<double> weight);
  Status DeleteLevel(const Actor& actor, int64_t id);

  // Agents (managers: their subtree).
  Result<nlohmann::json> ListAgents(const Actor& actor);
  // level: "" clears; weight: <= 0 clears the override.
  Result<nlohmann::json> UpdateAgent(const Actor& actor, int64_t id,
                                     std::optional<std::string> level,
                                     std::optional<std::optional<double>> weight,
                                     std::optional<std::string> agent_status);

  // Deals: the same answer for preview (nothing stored) and commit.
  Result<nlohmann::json> Deal(const Actor& actor, const DealRequest& req, bool commit,
                              const std::string& lang);
  Result<nlohmann::json> ListDeals(const Actor& actor);
  Result<nlohmann::json> GetDeal(const Actor& actor, int64_t id);

  // Puts an agent's unworked leads back in the pool; with redeal, deals them
  // evenly to the other active agents of the actor's scope.
  Result<nlohmann::json> Recall(const Actor& actor, int64_t agent_id, bool redeal,
                                const std::string& lang);

 private:
  Status CheckAgentInScope(db::Connection& conn, const Actor& actor, int64_t agent_id);

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const settings::Settings& settings_;
};

}  // namespace dd::dealing

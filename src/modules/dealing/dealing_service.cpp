#include "modules/dealing/dealing_service.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <unordered_set>

#include "core/i18n.hpp"
#include "core/timezone.hpp"
#include "modules/dealing/lead_queue.hpp"
#include "modules/pool/pool_service.hpp"

namespace dd::dealing {
namespace {

using nlohmann::json;

constexpr const char* kScopeCte =
    "WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = ? "
    "UNION ALL SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) ";
// Agents the actor may see and deal to (params: dept, scope, scope, user id).
constexpr const char* kAgentScope =
    "u.role = 'agent' AND (? = 'all' OR u.department_id IN (SELECT id FROM sub)) ";

std::string InList(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s + ")";
}

Result<QualityMatrix> ParseMatrix(const std::string& text) {
  QualityMatrix m;
  if (text.empty()) return m;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return InvalidArgument("invalid_setting_value", {{"key", "quality_matrix"}, {"value", text}});
  for (auto& [tier, levels] : j.items()) {
    if (tier != "A" && tier != "B" && tier != "C") continue;
    if (!levels.is_object()) continue;
    for (auto& [level, f] : levels.items()) {
      if (f.is_number() && f.get<double>() >= 0) m[pool::TierOf(tier)][level] = f.get<double>();
    }
  }
  return m;
}

}  // namespace

// ---------------------------------------------------------------- levels

Result<json> DealingService::ListLevels() {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto rows, conn->Query("SELECT id, name, weight FROM agent_levels ORDER BY weight DESC, id"));
  json items = json::array();
  for (const auto& r : rows)
    items.push_back({{"id", r.Int(0)},
                     {"name", r.Text(1)},
                     {"weight", r.OptText(2) ? std::stod(r.Text(2)) : 1.0}});
  return json{{"items", items}};
}

Result<json> DealingService::SetLevel(const Actor& actor, const std::string& name, double weight) {
  if (name.empty() || name.size() > 64)
    return InvalidArgument("invalid_field", {{"field", "name"}});
  if (!(weight > 0) || weight > 1000)
    return InvalidArgument("invalid_field", {{"field", "weight"}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t id = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(
        auto row,
        conn->QueryOne("INSERT INTO agent_levels (name, weight, created_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET weight = excluded.weight RETURNING id",
                       {name, weight, clock_.Now()}));
    id = row->Int(0);
    return audit_.Append(*conn, audit::Entry::By(actor, "level.set", "level:" + std::to_string(id),
                                                 {{"name", name}, {"weight", weight}}));
  }));
  return json{{"id", id}, {"name", name}, {"weight", weight}};
}

Result<json> DealingService::UpdateLevel(const Actor& actor, int64_t id,
                                         std::optional<std::string> name,
                                         std::optional<double> weight) {
  if (name && (name->empty() || name->size() > 64))
    return InvalidArgument("invalid_field", {{"field", "name"}});
  if (weight && (!(*weight > 0) || *weight > 1000))
    return InvalidArgument("invalid_field", {{"field", "weight"}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto row,
                        conn->QueryOne("SELECT name, weight FROM agent_levels WHERE id = ?", {id}));
    if (!row) return NotFound("level");
    const std::string n = name.value_or(row->Text(0));
    const double w = weight.value_or(std::stod(row->Text(1)));
    auto upd = conn->Exec("UPDATE agent_levels SET name = ?, weight = ? WHERE id = ?", {n, w, id});
    if (!upd.ok()) return Error(ErrorCode::kConflict, "level_name_taken", {{"name", n}});
    out = json{{"id", id}, {"name", n}, {"weight", w}};
    return audit_.Append(
        *conn, audit::Entry::By(actor, "level.update", "level:" + std::to_string(id), out));
  }));
  return out;
}

Status DealingService::DeleteLevel(const Actor& actor, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto used,
                        conn->QueryOne("SELECT COUNT(*) FROM users WHERE level_id = ?", {id}));
    if (used->Int(0) > 0) return Error(ErrorCode::kConflict, "level_in_use");
    DD_ASSIGN_OR_RETURN(auto info, conn->Exec("DELETE FROM agent_levels WHERE id = ?", {id}));
    if (info.changes == 0) return NotFound("level");
    return audit_.Append(*conn,
                         audit::Entry::By(actor, "level.delete", "level:" + std::to_string(id)));
  });
}

// ---------------------------------------------------------------- agents

Status DealingService::CheckAgentInScope(db::Connection& conn, const Actor& actor,
                                         int64_t agent_id) {
  DD_ASSIGN_OR_RETURN(
      auto row, conn.QueryOne(std::string(kScopeCte) + "SELECT 1 FROM users u WHERE u.id = ? AND " +
                                  kAgentScope,
                              {actor.department_id, agent_id, ScopeName(actor.scope())}));
  if (!row) return NotFound("agent");
  return {};
}

Result<json> DealingService::ListAgents(const Actor& actor) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(int64_t threshold, settings_.GetInt("low_stock_threshold"));
  const int64_t now = clock_.Now();
  const int64_t day = tz::DayStart("Asia/Shanghai", now);
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query(
          std::string(kScopeCte) +
              "SELECT u.id, u.username, u.display_name, u.department_id, d.name, l.name, l.weight, "
              "u.weight_override, u.agent_status, u.active, "
              "(SELECT COUNT(*) FROM leads q WHERE q.owner_id = u.id AND q.status IN "
              "('assigned','retry','callback')) + " +
              QueuedCountOf("u.id") +
              " FROM users u LEFT JOIN agent_levels l ON l.id = u.level_id "
              "LEFT JOIN departments d ON d.id = u.department_id WHERE " +
              kAgentScope + "ORDER BY u.id",
          {actor.department_id, ScopeName(actor.scope())}));
  DD_ASSIGN_OR_RETURN(
      auto stats,
      conn->Query(
          std::string(kScopeCte) +
              "SELECT c.agent_id, c.outcome, COUNT(*), SUM(COALESCE(c.outcome_at, c.shown_at) - "
              "c.shown_at) "
              "FROM call_log c JOIN users u ON u.id = c.agent_id WHERE c.shown_at >= ? AND " +
              kAgentScope + "GROUP BY c.agent_id, c.outcome",
          {actor.department_id, day, ScopeName(actor.scope())}));
  json items = json::array();
  for (const auto& r : rows) {
    const double level_weight = r.IsNull(6) ? 1.0 : std::stod(r.Text(6));
    const bool has_override = !r.IsNull(7);
    const double override_w = has_override ? std::stod(r.Text(7)) : 0.0;
    json outcomes = json::object();
    int64_t calls = 0, seconds = 0;
    for (const auto& s : stats) {
      if (s.Int(0) != r.Int(0)) continue;
      seconds += s.Int(3);
      if (s.IsNull(1)) continue;
      outcomes[s.Text(1)] = s.Int(2);
      calls += s.Int(2);
    }
    const int64_t queue = r.Int(10);
    items.push_back(
        {{"id", r.Int(0)},
         {"username", r.Text(1)},
         {"display_name", r.Text(2)},
         {"department_id", r.IsNull(3) ? json(nullptr) : json(r.Int(3))},
         {"department_name", r.IsNull(4) ? json(nullptr) : json(r.Text(4))},
         {"level", r.IsNull(5) ? json(nullptr) : json(r.Text(5))},
         {"level_weight", level_weight},
         {"weight_override", has_override ? json(override_w) : json(nullptr)},
         {"weight", has_override ? override_w : level_weight},
         {"agent_status", !r.Bool(9) ? "disabled" : r.Text(8)},
         {"queue", queue},
         {"low_stock", queue < threshold},
         {"today", {{"calls", calls}, {"outcomes", outcomes}, {"desk_seconds", seconds}}}});
  }
  return json{{"items", items}};
}

Result<json> DealingService::UpdateAgent(const Actor& actor, int64_t id,
                                         std::optional<std::string> level,
                                         std::optional<std::optional<double>> weight,
                                         std::optional<std::string> agent_status) {
  if (agent_status && *agent_status != "active" && *agent_status != "paused") {
    return InvalidArgument("invalid_field", {{"field", "agent_status"}});
  }
  if (weight && *weight && (!(**weight > 0) || **weight > 1000)) {
    return InvalidArgument("invalid_field", {{"field", "weight"}});
  }
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_RETURN_IF_ERROR(CheckAgentInScope(*conn, actor, id));
    json changes = json::object();
    if (level) {
      std::optional<int64_t> level_id;
      if (!level->empty()) {
        DD_ASSIGN_OR_RETURN(auto l,
                            conn->QueryOne("SELECT id FROM agent_levels WHERE name = ?", {*level}));
        if (!l) return InvalidArgument("unknown_level", {{"level", *level}});
        level_id = l->Int(0);
      }
      DD_RETURN_IF_ERROR(conn->Exec("UPDATE users SET level_id = ? WHERE id = ?", {level_id, id}));
      changes["level"] = *level;
    }
    if (weight) {
      std::optional<double> w = *weight;
      DD_RETURN_IF_ERROR(conn->Exec("UPDATE users SET weight_override = ? WHERE id = ?",
                                    {w ? db::Value(*w) : db::Value(), id}));
      changes["weight"] = w ? json(*w) : json(nullptr);
    }
    if (agent_status) {
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE users SET agent_status = ? WHERE id = ?", {*agent_status, id}));
      changes["agent_status"] = *agent_status;
    }
    return audit_.Append(
        *conn, audit::Entry::By(actor, "agent.update", "user:" + std::to_string(id), changes));
  }));
  DD_ASSIGN_OR_RETURN(json all, ListAgents(actor));
  for (const auto& a : all["items"]) {
    if (a["id"] == id) return a;
  }
  return NotFound("agent");
}

// ---------------------------------------------------------------- deals

Result<json> DealingService::Deal(const Actor& actor, const DealRequest& req, bool commit,
                                  const std::string& lang) {
  Strategy strategy;
  if (!ParseStrategy(req.strategy, &strategy)) return InvalidArgument("invalid_strategy");
  if (req.batch_ids.empty() && !req.pool && req.lead_ids.empty())
    return InvalidArgument("deal_source_required");
  if (req.batch_ids.size() > 500 || req.agent_ids.size() > 5000)
    return InvalidArgument("invalid_field", {{"field", "batch_ids"}});
  DD_ASSIGN_OR_RETURN(auto values, settings_.Values());
  DD_ASSIGN_OR_RETURN(QualityMatrix matrix, ParseMatrix(values["quality_matrix"]));
  const pool::Rules pool_rules = pool::Rules::From(values);
  uint64_t seed = 0;
  if (req.seed) {
    seed = *req.seed;
  } else {
    randombytes_buf(&seed, sizeof seed);
  }
  const auto started = std::chrono::steady_clock::now();
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  auto run = [&]() -> Status {
    // Agents: active agents of the actor's scope, optionally filtered.
    db::Params ap = {actor.department_id, ScopeName(actor.scope())};
    std::string asql =
        std::string(kScopeCte) +
        "SELECT u.id, COALESCE(u.weight_override, l.weight, 1), COALESCE(l.name, ''), u.username, "
        "u.display_name FROM users u LEFT JOIN agent_levels l ON l.id = u.level_id WHERE " +
        kAgentScope + "AND u.active = 1 AND u.agent_status = 'active' ";
    if (req.department_id) {
      asql += "AND u.department_id = ? ";
      ap.emplace_back(*req.department_id);
    }
    if (!req.agent_ids.empty()) {
      asql += "AND u.id IN " + InList(req.agent_ids.size()) + " ";
      for (int64_t id : req.agent_ids) ap.emplace_back(id);
    }
    asql += "ORDER BY u.id";
    DD_ASSIGN_OR_RETURN(auto agent_rows, conn->Query(asql, ap));
    std::vector<AgentRef> agents;
    std::map<int64_t, std::pair<std::string, std::string>> names;
    for (const auto& r : agent_rows) {
      agents.push_back({r.Int(0), std::stod(r.Text(1)), r.Text(2)});
      names[r.Int(0)] = {r.Text(3), r.Text(4)};
    }
    // The holding cap: what each agent may still take.
    if (pool_rules.holding_cap > 0) {
      for (auto& a : agents) {
        DD_ASSIGN_OR_RETURN(int64_t held, pool::HoldingCount(*conn, a.id, pool_rules.holding_cap));
        a.capacity = std::max<int64_t>(0, pool_rules.holding_cap - held);
      }
    }
    // Leads: unassigned leads of the chosen batches (or all of them), as
    // integers (id, tier) without a Row per lead.
    const std::string lcols =
        "SELECT id, CASE quality WHEN 'A' THEN 0 WHEN 'C' THEN 2 ELSE 1 END FROM leads WHERE "
        "status = 'new' AND owner_id IS NULL AND " +
        NotQueued("leads");
    std::vector<LeadRef> leads;
    auto take = [&](const std::vector<int64_t>& v) {
      for (size_t i = 0; i + 1 < v.size(); i += 2)
        leads.push_back({v[i], static_cast<int>(v[i + 1])});
    };
    if (!req.lead_ids.empty()) {
      for (size_t i = 0; i < req.lead_ids.size(); i += 500) {
        const size_t n = std::min<size_t>(500, req.lead_ids.size() - i);
        db::Params ip;
        for (size_t k = 0; k < n; ++k) ip.emplace_back(req.lead_ids[i + k]);
        DD_ASSIGN_OR_RETURN(auto v, conn->QueryInts(lcols + " AND id IN " + InList(n), ip, 2));
        take(v);
      }
    } else {
      // All the leads there are (the rowid range: ids are dense) and those of
      // the chosen batches: reading the whole table in order beats an index
      // lookup per lead when the batches hold a good part of it.
      DD_ASSIGN_OR_RETURN(auto span,
                          conn->QueryOne("SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM leads"));
      int64_t expect = span->Int(0);
      std::string lsql = lcols;
      db::Params lp;
      if (!req.batch_ids.empty()) {
        db::Params bp;
        for (int64_t id : req.batch_ids) bp.emplace_back(id);
        DD_ASSIGN_OR_RETURN(auto in_batches,
                            conn->QueryOne("SELECT COALESCE(SUM(imported), 0) FROM batches WHERE "
                                           "id IN " +
                                               InList(req.batch_ids.size()),
                                           bp));
        const bool scan = in_batches->Int(0) * 3 > expect;
        expect = std::min(expect, in_batches->Int(0));
        lsql += std::string(scan ? " AND +batch_id IN " : " AND batch_id IN ") +
                InList(req.batch_ids.size());
        lp = std::move(bp);
      }
      DD_ASSIGN_OR_RETURN(
          auto v, conn->QueryInts(lsql, lp, 2,
                                  static_cast<size_t>(std::clamp<int64_t>(expect, 0, 20'000'000))));
      leads.reserve(v.size() / 2);
      take(v);
    }
    // Leads recycled before have earlier owners.
    std::vector<int64_t> recycled;
    DD_ASSIGN_OR_RETURN(auto ever,
                        conn->QueryInts("SELECT DISTINCT lead_id FROM pool_recycles", {}, 1));
    if (!ever.empty()) {
      const std::unordered_set<int64_t> was(ever.begin(), ever.end());
      for (const auto& l : leads) {
        if (was.count(l.id)) recycled.push_back(l.id);
      }
    }
    // Recycled leads: never back to an agent in its cooldown, rather to
    // someone other than an earlier owner.
    BlockedMap blocked;
    if (!recycled.empty()) {
      DD_ASSIGN_OR_RETURN(auto owners,
                          pool::EarlierOwners(*conn, recycled, pool_rules, clock_.Now()));
      for (auto& [lead, o] : owners) blocked[lead] = Blocked{std::move(o.hard), std::move(o.soft)};
    }

    Plan plan = MakePlan(std::move(leads), agents, strategy, matrix, seed, blocked);
    int64_t total = 0;
    json shares = json::array();
    for (const auto& s : plan.shares) {
      total += s.count;
      shares.push_back(
          {{"agent_id", s.agent_id},
           {"username", names[s.agent_id].first},
           {"display_name", names[s.agent_id].second},
           {"count", s.count},
           {"by_quality", {{"A", s.by_tier[0]}, {"B", s.by_tier[1]}, {"C", s.by_tier[2]}}}});
    }
    json warnings = json::array();
    for (const auto& w : plan.warnings) {
      std::map<std::string, std::string> args;
      if (w.agent_id)
        args["agent"] =
            names[w.agent_id].second.empty() ? names[w.agent_id].first : names[w.agent_id].second;
      args["count"] = std::to_string(w.count);
      args["cap"] = std::to_string(pool_rules.holding_cap);
      json wj = {{"code", w.code},
                 {"agent_id", w.agent_id ? json(w.agent_id) : json(nullptr)},
                 {"detail", i18n::Translate(lang, "deal." + w.code, args)}};
      if (w.count > 0) wj["count"] = w.count;
      warnings.push_back(std::move(wj));
    }
    out = json{{"seed", std::to_string(seed)},
               {"strategy", StrategyName(strategy)},
               {"total", total},
               {"shares", shares},
               {"warnings", warnings}};
    if (!commit) return {};
    if (total == 0) return InvalidArgument("deal_nothing_to_deal");
    const int64_t now = clock_.Now();
    json source = {{"batch_ids", req.batch_ids}, {"pool", req.pool}, {"agent_ids", req.agent_ids}};
    DD_ASSIGN_OR_RETURN(
        auto ins, conn->QueryOne("INSERT INTO deals (strategy, seed, source, total, report, "
                                 "created_by, created_by_name, created_at) "
                                 "VALUES (?, ?, ?, ?, '{}', ?, ?, ?) RETURNING id",
                                 {StrategyName(strategy), std::to_string(seed), source.dump(),
                                  total, actor.user_id > 0 ? db::Value(actor.user_id) : db::Value(),
                                  actor.username, now}));
    const int64_t deal_id = ins->Int(0);
    // The leads wait in their agents' queues; their rows are left alone
    // until each is first shown (lead_queue.hpp).
    DD_RETURN_IF_ERROR(Enqueue(*conn, deal_id, now, plan.assignments));
    out["deal_id"] = deal_id;
    out["created_at"] = FormatIso8601(now);
    out["created_by"] = actor.username;
    DD_RETURN_IF_ERROR(
        conn->Exec("UPDATE deals SET report = ? WHERE id = ?", {out.dump(), deal_id}));
    return audit_.Append(*conn, audit::Entry::By(actor, "deal", "deal:" + std::to_string(deal_id),
                                                 {{"strategy", StrategyName(strategy)},
                                                  {"seed", std::to_string(seed)},
                                                  {"total", total},
                                                  {"agents", agents.size()},
                                                  {"source", source}}));
  };
  if (commit) {
    DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, run));
  } else {
    DD_RETURN_IF_ERROR(run());
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  out["elapsed_ms"] = ms;
  if (commit)
    spdlog::info("event=deal id={} total={} ms={}", out["deal_id"].get<int64_t>(),
                 out["total"].get<int64_t>(), ms);
  return out;
}

// Managers see the deals made by themselves or people of their subtree.
constexpr const char* kDealScope =
    "(? = 'all' OR created_by = ? OR created_by IN (SELECT u.id FROM users u WHERE u.department_id "
    "IN "
    "(SELECT id FROM sub))) ";

Result<json> DealingService::ListDeals(const Actor& actor) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto rows,
                      conn->Query(std::string(kScopeCte) +
                                      "SELECT id, strategy, total, created_by_name, created_at, "
                                      "source FROM deals WHERE " +
                                      kDealScope + "ORDER BY id DESC LIMIT 500",
                                  {actor.department_id, ScopeName(actor.scope()), actor.user_id}));
  json items = json::array();
  for (const auto& r : rows) {
    json src = json::parse(r.Text(5), nullptr, false);
    items.push_back({{"id", r.Int(0)},
                     {"strategy", r.Text(1)},
                     {"total", r.Int(2)},
                     {"created_by", r.Text(3)},
                     {"created_at", FormatIso8601(r.Int(4))},
                     {"batch_ids", src.is_object() && src.contains("batch_ids") ? src["batch_ids"]
                                                                                : json::array()},
                     {"pool", src.is_object() && src.value("pool", false)}});
  }
  return json{{"items", items}};
}

Result<json> DealingService::GetDeal(const Actor& actor, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto row, conn->QueryOne(std::string(kScopeCte) +
                                   "SELECT report FROM deals WHERE id = ? AND " + kDealScope,
                               {actor.department_id, id, ScopeName(actor.scope()), actor.user_id}));
  if (!row) return NotFound("deal");
  json rep = json::parse(row->Text(0), nullptr, false);
  return rep.is_discarded() ? json::object() : rep;
}

Result<json> DealingService::Recall(const Actor& actor, int64_t agent_id, bool redeal,
                                    const std::string& lang) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t recalled = 0;
  std::vector<int64_t> recalled_ids;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_RETURN_IF_ERROR(CheckAgentInScope(*conn, actor, agent_id));
    DD_ASSIGN_OR_RETURN(auto ids,
                        conn->Query("SELECT id FROM leads WHERE owner_id = ? AND status IN "
                                    "('assigned','retry','callback')",
                                    {agent_id}));
    for (const auto& r : ids) recalled_ids.push_back(r.Int(0));
    // Its queue: the leads are still in the pool's state; out of the queue.
    DD_ASSIGN_OR_RETURN(auto queued, AgentQueue(*conn, agent_id));
    DD_RETURN_IF_ERROR(Drop(*conn, queued));
    for (const auto& q : queued) recalled_ids.push_back(q.lead_id);
    DD_ASSIGN_OR_RETURN(
        auto info,
        conn->Exec(
            "UPDATE leads SET owner_id = NULL, status = 'new', queue_pos = 0, current_agent_id = "
            "NULL, next_call_at = NULL, followed_at = NULL, recycle_due_at = NULL, locked = 0 "
            "WHERE owner_id = ? AND status IN ('assigned','retry','callback')",
            {agent_id}));
    recalled = info.changes + static_cast<int64_t>(queued.size());
    return audit_.Append(*conn,
                         audit::Entry::By(actor, "agent.recall", "user:" + std::to_string(agent_id),
                                          {{"recalled", recalled}, {"redeal", redeal}}));
  }));
  json out = {{"recalled", recalled}, {"deal_id", nullptr}};
  if (redeal && recalled > 0) {
    DD_ASSIGN_OR_RETURN(json all, ListAgents(actor));
    DealRequest r;
    r.lead_ids = recalled_ids;
    for (const auto& a : all["items"]) {
      if (a["id"] != agent_id && a["agent_status"] == "active")
        r.agent_ids.push_back(a["id"].get<int64_t>());
    }
    if (!r.agent_ids.empty()) {
      DD_ASSIGN_OR_RETURN(json d, Deal(actor, r, true, lang));
      out["deal_id"] = d["deal_id"];
    }
  }
  return out;
}

}  // namespace dd::dealing

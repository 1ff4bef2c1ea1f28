#include "modules/pool/pool_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <set>

#include "core/timezone.hpp"
#include "modules/dealing/lead_queue.hpp"
#include "modules/intake/intake_service.hpp"

namespace dd::pool {
namespace {

using nlohmann::json;

// The actor's department subtree (param: the actor's department id).
constexpr const char* kScopeCte =
    "WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = ? "
    "UNION ALL SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) ";
// Leads held by the agents in the actor's scope (param: the scope name).
constexpr const char* kOwnerScope =
    "(? = 'all' OR l.owner_id IN (SELECT u.id FROM users u WHERE u.department_id IN "
    "(SELECT id FROM sub)))";
// Won leads do not count against the holding cap and are never recycled.
constexpr const char* kNotWon =
    "NOT (status = 'prospect' AND COALESCE(last_outcome, '') = 'converted')";
constexpr size_t kChunk = 1000;  // leads per write transaction of a run
constexpr size_t kMaxLockIds = 1000;

std::string IdsJson(const std::vector<int64_t>& ids) { return json(ids).dump(); }

json TierJson(const TierDays& d) { return {{"A", d[0]}, {"B", d[1]}, {"C", d[2]}}; }

json RulesJson(const Rules& r) {
  return {{"recycling", r.recycling()},
          {"follow_up_days", TierJson(r.follow_up_days)},
          {"convert_days", TierJson(r.convert_days)},
          {"warn_days", r.warn_days},
          {"cooldown_days", r.cooldown_days},
          {"holding_cap", r.holding_cap},
          {"claim_cap", r.claim_cap}};
}

// The columns RecycleDue needs, in this order, from `leads l`.
constexpr const char* kHeldColumns =
    "l.quality, l.status, COALESCE(l.last_outcome, ''), l.locked, "
    "COALESCE(l.assigned_at, l.created_at), l.followed_at, l.next_call_at";

Held HeldOf(const db::Row& r, size_t first, std::string& status, std::string& outcome) {
  status = r.Text(first + 1);
  outcome = r.Text(first + 2);
  Held h;
  h.tier = TierOf(r.Text(first));
  h.status = status;
  h.last_outcome = outcome;
  h.locked = r.Bool(first + 3);
  h.assigned_at = r.Int(first + 4);
  h.followed_at = r.OptInt(first + 5);
  h.next_call_at = r.OptInt(first + 6);
  return h;
}

std::string ScopeOf(const Actor* actor) {
  return actor ? std::string(ScopeName(actor->scope())) : "all";
}

}  // namespace

// ---------------------------------------------------------------- shared helpers

Result<int64_t> HoldingCount(db::Connection& conn, int64_t agent_id, int64_t limit) {
  DD_ASSIGN_OR_RETURN(auto row,
                      conn.QueryOne(std::string("SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE "
                                                "owner_id = ? AND status IN ") +
                                        kHeldStates + " AND " + kNotWon + " LIMIT ?) t",
                                    {agent_id, limit}));
  // With the leads still waiting in its queue.
  DD_ASSIGN_OR_RETURN(int64_t queued, dealing::QueuedCount(conn, agent_id, limit - row->Int(0)));
  return row->Int(0) + queued;
}

Result<int64_t> ClaimsToday(db::Connection& conn, int64_t agent_id, int64_t now) {
  const int64_t day = tz::DayStart("Asia/Shanghai", now);
  DD_ASSIGN_OR_RETURN(
      auto row, conn.QueryOne("SELECT COUNT(*) FROM pool_claims WHERE agent_id = ? AND at >= ?",
                              {agent_id, day}));
  return row->Int(0);
}

Result<std::unordered_map<int64_t, Owners>> EarlierOwners(db::Connection& conn,
                                                          const std::vector<int64_t>& lead_ids,
                                                          const Rules& rules, int64_t now) {
  std::unordered_map<int64_t, Owners> out;
  for (size_t i = 0; i < lead_ids.size(); i += kChunk) {
    const size_t n = std::min(kChunk, lead_ids.size() - i);
    std::vector<int64_t> part(lead_ids.begin() + static_cast<ptrdiff_t>(i),
                              lead_ids.begin() + static_cast<ptrdiff_t>(i + n));
    DD_ASSIGN_OR_RETURN(
        auto rows,
        conn.Query("SELECT lead_id, agent_id, MAX(at) FROM pool_recycles WHERE lead_id IN "
                   "(SELECT value FROM json_each(?)) GROUP BY lead_id, agent_id",
                   {IdsJson(part)}));
    for (const auto& r : rows) {
      auto& o = out[r.Int(0)];
      (InCooldown(rules, r.Int(2), now) ? o.hard : o.soft).push_back(r.Int(1));
    }
  }
  return out;
}

json DeskDeadline(const Rules& rules, const Held& lead, int64_t now) {
  auto due = RecycleDue(rules, lead);
  if (!due)
    return {{"recycle_at", nullptr}, {"recycle_reason", nullptr}, {"recycle_warning", false}};
  return {{"recycle_at", FormatIso8601(due->at)},
          {"recycle_reason", ReasonName(due->reason)},
          {"recycle_warning", InWarning(rules, *due, now) || due->at <= now}};
}

// ---------------------------------------------------------------- service

Result<Rules> PoolService::LoadRules() const {
  DD_ASSIGN_OR_RETURN(auto values, settings_.Values());
  return Rules::From(values);
}

Result<json> PoolService::Run(const Actor* actor) {
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  if (!actor && !rules.recycling()) return json{{"recycling", false}};
  const int64_t now = clock_.Now();
  const std::optional<int64_t> dept = actor ? actor->department_id : std::nullopt;
  const std::string scope = ScopeOf(actor);
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());

  // 1. Candidates (read only): held leads that may be due within K days.
  std::vector<int64_t> candidates;
  const Cutoffs cut = PrefilterCutoffs(rules, now);
  if (cut.follow || cut.convert) {
    // Queued leads dealt that long ago become owned leads first (a chunk
    // per transaction), so that the rules below see them like any other.
    const int64_t dealt_before = std::max(cut.follow.value_or(-1), cut.convert.value_or(-1));
    for (int64_t after = 0;;) {  // a cursor over the queues, in slot order
      bool more = false;
      DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
        DD_ASSIGN_OR_RETURN(
            auto due,
            dealing::FindQueued(*conn, kScopeCte,
                                "a.slot > ? AND a.dealt_at <= ? AND (? = 'all' OR "
                                "(a.slot >> 32) IN (SELECT u.id FROM users u WHERE "
                                "u.department_id IN (SELECT id FROM sub)))",
                                {dept, after, dealt_before, scope}, static_cast<int64_t>(kChunk)));
        more = due.size() == kChunk;
        if (more) after = due.back().slot;
        return dealing::Materialise(*conn, due);
      }));
      if (!more) break;
    }
    DD_ASSIGN_OR_RETURN(
        auto rows,
        conn->Query(std::string(kScopeCte) +
                        "SELECT l.id FROM leads l WHERE l.owner_id IS NOT "
                        "NULL AND l.status IN " +
                        kHeldStates +
                        " AND l.locked = 0 AND (COALESCE(l.followed_at, l.assigned_at, "
                        "l.created_at) <= ? OR COALESCE(l.assigned_at, l.created_at) <= ?) AND " +
                        kOwnerScope,
                    {dept, cut.follow.value_or(-1), cut.convert.value_or(-1), scope}));
    candidates.reserve(rows.size());
    for (const auto& r : rows) candidates.push_back(r.Int(0));
  }

  // 2. In chunks: recycle the due ones, mark those within the warning window.
  int64_t recycled = 0, follow_up = 0, convert = 0, warned = 0;
  std::array<int64_t, 3> tiers{};
  std::set<int64_t> agents;
  std::set<int64_t> marked;  // leads due within K days after this run
  for (size_t i = 0; i < candidates.size(); i += kChunk) {
    const size_t n = std::min(kChunk, candidates.size() - i);
    std::vector<int64_t> part(candidates.begin() + static_cast<ptrdiff_t>(i),
                              candidates.begin() + static_cast<ptrdiff_t>(i + n));
    DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
      // Read again inside the transaction: an outcome may have come in since.
      DD_ASSIGN_OR_RETURN(
          auto rows,
          conn->Query(std::string("SELECT l.id, l.owner_id, l.recycle_due_at, ") + kHeldColumns +
                          " FROM leads l WHERE l.id IN (SELECT value FROM json_each(?)) AND "
                          "l.owner_id IS NOT NULL AND l.status IN " +
                          kHeldStates,
                      {IdsJson(part)}));
      for (const auto& r : rows) {
        std::string status, outcome;
        const Held h = HeldOf(r, 3, status, outcome);
        auto due = RecycleDue(rules, h);
        if (!due) continue;
        const int64_t id = r.Int(0);
        if (due->at <= now) {
          DD_RETURN_IF_ERROR(conn->Exec(
              "UPDATE leads SET owner_id = NULL, status = 'new', current_agent_id = NULL, "
              "queue_pos = 0, next_call_at = NULL, attempts = 0, followed_at = NULL, "
              "recycle_due_at = NULL, recycled_at = ?, pulled = 0 WHERE id = ?",
              {now, id}));
          DD_RETURN_IF_ERROR(
              conn->Exec("INSERT INTO pool_recycles (lead_id, agent_id, reason, status, at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         {id, r.Int(1), ReasonName(due->reason), status, now}));
          ++recycled;
          ++(due->reason == Reason::kFollowUp ? follow_up : convert);
          ++tiers[static_cast<size_t>(std::clamp(h.tier, 0, 2))];
          agents.insert(r.Int(1));
        } else if (InWarning(rules, *due, now)) {
          marked.insert(id);
          if (r.IsNull(2)) ++warned;
          if (r.OptInt(2) != due->at) {
            DD_RETURN_IF_ERROR(
                conn->Exec("UPDATE leads SET recycle_due_at = ? WHERE id = ?", {due->at, id}));
          }
        }
      }
      return {};
    }));
  }

  // 3. Marks that no longer hold (followed up, locked, rule changed, left
  // the agent): cleared.
  DD_ASSIGN_OR_RETURN(
      auto stale_rows,
      conn->Query(std::string(kScopeCte) +
                      "SELECT l.id FROM leads l WHERE l.recycle_due_at IS NOT NULL AND " +
                      kOwnerScope,
                  {dept, scope}));
  std::vector<int64_t> stale;
  for (const auto& r : stale_rows) {
    if (!marked.count(r.Int(0))) stale.push_back(r.Int(0));
  }

  // 4. Clear them and audit the run, in one transaction.
  json out = {{"recycling", rules.recycling()},
              {"recycled", recycled},
              {"follow_up", follow_up},
              {"convert", convert},
              {"by_quality", {{"A", tiers[0]}, {"B", tiers[1]}, {"C", tiers[2]}}},
              {"agents", static_cast<int64_t>(agents.size())},
              {"warned", warned},
              {"warning", static_cast<int64_t>(marked.size())}};
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    for (size_t i = 0; i < stale.size(); i += kChunk) {
      const size_t n = std::min(kChunk, stale.size() - i);
      std::vector<int64_t> part(stale.begin() + static_cast<ptrdiff_t>(i),
                                stale.begin() + static_cast<ptrdiff_t>(i + n));
      DD_RETURN_IF_ERROR(conn->Exec(
          "UPDATE leads SET recycle_due_at = NULL WHERE id IN (SELECT value FROM json_each(?))",
          {IdsJson(part)}));
    }
    audit::Entry e;
    if (actor) {
      e = audit::Entry::By(*actor, "pool.recycle", "pool");
    } else {
      e.actor = "system";
      e.action = "pool.recycle";
      e.target = "pool";
    }
    e.detail = out;
    e.detail["scope"] = scope;
    return audit_.Append(*conn, e);
  }));
  spdlog::info("event=pool_recycle actor={} recycled={} warned={} warning={}",
               actor ? actor->username : "system", recycled, warned, marked.size());
  return out;
}

Result<json> PoolService::Overview(const Actor& actor) {
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  const int64_t now = clock_.Now();
  const std::string scope(ScopeName(actor.scope()));
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  // The pool: unowned leads that are not in the recycle bin.
  DD_ASSIGN_OR_RETURN(
      auto batches,
      conn->Query("SELECT l.batch_id, b.name, b.quality, COUNT(*), "
                  "SUM(CASE WHEN l.recycled_at IS NOT NULL THEN 1 ELSE 0 END), "
                  "SUM(CASE WHEN l.quality = 'A' THEN 1 ELSE 0 END), "
                  "SUM(CASE WHEN l.quality = 'C' THEN 1 ELSE 0 END) "
                  "FROM leads l JOIN batches b ON b.id = l.batch_id "
                  "WHERE l.status = 'new' AND l.owner_id IS NULL AND " +
                  dealing::NotQueued("l") +
                  " GROUP BY l.batch_id, b.name, b.quality ORDER BY l.batch_id DESC"));
  int64_t total = 0, recycled = 0, a = 0, c = 0;
  json by_batch = json::array();
  for (const auto& r : batches) {
    total += r.Int(3);
    recycled += r.Int(4);
    a += r.Int(5);
    c += r.Int(6);
    by_batch.push_back({{"batch_id", r.Int(0)},
                        {"name", r.Text(1)},
                        {"quality", r.Text(2)},
                        {"leads", r.Int(3)},
                        {"recycled", r.Int(4)}});
  }
  DD_ASSIGN_OR_RETURN(
      auto held,
      conn->QueryOne(std::string(kScopeCte) +
                         "SELECT SUM(CASE WHEN l.recycle_due_at IS NOT NULL AND l.locked = 0 "
                         "THEN 1 ELSE 0 END), SUM(CASE WHEN l.locked = 1 THEN 1 ELSE 0 END) "
                         "FROM leads l WHERE l.owner_id IS NOT NULL AND l.status IN " +
                         kHeldStates + " AND (l.recycle_due_at IS NOT NULL OR l.locked = 1) AND " +
                         kOwnerScope,
                     {actor.department_id, scope}));
  DD_ASSIGN_OR_RETURN(
      auto recent,
      conn->QueryOne(
          std::string(kScopeCte) +
              "SELECT SUM(CASE WHEN r.at >= ? THEN 1 ELSE 0 END), COUNT(*) FROM pool_recycles r "
              "WHERE r.at >= ? AND (? = 'all' OR r.agent_id IN (SELECT u.id FROM users u WHERE "
              "u.department_id IN (SELECT id FROM sub)))",
          {actor.department_id, now - kDay, now - 7 * kDay, scope}));
  DD_ASSIGN_OR_RETURN(auto last,
                      conn->QueryOne("SELECT at, actor, detail FROM audit_log WHERE action = "
                                     "'pool.recycle' ORDER BY id DESC LIMIT 1"));
  json last_run = nullptr;
  if (last) {
    json d = json::parse(last->Text(2), nullptr, false);
    last_run = {{"at", FormatIso8601(last->Int(0))},
                {"actor", last->Text(1)},
                {"recycled", d.is_object() ? d.value("recycled", 0) : 0},
                {"warned", d.is_object() ? d.value("warned", 0) : 0}};
  }
  return json{{"rules", RulesJson(rules)},
              {"pool",
               {{"total", total},
                {"recycled", recycled},
                {"by_quality", {{"A", a}, {"B", total - a - c}, {"C", c}}},
                {"by_batch", by_batch}}},
              {"held",
               {{"expiring", held && !held->IsNull(0) ? held->Int(0) : 0},
                {"locked", held && !held->IsNull(1) ? held->Int(1) : 0}}},
              {"recycled",
               {{"last_24h", recent->IsNull(0) ? 0 : recent->Int(0)}, {"last_7d", recent->Int(1)}}},
              {"last_run", last_run}};
}

Result<json> PoolService::ListHeld(const Actor& actor, const HeldQuery& q) {
  if (q.state != "expiring" && q.state != "locked") {
    return InvalidArgument("invalid_field", {{"field", "state"}});
  }
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  const int64_t now = clock_.Now();
  const int page_size = std::clamp(q.page_size, 1, 200);
  const int page = std::max(q.page, 1);
  const int64_t offset = static_cast<int64_t>(page - 1) * page_size;
  const bool expiring = q.state == "expiring";
  const std::string filter =
      expiring ? "l.recycle_due_at IS NOT NULL AND l.locked = 0" : "l.locked = 1";
  const std::string where = std::string(" FROM leads l WHERE l.owner_id IS NOT NULL AND ") +
                            "l.status IN " + kHeldStates + " AND " + filter + " AND " + kOwnerScope;
  const std::string scope(ScopeName(actor.scope()));
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto total, conn->QueryOne(std::string(kScopeCte) + "SELECT COUNT(*)" + where,
                                                 {actor.department_id, scope}));
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query(
          std::string(kScopeCte) +
              "SELECT l.id, l.phone, l.name, l.batch_id, "
              "(SELECT b.name FROM batches b WHERE b.id = l.batch_id), l.owner_id, "
              "(SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u "
              "WHERE u.id = l.owner_id), l.locked_at, l.locked_by_name, l.recycle_due_at, " +
              kHeldColumns + where +
              (expiring ? " ORDER BY l.recycle_due_at, l.id" : " ORDER BY l.locked_at DESC, l.id") +
              " LIMIT ? OFFSET ?",
          {actor.department_id, scope, page_size, offset}));
  json items = json::array();
  for (const auto& r : rows) {
    std::string status, outcome;
    const Held h = HeldOf(r, 10, status, outcome);
    Held unlocked = h;
    unlocked.locked = false;  // a locked lead: when it would be due without the lock
    auto due = RecycleDue(rules, unlocked);
    const std::string e164 = vault_.OpenLeadOr(r.Text(1)).phone;
    auto c = cleaner_.Clean(e164);
    std::string digits;
    for (char ch : c.phone ? c.phone->national : e164) {
      if (ch >= '0' && ch <= '9') digits += ch;
    }
    items.push_back(
        {{"id", r.Int(0)},
         {"phone_masked", intake::MaskDigits(digits)},
         {"name", r.Text(2)},
         {"batch_id", r.Int(3)},
         {"batch_name", r.Text(4)},
         {"agent_id", r.Int(5)},
         {"agent", r.Text(6)},
         {"quality", r.Text(10)},
         {"status", status},
         {"last_outcome", outcome.empty() ? json(nullptr) : json(outcome)},
         {"won", Won(h)},
         {"locked", h.locked},
         {"locked_at", r.IsNull(7) ? json(nullptr) : json(FormatIso8601(r.Int(7)))},
         {"locked_by", r.IsNull(8) ? json(nullptr) : json(r.Text(8))},
         {"assigned_at", FormatIso8601(h.assigned_at)},
         {"followed_at", h.followed_at ? json(FormatIso8601(*h.followed_at)) : json(nullptr)},
         {"recycle_at", due ? json(FormatIso8601(due->at)) : json(nullptr)},
         {"recycle_reason", due ? json(ReasonName(due->reason)) : json(nullptr)},
         {"overdue", due && due->at <= now}});
  }
  return json{{"items", items},
              {"total", total->Int(0)},
              {"page", page},
              {"page_size", page_size},
              {"state", q.state}};
}

Result<json> PoolService::SetLocked(const Actor& actor, const std::vector<int64_t>& lead_ids,
                                    bool locked) {
  if (lead_ids.empty() || lead_ids.size() > kMaxLockIds) {
    return InvalidArgument("invalid_field", {{"field", "lead_ids"}});
  }
  std::vector<int64_t> ids = lead_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const std::string scope(ScopeName(actor.scope()));
  const std::string in_scope =
      std::string(
          " FROM leads l WHERE l.id IN (SELECT value FROM json_each(?)) AND "
          "l.owner_id IS NOT NULL AND l.status IN ") +
      kHeldStates + " AND " + kOwnerScope;
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t changed = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto found,
                        conn->QueryOne(std::string(kScopeCte) + "SELECT COUNT(*)" + in_scope,
                                       {actor.department_id, IdsJson(ids), scope}));
    const int64_t missing = static_cast<int64_t>(ids.size()) - found->Int(0);
    if (missing > 0) {
      return Error(ErrorCode::kNotFound, "pool_leads_not_found",
                   {{"count", std::to_string(missing)}});
    }
    const int64_t now = clock_.Now();
    auto info = locked ? conn->Exec(
                             "UPDATE leads SET locked = 1, locked_at = ?, locked_by_name = ?, "
                             "recycle_due_at = NULL WHERE locked = 0 AND id IN (SELECT value "
                             "FROM json_each(?))",
                             {now, actor.username, IdsJson(ids)})
                       : conn->Exec(
                             "UPDATE leads SET locked = 0, locked_at = NULL, locked_by_name = "
                             "NULL WHERE locked = 1 AND id IN (SELECT value FROM json_each(?))",
                             {IdsJson(ids)});
    if (!info.ok()) return std::move(info).error();
    changed = info->changes;
    if (!locked) {
      // Unlocked leads within their warning (or overdue) are marked again at once.
      DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
      DD_ASSIGN_OR_RETURN(
          auto rows, conn->Query(std::string("SELECT l.id, ") + kHeldColumns +
                                     " FROM leads l WHERE l.id IN (SELECT value FROM json_each(?))",
                                 {IdsJson(ids)}));
      for (const auto& r : rows) {
        std::string status, outcome;
        auto due = RecycleDue(rules, HeldOf(r, 1, status, outcome));
        if (due && (due->at <= now || InWarning(rules, *due, now))) {
          DD_RETURN_IF_ERROR(
              conn->Exec("UPDATE leads SET recycle_due_at = ? WHERE id = ?", {due->at, r.Int(0)}));
        }
      }
    }
    json detail = {{"count", static_cast<int64_t>(ids.size())}, {"changed", changed}};
    if (ids.size() <= 50) detail["lead_ids"] = ids;
    return audit_.Append(*conn, audit::Entry::By(actor, locked ? "lead.lock" : "lead.unlock",
                                                 ids.size() == 1 ? "lead:" + std::to_string(ids[0])
                                                                 : std::string("leads"),
                                                 detail));
  }));
  return json{{"changed", changed}};
}

Result<json> PoolService::Expiring(const Actor& agent) {
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  json items = json::array();
  const int64_t now = clock_.Now();
  const Cutoffs cut = PrefilterCutoffs(rules, now);
  if (rules.recycling() && (cut.follow || cut.convert)) {
    DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    DD_ASSIGN_OR_RETURN(
        auto rows,
        conn->Query(std::string("SELECT l.id, l.name, ") + kHeldColumns +
                        " FROM leads l WHERE l.owner_id = ? AND l.status = 'prospect' AND "
                        "l.locked = 0 AND COALESCE(l.last_outcome, '') <> 'converted' AND "
                        "(COALESCE(l.followed_at, l.assigned_at, l.created_at) <= ? OR "
                        "COALESCE(l.assigned_at, l.created_at) <= ?)",
                    {agent.user_id, cut.follow.value_or(-1), cut.convert.value_or(-1)}));
    std::vector<std::pair<int64_t, json>> found;
    for (const auto& r : rows) {
      std::string status, outcome;
      const Held h = HeldOf(r, 2, status, outcome);
      auto due = RecycleDue(rules, h);
      if (!due || (!InWarning(rules, *due, now) && due->at > now)) continue;
      found.emplace_back(
          due->at,
          json{{"id", r.Int(0)},
               {"name", r.Text(1)},
               {"quality", r.Text(2)},
               {"last_outcome", outcome},
               {"followed_at", h.followed_at ? json(FormatIso8601(*h.followed_at)) : json(nullptr)},
               {"recycle_at", FormatIso8601(due->at)},
               {"recycle_reason", ReasonName(due->reason)}});
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (auto& f : found) items.push_back(std::move(f.second));
  }
  return json{{"items", items}, {"warn_days", rules.warn_days}};
}

}  // namespace dd::pool

#include "modules/audit/audit_log.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "core/crypto.hpp"

namespace dd::audit {
namespace {

constexpr std::string_view kGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The highest id ever handed out, including rows deleted since: a dialect
// hook, since SQLite keeps it in sqlite_sequence and PostgreSQL in a sequence.
Result<int64_t> HighestIssuedId(db::Connection& conn) {
  switch (conn.dialect()) {
    case db::Dialect::kSqlite: {
      DD_ASSIGN_OR_RETURN(
          auto row, conn.QueryOne("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"));
      return row ? row->Int(0) : 0;
    }
    case db::Dialect::kPostgres: {
      DD_ASSIGN_OR_RETURN(
          auto row,
          conn.QueryOne(
              "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM audit_log_id_seq"));
      return row ? row->Int(0) : 0;
    }
  }
  return 0;
}

StoredEntry FromRow(const db::Row& r) {
  StoredEntry e;
  e.id = r.Int(0);
  e.at = r.Int(1);
  e.actor_id = r.OptInt(2);
  e.actor = r.Text(3);
  e.action = r.Text(4);
  e.target = r.Text(5);
  e.ip = r.Text(6);
  e.detail = r.Text(7);
  e.prev_hash = r.Text(8);
  e.hash = r.Text(9);
  return e;
}

constexpr std::string_view kColumns =
    "id, at, actor_id, actor, action, target, ip, detail, prev_hash, hash";

}  // namespace

Entry Entry::By(const Actor& a, std::string action, std::string target, nlohmann::json detail) {
  Entry e;
  if (a.user_id > 0) e.actor_id = a.user_id;
  e.actor = a.username;
  e.action = std::move(action);
  e.target = std::move(target);
  e.ip = a.ip;
  e.detail = std::move(detail);
  return e;
}

std::string ComputeAuditHash(const StoredEntry& e) {
  std::string buf;
  auto add = [&buf](std::string_view field) {
    buf += std::to_string(field.size());
    buf += ':';
    buf += field;
    buf += '|';
  };
  add(e.prev_hash);
  add(std::to_string(e.id));
  add(std::to_string(e.at));
  add(e.actor_id ? std::to_string(*e.actor_id) : "");
  add(e.actor);
  add(e.action);
  add(e.target);
  add(e.ip);
  add(e.detail);
  return crypto::Sha256Hex(buf);
}

Status AuditLog::Append(db::Connection& conn, const Entry& in) const {
  StoredEntry e;
  if (keep_head_ && head_) {
    e.id = head_->id + 1;
    e.prev_hash = head_->hash;
  } else {
    DD_ASSIGN_OR_RETURN(auto last,
                        conn.QueryOne("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"));
    DD_ASSIGN_OR_RETURN(int64_t issued, HighestIssuedId(conn));
    e.id = std::max(issued, last ? last->Int(0) : 0) + 1;
    e.prev_hash = last ? last->Text(1) : std::string(kGenesis);
  }
  e.at = clock_.Now();
  e.actor_id = in.actor_id;
  e.actor = in.actor;
  e.action = in.action;
  e.target = in.target;
  e.ip = in.ip;
  e.detail = in.detail.dump();
  e.hash = ComputeAuditHash(e);
  DD_RETURN_IF_ERROR(conn.Exec(
      "INSERT INTO audit_log (id, at, actor_id, actor, action, target, ip, detail, prev_hash, "
      "hash) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {e.id, e.at, e.actor_id, e.actor, e.action, e.target, e.ip, e.detail, e.prev_hash, e.hash}));
  if (keep_head_) head_ = Head{e.id, e.hash};
  return {};
}

Result<VerifyReport> AuditLog::Verify(db::Connection& conn) const {
  VerifyReport rep;
  auto fail = [&rep](int64_t id, const char* problem) {
    rep.ok = false;
    rep.first_broken_id = id;
    rep.problem = problem;
    return rep;
  };
  int64_t prev_id = 0;
  std::string prev_hash(kGenesis);
  const std::string sql =
      "SELECT " + std::string(kColumns) + " FROM audit_log WHERE id > ? ORDER BY id LIMIT 5000";
  for (;;) {
    DD_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, {prev_id}));
    if (rows.empty()) break;
    for (const auto& r : rows) {
      StoredEntry e = FromRow(r);
      if (e.id != prev_id + 1) return fail(prev_id + 1, "missing_row");
      if (e.prev_hash != prev_hash) return fail(e.id, "chain_break");
      if (ComputeAuditHash(e) != e.hash) return fail(e.id, "hash_mismatch");
      prev_id = e.id;
      prev_hash = e.hash;
      ++rep.checked;
    }
  }
  DD_ASSIGN_OR_RETURN(int64_t issued, HighestIssuedId(conn));
  if (issued > prev_id) return fail(prev_id + 1, "tail_deleted");
  return rep;
}

Result<std::vector<StoredEntry>> AuditLog::List(db::Connection& conn, const ListFilter& f) const {
  int limit = std::clamp(f.limit, 1, 500);
  // Only the conditions in use are added (fixed fragments, values bound), so
  // the indexes on actor, target and at can serve them.
  std::string where = " WHERE 1 = 1";
  db::Params params;
  if (f.before_id) {
    where += " AND id < ?";
    params.emplace_back(*f.before_id);
  }
  if (!f.action.empty()) {  // a prefix, as a range on the action index
    where += " AND action >= ? AND action < ?";
    params.emplace_back(f.action);
    params.emplace_back(f.action + "\xf4\x8f\xbf\xbf");
  }
  if (!f.actor.empty()) {
    where += " AND actor = ?";
    params.emplace_back(f.actor);
  }
  if (f.from) {
    where += " AND at >= ?";
    params.emplace_back(*f.from);
  }
  if (f.to) {
    where += " AND at < ?";
    params.emplace_back(*f.to);
  }
  auto query = [&](const std::string& sql, db::Params p) -> Result<std::vector<StoredEntry>> {
    p.emplace_back(limit);
    DD_ASSIGN_OR_RETURN(auto rows,
                        conn.Query("SELECT " + std::string(kColumns) + " FROM audit_log" + sql +
                                       " ORDER BY id DESC LIMIT ?",
                                   p));
    std::vector<StoredEntry> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(FromRow(r));
    return out;
  };
  if (f.target.empty()) return query(where, params);

  // The target index leaves out the desk's reveals and outcomes
  // (migrations/0010_audit_desk_targets.sql): a condition on the target
  // uses it only with kNotDesk.
  static const std::string kDesk = "('lead.reveal', 'lead.outcome')";
  static const std::string kNotDesk = " AND action NOT IN " + kDesk;
  std::string t = f.target;
  if (t.back() == '*') t.pop_back();
  if (f.target.back() == '*' || f.target.back() == ':') {
    // A range on the index: target >= t AND target < t + U+10FFFF. Ranges
    // that may hold a lead ("lead:", "le" …) keep the desk's entries: read
    // newest first until enough match.
    const bool leads = std::string_view("lead:").starts_with(t) || t.starts_with("lead:");
    params.emplace_back(t);
    params.emplace_back(t + "\xf4\x8f\xbf\xbf");
    return query(where + " AND target >= ? AND target < ?" + (leads ? "" : kNotDesk), params);
  }
  db::Params others = params;
  others.emplace_back(t);
  DD_ASSIGN_OR_RETURN(auto out, query(where + " AND target = ?" + kNotDesk, others));
  // Only a lead's target, and an action filter the desk's actions pass, can
  // add the desk's entries.
  const bool desk_action = std::string_view("lead.reveal").starts_with(f.action) ||
                           std::string_view("lead.outcome").starts_with(f.action);
  int64_t lead_id = 0;
  const std::string_view id = std::string_view(t).substr(std::min(t.size(), size_t{5}));
  if (!desk_action || !t.starts_with("lead:") || id.empty() ||
      std::from_chars(id.data(), id.data() + id.size(), lead_id).ptr != id.data() + id.size()) {
    return out;
  }
  // The lead's reveals and outcomes: those of its calls (by the call's agent,
  // at the time it was shown or recorded, or the second after when the
  // clock moved on between the two writes).
  params.emplace_back(t);
  params.emplace_back(lead_id);
  DD_ASSIGN_OR_RETURN(
      auto desk,
      query(where + " AND target = ? AND action IN " + kDesk +
                " AND id IN (SELECT a.id FROM call_log c JOIN audit_log a ON a.actor_id = "
                "c.agent_id AND a.at IN (c.shown_at, c.shown_at + 1, c.outcome_at, "
                "c.outcome_at + 1) WHERE c.lead_id = ?)",
            params));
  out.insert(out.end(), desk.begin(), desk.end());
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.id > y.id; });
  if (out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

}  // namespace dd::audit

#include "modules/dealing/lead_queue.hpp"

#include <algorithm>
#include <map>

namespace dd::dealing {

namespace {

// Inserts `n` rows of `width` integers (`row(i, out)` writes row i's values),
// many rows per statement: a statement's step costs about what its row does.
template <typename RowFn>
Status InsertRows(db::Connection& conn, const std::string& head, size_t width, size_t n,
                  const RowFn& row) {
  constexpr size_t kRows = 200;
  auto sql_for = [&](size_t rows) {
    std::string one = "(";
    for (size_t k = 0; k < width; ++k) one += k ? ",?" : "?";
    one += ")";
    std::string sql = head;
    for (size_t r = 0; r < rows; ++r) sql += (r ? "," : "") + one;
    return sql;
  };
  std::vector<int64_t> v(width);
  size_t i = 0;
  if (n >= kRows) {
    DD_ASSIGN_OR_RETURN(db::BulkStatement * many, conn.PrepareBulk(sql_for(kRows)));
    for (; i + kRows <= n; i += kRows) {
      int param = 1;
      for (size_t r = 0; r < kRows; ++r) {
        row(i + r, v.data());
        for (size_t k = 0; k < width; ++k) many->BindInt(param++, v[k]);
      }
      DD_RETURN_IF_ERROR(many->Execute());
    }
  }
  if (i == n) return {};
  DD_ASSIGN_OR_RETURN(db::BulkStatement * single, conn.PrepareBulk(sql_for(1)));
  for (; i < n; ++i) {
    row(i, v.data());
    for (size_t k = 0; k < width; ++k) single->BindInt(static_cast<int>(k + 1), v[k]);
    DD_RETURN_IF_ERROR(single->Execute());
  }
  return {};
}

// SQL: lead_queue row `q` is live: agent_queue holds its lead at its slot
// (else it is stale, lead_queue.hpp).
std::string Live(const std::string& q) {
  return "EXISTS (SELECT 1 FROM agent_queue " + q + "_a WHERE " + q + "_a.slot = " + q +
         ".slot AND " + q + "_a.lead_id = " + q + ".lead_id)";
}

}  // namespace

std::string NotQueued(std::string_view alias) {
  return "NOT EXISTS (SELECT 1 FROM lead_queue lq WHERE lq.lead_id = " + std::string(alias) +
         ".id AND " + Live("lq") + ")";
}

std::string QueueJoin(std::string_view alias, std::string_view queue_alias) {
  const std::string q(queue_alias);
  return "LEFT JOIN lead_queue " + q + " ON " + q + ".lead_id = " + std::string(alias) +
         ".id AND " + Live(q);
}

std::string OwnerOf(std::string_view alias, std::string_view queue_alias) {
  return "COALESCE(" + std::string(alias) + ".owner_id, " + std::string(queue_alias) +
         ".slot >> 32)";
}

std::string QueuedCountOf(std::string_view agent) {
  const std::string a(agent);
  return "(SELECT COUNT(*) FROM agent_queue aq WHERE aq.slot > (" + a + " << 32) AND aq.slot < ((" +
         a + " + 1) << 32))";
}

Status Enqueue(db::Connection& conn, int64_t deal_id, int64_t dealt_at,
               const std::vector<Assignment>& assignments) {
  if (assignments.empty()) return {};
  // Each agent's queue goes on after its last slot.
  std::map<int64_t, int64_t> last;  // agent -> its last slot so far
  for (const auto& a : assignments) last.emplace(a.agent_id, 0);
  for (auto& [agent, slot] : last) {
    DD_ASSIGN_OR_RETURN(auto row,
                        conn.QueryOne("SELECT MAX(slot) FROM agent_queue WHERE slot > ? AND slot "
                                      "< ?",
                                      {SlotBase(agent), SlotBase(agent + 1)}));
    slot = row && !row->IsNull(0) ? row->Int(0) : SlotBase(agent);
  }
  const size_t n = assignments.size();
  std::vector<int64_t> slots(n);
  int64_t agent = 0, base = 0;
  for (size_t i = 0; i < n; ++i) {
    if (assignments[i].agent_id != agent) {
      agent = assignments[i].agent_id;
      base = last[agent];
    }
    slots[i] = base + assignments[i].queue_pos;
  }
  // Two appends, each in its table's key order: cheap B-tree writes. The
  // plan lists each agent's leads in queue order, agents by id: slot order.
  std::vector<uint32_t> by_slot;  // only when the plan's order is not slot order
  if (!std::is_sorted(slots.begin(), slots.end())) {
    by_slot.resize(n);
    for (size_t i = 0; i < n; ++i) by_slot[i] = static_cast<uint32_t>(i);
    std::sort(by_slot.begin(), by_slot.end(),
              [&](uint32_t x, uint32_t y) { return slots[x] < slots[y]; });
  }
  DD_RETURN_IF_ERROR(
      InsertRows(conn, "INSERT INTO agent_queue (slot, lead_id, deal_id, dealt_at) VALUES ", 4, n,
                 [&](size_t r, int64_t* out) {
                   const size_t i = by_slot.empty() ? r : by_slot[r];
                   out[0] = slots[i];
                   out[1] = assignments[i].lead_id;
                   out[2] = deal_id;
                   out[3] = dealt_at;
                 }));
  // Then in lead order.
  std::vector<std::pair<int64_t, int64_t>> by_lead(n);  // lead id, slot
  for (size_t i = 0; i < n; ++i) by_lead[i] = {assignments[i].lead_id, slots[i]};
  std::sort(by_lead.begin(), by_lead.end());
  // A lead dealt again may have a stale row (lead_queue.hpp): replaced.
  return InsertRows(conn, "INSERT OR REPLACE INTO lead_queue (lead_id, slot) VALUES ", 2, n,
                    [&](size_t r, int64_t* out) {
                      out[0] = by_lead[r].first;
                      out[1] = by_lead[r].second;
                    });
}

Result<int64_t> QueuedCount(db::Connection& conn, int64_t agent_id, int64_t limit) {
  if (limit <= 0) return int64_t{0};
  DD_ASSIGN_OR_RETURN(auto row, conn.QueryOne("SELECT COUNT(*) FROM (SELECT 1 FROM agent_queue "
                                              "WHERE slot > ? AND slot < ? LIMIT ?) t",
                                              {SlotBase(agent_id), SlotBase(agent_id + 1), limit}));
  return row->Int(0);
}

Result<std::vector<Queued>> FindQueued(db::Connection& conn, std::string_view with,
                                       std::string_view cond, const db::Params& params,
                                       int64_t limit) {
  std::vector<Queued> out;
  DD_ASSIGN_OR_RETURN(auto any, conn.QueryOne("SELECT 1 FROM lead_queue LIMIT 1"));
  if (!any) return out;
  db::Params p = params;
  p.emplace_back(limit);
  DD_ASSIGN_OR_RETURN(
      auto v,
      conn.QueryInts(std::string(with) +
                         " SELECT a.slot, a.lead_id, a.deal_id, a.dealt_at FROM agent_queue "
                         "a JOIN lead_queue q ON q.slot = a.slot AND q.lead_id = "
                         "a.lead_id WHERE " +
                         std::string(cond) + " ORDER BY a.slot LIMIT ?",
                     p, 4));
  out.reserve(v.size() / 4);
  for (size_t i = 0; i + 3 < v.size(); i += 4) out.push_back({v[i], v[i + 1], v[i + 2], v[i + 3]});
  return out;
}

Result<std::vector<Queued>> QueuedWhere(db::Connection& conn, const std::string& where,
                                        const db::Params& params) {
  return FindQueued(conn, "", "q.lead_id IN (SELECT id FROM leads WHERE " + where + ")", params);
}

Result<std::vector<Queued>> AgentQueue(db::Connection& conn, int64_t agent_id) {
  return FindQueued(conn, "", "a.slot > ? AND a.slot < ?",
                    {SlotBase(agent_id), SlotBase(agent_id + 1)});
}

namespace {

// Removes the entries' agent_queue rows, and with `lead_rows` their
// lead_queue rows too.
Status Remove(db::Connection& conn, const std::vector<Queued>& entries, bool lead_rows) {
  if (entries.empty()) return {};
  DD_ASSIGN_OR_RETURN(db::BulkStatement * by_slot,
                      conn.PrepareBulk("DELETE FROM agent_queue WHERE slot = ?"));
  db::BulkStatement* by_lead = nullptr;
  if (lead_rows) {
    DD_ASSIGN_OR_RETURN(by_lead, conn.PrepareBulk("DELETE FROM lead_queue WHERE lead_id = ?"));
  }
  for (const auto& e : entries) {
    by_slot->BindInt(1, e.slot);
    DD_RETURN_IF_ERROR(by_slot->Execute());
    if (!by_lead) continue;
    by_lead->BindInt(1, e.lead_id);
    DD_RETURN_IF_ERROR(by_lead->Execute());
  }
  return {};
}

}  // namespace

Status Drop(db::Connection& conn, const std::vector<Queued>& entries) {
  return Remove(conn, entries, true);
}

Status Materialise(db::Connection& conn, const std::vector<Queued>& entries,
                   std::optional<int64_t> shown_at, std::vector<int64_t>* stale,
                   const Worked* worked) {
  if (entries.empty()) return {};
  // ?7 is the status after an outcome already recorded (NULL: none).
  DD_ASSIGN_OR_RETURN(
      db::BulkStatement * own,
      conn.PrepareBulk("UPDATE leads SET owner_id = ?1, queue_pos = ?2, "
                       "status = COALESCE(?7, 'assigned'), deal_id = ?3, assigned_at = ?4, "
                       "pulled = 0, followed_at = ?11, recycle_due_at = NULL, locked = 0, "
                       "current_agent_id = CASE WHEN ?7 IS NOT NULL THEN NULL "
                       "WHEN ?6 IS NULL THEN current_agent_id ELSE ?1 END, "
                       "shown_at = COALESCE(?6, shown_at), attempts = COALESCE(?8, attempts), "
                       "next_call_at = CASE WHEN ?7 IS NULL THEN next_call_at ELSE ?9 END, "
                       "last_outcome = COALESCE(?10, last_outcome) "
                       "WHERE id = ?5 AND status = 'new' AND owner_id IS NULL"));
  for (const auto& e : entries) {
    own->BindInt(1, SlotAgent(e.slot));
    own->BindInt(2, e.slot - SlotBase(SlotAgent(e.slot)));
    own->BindInt(3, e.deal_id);
    own->BindInt(4, e.dealt_at);
    own->BindInt(5, e.lead_id);
    if (shown_at) {
      own->BindInt(6, *shown_at);
    } else {
      own->BindNull(6);
    }
    if (worked) {
      own->BindText(7, worked->status);
      own->BindInt(8, worked->attempts);
      if (worked->next_call_at) own->BindInt(9, *worked->next_call_at);
      own->BindText(10, worked->outcome);
      own->BindInt(11, worked->at);
    }
    DD_RETURN_IF_ERROR(own->Execute());
    if (worked && own->Changes() == 0) {
      return InternalError("lead " + std::to_string(e.lead_id) + " was not new when worked");
    }
  }
  if (stale) {
    for (const auto& e : entries) stale->push_back(e.lead_id);
  }
  return Remove(conn, entries, !stale);
}

Status SweepStale(db::Connection& conn, std::vector<int64_t>& lead_ids) {
  if (lead_ids.empty()) return {};
  std::sort(lead_ids.begin(), lead_ids.end());
  DD_ASSIGN_OR_RETURN(
      db::BulkStatement * del,
      conn.PrepareBulk("DELETE FROM lead_queue WHERE lead_id = ? AND NOT " + Live("lead_queue")));
  for (int64_t id : lead_ids) {
    del->BindInt(1, id);
    DD_RETURN_IF_ERROR(del->Execute());
  }
  return {};
}

Status SweepAllStale(db::Connection& conn) {
  DD_RETURN_IF_ERROR(conn.Exec("DELETE FROM lead_queue WHERE NOT " + Live("lead_queue")));
  return {};
}

namespace {

Result<std::vector<db::Row>> QueueRows(db::Connection& conn, int64_t agent_id, int64_t after_slot,
                                       int64_t count, int64_t offset) {
  return conn.Query(
      "SELECT a.slot, a.lead_id, l.phone_key, l.timezone, a.deal_id, a.dealt_at, (SELECT 1 FROM "
      "dnc n WHERE n.phone_key = l.phone_key) FROM agent_queue a JOIN leads l ON "
      "l.id = a.lead_id AND l.status = 'new' AND l.owner_id IS NULL WHERE a.slot > ? AND a.slot < "
      "? ORDER BY a.slot LIMIT ? OFFSET ?",
      {std::max(after_slot, SlotBase(agent_id)), SlotBase(agent_id + 1), count, offset});
}

}  // namespace

Result<std::vector<db::Row>> QueuePage(db::Connection& conn, int64_t agent_id, int64_t offset,
                                       int64_t count) {
  return QueueRows(conn, agent_id, 0, count, offset);
}

Result<std::vector<db::Row>> QueueAfter(db::Connection& conn, int64_t agent_id, int64_t after_slot,
                                        int64_t count) {
  return QueueRows(conn, agent_id, after_slot, count, 0);
}

}  // namespace dd::dealing

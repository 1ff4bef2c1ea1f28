// The agents' queues of dealt leads (migrations/0009_lead_queues.sql).
//
// A deal appends each agent's leads to its queue and leaves the lead rows
// alone: a queued lead is still status 'new' with no owner in `leads`. The
// lead becomes an ordinary owned lead ('assigned', owner_id = the agent)
// when it is materialised: when its agent's desk shows it, or before an
// operation that works on owned leads (deleting it, the recycling run).
//
// A lead is queued while agent_queue holds it at the slot its lead_queue row
// names. The desk removes only the agent_queue entry of a lead it shows and
// leaves the lead_queue row, now stale, to be swept later with many others
// in lead order: the table is keyed by lead, so removing each row at once
// would write a page of it in a random place for every lead shown. Whatever
// reads lead_queue joins agent_queue (NotQueued, QueueJoin, FindQueued).
// Everything that asks "is this lead in the pool?" adds NotQueued(); what
// counts an agent's leads adds QueuedCount().
//
// All functions run inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "db/database.hpp"
#include "modules/dealing/deal_plan.hpp"

namespace dd::dealing {

// The first slot of an agent's queue range: slot = agent_id * 2^32 + n.
constexpr int64_t SlotBase(int64_t agent_id) { return agent_id << 32; }
constexpr int64_t SlotAgent(int64_t slot) { return slot >> 32; }

// SQL: lead `alias` waits in no queue ("NOT EXISTS (…)").
std::string NotQueued(std::string_view alias);
// SQL: "LEFT JOIN lead_queue <queue_alias> …", the queue entry of lead
// `alias` if it is queued.
std::string QueueJoin(std::string_view alias, std::string_view queue_alias);
// SQL: the owner of lead `alias`, its queue's agent while queued (needs
// QueueJoin(alias, queue_alias)).
std::string OwnerOf(std::string_view alias, std::string_view queue_alias);

// SQL: how many leads wait in the queue of the agent whose id is the SQL
// expression `agent` (e.g. "u.id"), for a column of a list of agents.
std::string QueuedCountOf(std::string_view agent);

// Appends a committed deal's assignments to the agents' queues, after what
// each already holds, in each agent's plan order (queue_pos).
Status Enqueue(db::Connection& conn, int64_t deal_id, int64_t dealt_at,
               const std::vector<Assignment>& assignments);

// How many leads wait in an agent's queue, counting up to `limit`.
Result<int64_t> QueuedCount(db::Connection& conn, int64_t agent_id, int64_t limit);

struct Queued {
  int64_t slot = 0, lead_id = 0, deal_id = 0, dealt_at = 0;
};

// Queue entries matching `cond` (SQL over `agent_queue a JOIN lead_queue q`,
// fixed text, never built from input), at most `limit`, in slot order. A
// condition on a.slot walks the queues in order; one on q.lead_id looks the
// leads up.
// `with` is an optional WITH clause `cond` uses.
Result<std::vector<Queued>> FindQueued(db::Connection& conn, std::string_view with,
                                       std::string_view cond, const db::Params& params,
                                       int64_t limit = INT64_MAX);
// The queued leads whose row matches `where` (a condition on `leads`).
Result<std::vector<Queued>> QueuedWhere(db::Connection& conn, const std::string& where,
                                        const db::Params& params);
// An agent's whole queue, in order.
Result<std::vector<Queued>> AgentQueue(db::Connection& conn, int64_t agent_id);

// The entries become owned 'assigned' leads of their agents, dealt when their
// deal was made, and leave the queues. With `shown_at`, each is also put on
// its agent's desk then (the desk showing a queued lead: one write of its row).
// With `stale`, their lead_queue rows are left behind and their lead ids
// appended to *stale, for SweepStale to remove later, many at once.
// With `worked` (and `shown_at`), the agent has also recorded its outcome:
// the lead leaves the desk with it, as the desk's outcome would write it. So
// the desk's journal writes a lead shown and worked in one batch with one
// write of its row; it fails if a lead is no longer new and in no one's
// hands.
struct Worked {
  std::string_view status, outcome;  // the lead's new status; the outcome
  int64_t attempts = 0;
  std::optional<int64_t> next_call_at;
  int64_t at = 0;  // when the outcome was recorded
};
Status Materialise(db::Connection& conn, const std::vector<Queued>& entries,
                   std::optional<int64_t> shown_at = std::nullopt,
                   std::vector<int64_t>* stale = nullptr, const Worked* worked = nullptr);
// Removes the lead_queue rows of these leads that are stale (their agent_queue
// entry is gone), in lead order. `lead_ids` are sorted in place.
Status SweepStale(db::Connection& conn, std::vector<int64_t>& lead_ids);
// Removes every stale lead_queue row (a scan of the table: at startup, for
// rows a crash left before they were swept).
Status SweepAllStale(db::Connection& conn);
// The entries leave the queues; their leads stay in the pool.
Status Drop(db::Connection& conn, const std::vector<Queued>& entries);

// A page of an agent's queue in desk order: slot, lead id, phone_key,
// timezone, deal id, dealt at, and 1 when the number is on the DNC list
// (else NULL).
Result<std::vector<db::Row>> QueuePage(db::Connection& conn, int64_t agent_id, int64_t offset,
                                       int64_t count);
// The same columns for the entries after queue entry `after_slot` (0: from
// the start), at most `count` (the desk's read-ahead).
Result<std::vector<db::Row>> QueueAfter(db::Connection& conn, int64_t agent_id, int64_t after_slot,
                                        int64_t count);

}  // namespace dd::dealing

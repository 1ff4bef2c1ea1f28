// The agent's desk: exactly one lead at a time, outcomes, callbacks, retries,
// calling hours, the do-not-call list, pull from the pool, the call log.
//
// Order of the next lead: callbacks that are due, then retries that are due,
// then new leads in the dealt (shuffled) order. A lead on the DNC list or
// whose local time (its number's time zone) is outside `calling_hours` is
// held back. A lead is the current lead of at most one agent (it is in one
// agent's queue, and every change runs in a write transaction); two tabs of
// one agent see the same lead; an outcome carries a client request_id, so a
// retried post does not skip a lead. Agents never see counts: only the
// `low_stock` flag.
//
// The public pool (src/modules/pool): every outcome restarts the lead's
// recycling countdown; the current lead carries its deadline (`recycle_at`,
// `recycle_warning`); pulls respect the daily claim cap, the holding cap and
// the cooldown after a recycling; an agent may bring one of its own
// prospects back onto the desk to follow it up. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/vault.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/dealing/lead_queue.hpp"
#include "modules/leak/leak_guard.hpp"
#include "modules/phone/phone_cleaner.hpp"
#include "modules/pool/pool_rules.hpp"
#include "modules/settings/settings.hpp"

namespace dd::desk {

struct OutcomeRequest {
  int64_t lead_id = 0;
  std::string outcome;
  std::string note;
  std::optional<int64_t> callback_at;  // Unix seconds
  std::string request_id;
};

// Parses ISO 8601 ("2026-11-23T10:00:00+08:00", "...Z", no zone = +08:00).
std::optional<int64_t> ParseIso8601(std::string_view s);

bool ValidOutcome(std::string_view o);

// The fast path (desk_fast.cpp). The slow path above runs every request as
// one write transaction and reads the agent's queue, its lead and its
// history each time (about 25 statements an outcome). Once it has shown an
// agent a lead, it also reads the next few leads of that agent's queue
// ahead (kLoadAhead, views ready to send) into memory, and the read-ahead
// thread tops them up to kPrefetch outside the write. An outcome for the lead on
// screen is then answered from memory when nothing else needs deciding (no
// callback or retry due, the next lead callable, within the reveal budget,
// not do_not_call), and its writes (the outcome, the next lead shown, their
// call log rows and audit entries: exactly the slow path's) are queued in a
// journal that a background thread writes in one transaction every
// kFoldInterval. The journal is written before any other request reads or
// writes the database (Database::SetAcquireHook), so no one ever sees the
// data behind the desk. What an agent's memory holds is dropped whenever
// the database may have changed under it (Database::ChangeGeneration: a
// deal, a recall, a DNC entry, a setting, a user's change, another process's
// commit), and then the slow path serves and reloads it. A crash loses the
// outcomes answered since the journal was last written (at most
// kMaxUnfolded).
class DeskService {
 public:
  DeskService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
              const settings::Settings& settings, const phone::PhoneCleaner& cleaner,
              const vault::Vault& vault);
  // Writes what the journal holds, then stops its thread.
  ~DeskService();
  DeskService(const DeskService&) = delete;
  DeskService& operator=(const DeskService&) = delete;

  // The fast path for POST /desk/outcome: the answer, or nullopt when the
  // slow path (Outcome) must decide. Never touches the database; cheap
  // enough for the I/O thread. With `may_wait`, waits while the journal is
  // full; without, answers nullopt then.
  // The answer is the JSON text of GET /desk's shape.
  std::optional<std::string> TryOutcome(const Actor& agent, const OutcomeRequest& req,
                                        bool may_wait);
  // Writes the journal now (every Acquire() does this first).
  void Sync();
  // Removes the queue rows left stale by leads shown (dealing/lead_queue.hpp)
  // that were not swept yet: after a crash, those the journal had in memory.
  // A scan of the queue: run now and then (the server's scheduler).
  Status SweepQueues();

  // {"lead": {...} | null, "low_stock": bool, "can_pull": bool (within the
  // daily claim cap and the holding cap)}; the lead carries "recycle_at",
  // "recycle_reason" and "recycle_warning" (within pool_warn_days); in masked
  // mode (setting desk_masked) the number is masked and `masked: true` added.
  // Leak controls (src/modules/leak): showing a new lead past the agent's
  // reveal budget answers reveal_budget_exceeded (429) instead; a lead already
  // on the desk stays, and an outcome is recorded before that answer.
  Result<nlohmann::json> Current(const Actor& agent);
  // Records the outcome of the agent's current lead and answers with the next.
  // Errors: not_current_lead (409), invalid_outcome, callback_time_required,
  // callback_in_past.
  Result<nlohmann::json> Outcome(const Actor& agent, const OutcomeRequest& req);
  // Takes the next lead from the pool (if allowed, within the daily claim cap
  // and the holding cap, skipping leads recycled from this agent within the
  // cooldown). Errors: pull_disabled (403), pull_quota_reached (429),
  // holding_cap_reached (409).
  Result<nlohmann::json> Pull(const Actor& agent);
  // Puts one of the agent's own prospects on the desk now (the lead that was
  // there goes back to its place), to follow it up before it is recycled.
  // A reveal like any other (audited, reveal budget). Errors:
  // prospect_not_found (404), lead_on_dnc, outside_calling_hours (409).
  Result<nlohmann::json> FollowUp(const Actor& agent, int64_t lead_id);

 private:
  struct Rules {
    int from_min = 9 * 60, to_min = 21 * 60;
    int64_t low_stock = 10, retry_delay_s = 3600, max_attempts = 3, pull_mode = 0;
    leak::Limits leak;
    pool::Rules pool;
  };
  Result<Rules> LoadRules() const;
  // Inside a write transaction: the agent's current lead, or picks and shows
  // the next one. Returns its id or 0; reveal_budget_exceeded when a new lead
  // is due but the reveal budget is spent (see ShowNextOrLock).
  Result<int64_t> ShowNext(db::Connection& conn, const Actor& agent, const Rules& rules);
  // The agent is on leave (users.agent_status 'paused').
  Result<bool> Paused(db::Connection& conn, const Actor& agent);
  // ShowNext, but a reveal_budget_exceeded error goes to `*locked` (and 0 is
  // returned), so the transaction still commits the outcome and the alert.
  Result<int64_t> ShowNextOrLock(db::Connection& conn, const Actor& agent, const Rules& rules,
                                 std::optional<Error>* locked);
  Result<nlohmann::json> State(db::Connection& conn, const Actor& agent, int64_t lead_id,
                               const Rules& rules);
  bool Callable(const Rules& rules, const std::string& timezone, int64_t now) const;

  // What an outcome does to its lead.
  // SQL for call_log.request_id from the journal (?5 the request id, ?7 the
  // agent): a request id the agent used before (a client reusing one for
  // another lead) is not kept. The slow path would have answered that post
  // as a retry, but the fast path had no way to know.
  static constexpr const char* kJournalRequestId =
      "CASE WHEN EXISTS (SELECT 1 FROM call_log WHERE agent_id = ?7 AND request_id = ?5) THEN "
      "NULL ELSE ?5 END";
  struct Effect {
    std::string status;
    int64_t attempts = 0;
    std::optional<int64_t> next_at;
    // The lead leaves the agent's open leads (closed, or made its prospect).
    bool ClosesLead() const { return status == "closed" || status == "prospect"; }
  };
  static Effect EffectOf(const OutcomeRequest& req, int64_t attempts, const Rules& rules,
                         int64_t now);
  // The writes of an outcome (call log, the lead, fast-outcome alert, DNC,
  // audit), at `now`, with `audit`/`leak` on a clock reading `now`. Without
  // `check_fast` the fast-outcome streak is not looked up (the journal knows
  // it cannot alert). `written`: the journal already wrote the call log row
  // and the lead with it (WriteShownAndWorked).
  Status RecordOutcome(db::Connection& conn, const Actor& agent, const OutcomeRequest& req,
                       int64_t attempts_before, const Effect& effect, int64_t now,
                       const audit::AuditLog& audit, const leak::LeakGuard& leak,
                       const Rules& rules, bool fold, bool check_fast = true, bool written = false);
  // The writes of showing lead `id` (a queued one becomes the agent's); with
  // `write` false only its audit entry (the journal writes the rest with the
  // lead's outcome, WriteShownAndWorked).
  Status RecordShow(db::Connection& conn, const Actor& agent, int64_t id,
                    const dealing::Queued* queued, int64_t now, const audit::AuditLog& audit,
                    bool write = true);

  // A lead as the desk shows it, before its deadline and masking (Render).
  // The lead object is kept as JSON text without its closing brace, so that
  // answering (on the I/O thread) appends the deadline and a few flags to it
  // instead of copying and serialising a tree of the whole lead each time.
  struct LeadView {
    std::string text;  // {"id":…,"history":[…],… (no closing brace)
    int64_t attempts = 0;
    std::string status, last_outcome, timezone, national;
    int tier = 1;
    bool locked = false;
    int64_t assigned_at = 0;
    std::optional<int64_t> followed_at, next_call_at;
  };
  // With `queued`, the queued lead as it will be once shown (assigned to its
  // agent since the deal, no callback; dealing::Materialise).
  Result<std::optional<LeadView>> ViewOf(db::Connection& conn, int64_t lead_id,
                                         const dealing::Queued* queued = nullptr) const;
  // {"lead": ..., "low_stock", "can_pull": false} for a view at `now`, as
  // JSON text (the fast path's answer) or parsed (the slow path's).
  std::string RenderText(const LeadView& v, const Rules& rules, bool low_stock, int64_t now) const;
  nlohmann::json Render(const LeadView& v, const Rules& rules, bool low_stock, int64_t now) const;

  // --- the fast path (desk_fast.cpp)
  struct Prefetched {
    dealing::Queued entry;
    LeadView view;
  };
  // What the fast path knows of an agent, read by the slow path (Load).
  struct AgentState {
    uint64_t generation = 0;  // db_.ChangeGeneration() when read
    Rules rules;
    int64_t current = 0;           // the lead on screen
    int64_t current_shown_at = 0;  // when it was shown
    int64_t fast_run = 0;          // outcomes in a row sooner than fast_outcome_seconds
    LeadView current_view;
    std::deque<Prefetched> next;
    int64_t last_slot = 0;  // of the last queue entry read ahead
    int64_t min_due = 0;    // earliest callback or retry: the slow path from then on
    int64_t open = 0;       // open leads (a lower bound when open_capped)
    bool open_capped = false;
    // A lower bound about to fall under the threshold: counted again first.
    bool OpenCountLow() const { return open_capped && open - 1 < rules.low_stock + 1; }
    std::deque<int64_t> reveals;  // shown_at in the last hour (with a reveal budget)
    std::unordered_set<std::string> request_ids;
  };
  struct AgentDesk {
    std::mutex mu;
    uint64_t epoch = 0;               // bumped by the slow path; an older load is dropped
    std::optional<AgentState> state;  // nullopt: the slow path serves the agent
    // Outcomes in the journal, not yet written, that closed a lead (or made
    // it a prospect): the database still counts those leads as open.
    int64_t unwritten_closes = 0;
  };
  struct Op {
    Actor agent;
    OutcomeRequest req;
    int64_t now = 0, attempts_before = 0;
    Effect effect;
    Rules rules;
    dealing::Queued next;
    uint64_t generation = 0;  // the change count it was answered under
    bool check_fast = true;   // this outcome may complete a fast-outcome streak
  };
  std::shared_ptr<AgentDesk> DeskOf(int64_t agent_id);
  // The slow path starts: the agent's memory is dropped; returns the epoch.
  uint64_t Forget(int64_t agent_id);
  // Inside the slow path's transaction: what the fast path needs to serve
  // the agent after `current`, or nullopt (the slow path goes on serving it).
  Result<std::optional<AgentState>> Load(db::Connection& conn, const Actor& agent,
                                         const Rules& rules, int64_t current);
  // After the slow path's commit, unless another began since `epoch`.
  void Install(int64_t agent_id, uint64_t epoch, std::optional<AgentState>&& state);
  // Wakes the read-ahead for the agent; QueueRefill with journal_mu_ held.
  void RequestRefill(int64_t agent_id);
  void QueueRefill(int64_t agent_id);
  // Reads up to `count` of the agent's queued leads after *last_slot into
  // `out`, and moves *last_slot on.
  Status ReadAhead(db::Connection& conn, int64_t agent_id, size_t count,
                   std::deque<Prefetched>* out, int64_t* last_slot) const;
  // The agent's open leads (assigned, retry, callback, and queued), counted
  // up to `limit`.
  static Result<int64_t> OpenLeads(db::Connection& conn, int64_t agent_id, int64_t limit);
  // In the journal's transaction, for an outcome answered before another
  // process changed something: true when its lead is still the agent's
  // current one and its next still queued for it (write it as usual); else
  // it writes what still holds (the call in the history, the reveal) and
  // answers false.
  Result<bool> StillTheirs(db::Connection& conn, const Op& op, const audit::AuditLog& audit,
                           const leak::LeakGuard& leak);
  // In the journal's transaction, the lead `shown` put on the desk (its next)
  // and `worked` then recorded an outcome for, both in this batch: one write
  // of the lead (dealing::Materialise with the outcome) and one call log row,
  // where showing and then recording write each twice. Their audit entries
  // are still appended each at its place (RecordShow, RecordOutcome).
  Status WriteShownAndWorked(db::Connection& conn, const Op& shown, const Op& worked);
  // With a journal, the lead_queue rows of leads shown are left for its
  // writer to sweep, with many others (lead_queue.hpp).
  void SweepLater(const std::vector<int64_t>& lead_ids);
  // Reads more leads ahead for these agents, in a read transaction begun
  // when the change count was `generation`; the number of leads added.
  size_t ReadAheadFor(db::Connection& conn, const std::unordered_set<int64_t>& agents,
                      uint64_t generation);
  // ReadAheadFor in a read transaction of its own: the read-ahead thread's
  // round, or a worker's for an agent with nothing read ahead (TryOutcome).
  size_t ReadAheadNow(const std::unordered_set<int64_t>& agents);
  // On a worker, with the agent's mutex held, when its open count (a lower
  // bound past low_stock_threshold + kOpenSlack) nears the threshold: counts
  // again in a read transaction of its own; true if the agent still holds at
  // least that many (st.open is then the new lower bound), false to leave
  // the outcome to the slow path, which counts exactly.
  bool Recount(AgentDesk& d, int64_t agent_id);
  void FoldLoop();
  // Reads ahead for the agents in refill_, on a thread of its own beside the
  // journal's writer: leads still queued are written by no one meanwhile
  // (the journal changes only leads already read ahead; any other writer
  // moves the change count, and the agent's memory is then dropped).
  void PrefetchLoop();
  // Writes the journal in one transaction.
  Status Fold();
  // Why TryOutcome left an outcome to the slow path (a worker's retry, or
  // the slow path): counted for the debug log (LogAnswers).
  enum class Declined {
    kRequest,       // not for the fast path (DNC, a callback's time, not the lead on screen …)
    kBackPressure,  // the journal holds kMaxUnfolded outcomes (the worker waits)
    kNotInMemory,   // the agent's desk is not in memory
    kBusy,          // the agent's mutex or the write gate is taken
    kChanged,       // the database changed: the agent's memory is dropped
    kDue,           // a callback or retry due, calling hours, the reveal budget, low stock
    kNoneAhead,     // no lead read ahead
    kCount
  };
  std::nullopt_t Decline(Declined why);
  void LogAnswers();

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const settings::Settings& settings_;
  const phone::PhoneCleaner& cleaner_;
  const vault::Vault& vault_;
  leak::LeakGuard leak_;

  std::mutex desks_mu_;
  std::unordered_map<int64_t, std::shared_ptr<AgentDesk>> desks_;
  std::mutex journal_mu_;
  std::condition_variable journal_cv_;
  std::condition_variable drained_cv_;  // unfolded_ went down
  std::vector<Op> journal_;
  std::vector<Op> spare_;  // the journal's other buffer: Fold swaps them, keeping their capacity
  std::unordered_set<int64_t> refill_;               // agents to read ahead for
  std::condition_variable prefetch_cv_;              // refill_ is no longer empty
  std::atomic<size_t> unfolded_{0};                  // outcomes answered and not yet committed
  std::array<std::atomic<uint64_t>, 2> answered_{};  // from memory: [0] I/O thread, [1] worker
  std::atomic<uint64_t> read_inline_{0};             // reads ahead by a worker (TryOutcome)
  std::atomic<uint64_t> recounted_{0};  // open counts taken again by a worker (Recount)
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Declined::kCount)> declined_{};
  std::chrono::steady_clock::time_point answers_logged_at_;  // the journal's thread only
  bool stop_ = false;
  std::mutex fold_mu_;  // one fold at a time
  // Leads shown from a queue whose lead_queue rows are left to sweep (the
  // journal sweeps them kSweepBatch at a time, and all when it stops).
  std::mutex stale_mu_;
  std::vector<int64_t> stale_;
  std::thread folder_;
  std::thread prefetcher_;
};

}  // namespace dd::desk

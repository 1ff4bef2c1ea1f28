// The desk's fast path: outcomes answered from memory, written by a
// background thread (see the comment above DeskService in desk_service.hpp).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <unordered_map>

#include "core/background.hpp"
#include "modules/desk/desk_service.hpp"

namespace dd::desk {
namespace {

using nlohmann::json;

// Leads read ahead per agent, and the level under which more are read.
constexpr size_t kPrefetch = 64;
constexpr size_t kRefillBelow = kPrefetch * 3 / 4;
// Read by the slow path itself (Load, inside its write transaction, which
// holds every other writer off): the rest comes from the read-ahead thread,
// outside it. Reading all kPrefetch there made each slow outcome cost ~64
// lead reads under the write lock, so that an overloaded desk falling back
// on the slow path starved the journal and the read-ahead further. 16 keep
// a burst of outcomes right after (posts retried at once) in memory while
// the read-ahead catches up.
constexpr size_t kLoadAhead = 16;
// Read per agent in one round of the read-ahead thread; an agent still below
// kRefillBelow waits for the next round. Many agents loaded at once (a
// morning's first desks) are each topped up a little soon rather than some
// fully and the last ones after all the others.
constexpr size_t kReadAheadStep = 16;
// The journal is written this often, or as soon as it holds kFoldBatch.
// Under load a larger batch writes fewer pages per outcome: the pages each
// agent's queue, index entries and the logs' tails share are written once
// per batch (1,000 -> 2,500 with kMaxUnfolded 3,000 -> 8,000: the
// journal's CPU per outcome -16%, outcomes/s +20% back to back).
constexpr auto kFoldInterval = std::chrono::milliseconds(20);
constexpr size_t kFoldBatch = 2500;
// Past this many outcomes answered and not yet written, the fast path waits
// for the journal's writer (a bound on what a crash can lose, and on memory:
// ~1 s of outcomes at the ceiling; normally the journal holds 20 ms of them).
// Also what absorbs the writer's pauses (a WAL RESTART) without answers
// waiting.
constexpr size_t kMaxUnfolded = 8000;
// Open leads are counted up to low_stock_threshold + this; past it the
// count is a lower bound, and the slow path counts again when it nears the
// threshold.
constexpr int64_t kOpenSlack = 1000;
constexpr size_t kRequestIds = 256;  // remembered per agent, for retried posts
// Stale lead_queue rows swept at a time (lead_queue.hpp): in lead order, many
// share a page of the table.
constexpr size_t kSweepBatch = 8192;
constexpr int64_t kRevealWindowS = 3600;

}  // namespace

DeskService::DeskService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
                         const settings::Settings& settings, const phone::PhoneCleaner& cleaner,
                         const vault::Vault& vault)
    : db_(db),
      clock_(clock),
      audit_(audit),
      settings_(settings),
      cleaner_(cleaner),
      vault_(vault),
      leak_(clock, audit) {
  if (db_.TracksChanges()) {
    db_.SetAcquireHook([this] { Sync(); });
    folder_ = std::thread([this] { FoldLoop(); });
    prefetcher_ = std::thread([this] { PrefetchLoop(); });
  }
}

DeskService::~DeskService() {
  if (!folder_.joinable()) return;
  {
    std::lock_guard lock(journal_mu_);
    stop_ = true;
  }
  journal_cv_.notify_all();
  drained_cv_.notify_all();
  prefetch_cv_.notify_all();
  folder_.join();
  prefetcher_.join();
  if (Status s = Fold(); !s.ok())
    spdlog::error("event=desk_fold_failed error=\"{}\"", s.error().internal);
  db_.SetAcquireHook(nullptr);
}

Status DeskService::SweepQueues() {
  // Removing stale rows changes no one's queue: a desk writer's write.
  db::DeskWriterScope desk_writes;
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return db::WithTransaction(*conn, true, [&]() -> Status {
    {
      std::lock_guard lock(stale_mu_);
      stale_.clear();
    }
    return dealing::SweepAllStale(*conn);
  });
}

std::shared_ptr<DeskService::AgentDesk> DeskService::DeskOf(int64_t agent_id) {
  std::lock_guard lock(desks_mu_);
  auto& d = desks_[agent_id];
  if (!d) d = std::make_shared<AgentDesk>();
  return d;
}

uint64_t DeskService::Forget(int64_t agent_id) {
  auto d = DeskOf(agent_id);
  std::lock_guard lock(d->mu);
  d->state.reset();
  return ++d->epoch;
}

Status DeskService::ReadAhead(db::Connection& conn, int64_t agent_id, size_t count,
                              std::deque<Prefetched>* out, int64_t* last_slot) const {
  if (count == 0) return {};
  DD_ASSIGN_OR_RETURN(auto rows,
                      dealing::QueueAfter(conn, agent_id, *last_slot, static_cast<int64_t>(count)));
  for (const auto& r : rows) {
    *last_slot = r.Int(0);
    if (!r.IsNull(6)) continue;  // on the DNC list: held back, as the slow path does
    const dealing::Queued entry{r.Int(0), r.Int(1), r.Int(4), r.Int(5)};
    DD_ASSIGN_OR_RETURN(auto view, ViewOf(conn, entry.lead_id, &entry));
    if (!view) continue;
    out->push_back({entry, std::move(*view)});
  }
  return {};
}

Result<std::optional<DeskService::AgentState>> DeskService::Load(db::Connection& conn,
                                                                 const Actor& agent,
                                                                 const Rules& rules,
                                                                 int64_t current) {
  using None = std::optional<AgentState>;
  if (current == 0 || !folder_.joinable()) return None();
  AgentState d;
  d.generation = db_.ChangeGeneration();
  d.rules = rules;
  DD_ASSIGN_OR_RETURN(auto view, ViewOf(conn, current));
  if (!view) return None();
  d.current = current;
  d.current_view = std::move(*view);
  // When the lead on screen was shown, and the run of fast outcomes before
  // it (as LeakGuard::AfterOutcome counts it), to know which outcome
  // completes a streak.
  DD_ASSIGN_OR_RETURN(auto shown, conn.QueryOne("SELECT shown_at FROM call_log WHERE lead_id = ? "
                                                "AND agent_id = ? AND outcome IS NULL ORDER BY "
                                                "id DESC LIMIT 1",
                                                {current, agent.user_id}));
  if (!shown) return None();
  d.current_shown_at = shown->Int(0);
  if (rules.leak.fast_seconds > 0 && rules.leak.fast_streak > 0) {
    DD_ASSIGN_OR_RETURN(
        auto recent,
        conn.Query("SELECT outcome_at - shown_at FROM call_log WHERE agent_id = ? AND outcome IS "
                   "NOT NULL ORDER BY shown_at DESC, id DESC LIMIT ?",
                   {agent.user_id, rules.leak.fast_streak + 1}));
    for (const auto& r : recent) {
      if (r.Int(0) >= rules.leak.fast_seconds) break;
      ++d.fast_run;
    }
  }
  // Owned leads not yet shown come before the queue (ShowNext): leave those
  // to the slow path.
  DD_ASSIGN_OR_RETURN(auto owned, conn.QueryOne("SELECT 1 FROM leads WHERE owner_id = ? AND "
                                                "status = 'assigned' AND id <> ? LIMIT 1",
                                                {agent.user_id, current}));
  if (owned) return None();
  DD_ASSIGN_OR_RETURN(
      auto due, conn.QueryOne("SELECT MIN(next_call_at) FROM leads WHERE owner_id = ? AND status "
                              "IN ('callback','retry')",
                              {agent.user_id}));
  d.min_due = due && !due->IsNull(0) ? due->Int(0) : INT64_MAX;
  const int64_t cap = rules.low_stock + kOpenSlack;
  DD_ASSIGN_OR_RETURN(d.open, OpenLeads(conn, agent.user_id, cap));
  d.open_capped = d.open >= cap;
  if (rules.leak.reveal_budget > 0) {
    DD_ASSIGN_OR_RETURN(auto reveals, conn.Query("SELECT shown_at FROM call_log WHERE agent_id = "
                                                 "? AND shown_at > ? ORDER BY shown_at",
                                                 {agent.user_id, clock_.Now() - kRevealWindowS}));
    for (const auto& r : reveals) d.reveals.push_back(r.Int(0));
  }
  DD_RETURN_IF_ERROR(ReadAhead(conn, agent.user_id, kLoadAhead, &d.next, &d.last_slot));
  return std::optional<AgentState>(std::move(d));
}

void DeskService::Install(int64_t agent_id, uint64_t epoch, std::optional<AgentState>&& state) {
  if (!state) return;
  auto d = DeskOf(agent_id);
  std::lock_guard lock(d->mu);
  if (d->epoch != epoch) return;  // another slow path for this agent started since
  const bool refill = state->next.size() < kRefillBelow;
  d->state = std::move(state);
  if (refill) RequestRefill(agent_id);
}

void DeskService::RequestRefill(int64_t agent_id) {
  std::lock_guard j(journal_mu_);
  QueueRefill(agent_id);
}

void DeskService::QueueRefill(int64_t agent_id) {
  if (refill_.insert(agent_id).second && refill_.size() == 1) prefetch_cv_.notify_one();
}

std::optional<std::string> DeskService::TryOutcome(const Actor& agent, const OutcomeRequest& req,
                                                   bool may_wait) {
  if (!folder_.joinable()) return std::nullopt;
  // Anything the slow path would refuse or must decide itself.
  if (!ValidOutcome(req.outcome) || req.outcome == "do_not_call" || req.note.size() > 2000 ||
      req.request_id.size() > 100) {
    return Decline(Declined::kRequest);
  }
  const int64_t now = clock_.Now();
  if (req.outcome == "callback" && (!req.callback_at || *req.callback_at <= now))
    return Decline(Declined::kRequest);
  if (unfolded_.load() >= kMaxUnfolded) {
    if (!may_wait) return Decline(Declined::kBackPressure);
    std::unique_lock j(journal_mu_);
    journal_cv_.notify_all();
    drained_cv_.wait(j, [&] { return stop_ || unfolded_.load() < kMaxUnfolded / 2; });
  }
  std::shared_ptr<AgentDesk> d;
  {
    std::lock_guard lock(desks_mu_);
    auto it = desks_.find(agent.user_id);
    if (it == desks_.end()) return Decline(Declined::kNotInMemory);
    d = it->second;
  }
  // On the I/O thread never wait for the agent's mutex (a slow path of the
  // same agent may hold it); a worker may.
  std::unique_lock lock(d->mu, std::defer_lock);
  if (may_wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return Decline(Declined::kBusy);
  }
  if (!d->state) return Decline(Declined::kNotInMemory);
  if (may_wait && d->state->next.empty()) {
    // Nothing read ahead (the read-ahead thread, in the background, fell
    // behind): a worker reads a few now, outside any write, rather than
    // leave the outcome to the slow path, whose write transaction would
    // hold the journal off and, under load, make more agents run dry.
    lock.unlock();
    read_inline_.fetch_add(1, std::memory_order_relaxed);
    ReadAheadNow({agent.user_id});
    lock.lock();
    if (!d->state) return Decline(Declined::kNotInMemory);
  }
  // Every agent's count runs low after kOpenSlack outcomes: agents dealt
  // leads together (a morning's desks) would all reach the slow path in
  // the same second, each a write transaction (at 10,000 outcomes/s with
  // 5,000 leads per agent: 200 slow paths every 20 s, 0.3-3 s stalls).
  if (may_wait && d->state->OpenCountLow() && Recount(*d, agent.user_id))
    recounted_.fetch_add(1, std::memory_order_relaxed);
  // No other write of this process may start between the check below and
  // the outcome's place in the journal (Database::TryEnterFastPath).
  if (!db_.TryEnterFastPath()) return Decline(Declined::kBusy);
  struct Leave {
    db::Database& db;
    ~Leave() { db.LeaveFastPath(); }
  } leave{db_};
  db_.PollExternalChanges(true);
  const uint64_t generation = db_.ChangeGeneration();
  if (d->state->generation != generation) {
    d->state.reset();
    return Decline(Declined::kChanged);
  }
  AgentState& st = *d->state;
  const Rules& rules = st.rules;
  auto answer = [&] {
    return RenderText(st.current_view, rules, !st.open_capped && st.open < rules.low_stock, now);
  };
  if (!req.request_id.empty() && st.request_ids.contains(req.request_id)) {
    return answer();  // a retried post: the desk as it is now
  }
  if (req.lead_id != st.current) return Decline(Declined::kRequest);
  if (now >= st.min_due || st.OpenCountLow()) return Decline(Declined::kDue);
  if (st.next.empty()) return Decline(Declined::kNoneAhead);
  Prefetched& p = st.next.front();
  if (!Callable(rules, p.view.timezone, now)) return Decline(Declined::kDue);
  if (rules.leak.reveal_budget > 0) {
    while (!st.reveals.empty() && st.reveals.front() <= now - kRevealWindowS)
      st.reveals.pop_front();
    if (static_cast<int64_t>(st.reveals.size()) >= rules.leak.reveal_budget)
      return Decline(Declined::kDue);
  }
  const int64_t attempts = st.current_view.attempts;
  Op op{agent, req, now, attempts, EffectOf(req, attempts, rules, now), rules, p.entry, generation};
  if (rules.leak.fast_seconds > 0 && rules.leak.fast_streak > 0) {
    const bool fast = now - st.current_shown_at < rules.leak.fast_seconds;
    st.fast_run = fast ? std::min(st.fast_run + 1, rules.leak.fast_streak + 1) : 0;
    op.check_fast = st.fast_run == rules.leak.fast_streak;
  }
  if (op.effect.next_at) st.min_due = std::min(st.min_due, *op.effect.next_at);
  if (op.effect.ClosesLead()) {
    --st.open;
    ++d->unwritten_closes;
  }
  st.current = p.entry.lead_id;
  st.current_shown_at = now;
  st.current_view = std::move(p.view);
  st.next.pop_front();
  if (rules.leak.reveal_budget > 0) st.reveals.push_back(now);
  if (!req.request_id.empty()) {
    if (st.request_ids.size() >= kRequestIds) st.request_ids.clear();
    st.request_ids.insert(req.request_id);
  }
  std::string out = answer();
  answered_[may_wait].fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard j(journal_mu_);
    journal_.push_back(std::move(op));
    ++unfolded_;
    if (st.next.size() < kRefillBelow) QueueRefill(agent.user_id);
    if (journal_.size() >= kFoldBatch) journal_cv_.notify_one();
  }
  return out;
}

void DeskService::Sync() {
  if (unfolded_.load() == 0) return;
  if (Status s = Fold(); !s.ok())
    spdlog::error("event=desk_fold_failed error=\"{}\"", s.error().internal);
}

std::nullopt_t DeskService::Decline(Declined why) {
  declined_[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

void DeskService::LogAnswers() {
  // At most once a second, on the journal's thread: how outcomes were
  // answered since the last line (from memory on the I/O thread, from memory
  // on a worker, or why not from memory on the I/O thread).
  if (!spdlog::should_log(spdlog::level::debug)) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - answers_logged_at_ < std::chrono::seconds(1)) return;
  answers_logged_at_ = now;
  auto take = [](std::atomic<uint64_t>& n) { return n.exchange(0, std::memory_order_relaxed); };
  auto why = [&](Declined d) { return take(declined_[static_cast<size_t>(d)]); };
  spdlog::debug(
      "event=desk_answers inline={} worker={} declined_request={} declined_back_pressure={} "
      "declined_not_in_memory={} declined_busy={} declined_changed={} declined_due={} "
      "declined_none_ahead={} read_inline={} recounted={}",
      take(answered_[0]), take(answered_[1]), why(Declined::kRequest), why(Declined::kBackPressure),
      why(Declined::kNotInMemory), why(Declined::kBusy), why(Declined::kChanged),
      why(Declined::kDue), why(Declined::kNoneAhead), take(read_inline_), take(recounted_));
}

void DeskService::FoldLoop() {
  NameThread("dd-journal");
  RunInBackground();
  std::unique_lock lock(journal_mu_);
  while (!stop_) {
    journal_cv_.wait_for(lock, kFoldInterval,
                         [&] { return stop_ || journal_.size() >= kFoldBatch; });
    if (stop_) break;
    if (journal_.empty()) continue;
    lock.unlock();
    if (Status s = Fold(); !s.ok())
      spdlog::error("event=desk_fold_failed error=\"{}\"", s.error().internal);
    LogAnswers();
    lock.lock();
  }
}

Result<bool> DeskService::StillTheirs(db::Connection& conn, const Op& op,
                                      const audit::AuditLog& audit, const leak::LeakGuard& leak) {
  const int64_t uid = op.agent.user_id;
  DD_ASSIGN_OR_RETURN(auto current, conn.QueryOne("SELECT 1 FROM leads WHERE id = ? AND "
                                                  "current_agent_id = ? AND owner_id = ?",
                                                  {op.req.lead_id, uid, uid}));
  DD_ASSIGN_OR_RETURN(auto queued,
                      conn.QueryOne("SELECT 1 FROM agent_queue WHERE slot = ? AND lead_id = ?",
                                    {op.next.slot, op.next.lead_id}));
  if (current && queued) return true;
  spdlog::warn("event=desk_outcome_dropped agent={} lead={} reason=lead_changed", op.agent.username,
               op.req.lead_id);
  if (current) {
    DD_RETURN_IF_ERROR(RecordOutcome(conn, op.agent, op.req, op.attempts_before, op.effect, op.now,
                                     audit, leak, op.rules, true));
  } else {
    // The call happened: it stays in the lead's history and the audit
    // trail, but the lead, now someone else's, is left as it is.
    DD_RETURN_IF_ERROR(
        conn.Exec("UPDATE call_log SET outcome = ?, note = ?, outcome_at = ?, callback_at = ? "
                  "WHERE id = (SELECT MAX(id) FROM call_log WHERE lead_id = ? AND agent_id = ? "
                  "AND outcome IS NULL)",
                  {op.req.outcome, op.req.note, op.now, op.req.callback_at, op.req.lead_id, uid}));
    DD_RETURN_IF_ERROR(audit.Append(
        conn, audit::Entry::By(op.agent, "lead.outcome", "lead:" + std::to_string(op.req.lead_id),
                               {{"outcome", op.req.outcome}, {"applied", false}})));
  }
  // The next lead was seen: its reveal is recorded, but it is not made the
  // agent's.
  DD_RETURN_IF_ERROR(
      conn.Exec("INSERT INTO call_log (lead_id, agent_id, shown_at) VALUES (?, ?, ?)",
                {op.next.lead_id, uid, op.now}));
  DD_RETURN_IF_ERROR(audit.Append(
      conn, audit::Entry::By(op.agent, "lead.reveal", "lead:" + std::to_string(op.next.lead_id),
                             {{"withdrawn", true}})));
  return false;
}

Status DeskService::WriteShownAndWorked(db::Connection& conn, const Op& shown, const Op& worked) {
  const dealing::Worked w{worked.effect.status, worked.req.outcome, worked.effect.attempts,
                          worked.effect.next_at, worked.now};
  std::vector<int64_t> stale;
  DD_RETURN_IF_ERROR(dealing::Materialise(conn, {shown.next}, shown.now, &stale, &w));
  SweepLater(stale);
  static const std::string kInsert =
      std::string(
          "INSERT INTO call_log (outcome, note, outcome_at, callback_at, request_id, lead_id, "
          "agent_id, shown_at) VALUES (?1, ?2, ?3, ?4, ") +
      kJournalRequestId + ", ?6, ?7, ?8)";
  const OutcomeRequest& req = worked.req;
  const db::Value rid = req.request_id.empty() ? db::Value() : db::Value(req.request_id);
  DD_RETURN_IF_ERROR(conn.Exec(kInsert, {req.outcome, req.note, worked.now, req.callback_at, rid,
                                         req.lead_id, worked.agent.user_id, shown.now}));
  return {};
}

void DeskService::PrefetchLoop() {
  NameThread("dd-readahead");
  RunInBackground();
  std::unique_lock lock(journal_mu_);
  while (!stop_) {
    prefetch_cv_.wait(lock, [&] { return stop_ || !refill_.empty(); });
    // Under load agents run low together: a moment gathers them into one read.
    prefetch_cv_.wait_for(lock, kFoldInterval, [&] { return stop_; });
    if (stop_) break;
    std::unordered_set<int64_t> agents;
    agents.swap(refill_);
    lock.unlock();
    const size_t added = ReadAheadNow(agents);
    spdlog::debug("event=desk_read_ahead agents={} leads={}", agents.size(), added);
    lock.lock();
  }
}

size_t DeskService::ReadAheadNow(const std::unordered_set<int64_t>& agents) {
  db::NoAcquireHookScope no_hook;  // reads only: the journal need not be written first
  const uint64_t generation = db_.ChangeGeneration();
  size_t added = 0;
  auto conn = db_.Acquire();
  Status s = conn.ok() ? db::WithTransaction(**conn, false,
                                             [&]() -> Status {
                                               added = ReadAheadFor(**conn, agents, generation);
                                               return {};
                                             })
                       : conn.error();
  if (!s.ok()) spdlog::warn("event=desk_read_ahead_failed error=\"{}\"", s.error().internal);
  return added;
}

bool DeskService::Recount(AgentDesk& d, int64_t agent_id) {
  db::NoAcquireHookScope no_hook;  // reads only: the journal need not be written first
  // The database counts the leads of unwritten outcomes as open. Those
  // written since this count of them was taken (the journal's writer lowers
  // it after its commit) are subtracted twice: a lower bound, never more
  // than the agent holds. No outcome of this agent is added meanwhile (its
  // mutex is held).
  AgentState& st = *d.state;
  const int64_t unwritten = d.unwritten_closes;
  const int64_t cap = st.rules.low_stock + kOpenSlack;
  int64_t counted = 0;
  auto conn = db_.Acquire();
  Status s = conn.ok()
                 ? db::WithTransaction(**conn, false,
                                       [&]() -> Status {
                                         DD_ASSIGN_OR_RETURN(
                                             counted, OpenLeads(**conn, agent_id, cap + unwritten));
                                         return {};
                                       })
                 : conn.error();
  if (!s.ok()) {
    spdlog::warn("event=desk_recount_failed error=\"{}\"", s.error().internal);
    return false;
  }
  if (counted - unwritten < cap) return false;  // near the threshold: the slow path counts
  st.open = counted - unwritten;
  return true;
}

size_t DeskService::ReadAheadFor(db::Connection& conn, const std::unordered_set<int64_t>& agents,
                                 uint64_t generation) {
  size_t added = 0;
  // Without holding the agent's mutex (the fast path, on the I/O thread,
  // would wait meanwhile); kept if nothing reloaded the agent since and
  // nothing else changed the database since the read began.
  for (int64_t agent_id : agents) {
    auto d = DeskOf(agent_id);
    std::deque<Prefetched> more;
    int64_t from = 0, last = 0;
    uint64_t epoch = 0;
    size_t want = 0;
    {
      std::lock_guard lock(d->mu);
      if (!d->state || d->state->generation != generation) continue;
      epoch = d->epoch;
      from = last = d->state->last_slot;
      want = std::min(kReadAheadStep, kPrefetch - std::min(kPrefetch, d->state->next.size()));
    }
    Status r = ReadAhead(conn, agent_id, want, &more, &last);
    std::lock_guard lock(d->mu);
    if (!d->state || d->epoch != epoch || d->state->last_slot != from ||
        d->state->generation != generation || db_.ChangeGeneration() != generation) {
      continue;
    }
    if (!r.ok()) {
      d->state.reset();
      continue;
    }
    added += more.size();
    for (auto& p : more) d->state->next.push_back(std::move(p));
    d->state->last_slot = last;
    // More to read (unless the queue ran out).
    if (more.size() == want && d->state->next.size() < kRefillBelow) RequestRefill(agent_id);
  }
  return added;
}

Status DeskService::Fold() {
  std::lock_guard folding(fold_mu_);
  std::vector<Op> ops;
  bool stopping = false;
  {
    std::lock_guard j(journal_mu_);
    ops.swap(journal_);
    journal_.swap(spare_);  // empty, with the capacity of an earlier fold's
    stopping = stop_;
  }
  // Stale queue rows, kSweepBatch at a time, and all when stopping; lost if
  // this fold fails (they stay stale, which is harmless, until SweepQueues).
  std::vector<int64_t> sweep;
  {
    std::lock_guard lock(stale_mu_);
    if (stale_.size() >= kSweepBatch || stopping) sweep.swap(stale_);
  }
  if (ops.empty() && sweep.empty()) return {};
  const size_t count = ops.size();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t cpu0 = ThreadCpuMicros();
  int64_t us_begin = 0, us_ops = 0;
  auto since = [t0] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 t0)
        .count();
  };
  // Each outcome is written as the slow path writes it, at its own time.
  ManualClock at(0);
  audit::AuditLog audit(at, /*keep_head=*/true);
  leak::LeakGuard leak(at, audit);
  std::unordered_set<int64_t> stale;  // agents whose memory no longer matches
  // Per op, the earlier op of the same agent that showed its lead, and
  // whether a later op works the lead it shows (WriteShownAndWorked).
  std::vector<const Op*> shown_by(ops.size(), nullptr);
  std::vector<bool> worked_later(ops.size(), false);
  {
    std::unordered_map<int64_t, size_t> last_of;  // agent → its latest op so far
    for (size_t k = 0; k < ops.size(); ++k) {
      auto [it, first] = last_of.try_emplace(ops[k].agent.user_id, k);
      if (first) continue;
      if (ops[it->second].next.lead_id == ops[k].req.lead_id) {
        shown_by[k] = &ops[it->second];
        worked_later[it->second] = true;
      }
      it->second = k;
    }
  }
  size_t joined = 0;
  db::NoAcquireHookScope no_hook;
  // First all at once; if one outcome fails, again with each in a savepoint
  // so that only it is lost (it should not: its lead was checked when it was
  // answered, and nothing else writes the agent's leads meanwhile).
  auto write = [&](bool savepoints) -> Status {
    audit.ForgetHead();
    stale.clear();
    db::DeskWriterScope desk_writes;  // before Begin: the journal passes the gate
    DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    return db::WithTransaction(*conn, true, [&]() -> Status {
      us_begin = since();
      const uint64_t generation = db_.ChangeGeneration();  // Begin looked for other processes
      // A lead one op shows and a later op of the same agent works is written
      // once, with its outcome (WriteShownAndWorked); not when another
      // process changed something (each op is then checked) nor op by op.
      const bool coalesce = !savepoints && std::all_of(ops.begin(), ops.end(), [&](const Op& op) {
        return op.generation == generation;
      });
      joined = 0;
      for (size_t k = 0; k < ops.size(); ++k) {
        const Op& op = ops[k];
        const int64_t uid = op.agent.user_id;
        if (stale.contains(uid)) {
          spdlog::warn("event=desk_outcome_dropped agent={} lead={} reason=lead_changed",
                       op.agent.username, op.req.lead_id);
          continue;
        }
        at.Set(op.now);
        // Only another process (the CLI) can have changed the agent's leads
        // since the answer (this process's writers pass the gate, which
        // writes the journal first), and only if the change count moved:
        // then the outcome is not applied to a lead no longer the agent's,
        // and the agent goes back to the slow path.
        if (op.generation != generation) {
          DD_ASSIGN_OR_RETURN(bool theirs, StillTheirs(*conn, op, audit, leak));
          if (!theirs) {
            stale.insert(uid);
            continue;
          }
        }
        if (savepoints) DD_RETURN_IF_ERROR(conn->Exec("SAVEPOINT desk_op"));
        const Op* shown = coalesce ? shown_by[k] : nullptr;
        Status one;
        if (shown) {
          one = WriteShownAndWorked(*conn, *shown, op);
          ++joined;
        }
        if (one.ok()) {
          one = RecordOutcome(*conn, op.agent, op.req, op.attempts_before, op.effect, op.now, audit,
                              leak, op.rules, true, op.check_fast, shown != nullptr);
        }
        if (one.ok()) {
          one = RecordShow(*conn, op.agent, op.next.lead_id, &op.next, op.now, audit,
                           !(coalesce && worked_later[k]));
        }
        if (!one.ok()) {
          if (!savepoints) return one;
          spdlog::error("event=desk_fold_op_failed agent={} lead={} error=\"{}\"",
                        op.agent.username, op.req.lead_id, one.error().internal);
          DD_RETURN_IF_ERROR(conn->Exec("ROLLBACK TO desk_op"));
          audit.ForgetHead();
          stale.insert(uid);
        }
        if (savepoints) DD_RETURN_IF_ERROR(conn->Exec("RELEASE desk_op"));
      }
      us_ops = since();
      return dealing::SweepStale(*conn, sweep);
    });
  };
  Status s = write(false);
  if (!s.ok()) s = write(true);
  if (!s.ok()) {
    // Nothing was written: every agent goes back to the slow path, which
    // reads what the database holds.
    std::lock_guard lock(desks_mu_);
    for (auto& [id, d] : desks_) {
      std::lock_guard l(d->mu);
      d->state.reset();
    }
  }
  // Written (or lost with the failed transaction): no longer unwritten.
  {
    std::unordered_map<int64_t, int64_t> closes;
    for (const Op& op : ops) {
      if (op.effect.ClosesLead()) ++closes[op.agent.user_id];
    }
    for (const auto& [agent_id, n] : closes) {
      auto d = DeskOf(agent_id);
      std::lock_guard lock(d->mu);
      d->unwritten_closes -= n;
    }
  }
  for (int64_t agent_id : stale) Forget(agent_id);
  ops.clear();
  {
    std::lock_guard j(journal_mu_);
    unfolded_ -= count;
    spare_.swap(ops);
  }
  drained_cv_.notify_all();
  spdlog::debug("event=desk_fold ops={} joined={} swept={} begin_us={} ops_us={} us={} cpu_us={}",
                count, joined, sweep.size(), us_begin, us_ops - us_begin, since(),
                ThreadCpuMicros() - cpu0);
  return s;
}

}  // namespace dd::desk

#include "modules/desk/desk_service.hpp"

#include <array>
#include <charconv>

#include "core/timezone.hpp"
#include "modules/dealing/lead_queue.hpp"
#include "modules/pool/pool_service.hpp"

namespace dd::desk {
namespace {

using nlohmann::json;

constexpr std::array kOutcomes = {"interested",   "not_interested", "no_answer",   "busy",
                                  "wrong_number", "callback",       "do_not_call", "converted"};
constexpr const char* kOpen = "('assigned','retry','callback')";
// The lead on the desk may also be a prospect brought back to follow it up.
constexpr const char* kOnDesk = "('assigned','retry','callback','prospect')";

int Num(std::string_view s, size_t pos, size_t len, bool* ok) {
  int v = 0;
  if (pos + len > s.size()) {
    *ok = false;
    return 0;
  }
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
  if (ec != std::errc() || p != s.data() + pos + len) *ok = false;
  return v;
}

}  // namespace

bool ValidOutcome(std::string_view o) {
  for (const char* k : kOutcomes) {
    if (o == k) return true;
  }
  return false;
}

std::optional<int64_t> ParseIso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]
  bool ok = true;
  if (s.size() < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':') {
    return std::nullopt;
  }
  const int y = Num(s, 0, 4, &ok), mo = Num(s, 5, 2, &ok), d = Num(s, 8, 2, &ok);
  const int h = Num(s, 11, 2, &ok), mi = Num(s, 14, 2, &ok);
  size_t pos = 16;
  int sec = 0;
  if (pos < s.size() && s[pos] == ':') {
    sec = Num(s, pos + 1, 2, &ok);
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
  }
  int offset = 8 * 3600;  // no zone: China time
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      offset = 0;
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      const int oh = Num(s, pos + 1, 2, &ok);
      size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      const int om = Num(s, mpos, 2, &ok);
      offset = sign * (oh * 3600 + om * 60);
      pos = mpos + 2;
    }
  }
  if (!ok || pos != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      sec > 60) {
    return std::nullopt;
  }
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + sec - offset;
}

Result<DeskService::Rules> DeskService::LoadRules() const {
  // One query for all the desk's settings: this runs on every desk request.
  DD_ASSIGN_OR_RETURN(auto v, settings_.Values());
  auto num = [&v](std::string_view key) {
    int64_t n = 0;
    const std::string& s = v[std::string(key)];
    std::from_chars(s.data(), s.data() + s.size(), n);  // validated when set
    return n;
  };
  Rules r;
  if (!tz::ParseWindow(v["calling_hours"], &r.from_min, &r.to_min)) {
    r.from_min = 9 * 60;
    r.to_min = 21 * 60;
  }
  r.low_stock = num("low_stock_threshold");
  r.retry_delay_s = num("retry_delay_minutes") * 60;
  r.max_attempts = num("max_attempts");
  r.pull_mode = num("pull_mode");
  r.leak = leak::Limits::From(v);
  r.pool = pool::Rules::From(v);  // also the daily claim cap (pull_daily_quota)
  return r;
}

bool DeskService::Callable(const Rules& rules, const std::string& timezone, int64_t now) const {
  if (rules.from_min == 0 && rules.to_min >= 24 * 60) return true;
  const int m = tz::MinutesOfDay(timezone, now);
  return m >= rules.from_min && m < rules.to_min;
}

Result<bool> DeskService::Paused(db::Connection& conn, const Actor& agent) {
  DD_ASSIGN_OR_RETURN(
      auto row, conn.QueryOne("SELECT agent_status FROM users WHERE id = ?", {agent.user_id}));
  return row && row->Text(0) == "paused";
}

Status DeskService::RecordShow(db::Connection& conn, const Actor& agent, int64_t id,
                               const dealing::Queued* queued, int64_t now,
                               const audit::AuditLog& audit, bool write) {
  if (write) {
    if (!queued) {
      DD_RETURN_IF_ERROR(
          conn.Exec("UPDATE leads SET current_agent_id = ?, shown_at = ? WHERE id = ?",
                    {agent.user_id, now, id}));
    } else if (folder_.joinable()) {
      std::vector<int64_t> stale;
      DD_RETURN_IF_ERROR(dealing::Materialise(conn, {*queued}, now, &stale));
      SweepLater(stale);
    } else {
      DD_RETURN_IF_ERROR(dealing::Materialise(conn, {*queued}, now));
    }
    DD_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO call_log (lead_id, agent_id, shown_at) VALUES (?, ?, ?)",
                  {id, agent.user_id, now}));
  }
  return audit.Append(conn, audit::Entry::By(agent, "lead.reveal", "lead:" + std::to_string(id)));
}

void DeskService::SweepLater(const std::vector<int64_t>& lead_ids) {
  std::lock_guard lock(stale_mu_);
  stale_.insert(stale_.end(), lead_ids.begin(), lead_ids.end());
}

DeskService::Effect DeskService::EffectOf(const OutcomeRequest& req, int64_t attempts,
                                          const Rules& rules, int64_t now) {
  Effect e{"closed", attempts, std::nullopt};
  const std::string& o = req.outcome;
  if (o == "interested" || o == "converted") {
    e.status = "prospect";
  } else if (o == "no_answer" || o == "busy") {
    ++e.attempts;
    if (e.attempts < rules.max_attempts) {
      e.status = "retry";
      e.next_at = now + rules.retry_delay_s;
    }
  } else if (o == "callback") {
    e.status = "callback";
    e.next_at = req.callback_at;
  }
  return e;
}

Status DeskService::RecordOutcome(db::Connection& conn, const Actor& agent,
                                  const OutcomeRequest& req, int64_t attempts_before,
                                  const Effect& effect, int64_t now, const audit::AuditLog& audit,
                                  const leak::LeakGuard& leak, const Rules& rules, bool fold,
                                  bool check_fast, bool written) {
  const std::string& o = req.outcome;
  if (!written) {
    const db::Value rid = req.request_id.empty() ? db::Value() : db::Value(req.request_id);
    static const std::string kFolded =
        std::string(
            "UPDATE call_log SET outcome = ?1, note = ?2, outcome_at = ?3, "
            "callback_at = ?4, request_id = ") +
        kJournalRequestId +
        " WHERE id = (SELECT MAX(id) FROM call_log WHERE lead_id = ?6 AND agent_id = ?7 AND "
        "outcome IS NULL)";
    DD_RETURN_IF_ERROR(conn.Exec(
        fold ? std::string_view(kFolded)
             : "UPDATE call_log SET outcome = ?, note = ?, outcome_at = ?, callback_at = ?, "
               "request_id = ? "
               "WHERE id = (SELECT MAX(id) FROM call_log WHERE lead_id = ? AND agent_id = ? "
               "AND outcome IS NULL)",
        {o, req.note, now, req.callback_at, rid, req.lead_id, agent.user_id}));
    DD_RETURN_IF_ERROR(
        conn.Exec("UPDATE leads SET status = ?, attempts = ?, next_call_at = ?, current_agent_id "
                  "= NULL, last_outcome = ?, followed_at = ?, recycle_due_at = NULL "
                  "WHERE id = ?",
                  {effect.status, effect.attempts, effect.next_at, o, now, req.lead_id}));
  }
  if (check_fast) DD_RETURN_IF_ERROR(leak.AfterOutcome(conn, agent, rules.leak));  // fast outcomes
  if (o == "do_not_call") {
    DD_ASSIGN_OR_RETURN(
        auto lead, conn.QueryOne("SELECT phone, phone_key FROM leads WHERE id = ?", {req.lead_id}));
    if (lead) {
      DD_RETURN_IF_ERROR(conn.Exec(
          "INSERT INTO dnc (phone_key, phone, note, source, added_by, added_by_name, "
          "created_at) VALUES (?, ?, '', 'desk', ?, ?, ?) "
          "ON CONFLICT (phone_key) DO NOTHING",
          {lead->Int(1), db::Value::Blob(vault_.Seal(vault_.OpenLeadOr(lead->Text(0)).phone)),
           agent.user_id, agent.username, now}));
    }
  }
  json detail = {{"outcome", o}, {"status", effect.status}};
  if (effect.attempts != attempts_before) detail["attempts"] = effect.attempts;
  if ((o == "no_answer" || o == "busy") && effect.status == "closed") {
    detail["closed_as"] = "unreachable";
  }
  return audit.Append(
      conn, audit::Entry::By(agent, "lead.outcome", "lead:" + std::to_string(req.lead_id), detail));
}

Result<int64_t> DeskService::ShowNext(db::Connection& conn, const Actor& agent,
                                      const Rules& rules) {
  // An agent on leave gets nothing: no lead is shown (an outcome for the lead
  // already on screen is still recorded) and nothing is drawn from the pool.
  DD_ASSIGN_OR_RETURN(bool paused, Paused(conn, agent));
  if (paused) return int64_t{0};
  DD_ASSIGN_OR_RETURN(
      auto current,
      conn.QueryOne(
          std::string(
              "SELECT id FROM leads WHERE current_agent_id = ? AND owner_id = ? AND status IN ") +
              kOnDesk + " LIMIT 1",
          {agent.user_id, agent.user_id}));
  const int64_t now = clock_.Now();
  if (current) {
    // Still callable? A number put on the DNC list, or a lead whose calling
    // hours ended, leaves the desk until it may be called again.
    DD_ASSIGN_OR_RETURN(auto cur,
                        conn.QueryOne("SELECT l.timezone, (SELECT 1 FROM dnc d WHERE "
                                      "d.phone_key = l.phone_key) FROM leads l WHERE l.id = ?",
                                      {current->Int(0)}));
    if (cur && cur->IsNull(1) && Callable(rules, cur->Text(0), now)) return current->Int(0);
    DD_RETURN_IF_ERROR(
        conn.Exec("UPDATE leads SET current_agent_id = NULL WHERE id = ?", {current->Int(0)}));
  }
  // Due callbacks, then due retries, then new leads in queue order; a page
  // at a time, since held-back leads (DNC, outside calling hours) are skipped.
  const char* queries[] = {
      "SELECT id, phone_key, timezone FROM leads WHERE owner_id = ? AND status = 'callback' "
      "AND next_call_at <= ? ORDER BY next_call_at, id LIMIT 20 OFFSET ?",
      "SELECT id, phone_key, timezone FROM leads WHERE owner_id = ? AND status = 'retry' "
      "AND next_call_at <= ? ORDER BY next_call_at, id LIMIT 20 OFFSET ?",
      "SELECT id, phone_key, timezone FROM leads WHERE owner_id = ? AND status = 'assigned' "
      "AND ? >= 0 ORDER BY queue_pos, id LIMIT 20 OFFSET ?",
  };
  // Shows lead `id` (a queued one becomes the agent's in the same write).
  auto show = [&](int64_t id, const dealing::Queued* queued) -> Status {
    DD_RETURN_IF_ERROR(leak_.BeforeReveal(conn, agent, rules.leak));  // reveal budget
    return RecordShow(conn, agent, id, queued, now, audit_);
  };
  // May the lead with this number's key and time zone be called now?
  auto callable = [&](int64_t phone_key, const std::string& timezone) -> Result<bool> {
    if (!Callable(rules, timezone, now)) return false;
    DD_ASSIGN_OR_RETURN(auto dnc,
                        conn.QueryOne("SELECT 1 FROM dnc WHERE phone_key = ?", {phone_key}));
    return !dnc;
  };
  for (const char* q : queries) {
    for (int64_t offset = 0; offset < 2000; offset += 20) {
      DD_ASSIGN_OR_RETURN(auto rows, conn.Query(q, {agent.user_id, now, offset}));
      for (const auto& r : rows) {
        DD_ASSIGN_OR_RETURN(bool ok, callable(r.Int(1), r.Text(2)));
        if (!ok) continue;
        DD_RETURN_IF_ERROR(show(r.Int(0), nullptr));
        return r.Int(0);
      }
      if (rows.size() < 20) break;
    }
  }
  // Then the leads dealt to the agent and never shown, in queue order: a
  // first page of two (the first is almost always callable; each row reads
  // its lead's page), then pages of 20.
  for (int64_t offset = 0, page = 2; offset < 2000; offset += page, page = 20) {
    DD_ASSIGN_OR_RETURN(auto rows, dealing::QueuePage(conn, agent.user_id, offset, page));
    for (const auto& r : rows) {
      if (!r.IsNull(6) || !Callable(rules, r.Text(3), now)) continue;  // DNC, calling hours
      const dealing::Queued entry{r.Int(0), r.Int(1), r.Int(4), r.Int(5)};
      DD_RETURN_IF_ERROR(show(r.Int(1), &entry));
      return r.Int(1);
    }
    if (static_cast<int64_t>(rows.size()) < page) break;
  }
  return int64_t{0};
}

Result<int64_t> DeskService::ShowNextOrLock(db::Connection& conn, const Actor& agent,
                                            const Rules& rules, std::optional<Error>* locked) {
  auto shown = ShowNext(conn, agent, rules);
  if (!shown.ok() && shown.error().reason == "reveal_budget_exceeded") {
    *locked = std::move(shown).error();
    return int64_t{0};
  }
  return shown;
}

Result<std::optional<DeskService::LeadView>> DeskService::ViewOf(
    db::Connection& conn, int64_t lead_id, const dealing::Queued* queued) const {
  DD_ASSIGN_OR_RETURN(auto row,
                      conn.QueryOne("SELECT id, name, phone, region, carrier, attributes, status, "
                                    "attempts, next_call_at, quality, COALESCE(last_outcome, ''), "
                                    "locked, COALESCE(assigned_at, created_at), followed_at, area, "
                                    "alternates, timezone FROM leads WHERE id = ?",
                                    {lead_id}));
  if (!row) return std::optional<LeadView>();
  DD_ASSIGN_OR_RETURN(
      auto hist,
      conn.Query("SELECT c.outcome_at, c.outcome, c.note, u.display_name FROM call_log c JOIN "
                 "users u ON u.id = c.agent_id "
                 "WHERE c.lead_id = ? AND c.outcome IS NOT NULL ORDER BY c.id DESC LIMIT 50",
                 {lead_id}));
  json history = json::array();
  for (const auto& h : hist) {
    history.push_back({{"at", FormatIso8601(h.Int(0))},
                       {"outcome", h.Text(1)},
                       {"note", h.Text(2)},
                       {"agent", h.Text(3)}});
  }
  const auto secrets = vault_.OpenLeadOr(row->Text(2), row->Text(15), row->Text(5));
  json attrs = json::parse(secrets.attributes, nullptr, false);
  const std::string& phone = secrets.phone;
  auto c = cleaner_.Clean(phone);
  LeadView v;
  // Once shown, a queued lead is its agent's, assigned at the deal.
  const std::string status = queued ? "assigned" : row->Text(6);
  const json lead = {
      {"id", row->Int(0)},
      {"name", row->Text(1)},
      {"phone", phone},
      {"phone_display", c.phone ? c.phone->display : phone},
      {"region", row->Text(3)},  // of the number (geocoder): 号码归属地
      {"carrier", row->Text(4)},
      {"area", row->Text(14)},  // the file's area column (区域, 城市 …), if mapped
      {"attributes", attrs.is_object() ? attrs : json::object()},
      // The other numbers of the lead's cell (备用号码), to call when the
      // first does not answer.
      {"alternates", leak::DeskAlternates(cleaner_, secrets.alternates)},
      {"history", history},
      {"status", status},
      {"attempts", row->Int(7)},
      {"callback_at",
       status == "callback" && !row->IsNull(8) ? json(FormatIso8601(row->Int(8))) : json(nullptr)},
      {"quality", row->Text(9)}};
  v.text = lead.dump(-1, ' ', false, json::error_handler_t::replace);
  v.text.pop_back();  // the closing brace: RenderText adds to the object
  v.attempts = row->Int(7);
  v.status = status;
  v.last_outcome = row->Text(10);
  v.timezone = row->Text(16);
  v.national = c.phone ? c.phone->national : phone;
  v.tier = pool::TierOf(row->Text(9));
  v.locked = queued ? false : row->Bool(11);
  v.assigned_at = queued ? queued->dealt_at : row->Int(12);
  if (!queued) v.followed_at = row->OptInt(13);
  v.next_call_at = row->OptInt(8);
  return std::optional<LeadView>(std::move(v));
}

std::string DeskService::RenderText(const LeadView& v, const Rules& rules, bool low_stock,
                                    int64_t now) const {
  // The recycling deadline of this lead (only the current lead ever carries one).
  pool::Held held;
  held.tier = v.tier;
  held.status = v.status;
  held.last_outcome = v.last_outcome;
  held.locked = v.locked;
  held.assigned_at = v.assigned_at;
  held.followed_at = v.followed_at;
  held.next_call_at = v.next_call_at;
  std::string out;
  out.reserve(v.text.size() + 160);
  out += "{\"lead\":";
  out += v.text;
  const json deadline = pool::DeskDeadline(rules.pool, held, now);
  for (const auto& [key, value] : deadline.items()) {
    out += ",\"";
    out += key;  // recycle_at, recycle_reason, recycle_warning
    out += "\":";
    out += value.dump();
  }
  out += "},\"low_stock\":";
  out += low_stock ? "true" : "false";
  out += ",\"can_pull\":false}";
  if (!rules.leak.masked) return out;
  json masked = json::parse(out);
  leak::MaskDesk(masked, v.national);
  return masked.dump(-1, ' ', false, json::error_handler_t::replace);
}

json DeskService::Render(const LeadView& v, const Rules& rules, bool low_stock, int64_t now) const {
  return json::parse(RenderText(v, rules, low_stock, now));
}

Result<int64_t> DeskService::OpenLeads(db::Connection& conn, int64_t agent_id, int64_t limit) {
  DD_ASSIGN_OR_RETURN(
      auto left,
      conn.QueryOne(
          std::string(
              "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE owner_id = ? AND status IN ") +
              kOpen + " LIMIT ?) t",
          {agent_id, limit}));
  int64_t open = left->Int(0);
  if (open < limit) {
    DD_ASSIGN_OR_RETURN(int64_t queued, dealing::QueuedCount(conn, agent_id, limit - open));
    open += queued;
  }
  return open;
}

Result<json> DeskService::State(db::Connection& conn, const Actor& agent, int64_t lead_id,
                                const Rules& rules) {
  json out = {{"lead", nullptr}, {"low_stock", false}, {"can_pull", false}};
  if (rules.leak.masked) out["masked"] = true;
  DD_ASSIGN_OR_RETURN(int64_t open, OpenLeads(conn, agent.user_id, rules.low_stock));
  out["low_stock"] = open < rules.low_stock;
  if (lead_id == 0) {
    if (rules.pull_mode) {
      // Not on leave, within the daily claim cap and the holding cap (a
      // flag, never a count).
      DD_ASSIGN_OR_RETURN(bool paused, Paused(conn, agent));
      DD_ASSIGN_OR_RETURN(int64_t claims, pool::ClaimsToday(conn, agent.user_id, clock_.Now()));
      bool can = !paused && claims < rules.pool.claim_cap;
      if (can && rules.pool.holding_cap > 0) {
        DD_ASSIGN_OR_RETURN(int64_t held,
                            pool::HoldingCount(conn, agent.user_id, rules.pool.holding_cap));
        can = held < rules.pool.holding_cap;
      }
      out["can_pull"] = can;
    }
    return out;
  }
  DD_ASSIGN_OR_RETURN(auto view, ViewOf(conn, lead_id));
  if (!view) return out;
  return Render(*view, rules, open < rules.low_stock, clock_.Now());
}

Result<json> DeskService::Current(const Actor& agent) {
  // The slow path: the agent's memory goes, the journal is written (Acquire).
  const uint64_t epoch = Forget(agent.user_id);
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  std::optional<Error> locked;
  std::optional<AgentState> loaded;
  DD_RETURN_IF_ERROR(db::WithGroupedTransaction(*conn, [&]() -> Status {
    db::DeskWriterScope desk_writes;
    DD_ASSIGN_OR_RETURN(int64_t id, ShowNextOrLock(*conn, agent, rules, &locked));
    DD_ASSIGN_OR_RETURN(out, State(*conn, agent, id, rules));
    if (!locked) {
      DD_ASSIGN_OR_RETURN(loaded, Load(*conn, agent, rules, id));
    }
    return {};
  }));
  Install(agent.user_id, epoch, std::move(loaded));
  if (locked) return std::move(*locked);
  return out;
}

Result<json> DeskService::Outcome(const Actor& agent, const OutcomeRequest& req) {
  if (!ValidOutcome(req.outcome)) return InvalidArgument("invalid_outcome");
  if (req.note.size() > 2000) return InvalidArgument("invalid_field", {{"field", "note"}});
  if (req.request_id.size() > 100)
    return InvalidArgument("invalid_field", {{"field", "request_id"}});
  const int64_t now = clock_.Now();
  if (req.outcome == "callback") {
    if (!req.callback_at) return InvalidArgument("callback_time_required");
    if (*req.callback_at <= now) return InvalidArgument("callback_in_past");
  }
  const uint64_t epoch = Forget(agent.user_id);
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  std::optional<Error> locked;  // the reveal budget: the outcome is kept, no next lead
  std::optional<AgentState> loaded;
  DD_RETURN_IF_ERROR(db::WithGroupedTransaction(*conn, [&]() -> Status {
    db::DeskWriterScope desk_writes;
    if (!req.request_id.empty()) {
      DD_ASSIGN_OR_RETURN(
          auto seen,
          conn->QueryOne("SELECT lead_id FROM call_log WHERE agent_id = ? AND request_id = ?",
                         {agent.user_id, req.request_id}));
      if (seen) {  // a retried post: answer with the desk as it is now
        DD_ASSIGN_OR_RETURN(int64_t id, ShowNextOrLock(*conn, agent, rules, &locked));
        DD_ASSIGN_OR_RETURN(out, State(*conn, agent, id, rules));
        if (!locked) {
          DD_ASSIGN_OR_RETURN(loaded, Load(*conn, agent, rules, id));
        }
        return {};
      }
    }
    DD_ASSIGN_OR_RETURN(
        auto lead,
        conn->QueryOne(
            "SELECT current_agent_id, owner_id, status, attempts, phone, phone_key FROM leads "
            "WHERE id = ?",
            {req.lead_id}));
    if (!lead || lead->OptInt(0) != agent.user_id || lead->OptInt(1) != agent.user_id) {
      return Error(ErrorCode::kConflict, "not_current_lead");
    }
    const Effect effect = EffectOf(req, lead->Int(3), rules, now);
    DD_RETURN_IF_ERROR(
        RecordOutcome(*conn, agent, req, lead->Int(3), effect, now, audit_, leak_, rules, false));
    DD_ASSIGN_OR_RETURN(int64_t next, ShowNextOrLock(*conn, agent, rules, &locked));
    DD_ASSIGN_OR_RETURN(out, State(*conn, agent, next, rules));
    if (!locked) {
      DD_ASSIGN_OR_RETURN(loaded, Load(*conn, agent, rules, next));
    }
    return {};
  }));
  Install(agent.user_id, epoch, std::move(loaded));
  if (locked) return std::move(*locked);
  return out;
}

Result<json> DeskService::Pull(const Actor& agent) {
  const uint64_t epoch = Forget(agent.user_id);
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  if (!rules.pull_mode) return Error(ErrorCode::kPermissionDenied, "pull_disabled");
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  std::optional<Error> locked;
  std::optional<AgentState> loaded;
  DD_RETURN_IF_ERROR(db::WithGroupedTransaction(*conn, [&]() -> Status {
    db::DeskWriterScope desk_writes;
    DD_ASSIGN_OR_RETURN(bool paused, Paused(*conn, agent));
    if (paused) return Error(ErrorCode::kPermissionDenied, "agent_paused");
    DD_ASSIGN_OR_RETURN(int64_t id, ShowNextOrLock(*conn, agent, rules, &locked));
    if (id == 0 && !locked) {  // a pulled lead is shown at once: mind the reveal budget first
      if (auto budget = leak_.BeforeReveal(*conn, agent, rules.leak); !budget.ok()) {
        if (budget.error().reason != "reveal_budget_exceeded") return std::move(budget).error();
        locked = std::move(budget).error();
      }
    }
    if (id == 0 && !locked) {
      const int64_t now = clock_.Now();
      DD_ASSIGN_OR_RETURN(int64_t claims, pool::ClaimsToday(*conn, agent.user_id, now));
      if (claims >= rules.pool.claim_cap)
        return Error(ErrorCode::kRateLimited, "pull_quota_reached");
      if (rules.pool.holding_cap > 0) {
        DD_ASSIGN_OR_RETURN(int64_t held,
                            pool::HoldingCount(*conn, agent.user_id, rules.pool.holding_cap));
        if (held >= rules.pool.holding_cap)
          return Error(ErrorCode::kConflict, "holding_cap_reached",
                       {{"cap", std::to_string(rules.pool.holding_cap)}});
      }
      // Leads recycled from this agent after this time are still in its cooldown.
      const int64_t cooldown_since =
          rules.pool.cooldown_days > 0 ? now - rules.pool.cooldown_days * pool::kDay : INT64_MAX;
      // The oldest pool lead that may be called now (not DNC, in calling hours).
      std::optional<int64_t> free;
      for (int64_t offset = 0; offset < 2000 && !free; offset += 50) {
        DD_ASSIGN_OR_RETURN(
            auto rows,
            conn->Query(
                "SELECT l.id, l.timezone, (SELECT 1 FROM dnc d WHERE d.phone_key = l.phone_key) "
                "FROM leads "
                "l "
                "WHERE l.status = 'new' AND l.owner_id IS NULL AND " +
                    dealing::NotQueued("l") +
                    " AND NOT EXISTS (SELECT 1 FROM "
                    "pool_recycles r WHERE r.lead_id = l.id AND r.agent_id = ? AND r.at > ?) "
                    "ORDER BY l.id LIMIT 50 OFFSET ?",
                {agent.user_id, cooldown_since, offset}));
        for (const auto& r : rows) {
          if (r.IsNull(2) && Callable(rules, r.Text(1), now)) {
            free = r.Int(0);
            break;
          }
        }
        if (rows.size() < 50) break;
      }
      if (free) {
        DD_RETURN_IF_ERROR(
            conn->Exec("UPDATE leads SET owner_id = ?, status = 'assigned', pulled = 1, "
                       "assigned_at = ?, queue_pos = 0, followed_at = NULL, recycle_due_at = "
                       "NULL, locked = 0 "
                       "WHERE id = ?",
                       {agent.user_id, now, *free}));
        DD_RETURN_IF_ERROR(
            conn->Exec("INSERT INTO pool_claims (agent_id, lead_id, at) VALUES (?, ?, ?)",
                       {agent.user_id, *free, now}));
        DD_RETURN_IF_ERROR(audit_.Append(
            *conn, audit::Entry::By(agent, "lead.pull", "lead:" + std::to_string(*free))));
        DD_ASSIGN_OR_RETURN(id, ShowNext(*conn, agent, rules));
      }
    }
    DD_ASSIGN_OR_RETURN(out, State(*conn, agent, id, rules));
    if (!locked) {
      DD_ASSIGN_OR_RETURN(loaded, Load(*conn, agent, rules, id));
    }
    return {};
  }));
  Install(agent.user_id, epoch, std::move(loaded));
  if (locked) return std::move(*locked);
  return out;
}

Result<json> DeskService::FollowUp(const Actor& agent, int64_t lead_id) {
  const uint64_t epoch = Forget(agent.user_id);
  DD_ASSIGN_OR_RETURN(Rules rules, LoadRules());
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  std::optional<Error> locked;
  std::optional<AgentState> loaded;
  DD_RETURN_IF_ERROR(db::WithGroupedTransaction(*conn, [&]() -> Status {
    db::DeskWriterScope desk_writes;
    DD_ASSIGN_OR_RETURN(
        auto lead,
        conn->QueryOne("SELECT l.owner_id, l.status, l.timezone, l.current_agent_id, (SELECT 1 "
                       "FROM dnc d WHERE d.phone_key = l.phone_key) FROM leads l WHERE l.id = ?",
                       {lead_id}));
    if (!lead || lead->OptInt(0) != agent.user_id || lead->Text(1) != "prospect") {
      return Error(ErrorCode::kNotFound, "prospect_not_found");
    }
    if (lead->OptInt(3) != agent.user_id) {
      if (!lead->IsNull(4)) return Error(ErrorCode::kConflict, "lead_on_dnc");
      const int64_t now = clock_.Now();
      if (!Callable(rules, lead->Text(2), now))
        return Error(ErrorCode::kConflict, "outside_calling_hours");
      // The reveal budget: past it the refusal (and its alert) is committed.
      if (auto budget = leak_.BeforeReveal(*conn, agent, rules.leak); !budget.ok()) {
        if (budget.error().reason != "reveal_budget_exceeded") return std::move(budget).error();
        locked = std::move(budget).error();
        return {};
      }
      // The lead on the desk now goes back to its place in the queue.
      DD_RETURN_IF_ERROR(conn->Exec(
          "UPDATE leads SET current_agent_id = NULL WHERE current_agent_id = ?", {agent.user_id}));
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE leads SET current_agent_id = ?, shown_at = ? WHERE id = ?",
                     {agent.user_id, now, lead_id}));
      DD_RETURN_IF_ERROR(
          conn->Exec("INSERT INTO call_log (lead_id, agent_id, shown_at) VALUES (?, ?, ?)",
                     {lead_id, agent.user_id, now}));
      DD_RETURN_IF_ERROR(audit_.Append(
          *conn, audit::Entry::By(agent, "lead.reveal", "lead:" + std::to_string(lead_id),
                                  {{"via", "follow_up"}})));
    }
    DD_ASSIGN_OR_RETURN(out, State(*conn, agent, lead_id, rules));
    if (!locked) {
      DD_ASSIGN_OR_RETURN(loaded, Load(*conn, agent, rules, lead_id));
    }
    return {};
  }));
  Install(agent.user_id, epoch, std::move(loaded));
  if (locked) return std::move(*locked);
  return out;
}

}  // namespace dd::desk

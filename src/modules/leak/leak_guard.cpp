#include "modules/leak/leak_guard.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "modules/intake/intake_service.hpp"  // MaskDigits

namespace dd::leak {
namespace {

using nlohmann::json;

int64_t IntOf(const std::map<std::string, std::string, std::less<>>& v, std::string_view key,
              int64_t fallback) {
  auto it = v.find(key);
  if (it == v.end()) return fallback;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  return ec == std::errc() ? n : fallback;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Limits Limits::From(const std::map<std::string, std::string, std::less<>>& values) {
  Limits l;
  l.reveal_budget = IntOf(values, "reveal_budget_per_hour", l.reveal_budget);
  l.fast_seconds = IntOf(values, "fast_outcome_seconds", l.fast_seconds);
  l.fast_streak = IntOf(values, "fast_outcome_streak", l.fast_streak);
  l.masked = IntOf(values, "desk_masked", 0) != 0;
  l.unmask_budget = IntOf(values, "unmask_budget_per_day", l.unmask_budget);
  return l;
}

Result<int64_t> RaiseAlert(db::Connection& conn, const audit::AuditLog& audit, const Actor& agent,
                           std::string_view kind, const json& detail, int64_t now) {
  DD_ASSIGN_OR_RETURN(auto row,
                      conn.QueryOne("INSERT INTO alerts (kind, agent_id, detail, created_at) "
                                    "VALUES (?, ?, ?, ?) RETURNING id",
                                    {std::string(kind), agent.user_id, detail.dump(), now}));
  const int64_t id = row->Int(0);
  json d = detail;
  d["kind"] = kind;
  d["agent_id"] = agent.user_id;
  DD_RETURN_IF_ERROR(
      audit.Append(conn, audit::Entry::By(agent, "alert.raise", "alert:" + std::to_string(id), d)));
  spdlog::warn("event=leak_alert kind={} agent={} alert={}", kind, agent.username, id);
  return id;
}

Result<bool> AlertSince(db::Connection& conn, int64_t agent_id, std::string_view kind,
                        int64_t since) {
  DD_ASSIGN_OR_RETURN(auto row, conn.QueryOne("SELECT 1 FROM alerts WHERE agent_id = ? AND kind = "
                                              "? AND created_at >= ? LIMIT 1",
                                              {agent_id, std::string(kind), since}));
  return row.has_value();
}

std::string MaskDigitRuns(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      out += text[i++];
      continue;
    }
    // A run: digits, with single spaces or dashes between digits.
    size_t end = i;
    std::string digits;
    while (end < text.size()) {
      if (IsDigit(text[end])) {
        digits += text[end++];
      } else if ((text[end] == ' ' || text[end] == '-') && end + 1 < text.size() &&
                 IsDigit(text[end + 1])) {
        ++end;
      } else {
        break;
      }
    }
    if (digits.size() >= 7) {
      out += intake::MaskDigits(digits);
    } else {
      out.append(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

json DeskAlternates(const phone::PhoneCleaner& cleaner, std::string_view alternates_json) {
  json out = json::array();
  json alts = json::parse(alternates_json, nullptr, false);
  if (!alts.is_array()) return out;
  for (const auto& a : alts) {
    if (!a.is_string()) continue;
    const std::string e164 = a.get<std::string>();
    auto c = cleaner.Clean(e164);
    out.push_back({{"phone", e164}, {"phone_display", c.phone ? c.phone->display : e164}});
  }
  return out;
}

void MaskDesk(json& desk, std::string_view national_digits) {
  desk["masked"] = true;
  auto lead = desk.find("lead");
  if (lead == desk.end() || !lead->is_object()) return;
  (*lead)["phone"] = nullptr;
  (*lead)["phone_display"] = intake::MaskDigits(national_digits);
  (*lead)["masked"] = true;
  if (auto attrs = lead->find("attributes"); attrs != lead->end() && attrs->is_object()) {
    for (auto& [k, v] : attrs->items()) {
      if (v.is_string())
        v = MaskDigitRuns(v.get<std::string>());
      else if (v.is_number())
        v = MaskDigitRuns(v.dump());
    }
  }
  if (auto alts = lead->find("alternates"); alts != lead->end() && alts->is_array()) {
    for (auto& a : *alts) {
      if (!a.is_object()) continue;
      std::string digits;
      for (char ch : a.value("phone_display", std::string())) {
        if (ch >= '0' && ch <= '9') digits += ch;
      }
      a["phone"] = nullptr;
      a["phone_display"] = intake::MaskDigits(digits);
    }
  }
  if (auto hist = lead->find("history"); hist != lead->end() && hist->is_array()) {
    for (auto& h : *hist) {
      if (h.contains("note") && h["note"].is_string()) {
        h["note"] = MaskDigitRuns(h["note"].get<std::string>());
      }
    }
  }
}

Status LeakGuard::BeforeReveal(db::Connection& conn, const Actor& agent,
                               const Limits& limits) const {
  if (limits.reveal_budget <= 0) return {};
  const int64_t now = clock_.Now();
  const int64_t since = now - kRevealWindowS;
  DD_ASSIGN_OR_RETURN(auto used, conn.QueryOne("SELECT COUNT(*) FROM call_log WHERE agent_id = ? "
                                               "AND shown_at > ?",
                                               {agent.user_id, since}));
  const int64_t reveals = used->Int(0);
  if (reveals < limits.reveal_budget) return {};
  // The window frees a reveal when the (reveals - budget + 1)-th oldest one in
  // it is an hour old.
  DD_ASSIGN_OR_RETURN(auto oldest,
                      conn.QueryOne("SELECT shown_at FROM call_log WHERE agent_id = ? AND shown_at "
                                    "> ? ORDER BY shown_at LIMIT 1 OFFSET ?",
                                    {agent.user_id, since, reveals - limits.reveal_budget}));
  const int64_t retry =
      std::max<int64_t>(1, (oldest ? oldest->Int(0) : now) + kRevealWindowS - now);
  DD_ASSIGN_OR_RETURN(bool alerted,
                      AlertSince(conn, agent.user_id, kAlertRevealBudget, now - kRevealWindowS));
  if (!alerted) {
    DD_ASSIGN_OR_RETURN(int64_t id, RaiseAlert(conn, audit_, agent, kAlertRevealBudget,
                                               {{"budget", limits.reveal_budget},
                                                {"reveals", reveals},
                                                {"window_minutes", kRevealWindowS / 60}},
                                               now));
    (void)id;
  }
  Error e(ErrorCode::kRateLimited, "reveal_budget_exceeded",
          {{"budget", std::to_string(limits.reveal_budget)},
           {"minutes", std::to_string((retry + 59) / 60)}});
  e.retry_after_s = static_cast<int>(retry);
  return e;
}

Status LeakGuard::AfterOutcome(db::Connection& conn, const Actor& agent,
                               const Limits& limits) const {
  if (limits.fast_seconds <= 0 || limits.fast_streak <= 0) return {};
  // The agent's latest outcomes, newest first, and one more: the streak
  // alerts when it reaches its length exactly (the one before was not fast).
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT lead_id, outcome_at - shown_at FROM call_log WHERE agent_id = ? AND "
                 "outcome IS NOT NULL ORDER BY shown_at DESC, id DESC LIMIT ?",
                 {agent.user_id, limits.fast_streak + 1}));
  if (static_cast<int64_t>(rows.size()) < limits.fast_streak) return {};
  json leads = json::array(), seconds = json::array();
  for (int64_t i = 0; i < limits.fast_streak; ++i) {
    const auto& r = rows[static_cast<size_t>(i)];
    if (r.Int(1) >= limits.fast_seconds) return {};
    leads.push_back(r.Int(0));
    seconds.push_back(r.Int(1));
  }
  if (static_cast<int64_t>(rows.size()) > limits.fast_streak &&
      rows.back().Int(1) < limits.fast_seconds) {
    return {};  // the streak goes on: alerted when it reached its length
  }
  DD_ASSIGN_OR_RETURN(int64_t id, RaiseAlert(conn, audit_, agent, kAlertFastOutcomes,
                                             {{"streak", limits.fast_streak},
                                              {"under_seconds", limits.fast_seconds},
                                              {"lead_ids", leads},
                                              {"seconds", seconds}},
                                             clock_.Now()));
  (void)id;
  return {};
}

}  // namespace dd::leak

#include "modules/pool/pool_rules.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace dd::pool {
namespace {

std::optional<int64_t> WholeNumber(std::string_view s, int64_t max) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) {
    return std::nullopt;
  }
  return v;
}

int64_t IntOf(const std::map<std::string, std::string, std::less<>>& values, std::string_view key,
              int64_t fallback) {
  auto it = values.find(key);
  if (it == values.end()) return fallback;
  return WholeNumber(it->second, INT64_MAX).value_or(fallback);
}

TierDays TierDaysOf(const std::map<std::string, std::string, std::less<>>& values,
                    std::string_view key) {
  auto it = values.find(key);
  if (it == values.end()) return {};
  return ParseTierDays(it->second).value_or(TierDays{});
}

}  // namespace

std::optional<TierDays> ParseTierDays(std::string_view text, int64_t max) {
  if (auto n = WholeNumber(text, max)) return TierDays{*n, *n, *n};
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  TierDays out{};
  for (auto& [tier, v] : j.items()) {
    if (tier != "A" && tier != "B" && tier != "C") return std::nullopt;
    if (!v.is_number_integer()) return std::nullopt;
    const int64_t n = v.get<int64_t>();
    if (n < 0 || n > max) return std::nullopt;
    out[static_cast<size_t>(TierOf(tier))] = n;
  }
  return out;
}

int TierOf(std::string_view quality) { return quality == "A" ? 0 : quality == "C" ? 2 : 1; }

bool Rules::recycling() const {
  for (size_t t = 0; t < 3; ++t) {
    if (follow_up_days[t] > 0 || convert_days[t] > 0) return true;
  }
  return false;
}

Rules Rules::From(const std::map<std::string, std::string, std::less<>>& values) {
  Rules r;
  r.follow_up_days = TierDaysOf(values, "pool_follow_up_days");
  r.convert_days = TierDaysOf(values, "pool_convert_days");
  r.warn_days = IntOf(values, "pool_warn_days", r.warn_days);
  r.cooldown_days = IntOf(values, "pool_cooldown_days", r.cooldown_days);
  r.holding_cap = IntOf(values, "pool_holding_cap", r.holding_cap);
  r.claim_cap = IntOf(values, "pull_daily_quota", r.claim_cap);
  return r;
}

const char* ReasonName(Reason r) {
  switch (r) {
    case Reason::kFollowUp: return "follow_up";
    case Reason::kConvert: return "convert";
  }
  return "follow_up";
}

bool Won(const Held& h) { return h.status == "prospect" && h.last_outcome == "converted"; }

bool Exempt(const Held& h) {
  const bool held = h.status == "assigned" || h.status == "retry" || h.status == "callback" ||
                    h.status == "prospect";
  return !held || h.locked || Won(h);
}

std::optional<Due> RecycleDue(const Rules& r, const Held& h) {
  if (Exempt(h)) return std::nullopt;
  const size_t tier = static_cast<size_t>(std::clamp(h.tier, 0, 2));
  std::optional<Due> due;
  if (const int64_t n = r.follow_up_days[tier]; n > 0) {
    int64_t base = std::max(h.assigned_at, h.followed_at.value_or(h.assigned_at));
    if (h.status == "callback" && h.next_call_at) base = std::max(base, *h.next_call_at);
    due = Due{base + n * kDay, Reason::kFollowUp};
  }
  if (const int64_t m = r.convert_days[tier]; m > 0) {
    const int64_t at = h.assigned_at + m * kDay;
    if (!due || at < due->at) due = Due{at, Reason::kConvert};
  }
  return due;
}

bool InWarning(const Rules& r, const Due& d, int64_t now) {
  return r.warn_days > 0 && now < d.at && now >= d.at - r.warn_days * kDay;
}

bool InCooldown(const Rules& r, int64_t recycled_at, int64_t now) {
  return r.cooldown_days > 0 && now < recycled_at + r.cooldown_days * kDay;
}

Cutoffs PrefilterCutoffs(const Rules& r, int64_t now) {
  auto cut = [&](const TierDays& days) -> std::optional<int64_t> {
    int64_t least = 0;
    for (int64_t d : days) {
      if (d > 0 && (least == 0 || d < least)) least = d;
    }
    if (least == 0) return std::nullopt;
    return now + std::max<int64_t>(r.warn_days, 0) * kDay - least * kDay;
  };
  return {cut(r.follow_up_days), cut(r.convert_days)};
}

}  // namespace dd::pool

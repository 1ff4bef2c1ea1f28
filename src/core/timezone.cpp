#include "core/timezone.hpp"

#include <unicode/timezone.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace dd::tz {
namespace {

struct Cache {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<icu::TimeZone>, std::less<>> zones;
  // (zone, hour) -> offset: offsets change at most a few times a year.
  std::map<std::pair<std::string, int64_t>, int32_t> offsets;
};

Cache& TheCache() {
  static Cache c;
  return c;
}

}  // namespace

int32_t OffsetSeconds(std::string_view id, int64_t t) {
  std::string_view first = id.substr(0, id.find(','));
  if (first.empty()) first = "Asia/Shanghai";
  if (first == "Asia/Shanghai") return 8 * 3600;  // no DST since 1991
  Cache& c = TheCache();
  std::lock_guard lock(c.mu);
  const int64_t hour = t / 3600;
  auto key = std::make_pair(std::string(first), hour);
  if (auto it = c.offsets.find(key); it != c.offsets.end()) return it->second;
  auto zit = c.zones.find(first);
  if (zit == c.zones.end()) {
    std::unique_ptr<icu::TimeZone> z(
        icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(std::string(first))));
    if (!z || *z == icu::TimeZone::getUnknown()) {
      z.reset(icu::TimeZone::createTimeZone("Asia/Shanghai"));
    }
    zit = c.zones.emplace(std::string(first), std::move(z)).first;
  }
  int32_t raw = 0, dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  zit->second->getOffset(static_cast<UDate>(t) * 1000.0, false, raw, dst, status);
  const int32_t off = U_SUCCESS(status) ? (raw + dst) / 1000 : 8 * 3600;
  if (c.offsets.size() > 100000) c.offsets.clear();
  c.offsets.emplace(std::move(key), off);
  return off;
}

int MinutesOfDay(std::string_view id, int64_t t) {
  int64_t local = t + OffsetSeconds(id, t);
  int64_t m = ((local % 86400) + 86400) % 86400 / 60;
  return static_cast<int>(m);
}

int64_t DayStart(std::string_view id, int64_t t) {
  const int32_t off = OffsetSeconds(id, t);
  int64_t local = t + off;
  int64_t day = local - (((local % 86400) + 86400) % 86400);
  return day - off;
}

bool ParseWindow(std::string_view s, int* from, int* to) {
  auto hm = [](std::string_view p, int* out) {
    if (p.size() != 5 || p[2] != ':') return false;
    for (size_t i : {0u, 1u, 3u, 4u}) {
      if (p[i] < '0' || p[i] > '9') return false;
    }
    int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m)) return false;
    *out = h * 60 + m;
    return true;
  };
  return s.size() == 11 && s[5] == '-' && hm(s.substr(0, 5), from) && hm(s.substr(6), to) &&
         *from < *to;
}

}  // namespace dd::tz

#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace dd {

int64_t SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t FileClock::Now() const {
  if (FILE* f = std::fopen(path_.c_str(), "r")) {
    long long t = 0;
    const int n = std::fscanf(f, "%lld", &t);
    std::fclose(f);
    if (n == 1 && t > 0) return t;
  }
  return SystemClock().Now();
}

std::string FormatIso8601(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace dd

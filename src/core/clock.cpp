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

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatIso8601(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
int64_t CpuMicros(clockid_t which) {
  timespec ts{};
  clock_gettime(which, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
}  // namespace

int64_t ThreadCpuMicros() { return CpuMicros(CLOCK_THREAD_CPUTIME_ID); }
int64_t ProcessCpuMicros() { return CpuMicros(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace dd

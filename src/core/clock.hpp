// Time source for business rules. Tests inject a fixed or advancing clock.
// Thread-safe: Now() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace dd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch, UTC.
  virtual int64_t Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t Now() const override;
};

// A clock that starts at a given time and only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start) : now_(start) {}
  int64_t Now() const override { return now_.load(); }
  void Advance(int64_t seconds) { now_ += seconds; }
  void Set(int64_t t) { now_ = t; }

 private:
  std::atomic<int64_t> now_;
};

// For black-box tests of time rules: the time is read from a file holding
// Unix seconds (`dialdeck serve --clock-file`), the system time while the
// file is missing or unreadable.
class FileClock final : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  int64_t Now() const override;

 private:
  std::string path_;
};

// CPU time used so far, in microseconds, by the calling thread and by the
// whole process (for measurements: logs, benchmarks).
int64_t ThreadCpuMicros();
int64_t ProcessCpuMicros();

// "2026-11-22T21:48:45Z"
std::string FormatIso8601(int64_t unix_seconds);

// Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12,
// d 1..31; not checked). Negative before the epoch.
int64_t DaysFromCivil(int y, unsigned m, unsigned d);

}  // namespace dd

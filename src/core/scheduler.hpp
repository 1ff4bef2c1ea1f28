// In-process periodic jobs (retention purge, pool recycling; later
// reminders): one background thread runs every job once at Start(), then
// again every `interval`, until Stop(). Jobs run one after another, never at
// the same time; a job that throws is logged and the others still run.
//
// Jobs read the time they act on from the injectable Clock themselves; the
// interval is real (steady) time. Thread-safe: Add() before Start();
// Start(), Stop() and RunSoon() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dd {

class Scheduler {
 public:
  using Job = std::function<void()>;

  explicit Scheduler(std::chrono::milliseconds interval) : interval_(interval) {}
  ~Scheduler() { Stop(); }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Add(std::string name, Job job);
  void Start();
  // Wakes the thread, lets a running job finish, joins. Idempotent.
  void Stop();
  // Runs the jobs now instead of at the end of the current wait.
  void RunSoon();
  // Completed rounds (all jobs once).
  int64_t rounds() const;

 private:
  void Loop();

  const std::chrono::milliseconds interval_;
  std::vector<std::pair<std::string, Job>> jobs_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool soon_ = false;
  int64_t rounds_ = 0;
  std::thread thread_;
};

}  // namespace dd

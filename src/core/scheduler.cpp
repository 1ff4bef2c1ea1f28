#include "core/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "core/background.hpp"

namespace dd {

void Scheduler::Add(std::string name, Job job) {
  std::lock_guard lock(mu_);
  jobs_.emplace_back(std::move(name), std::move(job));
}

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Scheduler::RunSoon() {
  {
    std::lock_guard lock(mu_);
    soon_ = true;
  }
  cv_.notify_all();
}

int64_t Scheduler::rounds() const {
  std::lock_guard lock(mu_);
  return rounds_;
}

void Scheduler::Loop() {
  NameThread("dd-scheduler");
  for (;;) {
    std::vector<std::pair<std::string, Job>> jobs;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      jobs = jobs_;
    }
    for (auto& [name, job] : jobs) {
      try {
        job();
      } catch (const std::exception& e) {
        spdlog::error("event=job_failed job={} error=\"{}\"", name, e.what());
      } catch (...) {
        spdlog::error("event=job_failed job={}", name);
      }
    }
    std::unique_lock lock(mu_);
    ++rounds_;
    cv_.notify_all();
    cv_.wait_for(lock, interval_, [this] { return stop_ || soon_; });
    soon_ = false;
    if (stop_) return;
  }
}

}  // namespace dd

// The desk's journal alone (run by bench/run, not a test): opens a dealt
// database, puts every agent on the desk, answers N outcomes through the
// fast path (DeskService::TryOutcome, the slow path when it declines),
// round-robin over the agents, with no HTTP, and waits for the journal to be
// written. Prints one JSON line: outcomes, slow (answered by the slow path),
// per_s, and the CPU per outcome of the answering thread (answer_cpu_us)
// and of the rest of the process (other_cpu_us: the journal's writer and
// the checkpointer); reading each answer (the client's part) is not counted.
// The database side's ceiling for bench/desk_load.cpp.
//   dialdeck_fold_bench DB N
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "app/allocator.hpp"
#include "app/app.hpp"

int main(int argc, char** argv) {
  dd::app::TuneAllocator();  // as the server
  // stdout is the JSON line: the log (the desk's fast-outcome alerts …)
  // goes to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_st("fold_bench"));
  spdlog::set_level(spdlog::level::warn);
  if (argc < 3) {
    std::fprintf(stderr, "usage: dialdeck_fold_bench DB N\n");
    return 2;
  }
  dd::app::AppOptions opts;
  opts.db_url = argv[1];
  const long n = std::stol(argv[2]);
  auto app = dd::app::App::Open(opts);
  if (!app.ok()) {
    std::fprintf(stderr, "open failed\n");
    return 1;
  }
  auto& desk = (*app)->desk();
  std::vector<dd::Actor> agents;
  std::vector<int64_t> current;
  auto rows = (*app)->db().Acquire().value()->Query(
      "SELECT id, username FROM users WHERE role = 'agent' ORDER BY id", {});
  for (const auto& r : rows.value()) {
    dd::Actor a;
    a.user_id = r.Int(0);
    a.username = r.Text(1);
    auto cur = desk.Current(a);
    if (!cur.ok() || (*cur)["lead"].is_null()) continue;
    agents.push_back(a);
    current.push_back((*cur)["lead"]["id"].get<int64_t>());
  }
  if (agents.empty()) {
    std::fprintf(stderr, "no agent has a lead on the desk\n");
    return 1;
  }
  const char* outcomes[] = {"not_interested", "no_answer", "interested", "wrong_number"};
  const auto w0 = std::chrono::steady_clock::now();
  const int64_t p0 = dd::ProcessCpuMicros(), t0 = dd::ThreadCpuMicros();
  long done = 0, slow = 0;
  int64_t reading = 0;
  for (long i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i) % agents.size();
    dd::desk::OutcomeRequest req;
    req.lead_id = current[k];
    req.outcome = outcomes[i % 4];
    req.request_id = "r" + std::to_string(i);
    auto fast = desk.TryOutcome(agents[k], req, true);
    nlohmann::json out;
    if (fast) {
      // Reading the answer is the client's work: not counted as answering.
      const int64_t r0 = dd::ThreadCpuMicros();
      out = nlohmann::json::parse(*fast);
      reading += dd::ThreadCpuMicros() - r0;
    } else {
      ++slow;
      auto s = desk.Outcome(agents[k], req);
      if (!s.ok()) break;
      out = *s;
    }
    if (out["lead"].is_null()) break;
    current[k] = out["lead"]["id"].get<int64_t>();
    ++done;
  }
  desk.Sync();
  const double w =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - w0).count();
  const int64_t p = dd::ProcessCpuMicros() - p0 - reading, t = dd::ThreadCpuMicros() - t0 - reading;
  if (done == 0) {
    std::fprintf(stderr, "no outcome was recorded\n");
    return 1;
  }
  std::printf(
      "{\"outcomes\":%ld,\"slow\":%ld,\"per_s\":%.0f,\"answer_cpu_us\":%.1f,"
      "\"other_cpu_us\":%.1f}\n",
      done, slow, done * 1e6 / w, t / static_cast<double>(done),
      (p - t) / static_cast<double>(done));
  return 0;
}

// Benchmark of dd::phone::PhoneCleaner: fast path (block cache) vs slow path
// (plain libphonenumber) on one thread, plus the fast path on two threads.
// Not wired into CMake; build after `cmake --build build --target dialdeck_lib`:
//
//   g++ -std=c++20 -O2 -DNDEBUG -Isrc bench/phone_bench.cpp build/libdialdeck_lib.a
//       -lphonenumber -lgeocoding -licui18n -licuuc -lpthread -o build/phone_bench
//
// Usage: build/phone_bench [rows] [fast]   (default 1,000,000 rows; "fast":
// only the one-thread fast path, e.g. under perf)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "modules/phone/phone_cleaner.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using dd::phone::PhoneCleaner;

// A lead-list-like mix: mostly mobiles, some formatted, landlines, junk.
std::vector<std::string> MakeCells(std::size_t n, uint64_t seed) {
  static const char* kAreas[] = {"10",  "21",  "22",  "23",  "20",  "24",  "25",  "27",
                                 "28",  "29",  "755", "571", "512", "769", "757", "591",
                                 "592", "531", "532", "371", "731", "851", "871", "898"};
  std::mt19937_64 rng(seed);
  auto digits = [&](int k) {
    std::string s;
    for (int i = 0; i < k; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  std::vector<std::string> cells;
  cells.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    int kind = static_cast<int>(rng() % 100);
    std::string mobile = std::to_string(130 + rng() % 70) + digits(8);
    if (kind < 78) {
      cells.push_back(mobile);
    } else if (kind < 86) {
      cells.push_back("+86 " + mobile.substr(0, 3) + " " + mobile.substr(3, 4) + " " +
                      mobile.substr(7));
    } else if (kind < 88) {
      cells.push_back(mobile + "（微信同号）");
    } else if (kind < 96) {
      std::string area = kAreas[rng() % (sizeof(kAreas) / sizeof(kAreas[0]))];
      cells.push_back("0" + area + "-" + std::to_string(2 + rng() % 8) +
                      digits(area.size() == 2 ? 7 : 7));
    } else if (kind < 98) {
      cells.push_back(mobile + "/" + std::to_string(130 + rng() % 70) + digits(8));
    } else {
      cells.push_back(rng() % 2 ? "无" : digits(1 + static_cast<int>(rng() % 6)));
    }
  }
  return cells;
}

double Run(const PhoneCleaner& cleaner, const std::vector<std::string>& cells, std::size_t begin,
           std::size_t end, PhoneCleaner::Path path, std::size_t* valid) {
  auto t0 = Clock::now();
  std::size_t v = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (cleaner.CleanWithPath(cells[i], path).phone) ++v;
  }
  *valid = v;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  std::vector<std::string> cells = MakeCells(n, 42);
  std::size_t valid = 0;

  {
    PhoneCleaner cleaner;
    double cold = Run(cleaner, cells, 0, n, PhoneCleaner::Path::kFast, &valid);
    std::printf("fast path, 1 thread, cold cache: %9.0f numbers/s (%zu rows, %zu valid)\n",
                n / cold, n, valid);
    double warm = Run(cleaner, cells, 0, n, PhoneCleaner::Path::kFast, &valid);
    std::printf("fast path, 1 thread, warm cache: %9.0f numbers/s\n", n / warm);
  }
  if (argc > 2 && std::string(argv[2]) == "fast") return 0;
  {
    PhoneCleaner cleaner;
    std::vector<std::thread> threads;
    std::vector<std::size_t> v(2);
    auto t0 = Clock::now();
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        Run(cleaner, cells, t * n / 2, (t + 1) * n / 2, PhoneCleaner::Path::kFast, &v[t]);
      });
    }
    for (auto& th : threads) th.join();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("fast path, 2 threads, cold cache: %8.0f numbers/s\n", n / secs);
  }
  {
    PhoneCleaner cleaner;
    std::size_t m = std::min<std::size_t>(n, 100000);
    double slow = Run(cleaner, cells, 0, m, PhoneCleaner::Path::kSlow, &valid);
    std::printf("slow path, 1 thread:             %9.0f numbers/s (%zu rows)\n", m / slow, m);
  }
  return 0;
}

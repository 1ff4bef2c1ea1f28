// Measures the streaming .xlsx reader (src/import/) on a generated
// 1,000,000-row x 5-column workbook: rows/s and peak RSS of the reading
// process. Not wired into CMake; build it by hand (see the command below) and
// run it; it prints its figures.
//
//   g++ -O2 -std=c++20 -Isrc bench/xlsx_read_bench.cpp src/import/table_reader.cpp \
//     src/import/csv_reader.cpp src/import/encoding.cpp src/import/xlsx_reader.cpp \
//     src/import/xls_reader.cpp src/core/result.cpp -o /tmp/xlsx_read_bench \
//     $(pkg-config --cflags --libs libzip expat freexl icu-uc xlsxwriter)
//   /tmp/xlsx_read_bench [rows] [shared|inline]
//
// "shared" writes strings to the shared strings table (what Excel does);
// "inline" uses libxlsxwriter's constant_memory mode, which writes inline
// strings. The reading runs in a child process (this binary re-executed) so
// that its peak RSS is not inflated by the generator.
#include <sys/wait.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "import/table_reader.hpp"

namespace {

void Generate(const std::string& path, long rows, bool inline_strings) {
  lxw_workbook_options options = {};
  options.constant_memory = inline_strings ? LXW_TRUE : LXW_FALSE;
  options.use_zip64 = LXW_TRUE;
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  lxw_worksheet* ws = workbook_add_worksheet(wb, "客户");
  const char* header[] = {"序号", "楼盘", "姓名", "电话", "区域"};
  const char* estates[] = {"万科城", "碧桂园", "保利花园", "龙湖天街", "中海国际"};
  const char* areas[] = {"南山", "福田", "罗湖", "宝安", "龙岗", "龙华"};
  for (int c = 0; c < 5; ++c) worksheet_write_string(ws, 0, c, header[c], nullptr);
  char name[32];
  for (long r = 1; r <= rows; ++r) {
    worksheet_write_number(ws, r, 0, static_cast<double>(r), nullptr);
    worksheet_write_string(ws, r, 1, estates[r % 5], nullptr);
    std::snprintf(name, sizeof name, "客户%ld", r % 50000);
    worksheet_write_string(ws, r, 2, name, nullptr);
    worksheet_write_number(ws, r, 3, 13800000000.0 + static_cast<double>(r), nullptr);
    worksheet_write_string(ws, r, 4, areas[r % 6], nullptr);
  }
  if (workbook_close(wb) != LXW_NO_ERROR) {
    std::fprintf(stderr, "workbook_close failed\n");
    std::exit(1);
  }
}

int Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string bytes(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto t0 = std::chrono::steady_clock::now();
  auto reader = dd::import::OpenTable(bytes, "bench.xlsx");
  if (!reader.ok()) {
    std::fprintf(stderr, "open: %s\n", reader.error().reason.c_str());
    return 1;
  }
  std::vector<std::string> cells;
  long rows = 0, cells_total = 0;
  for (;;) {
    auto next = (*reader)->Next(cells);
    if (!next.ok()) {
      std::fprintf(stderr, "next: %s\n", next.error().reason.c_str());
      return 1;
    }
    if (!*next) break;
    ++rows;
    cells_total += static_cast<long>(cells.size());
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // VmHWM, not getrusage(): ru_maxrss survives exec and would include the
  // generator's memory from before the fork.
  double hwm_mb = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) hwm_mb = std::atof(line.c_str() + 6) / 1024.0;
  }
  std::printf(
      "file %.1f MB, %ld rows, %ld cells in %.2f s: %.0f rows/s; peak RSS %.1f MB "
      "(includes the %.1f MB upload held in memory)\n",
      bytes.size() / 1e6, rows, cells_total, s, rows / s, hwm_mb, bytes.size() / 1048576.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--read") return Read(argv[2]);
  long rows = argc > 1 ? std::atol(argv[1]) : 1000000;
  bool inline_strings = argc > 2 && std::string(argv[2]) == "inline";
  std::string path = "/tmp/dd-xlsx-bench-" + std::to_string(getpid()) + ".xlsx";
  auto t0 = std::chrono::steady_clock::now();
  Generate(path, rows, inline_strings);
  std::printf("generated %ld rows (%s strings) in %.1f s\n", rows,
              inline_strings ? "inline" : "shared",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", argv[0], "--read", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  unlink(path.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// Import benchmark helper (run by bench/run, not a test):
//   dialdeck_bench gen FILE ROWS   writes a realistic messy lead list (xlsx)
//   dialdeck_bench read FILE       reads it with the streaming reader only
// Each prints one JSON line: rows, seconds, rows_per_s, peak_rss_mb.
#include <sys/resource.h>
#include <xlsxwriter.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "import/table_reader.hpp"

namespace {

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

int Gen(const std::string& path, long rows) {
  lxw_workbook_options opts = {};
  opts.constant_memory = LXW_TRUE;
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &opts);
  lxw_worksheet* ws = workbook_add_worksheet(wb, "客户名单");
  std::mt19937_64 rng(20261122);
  const char* prefixes[] = {"130", "131", "132", "133", "135", "136", "137", "138", "139", "147",
                            "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
                            "170", "173", "175", "176", "177", "178", "180", "181", "182", "183",
                            "185", "186", "187", "188", "189", "191", "198", "199"};
  const char* estates[] = {"万科城", "碧桂园", "恒大绿洲", "保利花园", "华润城", "龙湖天街"};
  const char* areas[] = {"深圳", "广州", "上海", "北京", "杭州", "成都", "武汉", "南京"};
  const char* surnames[] = {"张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"};
  const char* given[] = {"伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"};
  worksheet_write_string(ws, 0, 0, "2026年11月 楼盘客户名单（内部资料）", nullptr);
  const char* header[] = {"序号", "楼盘", "客户姓名", "手机号码", "所在地区", "备注"};
  for (int c = 0; c < 6; ++c) worksheet_write_string(ws, 2, c, header[c], nullptr);
  std::string last_phone = "13812345678";
  lxw_row_t r = 3;
  for (long i = 0; i < rows; ++i, ++r) {
    if (i % 997 == 500) ++r;  // an empty row now and then
    char digits[16];
    std::snprintf(digits, sizeof digits, "%s%08llu", prefixes[rng() % std::size(prefixes)],
                  static_cast<unsigned long long>(rng() % 100000000));
    std::string phone = digits;
    worksheet_write_number(ws, r, 0, static_cast<double>(i + 1), nullptr);
    worksheet_write_string(ws, r, 1, estates[rng() % std::size(estates)], nullptr);
    std::string name = std::string(surnames[rng() % 10]) + given[rng() % 10];
    worksheet_write_string(ws, r, 2, name.c_str(), nullptr);
    const unsigned kind = rng() % 100;
    if (kind < 40) {  // a number cell, as Excel stores phones typed into it
      worksheet_write_number(ws, r, 3, std::stod(phone), nullptr);
    } else if (kind < 60) {
      worksheet_write_string(ws, r, 3, phone.c_str(), nullptr);
    } else if (kind < 70) {
      std::string s = phone.substr(0, 3) + " " + phone.substr(3, 4) + " " + phone.substr(7);
      worksheet_write_string(ws, r, 3, s.c_str(), nullptr);
    } else if (kind < 78) {
      std::string s = "+86 " + phone;
      worksheet_write_string(ws, r, 3, s.c_str(), nullptr);
    } else if (kind < 83) {
      std::string s = phone + "（微信同号）";
      worksheet_write_string(ws, r, 3, s.c_str(), nullptr);
    } else if (kind < 88) {
      std::string s = "0755-" + phone.substr(3, 8) + "转" + std::to_string(rng() % 900 + 100);
      worksheet_write_string(ws, r, 3, s.c_str(), nullptr);
    } else if (kind < 92) {  // a duplicate of the row before
      worksheet_write_string(ws, r, 3, last_phone.c_str(), nullptr);
    } else if (kind < 95) {
      worksheet_write_string(ws, r, 3, "1.38123E+10", nullptr);
    } else if (kind < 97) {
      worksheet_write_string(ws, r, 3, phone.substr(0, 7).c_str(), nullptr);
    } else {
      std::string s = phone + "/139" + std::to_string(10000000 + rng() % 89999999);
      worksheet_write_string(ws, r, 3, s.c_str(), nullptr);
    }
    last_phone = phone;
    worksheet_write_string(ws, r, 4, areas[rng() % std::size(areas)], nullptr);
    if (rng() % 4 == 0) worksheet_write_string(ws, r, 5, "意向较强，周末回访", nullptr);
  }
  if (workbook_close(wb) != LXW_NO_ERROR) {
    std::cerr << "could not write " << path << "\n";
    return 1;
  }
  return 0;
}

int Read(const std::string& path) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto t0 = std::chrono::steady_clock::now();
  dd::import::ReadOptions ro;
  ro.max_rows = 10'000'000;
  auto reader = dd::import::OpenTable(bytes, path, ro);
  if (!reader.ok()) {
    std::cerr << "open: " << reader.error().reason << "\n";
    return 1;
  }
  std::vector<std::string> cells;
  long rows = 0;
  size_t chars = 0;
  for (;;) {
    auto more = (*reader)->Next(cells);
    if (!more.ok()) {
      std::cerr << "read: " << more.error().reason << "\n";
      return 1;
    }
    if (!*more) break;
    ++rows;
    for (const auto& c : cells) chars += c.size();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"rows\": %ld, \"seconds\": %.3f, \"rows_per_s\": %.0f, \"peak_rss_mb\": %.1f, \"chars\": "
      "%zu}\n",
      rows, s, rows / s, PeakRssMb(), chars);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "gen") return Gen(argv[2], std::stol(argv[3]));
  if (argc >= 3 && std::string(argv[1]) == "read") return Read(argv[2]);
  std::cerr << "usage: dialdeck_bench gen FILE ROWS | read FILE\n";
  return 2;
}

// libFuzzer target: arbitrary bytes uploaded as "fuzz.xlsx" (zip, workbook
// resolution, shared strings and the streaming sheet parser, with the zip
// bomb guards at small limits). Built by cmake/fuzz.cmake.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "import/table_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  dd::import::ReadOptions opts;
  opts.max_rows = 5000;
  opts.max_inflated_bytes = 16u << 20;
  opts.max_ratio = 100;
  auto reader = dd::import::OpenTable(bytes, "fuzz.xlsx", opts);
  if (!reader.ok()) return 0;
  std::vector<std::string> cells;
  for (;;) {
    auto next = (*reader)->Next(cells);
    if (!next.ok() || !*next) break;
  }
  return 0;
}

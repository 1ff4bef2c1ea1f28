// libFuzzer target: arbitrary bytes uploaded as "fuzz.csv" (so detection, the
// encodings and the csv parser run; zip/OLE2 magic routes to the other
// readers). Reads every row with small limits. Built by cmake/fuzz.cmake.
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
  auto reader = dd::import::OpenTable(bytes, "fuzz.csv", opts);
  if (!reader.ok()) return 0;
  std::vector<std::string> cells;
  for (;;) {
    auto next = (*reader)->Next(cells);
    if (!next.ok() || !*next) break;
  }
  return 0;
}

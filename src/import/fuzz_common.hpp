// The body of the reader fuzz targets (csv_fuzz.cpp, xlsx_fuzz.cpp): open
// arbitrary bytes under `filename` with small limits and read every row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "import/table_reader.hpp"

namespace dd::import {

inline int FuzzReadAll(const uint8_t* data, size_t size, std::string_view filename) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ReadOptions opts;
  opts.max_rows = 5000;
  opts.max_inflated_bytes = 16u << 20;
  opts.max_ratio = 100;
  auto reader = OpenTable(bytes, filename, opts);
  if (!reader.ok()) return 0;
  std::vector<std::string> cells;
  for (;;) {
    auto next = (*reader)->Next(cells);
    if (!next.ok() || !*next) break;
  }
  return 0;
}

}  // namespace dd::import

// libFuzzer target: arbitrary bytes uploaded as "fuzz.xlsx" (zip, workbook
// resolution, shared strings and the streaming sheet parser, with the zip
// bomb guards at small limits). Built by cmake/fuzz.cmake.
#include <cstddef>
#include <cstdint>

#include "import/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return dd::import::FuzzReadAll(data, size, "fuzz.xlsx");
}

// libFuzzer target: arbitrary bytes uploaded as "fuzz.csv" (so detection, the
// encodings and the csv parser run; zip/OLE2 magic routes to the other
// readers). Reads every row with small limits. Built by cmake/fuzz.cmake.
#include <cstddef>
#include <cstdint>

#include "import/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return dd::import::FuzzReadAll(data, size, "fuzz.csv");
}

// Pieces shared by the readers in src/import/: error constructors, cell text
// formatting and the per-format factories behind OpenTable. Internal to
// src/import/ (and its tests and fuzzers). All functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "import/table_reader.hpp"

namespace dd::import {

// Errors with the reasons documented in table_reader.hpp. `detail` goes to
// Error::internal (logs only).
Error FileCorrupt(std::string detail);
Error NotSpreadsheet(std::string detail);
Error ZipBomb(std::string detail);
Error TooManyRows(uint64_t limit);
Error SheetNotFound(std::string_view sheet);
Error FileEncrypted();

// Turns a number as written in a file ("13812345678", "1.3812345678E10",
// "-12.50", "1e-3") into cell text: integral values with |x| < 1e15 become
// exact integer digits without going through double; other valid numbers
// the shortest round-trip form of the double; anything unparsable is returned
// unchanged.
std::string NumberText(std::string_view s);
// Same rules for a double (xls): integral and |x| < 1e15 -> digits, else the
// shortest round-trip form; NaN/inf -> "".
std::string DoubleText(double d);

// The row sequence every line-by-line reader returns: empty rows between
// data rows are kept (as empty vectors), trailing empty rows are dropped, at
// most `max_rows` rows are returned (then "too_many_rows"), and the first
// error sticks. A reader feeds it raw rows; not thread-safe.
class RowSequence {
 public:
  explicit RowSequence(uint64_t max_rows) : max_rows_(max_rows) {}

  // `read_raw(cells)` fills the next raw row and returns true, false at the
  // end, or an error.
  template <typename ReadRaw>
  Result<bool> Next(std::vector<std::string>& cells, ReadRaw&& read_raw) {
    if (error_) return *error_;
    if (pending_empty_ == 0 && has_held_) {
      has_held_ = false;
      cells.swap(held_);
      return Count();
    }
    if (pending_empty_ > 0) {
      --pending_empty_;
      cells.clear();
      return Count();
    }
    for (;;) {
      cells.clear();
      Result<bool> more = read_raw(cells);
      if (!more.ok()) {
        error_ = std::move(more).error();
        return *error_;
      }
      if (!*more) {
        pending_empty_ = 0;  // trailing empty rows are dropped
        return false;
      }
      if (!cells.empty()) break;
      ++pending_empty_;
    }
    if (pending_empty_ > 0) {  // return the empty rows first, hold this one
      held_.swap(cells);
      has_held_ = true;
      --pending_empty_;
      cells.clear();
    }
    return Count();
  }

 private:
  Result<bool> Count() {
    if (++returned_ > max_rows_) {
      error_ = TooManyRows(max_rows_);
      return *error_;
    }
    return true;
  }

  uint64_t max_rows_;
  uint64_t returned_ = 0;
  uint64_t pending_empty_ = 0;  // empty rows seen but not yet returned
  bool has_held_ = false;       // held_ is the non-empty row after them
  std::vector<std::string> held_;
  std::optional<Error> error_;
};

// Format-specific openers; `bytes` must outlive the reader.
Result<std::unique_ptr<TableReader>> OpenXlsx(std::string_view bytes, const ReadOptions& opts);
// .xls through the helper process `dialdeck-xls` (see xls_reader.cpp).
Result<std::unique_ptr<TableReader>> OpenXls(std::string_view bytes, const ReadOptions& opts);
// FreeXL in this process: for the helper itself and the fuzzer. `source_fd`
// (when >= 0) is an fd holding `bytes` that FreeXL may open directly.
Result<std::unique_ptr<TableReader>> OpenXlsInProcess(std::string_view bytes,
                                                      const ReadOptions& opts, int source_fd = -1);
// main() of the helper executable.
int XlsWorkerMain(int argc, char** argv);
Result<std::unique_ptr<TableReader>> OpenCsv(std::string_view bytes, const ReadOptions& opts);

// True when the zip in `bytes` holds a workbook (xl/workbook.xml or the
// officeDocument of _rels/.rels); "file_corrupt" when the zip cannot be opened.
Result<bool> ZipHoldsWorkbook(std::string_view bytes);

}  // namespace dd::import

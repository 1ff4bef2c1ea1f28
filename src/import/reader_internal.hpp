// Pieces shared by the readers in src/import/: error constructors, cell text
// formatting and the per-format factories behind OpenTable. Internal to
// src/import/ (and its tests and fuzzers). All functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

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

// Format-specific openers; `bytes` must outlive the reader.
Result<std::unique_ptr<TableReader>> OpenXlsx(std::string_view bytes, const ReadOptions& opts);
Result<std::unique_ptr<TableReader>> OpenXls(std::string_view bytes, const ReadOptions& opts);
Result<std::unique_ptr<TableReader>> OpenCsv(std::string_view bytes, const ReadOptions& opts);

// True when the zip in `bytes` holds a workbook (xl/workbook.xml or the
// officeDocument of _rels/.rels); "file_corrupt" when the zip cannot be opened.
Result<bool> ZipHoldsWorkbook(std::string_view bytes);

}  // namespace dd::import

// Spreadsheet readers for lead intake: .xlsx (streaming), .xls (FreeXL) and
// .csv/.txt/.tsv (RFC 4180, encoding and delimiter detected), behind one
// row-by-row interface.
//
// Contract
//  - The upload is held in memory by the caller and passed as `bytes`; it must
//    outlive the reader. Nothing is ever written to a named file (legacy .xls
//    goes through an anonymous in-memory temporary file, see xls_reader.cpp).
//  - Hostile input never crashes and never throws: it gives an Error whose
//    `reason` is one of the codes below (each has a message in
//    i18n/import.<lang>.json). A reader that returned an error must not be
//    used further; the caller refuses the whole file.
//  - Cell text is UTF-8 and untrimmed. Numbers that are integral with
//    |x| < 1e15 come back as plain digits ("13812345678", also from
//    "1.3812345678E10"); other numbers in shortest round-trip form ("12.5");
//    booleans "TRUE"/"FALSE" (xls: "1"/"0", FreeXL reports them as integers);
//    dates as the file stores them (xlsx: serial number; xls:
//    "YYYY-MM-DD[ HH:MM:SS]" text from FreeXL).
//  - Empty rows between data rows are returned (as empty vectors); trailing
//    empty rows are not. xls: FreeXL does not expose sheet visibility, so ""
//    selects the first sheet even when it is hidden.
//
// Error reasons (Error::reason):
//   file_empty            the upload has no bytes
//   file_not_spreadsheet  not xlsx/xls/csv (PDF, image, executable, a zip that
//                         holds no workbook, binary bytes in a "csv")
//   file_corrupt          a truncated or damaged xlsx/xls (bad zip, bad XML,
//                         bad BIFF); args {detail} is not shown to users
//   file_encrypted        a password-protected workbook
//   zip_bomb              an xlsx entry inflates beyond max_inflated_bytes or
//                         beyond max_ratio times its compressed size
//   too_many_rows         more than max_rows data rows; args {limit}
//   sheet_not_found       the named sheet does not exist (or no sheet is
//                         visible); args {sheet}
//   file_encoding_unknown a csv that is neither UTF-8, UTF-16 nor GBK/GB18030
//   csv_unclosed_quote    a quoted csv field never ends; args {line}
//
// Thread-safety: the free functions are thread-safe; a TableReader is not
// (use one per thread), but distinct readers may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dd::import {

struct ReadOptions {
  uint64_t max_rows = 2'000'000;             // more data rows -> "too_many_rows"
  uint64_t max_inflated_bytes = 1ull << 30;  // zip bomb guards (xlsx), per entry
  uint64_t max_ratio = 200;                  // inflated/compressed, per entry
  std::string sheet;                         // xlsx/xls sheet name; "" = first visible
};

enum class Format { kXlsx, kXls, kCsv };

// Decides by magic bytes first (PK\3\4 zip holding a workbook -> xlsx;
// D0 CF 11 E0 OLE2 -> xls), then by extension (.csv/.txt/.tsv -> csv,
// case-insensitive). Anything else -> "file_not_spreadsheet"; a zip whose
// directory cannot be read -> "file_corrupt"; a password-protected (OLE2
// EncryptedPackage) xlsx -> "file_encrypted"; no bytes -> "file_empty".
Result<Format> DetectFormat(std::string_view bytes, std::string_view filename);

// One sheet, row by row. Not thread-safe.
class TableReader {
 public:
  virtual ~TableReader() = default;
  // Fills `cells` with the next row's cells as UTF-8 text
  // (cells.size() = index of last non-empty cell + 1; empty rows give an empty
  // vector but ARE returned, so callers can count them). Returns false at the
  // end. xlsx rows missing between two row numbers (r="3" then r="7") come
  // back as empty rows, so row k of the reader is row k of the sheet.
  virtual Result<bool> Next(std::vector<std::string>& cells) = 0;
};

// Detects the format and opens the sheet. `bytes` must outlive the reader.
// Errors are those of DetectFormat plus the ones of the chosen reader that
// can be seen at open (file_corrupt, zip_bomb, sheet_not_found, ...).
Result<std::unique_ptr<TableReader>> OpenTable(std::string_view bytes, std::string_view filename,
                                               const ReadOptions& opts = {});

}  // namespace dd::import

// CSV/TSV/TXT reader (RFC 4180) over an upload held in memory.
//
// - Encoding: see encoding.hpp (UTF-8 with/without BOM, UTF-16 LE/BE, GBK,
//   GB18030). UTF-8 input is read in place; other encodings are converted to
//   one UTF-8 copy in memory.
// - Delimiter: an Excel "sep=X" first line decides (and is skipped); else
//   sniffed from the first 20 lines among comma, semicolon, tab and pipe: the
//   one whose per-line count is the same on the most lines wins (ties: the
//   higher count, then that order).
// - Quoted fields may hold delimiters, "" escapes and newlines; text after a
//   closing quote is kept (lenient). Line endings \n, \r\n and \r.
// - Empty lines in the middle are returned as empty rows; trailing empty
//   lines are not returned.
// Not thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "core/result.hpp"
#include "import/table_reader.hpp"

namespace dd::import {

// Picks the delimiter for `text` (UTF-8). Sets *skip to the length of an
// Excel "sep=X" line when there is one, else 0.
char SniffDelimiter(std::string_view text, size_t* skip);

}  // namespace dd::import

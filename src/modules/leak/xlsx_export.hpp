// A one-sheet xlsx workbook with a watermark, built without touching the disk:
// libxlsxwriter writes the finished file into an anonymous memory file
// (memfd_create) and its row buffers into a private folder in /dev/shm that
// is removed when the writer is destroyed. Rows are streamed in order
// (constant-memory mode), so a large export does not sit in memory twice.
//
// Not thread-safe: one writer per export.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

typedef struct lxw_workbook lxw_workbook;
typedef struct lxw_worksheet lxw_worksheet;

namespace dd::leak {

// Who exported and when, carried inside the file in several places: the
// document properties (author, title, comments, keywords), custom properties,
// the first row of the sheet, and the printed page header and footer.
struct Watermark {
  std::string title;
  std::string author;
  std::string comments;
  std::string keywords;
  std::string banner;  // the sheet's first row
  std::string header;  // printed page header (plain text; '&' is escaped)
  std::string footer;  // printed page footer
  std::vector<std::pair<std::string, std::string>> custom;
};

class XlsxExport {
 public:
  // Opens a workbook whose first row is `wm.banner` and second row `columns`.
  static Result<std::unique_ptr<XlsxExport>> Create(const Watermark& wm,
                                                    const std::string& sheet_name,
                                                    const std::vector<std::string>& columns);
  ~XlsxExport();
  XlsxExport(const XlsxExport&) = delete;
  XlsxExport& operator=(const XlsxExport&) = delete;

  // Appends one data row (cells as text).
  void AddRow(const std::vector<std::string>& cells);
  // Closes the workbook and returns its bytes. Call once.
  Result<std::string> Finish();

 private:
  XlsxExport() = default;
  int fd_ = -1;      // the memfd holding the output
  std::string dir_;  // private temp folder in /dev/shm
  lxw_workbook* wb_ = nullptr;
  lxw_worksheet* ws_ = nullptr;
  uint32_t next_row_ = 0;
  std::string tmpdir_buf_;  // keeps the tmpdir C string alive
};

}  // namespace dd::leak

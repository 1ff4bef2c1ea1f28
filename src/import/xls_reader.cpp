// Legacy .xls reader on FreeXL 1.0.6.
//
// FreeXL only opens by path. The upload is therefore written to an anonymous
// temporary file: O_TMPFILE in /dev/shm (RAM) when possible, else a mkstemp
// file in $TMPDIR or /tmp that is unlinked right after creation, before any
// byte is written. FreeXL opens it through /proc/self/fd/N, so the file never
// has a name while it holds data. FreeXL parses the whole workbook into memory
// at open; right after that the file is overwritten with zeros and closed.
//
// FreeXL does not expose sheet visibility: "" selects the first sheet.

#include <fcntl.h>
#include <freexl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "import/reader_internal.hpp"

namespace dd::import {
namespace {

// An anonymous temporary file holding a copy of the upload; scrubbed (zeroed)
// and closed on destruction.
class AnonymousFile {
 public:
  AnonymousFile() = default;
  AnonymousFile(const AnonymousFile&) = delete;
  AnonymousFile& operator=(const AnonymousFile&) = delete;
  ~AnonymousFile() { Scrub(); }

  Status Create(std::string_view bytes) {
    fd_ = open("/dev/shm", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      const char* tmp = getenv("TMPDIR");
      std::string dir = tmp && *tmp ? tmp : "/tmp";
      fd_ = open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
      if (fd_ < 0) {
        std::string templ = dir + "/dialdeck-xls-XXXXXX";
        fd_ = mkostemp(templ.data(), O_CLOEXEC);
        if (fd_ < 0) return InternalError("cannot create a temporary file for .xls");
        unlink(templ.c_str());  // nameless before it holds any data
      }
    }
    size_ = bytes.size();
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return InternalError("cannot write the temporary .xls file");
      done += static_cast<size_t>(n);
    }
    return {};
  }

  std::string Path() const { return "/proc/self/fd/" + std::to_string(fd_); }

  // Overwrites the content with zeros and closes the file.
  void Scrub() {
    if (fd_ < 0) return;
    static const char kZeros[64 * 1024] = {};
    size_t done = 0;
    while (done < size_) {
      size_t n = std::min(sizeof kZeros, size_ - done);
      ssize_t w = pwrite(fd_, kZeros, n, static_cast<off_t>(done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
    if (ftruncate(fd_, 0) != 0) {
      // Nothing more to do: the file is nameless and is released at close.
    }
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  size_t size_ = 0;
};

class XlsReader final : public TableReader {
 public:
  XlsReader(const void* handle, uint32_t rows, uint16_t cols, const ReadOptions& opts)
      : handle_(handle), rows_(rows), cols_(cols), seq_(opts.max_rows) {}
  ~XlsReader() override { freexl_close(handle_); }

  Result<bool> Next(std::vector<std::string>& cells) override {
    return seq_.Next(cells, [this](std::vector<std::string>& c) -> Result<bool> {
      if (row_ >= rows_) return false;
      DD_RETURN_IF_ERROR(ReadRow(row_++, c));
      return true;
    });
  }

 private:
  Status ReadRow(uint32_t row, std::vector<std::string>& cells) {
    for (uint16_t col = 0; col < cols_; ++col) {
      FreeXL_CellValue v;
      int rc = freexl_get_cell_value(handle_, row, col, &v);
      if (rc != FREEXL_OK) return FileCorrupt("freexl cell " + std::to_string(rc));
      std::string text;
      switch (v.type) {
        case FREEXL_CELL_INT: text = std::to_string(v.value.int_value); break;
        case FREEXL_CELL_DOUBLE: text = DoubleText(v.value.double_value); break;
        case FREEXL_CELL_TEXT:
        case FREEXL_CELL_SST_TEXT:
        case FREEXL_CELL_DATE:
        case FREEXL_CELL_DATETIME:
        case FREEXL_CELL_TIME:
          if (v.value.text_value != nullptr) text = v.value.text_value;
          break;
        default: break;
      }
      if (text.empty()) continue;
      if (cells.size() <= col) cells.resize(col + 1);
      cells[col] = std::move(text);
    }
    return {};
  }

  const void* handle_;
  uint32_t rows_;
  uint16_t cols_;
  uint32_t row_ = 0;
  RowSequence seq_;
};

// Reads the little-endian uint32 at `at`; false when the 4 bytes are not all
// inside `b` (checked without overflow: `at` may be any value).
bool LoadU32(std::string_view b, uint64_t at, uint32_t* v) {
  if (b.size() < 4 || at > b.size() - 4) return false;
  std::memcpy(v, b.data() + at, 4);
  return true;
}

// FreeXL reads a truncated compound file without complaint; refuse it here:
// every sector the FAT marks as used must lie inside the file. FreeXL 1.0.6
// also trusts the name length of the directory entries it scans (the first
// directory sector) and converts that many bytes from the 64-byte name field:
// a length over 64 is refused here.
Status CheckCompoundFile(std::string_view b) {
  if (b.size() < 512) return FileCorrupt("OLE2 header truncated");
  uint16_t shift;
  std::memcpy(&shift, b.data() + 30, 2);
  if (shift != 9 && shift != 12) return FileCorrupt("OLE2 sector size");
  const uint64_t ss = uint64_t{1} << shift;
  // The header takes the whole first sector (4096 bytes for version 4 files).
  if (b.size() < ss) return FileCorrupt("OLE2 header truncated");
  const uint64_t sectors = b.size() / ss - 1;
  uint32_t fat_sectors = 0;
  if (!LoadU32(b, 44, &fat_sectors)) return FileCorrupt("OLE2 header truncated");
  const uint32_t in_header = std::min<uint32_t>(fat_sectors, 109);
  for (uint32_t i = 0; i < in_header; ++i) {
    uint32_t fs = 0;
    if (!LoadU32(b, 76 + uint64_t{4} * i, &fs)) return FileCorrupt("OLE2 header truncated");
    if (fs >= sectors) return FileCorrupt("OLE2 FAT sector beyond the end");
    const uint64_t base = (uint64_t{fs} + 1) * ss;  // fs < sectors <= size / 512: no overflow
    for (uint64_t j = 0; j < ss / 4; ++j) {
      uint32_t v = 0;
      if (!LoadU32(b, base + 4 * j, &v)) return FileCorrupt("OLE2 FAT sector beyond the end");
      uint64_t k = uint64_t{i} * (ss / 4) + j;  // the sector this entry describes
      if (v != 0xFFFFFFFF && k >= sectors) return FileCorrupt("OLE2 file truncated");
    }
  }
  uint32_t dir = 0;
  if (!LoadU32(b, 48, &dir)) return FileCorrupt("OLE2 header truncated");
  if (dir >= sectors) return FileCorrupt("OLE2 directory beyond the end");
  const uint64_t dir_at = (uint64_t{dir} + 1) * ss;  // dir < sectors: inside the file
  for (uint64_t e = 0; e < ss / 128; ++e) {
    uint16_t name_size;
    std::memcpy(&name_size, b.data() + dir_at + 128 * e + 64, 2);
    if (name_size > 64) return FileCorrupt("OLE2 directory entry name too long");
  }
  return {};
}

Error FreexlError(int rc) {
  switch (rc) {
    case FREEXL_INSUFFICIENT_MEMORY: return InternalError("freexl: out of memory");
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND: return NotSpreadsheet("OLE2 file without a workbook");
    default: return FileCorrupt("freexl error " + std::to_string(rc));
  }
}

}  // namespace

Result<std::unique_ptr<TableReader>> OpenXls(std::string_view bytes, const ReadOptions& opts) {
  DD_RETURN_IF_ERROR(CheckCompoundFile(bytes));
  const void* handle = nullptr;
  int rc;
  {
    AnonymousFile file;
    DD_RETURN_IF_ERROR(file.Create(bytes));
    rc = freexl_open(file.Path().c_str(), &handle);
  }  // scrubbed and closed here: FreeXL holds the parsed workbook in memory
  if (rc != FREEXL_OK) {
    if (handle != nullptr) freexl_close(handle);
    return FreexlError(rc);
  }
  struct Closer {
    const void* h;
    ~Closer() {
      if (h != nullptr) freexl_close(h);
    }
  } closer{handle};

  unsigned int info = 0;
  if (freexl_get_info(handle, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
      info == FREEXL_BIFF_OBFUSCATED) {
    return FileEncrypted();
  }
  unsigned int count = 0;
  if (freexl_get_info(handle, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK || count == 0) {
    return SheetNotFound(opts.sheet);
  }
  int index = -1;
  for (unsigned int i = 0; i < count; ++i) {
    const char* name = nullptr;
    if (freexl_get_worksheet_name(handle, static_cast<unsigned short>(i), &name) != FREEXL_OK) {
      continue;
    }
    std::string copy = name ? name : "";  // later calls invalidate `name`
    if (opts.sheet.empty() || copy == opts.sheet) {
      index = static_cast<int>(i);
      break;
    }
  }
  if (index < 0) return SheetNotFound(opts.sheet);
  if ((rc = freexl_select_active_worksheet(handle, static_cast<unsigned short>(index))) !=
      FREEXL_OK) {
    return FreexlError(rc);
  }
  unsigned int rows = 0;
  unsigned short cols = 0;
  if ((rc = freexl_worksheet_dimensions(handle, &rows, &cols)) != FREEXL_OK) {
    return FreexlError(rc);
  }
  closer.h = nullptr;
  return std::unique_ptr<TableReader>(std::make_unique<XlsReader>(handle, rows, cols, opts));
}

}  // namespace dd::import

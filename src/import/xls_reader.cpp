// Legacy .xls reader on FreeXL 1.0.6, parsed in a separate process.
//
// FreeXL has known memory-safety bugs reachable by crafted files (e.g. a
// shared-strings heap over-read). So the server never runs it in its own
// address space: OpenXls starts the small helper executable `dialdeck-xls`
// (beside the dialdeck binary, or DIALDECK_XLS_WORKER), hands it the upload
// through a memfd (RAM, no name) and reads rows back over a pipe. A crash, a
// hang (the helper limits its own CPU time and memory) or an over-read there
// can reach nothing but the uploaded file itself.
//
// In the helper, FreeXL only opens by path: it opens /proc/self/fd/0. FreeXL
// parses the whole workbook into memory at open; right after that the memfd
// is overwritten with zeros.
//
// FreeXL does not expose sheet visibility: "" selects the first sheet.
//
// Frames from the helper (integers little-endian uint32):
//   'O'                          opened
//   'R' n (len bytes){n}         a row of n cells
//   'E' code reason internal m (key value){m}   an error (strings: len bytes)
//   'D'                          done

#include <fcntl.h>
#include <freexl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
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
    ScrubFd(fd_, size_);
    close(fd_);
    fd_ = -1;
  }

  // Overwrites the first `size` bytes of `fd` with zeros and truncates it.
  static void ScrubFd(int fd, size_t size) {
    static const char kZeros[64 * 1024] = {};
    size_t done = 0;
    while (done < size) {
      size_t n = std::min(sizeof kZeros, size - done);
      ssize_t w = pwrite(fd, kZeros, n, static_cast<off_t>(done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
    if (ftruncate(fd, 0) != 0) {
      // Nothing more to do: the file is nameless and is released at close.
    }
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

Result<std::unique_ptr<TableReader>> OpenXlsInProcess(std::string_view bytes,
                                                      const ReadOptions& opts, int source_fd) {
  DD_RETURN_IF_ERROR(CheckCompoundFile(bytes));
  const void* handle = nullptr;
  int rc;
  if (source_fd >= 0) {
    rc = freexl_open(("/proc/self/fd/" + std::to_string(source_fd)).c_str(), &handle);
  } else {
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

namespace {

// ---- frames

void PutU32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
void PutStr(std::string& out, std::string_view v) {
  PutU32(out, static_cast<uint32_t>(v.size()));
  out.append(v);
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ErrorFrame(const Error& e) {
  std::string f = "E";
  PutU32(f, static_cast<uint32_t>(e.code));
  PutStr(f, e.reason);
  PutStr(f, e.internal);
  PutU32(f, static_cast<uint32_t>(e.args.size()));
  for (const auto& [k, v] : e.args) {
    PutStr(f, k);
    PutStr(f, v);
  }
  return f;
}

// Buffered reading of the helper's frames.
class FrameReader {
 public:
  explicit FrameReader(int fd) : fd_(fd) {}
  // False at the end of the stream (the helper exited or died).
  bool Byte(char* c) {
    if (!Fill(1)) return false;
    *c = buf_[pos_++];
    return true;
  }
  bool U32(uint32_t* v) {
    if (!Fill(4)) return false;
    std::memcpy(v, buf_.data() + pos_, 4);
    pos_ += 4;
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n = 0;
    if (!U32(&n) || n > (64u << 20) || !Fill(n)) return false;
    s->assign(buf_.data() + pos_, n);
    pos_ += n;
    return true;
  }

 private:
  bool Fill(size_t n) {
    if (buf_.size() - pos_ >= n) return true;
    buf_.erase(0, pos_);
    pos_ = 0;
    char tmp[64 * 1024];
    while (buf_.size() < n) {
      ssize_t r = ::read(fd_, tmp, sizeof tmp);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(r));
    }
    return true;
  }
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

// The rows of a sheet parsed by the helper process.
class XlsWorkerReader final : public TableReader {
 public:
  XlsWorkerReader(pid_t pid, int fd) : pid_(pid), fd_(fd), in_(fd) {}
  ~XlsWorkerReader() override {
    ::close(fd_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }

  // The first frame: 'O' or an error.
  Status Opened() {
    char tag = 0;
    if (!in_.Byte(&tag)) return Died();
    if (tag == 'O') return {};
    if (tag == 'E') return ReadError();
    return FileCorrupt("xls helper: bad frame");
  }

  Result<bool> Next(std::vector<std::string>& cells) override {
    cells.clear();
    if (done_) return false;
    char tag = 0;
    if (!in_.Byte(&tag)) return Died();
    switch (tag) {
      case 'R': {
        uint32_t n = 0;
        if (!in_.U32(&n) || n > 65536) return Died();
        cells.resize(n);
        for (auto& c : cells)
          if (!in_.Str(&c)) return Died();
        return true;
      }
      case 'D': done_ = true; return false;
      case 'E': return ReadError();
      default: return FileCorrupt("xls helper: bad frame");
    }
  }

 private:
  Error ReadError() {
    uint32_t code = 0, nargs = 0;
    Error e;
    if (!in_.U32(&code) || !in_.Str(&e.reason) || !in_.Str(&e.internal) || !in_.U32(&nargs) ||
        code > static_cast<uint32_t>(ErrorCode::kInternal) || nargs > 16) {
      return Died();
    }
    e.code = static_cast<ErrorCode>(code);
    for (uint32_t i = 0; i < nargs; ++i) {
      std::string k, v;
      if (!in_.Str(&k) || !in_.Str(&v)) return Died();
      e.args[k] = v;
    }
    done_ = true;
    return e;
  }
  // The helper ended without a last frame: it crashed or hit its limits.
  Error Died() {
    done_ = true;
    int st = 0;
    pid_t r = -1;
    while ((r = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
    }
    if (r == pid_) pid_ = -1;
    std::string how = r == -1           ? "unknown"
                      : WIFSIGNALED(st) ? "signal " + std::to_string(WTERMSIG(st))
                                        : "exit " + std::to_string(WEXITSTATUS(st));
    return FileCorrupt("xls helper ended (" + how + ")");
  }

  pid_t pid_;
  int fd_;
  FrameReader in_;
  bool done_ = false;
};

std::string WorkerPath() {
  if (const char* p = std::getenv("DIALDECK_XLS_WORKER"); p && *p) return p;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "dialdeck-xls";
  return (self.parent_path() / "dialdeck-xls").string();
}

}  // namespace

Result<std::unique_ptr<TableReader>> OpenXls(std::string_view bytes, const ReadOptions& opts) {
  DD_RETURN_IF_ERROR(CheckCompoundFile(bytes));  // cheap refusals without a process
  int mem = ::memfd_create("dialdeck-xls", MFD_CLOEXEC);
  if (mem < 0) return InternalError("memfd_create failed");
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } mem_closer{mem};
  if (!WriteAll(mem, bytes) || ::lseek(mem, 0, SEEK_SET) != 0) {
    return InternalError("cannot fill the memfd for .xls");
  }
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return InternalError("pipe2 failed");
  FdCloser read_closer{pipefd[0]}, write_closer{pipefd[1]};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, mem, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  const std::string path = WorkerPath();
  std::string max_rows = std::to_string(opts.max_rows);
  std::vector<char*> argv = {const_cast<char*>("dialdeck-xls"), max_rows.data(),
                             const_cast<char*>(opts.sheet.c_str()), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return InternalError("cannot start " + path + ": " + std::strerror(rc));
  ::close(pipefd[1]);
  write_closer.fd = -1;
  read_closer.fd = -1;  // owned by the reader now
  auto reader = std::make_unique<XlsWorkerReader>(pid, pipefd[0]);
  DD_RETURN_IF_ERROR(reader->Opened());
  return std::unique_ptr<TableReader>(std::move(reader));
}

// The helper process: `dialdeck-xls MAX_ROWS SHEET` with the file on fd 0,
// frames on fd 1.
int XlsWorkerMain(int argc, char** argv) {
  // Nothing of the server's (sockets, database files) stays open in here.
  ::close_range(3, ~0U, 0);
  struct rlimit cpu {
    120, 125
  };
  ::setrlimit(RLIMIT_CPU, &cpu);
  struct rlimit as {
    2048ul << 20, 2048ul << 20
  };
  ::setrlimit(RLIMIT_AS, &as);
  ::signal(SIGPIPE, SIG_DFL);
  ReadOptions opts;
  if (argc >= 2) opts.max_rows = std::strtoull(argv[1], nullptr, 10);
  if (argc >= 3) opts.sheet = argv[2];
  std::string bytes;
  {
    char tmp[64 * 1024];
    for (;;) {
      ssize_t r = ::read(0, tmp, sizeof tmp);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return 2;
      if (r == 0) break;
      bytes.append(tmp, static_cast<size_t>(r));
    }
  }
  auto opened = OpenXlsInProcess(bytes, opts, 0);
  // FreeXL holds the parsed workbook now: scrub the copies of the file.
  std::fill(bytes.begin(), bytes.end(), '\0');
  { AnonymousFile::ScrubFd(0, bytes.size()); }
  if (!opened.ok()) return WriteAll(1, ErrorFrame(opened.error())) ? 0 : 2;
  if (!WriteAll(1, "O")) return 2;
  auto& reader = *opened;
  std::vector<std::string> cells;
  std::string out;
  for (;;) {
    auto more = reader->Next(cells);
    if (!more.ok()) {
      out += ErrorFrame(more.error());
      break;
    }
    if (!*more) {
      out += 'D';
      break;
    }
    out += 'R';
    PutU32(out, static_cast<uint32_t>(cells.size()));
    for (const auto& c : cells) PutStr(out, c);
    if (out.size() >= (256u << 10)) {
      if (!WriteAll(1, out)) return 2;
      out.clear();
    }
  }
  return WriteAll(1, out) ? 0 : 2;
}

}  // namespace dd::import

#include "modules/leak/xlsx_export.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <filesystem>

#include "core/crypto.hpp"

namespace dd::leak {
namespace {

// Header/footer text is a format string: '&' starts a code.
std::string HeaderText(const std::string& s) {
  std::string out = "&C";
  for (char c : s) {
    if (c == '&') out += '&';
    out += c;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<XlsxExport>> XlsxExport::Create(const Watermark& wm,
                                                       const std::string& sheet_name,
                                                       const std::vector<std::string>& columns) {
  std::unique_ptr<XlsxExport> x(new XlsxExport());
  // The output: an anonymous memory file, reached by libxlsxwriter (which only
  // opens paths) through /proc/self/fd.
  x->fd_ = ::memfd_create("dialdeck-export", MFD_CLOEXEC);
  if (x->fd_ < 0) return InternalError("memfd_create");
  const std::string out_path = "/proc/self/fd/" + std::to_string(x->fd_);
  // Row buffers: a private folder in memory-backed /dev/shm (else $TMPDIR);
  // libxlsxwriter unlinks its temp files as soon as it creates them.
  const std::string base = std::filesystem::exists("/dev/shm")
                               ? std::string("/dev/shm")
                               : std::filesystem::temp_directory_path().string();
  x->dir_ = base + "/dialdeck-export-" + crypto::RandomToken(12);
  if (::mkdir(x->dir_.c_str(), 0700) != 0) {
    x->dir_.clear();
    return InternalError("mkdir export tmpdir");
  }
  x->tmpdir_buf_ = x->dir_;
  lxw_workbook_options opts = {};
  opts.constant_memory = LXW_TRUE;
  opts.tmpdir = x->tmpdir_buf_.data();
  x->wb_ = workbook_new_opt(out_path.c_str(), &opts);
  if (!x->wb_) return InternalError("xlsx writer");

  lxw_doc_properties props = {};
  props.title = const_cast<char*>(wm.title.c_str());
  props.author = const_cast<char*>(wm.author.c_str());
  props.comments = const_cast<char*>(wm.comments.c_str());
  props.keywords = const_cast<char*>(wm.keywords.c_str());
  props.company = const_cast<char*>("Dialdeck");
  workbook_set_properties(x->wb_, &props);
  for (const auto& [k, v] : wm.custom) {
    workbook_set_custom_property_string(x->wb_, k.c_str(), v.c_str());
  }
  x->ws_ = workbook_add_worksheet(x->wb_, sheet_name.empty() ? nullptr : sheet_name.c_str());
  if (!x->ws_) return InternalError("xlsx worksheet");
  if (!wm.header.empty()) worksheet_set_header(x->ws_, HeaderText(wm.header).c_str());
  if (!wm.footer.empty()) worksheet_set_footer(x->ws_, HeaderText(wm.footer).c_str());
  worksheet_set_column(x->ws_, 0, static_cast<lxw_col_t>(columns.empty() ? 0 : columns.size() - 1),
                       16, nullptr);
  worksheet_write_string(x->ws_, 0, 0, wm.banner.c_str(), nullptr);
  x->next_row_ = 1;
  x->AddRow(columns);
  return x;
}

void XlsxExport::AddRow(const std::vector<std::string>& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    if (cells[c].empty()) continue;
    worksheet_write_string(ws_, next_row_, static_cast<lxw_col_t>(c), cells[c].c_str(), nullptr);
  }
  ++next_row_;
}

Result<std::string> XlsxExport::Finish() {
  if (!wb_) return InternalError("xlsx finished twice");
  lxw_error err = workbook_close(wb_);
  wb_ = nullptr;
  ws_ = nullptr;
  if (err != LXW_NO_ERROR) return InternalError(std::string("xlsx: ") + lxw_strerror(err));
  struct stat st = {};
  if (::fstat(fd_, &st) != 0) return InternalError("fstat export");
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n <= 0) return InternalError("read export");
    done += static_cast<size_t>(n);
  }
  return out;
}

XlsxExport::~XlsxExport() {
  if (wb_) {
    // Never finished (an error on the way): close to free it; the output is
    // dropped with the memfd.
    workbook_close(wb_);
  }
  if (fd_ >= 0) ::close(fd_);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace dd::leak

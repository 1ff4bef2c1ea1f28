// .xlsx reader: libzip over the upload in memory + expat SAX in 64 KB chunks.
//
// Only the sheet XML is streamed (never held whole); the shared strings table
// is loaded into memory at open. Every zip entry read is guarded against
// zip bombs: the declared size and ratio are checked before inflating, and
// the bytes actually inflated are counted while reading (headers can lie).
// Rows missing between two row numbers come back as empty rows; trailing
// empty rows (e.g. formatted but blank) are not returned.

#include <expat.h>
#include <zip.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "import/reader_internal.hpp"

namespace dd::import {
namespace {

constexpr size_t kChunk = 64 * 1024;
// The ratio guard applies once an entry has inflated past this many bytes:
// small, very repetitive entries (styles, empty sheets) compress well and are
// harmless.
constexpr uint64_t kRatioFloor = 1 << 20;
constexpr uint32_t kMaxColumns = 16384;  // Excel's limit (XFD)

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;
using ZipFilePtr = std::unique_ptr<zip_file_t, ZipFileClose>;
using ParserPtr = std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserFree>;

Result<ZipPtr> OpenZip(std::string_view bytes) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &ze);
  if (src == nullptr) {
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return FileCorrupt("zip source: " + why);
  }
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &ze);
  if (z == nullptr) {
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    zip_source_free(src);
    return FileCorrupt("zip open: " + why);
  }
  zip_error_fini(&ze);
  return ZipPtr(z);
}

std::optional<zip_uint64_t> Locate(zip_t* z, const std::string& name) {
  zip_int64_t i = zip_name_locate(z, name.c_str(), 0);
  if (i < 0) i = zip_name_locate(z, name.c_str(), ZIP_FL_NOCASE);
  if (i < 0) return std::nullopt;
  return static_cast<zip_uint64_t>(i);
}

// One zip entry being inflated, with the zip bomb guards.
class EntryStream {
 public:
  static Result<EntryStream> Open(zip_t* z, zip_uint64_t index, const ReadOptions& opts) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, index, 0, &st) != 0) return FileCorrupt("zip stat");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
      return FileEncrypted();
    }
    EntryStream s;
    s.max_bytes_ = opts.max_inflated_bytes;
    s.max_ratio_ = opts.max_ratio;
    s.compressed_ = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    if (st.valid & ZIP_STAT_SIZE) {
      DD_RETURN_IF_ERROR(s.Check(st.size, "declared"));
    }
    zip_file_t* f = zip_fopen_index(z, index, 0);
    if (f == nullptr) return FileCorrupt(std::string("zip fopen: ") + zip_strerror(z));
    s.file_.reset(f);
    return s;
  }

  // Reads up to `n` inflated bytes; 0 at the end of the entry.
  Result<size_t> Read(void* buf, size_t n) {
    zip_int64_t got = zip_fread(file_.get(), buf, n);
    if (got < 0) return FileCorrupt(std::string("zip read: ") + zip_file_strerror(file_.get()));
    total_ += static_cast<uint64_t>(got);
    DD_RETURN_IF_ERROR(Check(total_, "inflated"));
    return static_cast<size_t>(got);
  }

 private:
  Status Check(uint64_t size, const char* what) const {
    if (size > max_bytes_) {
      return ZipBomb(std::string(what) + " size " + std::to_string(size) + " > limit");
    }
    uint64_t c = std::max<uint64_t>(compressed_, 1);
    if (size > kRatioFloor && size / c >= max_ratio_ && size > c * max_ratio_) {
      return ZipBomb(std::string(what) + " ratio " + std::to_string(size / c) + " > limit");
    }
    return {};
  }

  ZipFilePtr file_;
  uint64_t total_ = 0;
  uint64_t compressed_ = 0;
  uint64_t max_bytes_ = 0;
  uint64_t max_ratio_ = 0;
};

// "uri local" (XML_ParserCreateNS with ' ') -> "local".
std::string_view LocalName(const XML_Char* name) {
  const char* sp = std::strrchr(name, ' ');
  return sp ? std::string_view(sp + 1) : std::string_view(name);
}

// The value of the attribute whose local name is `local`, or nullptr.
const XML_Char* Attr(const XML_Char** atts, std::string_view local) {
  for (int i = 0; atts[i] != nullptr; i += 2) {
    if (LocalName(atts[i]) == local) return atts[i + 1];
  }
  return nullptr;
}

// Base of SAX handlers: an error raised from a callback stops the parser.
struct SaxContext {
  XML_Parser parser = nullptr;
  std::optional<Error> error;
  void Fail(Error e) {
    if (!error) error = std::move(e);
    XML_StopParser(parser, XML_FALSE);
  }
};

void XMLCALL RefuseDoctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<SaxContext*>(ud)->Fail(FileCorrupt("DOCTYPE in OOXML"));
}

ParserPtr NewParser(SaxContext* ctx) {
  XML_Parser p = XML_ParserCreateNS(nullptr, ' ');
  if (p == nullptr) return nullptr;
  ctx->parser = p;
  XML_SetUserData(p, ctx);
  XML_SetStartDoctypeDeclHandler(p, RefuseDoctype);
  return ParserPtr(p);
}

// Feeds one chunk from `in` to `p`. Sets *done at the end of the entry.
Status PumpChunk(EntryStream& in, XML_Parser p, SaxContext& ctx, bool* done) {
  void* buf = XML_GetBuffer(p, kChunk);
  if (buf == nullptr) return InternalError("XML_GetBuffer failed");
  DD_ASSIGN_OR_RETURN(size_t n, in.Read(buf, kChunk));
  *done = n == 0;
  if (XML_ParseBuffer(p, static_cast<int>(n), *done) == XML_STATUS_ERROR) {
    if (ctx.error) return *ctx.error;
    return FileCorrupt(std::string("xml: ") + XML_ErrorString(XML_GetErrorCode(p)));
  }
  if (ctx.error) return *ctx.error;
  return {};
}

// Parses a whole entry with the handlers already set on `p`.
Status ParseEntry(zip_t* z, zip_uint64_t index, const ReadOptions& opts, XML_Parser p,
                  SaxContext& ctx) {
  DD_ASSIGN_OR_RETURN(EntryStream in, EntryStream::Open(z, index, opts));
  bool done = false;
  while (!done) DD_RETURN_IF_ERROR(PumpChunk(in, p, ctx, &done));
  return {};
}

// Decodes OOXML's "_xHHHH_" escapes (e.g. _x000D_ for a carriage return).
void DecodeEscapes(std::string& s) {
  if (s.find("_x") == std::string::npos) return;
  auto hex4 = [&](size_t i, uint32_t* v) {
    if (i + 7 > s.size() || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_') return false;
    auto [p, ec] = std::from_chars(s.data() + i + 2, s.data() + i + 6, *v, 16);
    return ec == std::errc() && p == s.data() + i + 6;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    if (!hex4(i, &cp)) {
      out.push_back(s[i++]);
      continue;
    }
    i += 7;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo;
      if (hex4(i, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 7;
      } else {
        cp = 0xFFFD;
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  s.swap(out);
}

// ---- Relationships (_rels/*.rels) ----

struct Relationship {
  std::string target, type;
};

struct RelsContext : SaxContext {
  std::map<std::string, Relationship> by_id;
};

void XMLCALL RelsStart(void* ud, const XML_Char* name, const XML_Char** atts) {
  auto* ctx = static_cast<RelsContext*>(ud);
  if (LocalName(name) != "Relationship") return;
  const char* id = Attr(atts, "Id");
  const char* target = Attr(atts, "Target");
  const char* type = Attr(atts, "Type");
  const char* mode = Attr(atts, "TargetMode");
  if (id == nullptr || target == nullptr) return;
  if (mode != nullptr && std::string_view(mode) == "External") return;
  ctx->by_id[id] = Relationship{target, type ? type : ""};
}

Result<std::map<std::string, Relationship>> ReadRels(zip_t* z, zip_uint64_t index,
                                                     const ReadOptions& opts) {
  RelsContext ctx;
  ParserPtr p = NewParser(&ctx);
  if (!p) return InternalError("XML_ParserCreateNS failed");
  XML_SetStartElementHandler(p.get(), RelsStart);
  DD_RETURN_IF_ERROR(ParseEntry(z, index, opts, p.get(), ctx));
  return std::move(ctx.by_id);
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// Resolves a relationship target against the folder of its source part.
std::string ResolveTarget(const std::string& base_dir, const std::string& target) {
  std::string joined = !target.empty() && target[0] == '/' ? target.substr(1) : base_dir + target;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t slash = joined.find('/', start);
    if (slash == std::string::npos) slash = joined.size();
    std::string part = joined.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    start = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out.push_back('/');
    out += p;
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The workbook part: the officeDocument of _rels/.rels, else xl/workbook.xml.
Result<std::string> WorkbookPath(zip_t* z, const ReadOptions& opts) {
  if (auto root = Locate(z, "_rels/.rels")) {
    DD_ASSIGN_OR_RETURN(auto rels, ReadRels(z, *root, opts));
    for (const auto& [id, rel] : rels) {
      if (EndsWith(rel.type, "/officeDocument")) return ResolveTarget("", rel.target);
    }
  }
  return std::string("xl/workbook.xml");
}

// ---- Workbook (xl/workbook.xml) ----

struct SheetEntry {
  std::string name, state, rel_id;
};

struct WorkbookContext : SaxContext {
  std::vector<SheetEntry> sheets;
};

void XMLCALL WorkbookStart(void* ud, const XML_Char* name, const XML_Char** atts) {
  auto* ctx = static_cast<WorkbookContext*>(ud);
  if (LocalName(name) != "sheet") return;
  const char* n = Attr(atts, "name");
  const char* state = Attr(atts, "state");
  const char* id = Attr(atts, "id");  // r:id
  ctx->sheets.push_back(SheetEntry{n ? n : "", state ? state : "", id ? id : ""});
}

// ---- Shared strings ----

struct SharedStringsContext : SaxContext {
  std::vector<std::string> strings;
  std::string current;
  int in_si = 0, in_t = 0, in_rph = 0;
};

void XMLCALL SstStart(void* ud, const XML_Char* name, const XML_Char** atts) {
  auto* ctx = static_cast<SharedStringsContext*>(ud);
  std::string_view local = LocalName(name);
  if (local == "si") {
    ctx->in_si = 1;
    ctx->current.clear();
  } else if (local == "t") {
    ++ctx->in_t;
  } else if (local == "rPh") {
    ++ctx->in_rph;
  } else if (local == "sst") {
    if (const char* u = Attr(atts, "uniqueCount")) {
      unsigned long long n = std::strtoull(u, nullptr, 10);
      ctx->strings.reserve(static_cast<size_t>(std::min<unsigned long long>(n, 1 << 20)));
    }
  }
}

void XMLCALL SstEnd(void* ud, const XML_Char* name) {
  auto* ctx = static_cast<SharedStringsContext*>(ud);
  std::string_view local = LocalName(name);
  if (local == "si") {
    DecodeEscapes(ctx->current);
    ctx->strings.push_back(std::move(ctx->current));
    ctx->current.clear();
    ctx->in_si = 0;
  } else if (local == "t") {
    if (ctx->in_t > 0) --ctx->in_t;
  } else if (local == "rPh") {
    if (ctx->in_rph > 0) --ctx->in_rph;
  }
}

void XMLCALL SstText(void* ud, const XML_Char* s, int len) {
  auto* ctx = static_cast<SharedStringsContext*>(ud);
  if (ctx->in_si && ctx->in_t > 0 && ctx->in_rph == 0) ctx->current.append(s, len);
}

// ---- The sheet reader ----

class XlsxReader final : public TableReader, private SaxContext {
 public:
  XlsxReader(ZipPtr zip, EntryStream sheet, std::vector<std::string> shared, ParserPtr parser,
             const ReadOptions& opts)
      : zip_(std::move(zip)),
        sheet_(std::move(sheet)),
        shared_(std::move(shared)),
        parser_(std::move(parser)),
        max_rows_(opts.max_rows) {}

  static Result<std::unique_ptr<TableReader>> Create(ZipPtr zip, EntryStream sheet,
                                                     std::vector<std::string> shared,
                                                     const ReadOptions& opts) {
    std::unique_ptr<XlsxReader> r(
        new XlsxReader(std::move(zip), std::move(sheet), std::move(shared), nullptr, opts));
    r->parser_ = NewParser(r.get());
    if (!r->parser_) return InternalError("XML_ParserCreateNS failed");
    XML_SetElementHandler(r->parser_.get(), &XlsxReader::Start, &XlsxReader::End);
    XML_SetCharacterDataHandler(r->parser_.get(), &XlsxReader::Text);
    return std::unique_ptr<TableReader>(std::move(r));
  }

  Result<bool> Next(std::vector<std::string>& cells) override {
    for (;;) {
      if (!rows_.empty()) {
        Row& front = rows_.front();
        if (front.empty_before > 0) {
          --front.empty_before;
          cells.clear();
        } else {
          cells.swap(front.cells);
          rows_.pop_front();
        }
        return true;
      }
      if (final_error_) return *final_error_;
      if (done_) return false;
      auto s = PumpChunk(sheet_, parser_.get(), *this, &done_);
      if (!s.ok()) final_error_ = std::move(s).error();
    }
  }

 private:
  struct Row {
    uint64_t empty_before = 0;  // empty rows to return before `cells`
    std::vector<std::string> cells;
  };

  static XlsxReader* Self(void* ud) {
    return static_cast<XlsxReader*>(static_cast<SaxContext*>(ud));
  }

  static void XMLCALL Start(void* ud, const XML_Char* name, const XML_Char** atts) {
    XlsxReader* self = Self(ud);
    if (self->error) return;
    std::string_view local = LocalName(name);
    if (local.size() == 1) {
      switch (local[0]) {
        case 'c': return self->StartCell(atts);
        case 'v':
          if (self->in_cell_) self->in_v_ = true;
          return;
        case 't':
          if (self->in_is_) ++self->in_t_;
          return;
      }
    } else if (local == "row") {
      self->StartRow(atts);
    } else if (local == "is") {
      if (self->in_cell_) self->in_is_ = true;
    } else if (local == "rPh") {
      ++self->in_rph_;
    }
  }

  static void XMLCALL End(void* ud, const XML_Char* name) {
    XlsxReader* self = Self(ud);
    if (self->error) return;
    std::string_view local = LocalName(name);
    if (local.size() == 1) {
      switch (local[0]) {
        case 'c': return self->EndCell();
        case 'v': self->in_v_ = false; return;
        case 't':
          if (self->in_t_ > 0) --self->in_t_;
          return;
      }
    } else if (local == "row") {
      self->EndRow();
    } else if (local == "is") {
      self->in_is_ = false;
    } else if (local == "rPh") {
      if (self->in_rph_ > 0) --self->in_rph_;
    }
  }

  static void XMLCALL Text(void* ud, const XML_Char* s, int len) {
    XlsxReader* self = Self(ud);
    if (self->in_v_) {
      self->value_.append(s, len);
    } else if (self->in_is_ && self->in_t_ > 0 && self->in_rph_ == 0) {
      self->inline_.append(s, len);
    }
  }

  void StartRow(const XML_Char** atts) {
    if (row_number_ == UINT64_MAX) return Fail(FileCorrupt("row number overflow"));
    uint64_t number = row_number_ + 1;
    if (const char* r = Attr(atts, "r")) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(r, r + std::strlen(r), v);
      if (ec == std::errc() && v > row_number_) number = v;
    }
    gap_ = number - row_number_ - 1;
    row_number_ = number;
    in_row_ = true;
    next_col_ = 0;
    cur_.clear();
  }

  void EndRow() {
    if (!in_row_) return;
    in_row_ = false;
    if (cur_.empty()) {
      pending_empty_ = SatAdd(pending_empty_, SatAdd(gap_, 1));
      return;
    }
    uint64_t before = SatAdd(pending_empty_, gap_);
    pending_empty_ = 0;
    uint64_t room = max_rows_ - produced_;  // produced_ <= max_rows_ always
    if (before >= room) {
      // Queue the empty rows that still fit, then fail after them.
      if (room > 0) rows_.push_back(Row{room - 1, {}});
      produced_ = max_rows_;
      return Fail(TooManyRows(max_rows_));
    }
    produced_ += before + 1;
    rows_.push_back(Row{before, std::move(cur_)});
    cur_.clear();
  }

  static uint64_t SatAdd(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

  void StartCell(const XML_Char** atts) {
    in_cell_ = true;
    in_v_ = in_is_ = false;
    in_t_ = 0;
    value_.clear();
    inline_.clear();
    type_ = 'n';
    col_ = next_col_;
    for (int i = 0; atts[i] != nullptr; i += 2) {
      std::string_view an = LocalName(atts[i]);
      const char* v = atts[i + 1];
      if (an == "r") {
        uint32_t col = 0;
        const char* p = v;
        for (; *p; ++p) {
          char ch = *p;
          if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
          if (ch < 'A' || ch > 'Z') break;
          col = col * 26 + static_cast<uint32_t>(ch - 'A' + 1);
          if (col > kMaxColumns) break;
        }
        if (col > kMaxColumns) return Fail(FileCorrupt("column beyond XFD"));
        if (col > 0) col_ = col - 1;
      } else if (an == "t") {
        std::string_view t(v);
        if (t == "s")
          type_ = 's';
        else if (t == "inlineStr")
          type_ = 'i';
        else if (t == "b")
          type_ = 'b';
        else if (t == "str" || t == "e" || t == "d")
          type_ = 'x';
        else
          type_ = 'n';
      }
    }
    if (col_ >= kMaxColumns) return Fail(FileCorrupt("too many columns"));
  }

  void EndCell() {
    if (!in_cell_) return;
    in_cell_ = false;
    next_col_ = col_ + 1;
    std::string text;
    switch (type_) {
      case 's': {
        if (value_.empty()) break;
        uint64_t idx = 0;
        auto [p, ec] = std::from_chars(value_.data(), value_.data() + value_.size(), idx);
        if (ec != std::errc() || idx >= shared_.size()) {
          return Fail(FileCorrupt("shared string index out of range"));
        }
        text = shared_[idx];
        break;
      }
      case 'i':
        text = inline_.empty() ? std::move(value_) : std::move(inline_);
        DecodeEscapes(text);
        break;
      case 'b': text = value_ == "1" ? "TRUE" : value_ == "0" ? "FALSE" : std::move(value_); break;
      case 'x': text = std::move(value_); break;
      default: text = value_.empty() ? std::string() : NumberText(value_); break;
    }
    if (text.empty()) return;
    if (cur_.size() <= col_) cur_.resize(col_ + 1);
    cur_[col_] = std::move(text);
  }

  ZipPtr zip_;  // outlives sheet_
  EntryStream sheet_;
  std::vector<std::string> shared_;
  ParserPtr parser_;
  uint64_t max_rows_;

  std::deque<Row> rows_;  // parsed, not yet returned
  std::optional<Error> final_error_;
  bool done_ = false;
  uint64_t produced_ = 0;       // rows queued so far, counting empty ones
  uint64_t pending_empty_ = 0;  // empty rows not yet queued (dropped at the end)

  // SAX state.
  uint64_t row_number_ = 0;  // 1-based number of the current/last row
  uint64_t gap_ = 0;
  bool in_row_ = false, in_cell_ = false, in_v_ = false, in_is_ = false;
  int in_t_ = 0, in_rph_ = 0;
  uint32_t col_ = 0, next_col_ = 0;
  char type_ = 'n';
  std::string value_, inline_;
  std::vector<std::string> cur_;
};

}  // namespace

Result<bool> ZipHoldsWorkbook(std::string_view bytes) {
  DD_ASSIGN_OR_RETURN(ZipPtr zip, OpenZip(bytes));
  ReadOptions opts;
  DD_ASSIGN_OR_RETURN(std::string wb, WorkbookPath(zip.get(), opts));
  return Locate(zip.get(), wb).has_value();
}

Result<std::unique_ptr<TableReader>> OpenXlsx(std::string_view bytes, const ReadOptions& opts) {
  DD_ASSIGN_OR_RETURN(ZipPtr zip, OpenZip(bytes));
  zip_t* z = zip.get();
  DD_ASSIGN_OR_RETURN(std::string wb_path, WorkbookPath(z, opts));
  auto wb_index = Locate(z, wb_path);
  if (!wb_index) return NotSpreadsheet("no workbook part " + wb_path);

  WorkbookContext wb;
  {
    ParserPtr p = NewParser(&wb);
    if (!p) return InternalError("XML_ParserCreateNS failed");
    XML_SetStartElementHandler(p.get(), WorkbookStart);
    DD_RETURN_IF_ERROR(ParseEntry(z, *wb_index, opts, p.get(), wb));
  }
  std::string dir = DirOf(wb_path);
  std::string wb_rels = dir + "_rels/" + wb_path.substr(dir.size()) + ".rels";
  std::map<std::string, Relationship> rels;
  if (auto ri = Locate(z, wb_rels)) {
    DD_ASSIGN_OR_RETURN(rels, ReadRels(z, *ri, opts));
  }
  // By default the first visible worksheet (not a chart sheet); else by name.
  auto is_worksheet = [&](const SheetEntry& s) {
    auto it = rels.find(s.rel_id);
    return it == rels.end() || EndsWith(it->second.type, "/worksheet");
  };
  const SheetEntry* chosen = nullptr;
  for (const auto& s : wb.sheets) {
    if (opts.sheet.empty() ? (s.state != "hidden" && s.state != "veryHidden" && is_worksheet(s))
                           : s.name == opts.sheet) {
      chosen = &s;
      break;
    }
  }
  if (chosen == nullptr) return SheetNotFound(opts.sheet);
  std::string sheet_path, sst_path;
  if (auto it = rels.find(chosen->rel_id); it != rels.end()) {
    sheet_path = ResolveTarget(dir, it->second.target);
  }
  for (const auto& [id, rel] : rels) {
    if (EndsWith(rel.type, "/sharedStrings")) sst_path = ResolveTarget(dir, rel.target);
  }
  if (sst_path.empty()) sst_path = dir + "sharedStrings.xml";
  auto sheet_index = sheet_path.empty() ? std::nullopt : Locate(z, sheet_path);
  if (!sheet_index) return FileCorrupt("sheet part not found: " + sheet_path);

  std::vector<std::string> shared;
  if (auto si = Locate(z, sst_path)) {
    SharedStringsContext sst;
    ParserPtr p = NewParser(&sst);
    if (!p) return InternalError("XML_ParserCreateNS failed");
    XML_SetElementHandler(p.get(), SstStart, SstEnd);
    XML_SetCharacterDataHandler(p.get(), SstText);
    DD_RETURN_IF_ERROR(ParseEntry(z, *si, opts, p.get(), sst));
    shared = std::move(sst.strings);
  }
  DD_ASSIGN_OR_RETURN(EntryStream sheet, EntryStream::Open(z, *sheet_index, opts));
  return XlsxReader::Create(std::move(zip), std::move(sheet), std::move(shared), opts);
}

}  // namespace dd::import

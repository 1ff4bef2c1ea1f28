// Test-only helpers that build spreadsheet files in memory at test time (no
// binary fixtures are committed): zips from XML strings with libzip, xlsx
// files with libxlsxwriter, minimal BIFF8 .xls files, and a row collector.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "import/table_reader.hpp"

namespace dd::import::testing {

using Rows = std::vector<std::vector<std::string>>;

// Reads every row; on error returns the rows read so far and sets *reason.
inline Rows ReadAll(TableReader& r, std::string* reason = nullptr) {
  Rows rows;
  std::vector<std::string> cells;
  for (;;) {
    auto next = r.Next(cells);
    if (!next.ok()) {
      if (reason) *reason = next.error().reason;
      return rows;
    }
    if (!*next) break;
    rows.push_back(cells);
  }
  if (reason) reason->clear();
  return rows;
}

// Opens and reads a whole table; "" reason on success.
inline std::pair<Rows, std::string> ReadTable(std::string_view bytes, std::string_view name,
                                              const ReadOptions& opts = {}) {
  auto r = OpenTable(bytes, name, opts);
  if (!r.ok()) return {{}, r.error().reason};
  std::string reason;
  Rows rows = ReadAll(**r, &reason);
  return {rows, reason};
}

// A zip archive made of (name, content) entries, built in memory.
inline std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& entries,
                           int32_t method = ZIP_CM_DEFLATE) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &ze);
  zip_source_keep(src);
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    zip_int64_t idx = zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8);
    EXPECT_GE(idx, 0);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), method, 9);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::string out;
  zip_stat_t st;
  zip_source_stat(src, &st);
  out.resize(st.size);
  zip_source_open(src);
  zip_source_read(src, out.data(), out.size());
  zip_source_close(src);
  zip_source_free(src);
  zip_error_fini(&ze);
  return out;
}

constexpr const char* kMainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr const char* kRelNs =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

// A hand-made xlsx with one sheet whose <sheetData> content is `sheet_data`
// and an optional shared strings table made of `sst_items` (<si> contents).
inline std::string MakeXlsx(const std::string& sheet_data,
                            const std::vector<std::string>& sst_items = {},
                            const std::string& sheet_target = "worksheets/sheet1.xml") {
  std::string ns = kMainNs, rns = kRelNs;
  std::string content_types =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"></Types>";
  std::string root_rels =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship "
      "Id=\"rId1\" Type=\"" +
      rns + "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
  std::string workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"" + ns +
                         "\" xmlns:r=\"" + rns +
                         "\"><sheets><sheet name=\"Leads\" sheetId=\"1\" "
                         "r:id=\"rId1\"/></sheets></workbook>";
  std::string wb_rels =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship "
      "Id=\"rId1\" Type=\"" +
      rns + "/worksheet\" Target=\"" + sheet_target + "\"/><Relationship Id=\"rId2\" Type=\"" +
      rns + "/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";
  std::string sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"" + ns +
                      "\"><sheetData>" + sheet_data + "</sheetData></worksheet>";
  std::vector<std::pair<std::string, std::string>> entries = {
      {"[Content_Types].xml", content_types}, {"_rels/.rels", root_rels},
      {"xl/workbook.xml", workbook},          {"xl/_rels/workbook.xml.rels", wb_rels},
      {"xl/worksheets/sheet1.xml", sheet},
  };
  if (!sst_items.empty()) {
    std::string sst = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"" + ns +
                      "\" count=\"" + std::to_string(sst_items.size()) + "\">";
    for (const auto& si : sst_items) sst += "<si>" + si + "</si>";
    sst += "</sst>";
    entries.emplace_back("xl/sharedStrings.xml", sst);
  }
  return MakeZip(entries);
}

// Runs `fill` on a new libxlsxwriter workbook and returns the file's bytes.
inline std::string WriteXlsx(const std::function<void(lxw_workbook*)>& fill) {
  char path[] = "/tmp/dd-xlsx-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  lxw_workbook* wb = workbook_new(path);
  fill(wb);
  EXPECT_EQ(workbook_close(wb), LXW_NO_ERROR);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(path);
  return ss.str();
}

// ---- A minimal BIFF8 .xls writer (one OLE2 "Workbook" stream) ----

struct XlsCell {
  uint16_t row, col;
  enum Kind { kString, kNumber, kBool } kind;
  std::string text;  // kString: UTF-8 (ASCII/BMP only)
  double number = 0;
  bool boolean = false;
};

struct XlsSheet {
  std::string name;
  std::vector<XlsCell> cells;
};

namespace biff {
inline void U16(std::string& b, uint16_t v) { b.append(reinterpret_cast<char*>(&v), 2); }
inline void U32(std::string& b, uint32_t v) { b.append(reinterpret_cast<char*>(&v), 4); }
inline void Record(std::string& b, uint16_t type, const std::string& data) {
  U16(b, type);
  U16(b, static_cast<uint16_t>(data.size()));
  b += data;
}
inline std::u16string Utf16(const std::string& s) {  // BMP only
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char16_t cp;
    if (c < 0x80)
      cp = c, i += 1;
    else if (c < 0xE0)
      cp = static_cast<char16_t>(((c & 0x1F) << 6) | (s[i + 1] & 0x3F)), i += 2;
    else
      cp = static_cast<char16_t>(((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F)),
      i += 3;
    out.push_back(cp);
  }
  return out;
}
// XLUnicodeString with 16-bit length, always stored as UTF-16 (fHighByte=1).
inline std::string UnicodeString(const std::string& s) {
  std::string b;
  std::u16string u = Utf16(s);
  U16(b, static_cast<uint16_t>(u.size()));
  b.push_back(1);
  for (char16_t c : u) U16(b, c);
  return b;
}
inline std::string Bof(uint16_t dt) {
  std::string d;
  U16(d, 0x0600), U16(d, dt), U16(d, 0x0DBB), U16(d, 0x07CC), U32(d, 0), U32(d, 0x06);
  return d;
}
}  // namespace biff

// The Workbook stream of a BIFF8 file with the given sheets; hidden[i] marks
// sheet i hidden.
inline std::string MakeBiff8(const std::vector<XlsSheet>& sheets) {
  using namespace biff;
  std::vector<std::string> sst;
  auto sst_index = [&](const std::string& s) {
    for (size_t i = 0; i < sst.size(); ++i)
      if (sst[i] == s) return static_cast<uint32_t>(i);
    sst.push_back(s);
    return static_cast<uint32_t>(sst.size() - 1);
  };
  // Sheet substreams first (they need SST indexes), globals after.
  std::vector<std::string> subs;
  for (const auto& sh : sheets) {
    std::string s;
    Record(s, 0x0809, Bof(0x0010));
    uint16_t rows = 0, cols = 0;
    for (const auto& c : sh.cells) {
      rows = std::max<uint16_t>(rows, static_cast<uint16_t>(c.row + 1));
      cols = std::max<uint16_t>(cols, static_cast<uint16_t>(c.col + 1));
    }
    std::string dim;
    U32(dim, 0), U32(dim, rows), U16(dim, 0), U16(dim, cols), U16(dim, 0);
    Record(s, 0x0200, dim);
    for (const auto& c : sh.cells) {
      std::string d;
      U16(d, c.row), U16(d, c.col), U16(d, 15);
      if (c.kind == XlsCell::kString) {
        U32(d, sst_index(c.text));
        Record(s, 0x00FD, d);  // LABELSST
      } else if (c.kind == XlsCell::kNumber) {
        d.append(reinterpret_cast<const char*>(&c.number), 8);
        Record(s, 0x0203, d);  // NUMBER
      } else {
        d.push_back(c.boolean ? 1 : 0), d.push_back(0);
        Record(s, 0x0205, d);  // BOOLERR
      }
    }
    Record(s, 0x000A, "");
    subs.push_back(s);
  }
  auto globals = [&](const std::vector<uint32_t>& offsets) {
    std::string g;
    Record(g, 0x0809, Bof(0x0005));
    std::string cp;
    U16(cp, 0x04B0);
    Record(g, 0x0042, cp);  // CODEPAGE: UTF-16
    std::string dm;
    U16(dm, 0);
    Record(g, 0x0022, dm);  // DATEMODE 1900
    // Fonts and XFs Excel always writes (FreeXL looks up XF 15 for cells).
    for (int i = 0; i < 5; ++i) {
      std::string f;
      U16(f, 200), U16(f, 0), U16(f, 0x7FFF), U16(f, 400), U16(f, 0), f.push_back(0),
          f.push_back(0), f.push_back(0), f.push_back(0);
      std::string name = "Arial";
      f.push_back(static_cast<char>(name.size()));
      f.push_back(0);
      f += name;
      Record(g, 0x0031, f);  // FONT
    }
    for (int i = 0; i < 16; ++i) {
      std::string x;
      U16(x, 0), U16(x, 0), U16(x, i < 15 ? 0xFFF5 : 0x0001), U16(x, 0x0020), U16(x, 0), U32(x, 0),
          U32(x, 0), U16(x, 0x20C0);
      Record(g, 0x00E0, x);  // XF
    }
    for (size_t i = 0; i < sheets.size(); ++i) {
      std::string bs;
      U32(bs, offsets[i]);
      bs.push_back(0), bs.push_back(0);  // visible, worksheet
      std::u16string u = Utf16(sheets[i].name);
      bs.push_back(static_cast<char>(u.size()));
      bs.push_back(1);
      for (char16_t c : u) U16(bs, c);
      Record(g, 0x0085, bs);  // BOUNDSHEET
    }
    std::string st;
    U32(st, static_cast<uint32_t>(sst.size())), U32(st, static_cast<uint32_t>(sst.size()));
    for (const auto& s : sst) st += UnicodeString(s);
    Record(g, 0x00FC, st);  // SST (small: no CONTINUE needed in tests)
    Record(g, 0x000A, "");
    return g;
  };
  std::vector<uint32_t> offsets(sheets.size(), 0);
  std::string g = globals(offsets);
  uint32_t pos = static_cast<uint32_t>(g.size());
  for (size_t i = 0; i < subs.size(); ++i)
    offsets[i] = pos, pos += static_cast<uint32_t>(subs[i].size());
  g = globals(offsets);
  for (const auto& s : subs) g += s;
  return g;
}

// Wraps a Workbook stream in an OLE2 compound file (512-byte sectors; the
// stream is padded to 4096 bytes so that it lives in regular sectors).
inline std::string MakeOle2(std::string stream) {
  using namespace biff;
  if (stream.size() < 4096) stream.resize(4096, '\0');
  uint32_t stream_size = static_cast<uint32_t>(stream.size());
  stream.resize((stream.size() + 511) / 512 * 512, '\0');
  uint32_t stream_sectors = static_cast<uint32_t>(stream.size() / 512);
  // Sector 0: FAT, sector 1: directory, sectors 2..: the stream.
  std::string header;
  header += std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  header.append(16, '\0');
  U16(header, 0x003E), U16(header, 0x0003), U16(header, 0xFFFE), U16(header, 9), U16(header, 6);
  header.append(6, '\0');
  U32(header, 0);           // directory sectors (0 for v3)
  U32(header, 1);           // FAT sectors
  U32(header, 1);           // first directory sector
  U32(header, 0);           // transaction
  U32(header, 4096);        // mini stream cutoff
  U32(header, 0xFFFFFFFE);  // first mini FAT sector
  U32(header, 0);           // mini FAT sectors
  U32(header, 0xFFFFFFFE);  // first DIFAT sector
  U32(header, 0);           // DIFAT sectors
  U32(header, 0);           // DIFAT[0] = FAT at sector 0
  for (int i = 1; i < 109; ++i) U32(header, 0xFFFFFFFF);
  std::string fat;
  U32(fat, 0xFFFFFFFD);  // FAT sector
  U32(fat, 0xFFFFFFFE);  // directory: end of chain
  for (uint32_t i = 0; i < stream_sectors; ++i) {
    U32(fat, i + 1 < stream_sectors ? 2 + i + 1 : 0xFFFFFFFE);
  }
  while (fat.size() < 512) U32(fat, 0xFFFFFFFF);
  auto entry = [](const std::u16string& name, uint8_t type, uint32_t child, uint32_t start,
                  uint32_t size) {
    std::string e;
    std::u16string n = name;
    for (char16_t c : n) U16(e, c);
    e.resize(64, '\0');
    U16(e, static_cast<uint16_t>(name.empty() ? 0 : (name.size() + 1) * 2));
    e.push_back(static_cast<char>(type));
    e.push_back(1);  // black
    U32(e, 0xFFFFFFFF), U32(e, 0xFFFFFFFF), U32(e, child);
    e.append(16, '\0');  // CLSID
    U32(e, 0);           // state bits
    e.append(16, '\0');  // times
    U32(e, start), U32(e, size), U32(e, 0);
    return e;
  };
  std::string dir = entry(u"Root Entry", 5, 1, 0xFFFFFFFE, 0);
  dir += entry(u"Workbook", 2, 0xFFFFFFFF, 2, stream_size);
  dir += entry(u"", 0, 0xFFFFFFFF, 0, 0);
  dir += entry(u"", 0, 0xFFFFFFFF, 0, 0);
  return header + fat + dir + stream;
}

inline std::string MakeXls(const std::vector<XlsSheet>& sheets) {
  return MakeOle2(MakeBiff8(sheets));
}

}  // namespace dd::import::testing

#include <dirent.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "import/table_reader.hpp"
#include "import/test_fixtures.hpp"

namespace dd::import {
namespace {

using testing::MakeXls;
using testing::ReadTable;
using testing::Rows;
using testing::XlsCell;
using testing::XlsSheet;

std::vector<XlsSheet> LeadSheets() {
  return {
      {"说明", {{0, 0, XlsCell::kString, "first sheet"}}},
      {"客户",
       {{0, 0, XlsCell::kString, "序号"},
        {0, 1, XlsCell::kString, "姓名"},
        {0, 2, XlsCell::kString, "电话"},
        {1, 0, XlsCell::kNumber, "", 1},
        {1, 1, XlsCell::kString, "张三"},
        {1, 2, XlsCell::kNumber, "", 13812345678.0},
        {3, 0, XlsCell::kNumber, "", 12.5},
        {3, 3, XlsCell::kBool, "", 0, true}}},
  };
}

// FreeXL reports a BOOLERR cell as the integer 0/1, so xls booleans read "0"/"1".
TEST(XlsReaderTest, ReadsABiff8Workbook) {
  std::string bytes = MakeXls(LeadSheets());
  struct Case {
    const char* sheet;
    Rows rows;
    const char* reason;
  };
  const Case cases[] = {
      {"", {{"first sheet"}}, ""},
      {"客户",
       {{"序号", "姓名", "电话"}, {"1", "张三", "13812345678"}, {}, {"12.5", "", "", "1"}},
       ""},
      {"没有", {}, "sheet_not_found"},
  };
  for (const auto& c : cases) {
    ReadOptions opts;
    opts.sheet = c.sheet;
    auto [rows, reason] = ReadTable(bytes, "leads.xls", opts);
    EXPECT_EQ(reason, c.reason) << c.sheet;
    EXPECT_EQ(rows, c.rows) << c.sheet;
  }
}

TEST(XlsReaderTest, StopsAfterMaxRows) {
  std::vector<XlsCell> cells;
  for (uint16_t r = 0; r < 10; ++r) cells.push_back({r, 0, XlsCell::kNumber, "", double(r)});
  ReadOptions opts;
  opts.max_rows = 7;
  auto [rows, reason] = ReadTable(MakeXls({{"s", cells}}), "x.xls", opts);
  EXPECT_EQ(reason, "too_many_rows");
  EXPECT_EQ(rows.size(), 7u);
}

TEST(XlsReaderTest, RefusesDamagedFiles) {
  std::string good = MakeXls(LeadSheets());
  std::string no_workbook = good;
  // Rename the "Workbook" stream: an OLE2 file (like a .doc) without one.
  size_t at = no_workbook.find(std::string("W\0o\0r\0k\0b\0o\0o\0k", 15));
  ASSERT_NE(at, std::string::npos);
  no_workbook[at] = 'X';
  struct Case {
    const char* what;
    std::string bytes;
    const char* reason;
  };
  const Case cases[] = {
      {"header only", good.substr(0, 512), "file_corrupt"},
      {"truncated", good.substr(0, good.size() / 2), "file_corrupt"},
      {"magic only", good.substr(0, 8), "file_corrupt"},
      {"garbage after the magic", good.substr(0, 8) + std::string(4096, '\x5A'), "file_corrupt"},
  };
  for (const auto& c : cases) {
    auto [rows, reason] = ReadTable(c.bytes, "x.xls");
    EXPECT_EQ(reason, c.reason) << c.what;
  }
  auto [rows, reason] = ReadTable(no_workbook, "x.xls");
  EXPECT_TRUE(reason == "file_not_spreadsheet" || reason == "file_corrupt") << reason;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

void ExpectCleanRefusal(const std::string& bytes, const std::string& what) {
  for (const char* name : {"x.xls", "fuzz.xlsx", "x.csv"}) {
    auto [rows, reason] = ReadTable(bytes, name);
    EXPECT_TRUE(reason == "file_corrupt" || reason == "file_not_spreadsheet")
        << what << " as " << name << ": " << reason;
    EXPECT_TRUE(rows.empty()) << what << " as " << name;
  }
}

// Regression (fuzz_xlsx, SEGV in LoadU32): an OLE2 header announcing 4096-byte
// sectors in a file shorter than 4096 bytes made the sector count underflow,
// so any FAT sector number passed the bounds check and was read far outside
// the buffer. The 512 bytes are the minimised crash input.
TEST(XlsReaderTest, RefusesFuzzCrashWith4096ByteSectorsInAShortFile) {
  const std::string crash = FromHex(
      "d0cf11e0a1b11ae108ffffffff0045006e006300720079ffffffffffffff0c00"
      "70007400650064005000021465656d6c2f323030362f6d61696e223e3c736865"
      "65744461732f2e72656c73504b0102146565746d6c2f323030362f6d61696e22"
      "3e3c73686565744461ab0000006861726564000080013b0000005f72656c732f"
      "2e72656c73504b0102146565746d6c2f323030362f6d61696e223e3c73686565"
      "744461ab0100000080013b0000005f72656c732f2e72656c733030362f6d6169"
      "6e223e3c73686565744461732f2e72656c73504b0102146565746d6c2f323030"
      "362f6d61696e223e3c73686565744461ab0000006861726564000080013b0000"
      "005f72656c732f2e72656c73504b0102146565746d6c2f323030362f6d61696e"
      "223e3c73686565744461ab0000000080013b0000005f72656c732f2e72656c73"
      "504b0102146565746d6c2f323030362f6d61696e223e3c73686565744461ab00"
      "0000013b0000005f72656c732f2e72656c73504b0102146565746d6c2f323030"
      "362f6d61696e223e3c73686565744461ab0000004461ab0000000080013b0000"
      "005f72656c732f2e72656c73504b0102146565746d6c2f323030362f6d61696e"
      "223e3c73686565744461ab000000013b0000005f72656c732f2e72656c73504b"
      "0102146565746d6c2f323030362f6d61696e223e3c73686565744461ab000000");
  ASSERT_EQ(crash.size(), 512u);
  ExpectCleanRefusal(crash, "minimised crash");
}

// The same class of bug, from a good file: sector size and FAT sector numbers
// that point past the end, at every size around the sector boundaries.
TEST(XlsReaderTest, RefusesSectorsBeyondTheEnd) {
  const std::string good = MakeXls(LeadSheets());
  ASSERT_GT(good.size(), 4096u);
  auto with_u32 = [](std::string b, size_t at, uint32_t v) {
    std::memcpy(b.data() + at, &v, 4);
    return b;
  };
  std::string v4 = good;
  v4[30] = 12;  // 4096-byte sectors
  for (size_t size : {size_t{512}, size_t{513}, size_t{4095}, size_t{4096}, size_t{4097},
                      size_t{8191}, good.size()}) {
    ExpectCleanRefusal(v4.substr(0, size), "v4 header, " + std::to_string(size) + " bytes");
  }
  for (uint32_t fat : {0x7FFFFFFFu, 0xFFFFFFFDu, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
    ExpectCleanRefusal(with_u32(good, 76, fat), "DIFAT[0] = " + std::to_string(fat));
    ExpectCleanRefusal(with_u32(v4, 76, fat), "v4, DIFAT[0] = " + std::to_string(fat));
  }
  // 109 FAT sectors announced, only one present.
  ExpectCleanRefusal(with_u32(good, 44, 0xFFFFFFFF), "FAT sector count 0xFFFFFFFF");
}

// Found by fuzz_xlsx with an .xls seed: FreeXL 1.0.6 converts as many bytes
// as a directory entry's name length says (up to 65535) from the 64-byte name
// field of its 4 KB stack buffer (ASan: stack-buffer-underflow in iconv). The
// reader refuses such a directory before FreeXL sees it.
TEST(XlsReaderTest, RefusesDirectoryEntryNamesLongerThan64Bytes) {
  const std::string good = MakeXls(LeadSheets());
  uint32_t dir;
  std::memcpy(&dir, good.data() + 48, 4);
  const size_t entries = (size_t{dir} + 1) * 512;  // 512-byte sectors (MakeOle2)
  for (size_t e = 0; e < 4; ++e) {
    for (uint16_t len : {uint16_t{66}, uint16_t{0xFFFF}}) {
      std::string bad = good;
      std::memcpy(bad.data() + entries + 128 * e + 64, &len, 2);
      std::string what = "entry " + std::to_string(e) + " name size " + std::to_string(len);
      ExpectCleanRefusal(bad, what);
      auto r = OpenTable(bad, "x.xls");
      ASSERT_FALSE(r.ok()) << what;
      EXPECT_EQ(r.error().internal, "OLE2 directory entry name too long") << what;
    }
  }
  // Also refused: a directory sector beyond the end of the file.
  std::string bad = good;
  uint32_t far = 0x00FFFFFF;
  std::memcpy(bad.data() + 48, &far, 4);
  ExpectCleanRefusal(bad, "directory sector beyond the end");
  // 64 bytes is the longest legal name: still read.
  std::string max = good;
  uint16_t len = 64;
  std::memcpy(max.data() + entries + 128 * 3 + 64, &len, 2);  // an unused entry
  EXPECT_EQ(ReadTable(max, "x.xls").second, "");
}

// The upload must leave no copy on disk: count entries in the temp folders
// before and after reading.
size_t CountEntries(const char* dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

TEST(XlsReaderTest, LeavesNoFileBehind) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpdir = tmp && *tmp ? tmp : "/tmp";
  size_t shm = CountEntries("/dev/shm"), t = CountEntries(tmpdir.c_str());
  std::string bytes = MakeXls(LeadSheets());
  {
    auto r = OpenTable(bytes, "x.xls");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(CountEntries("/dev/shm"), shm);  // nameless even while open
    EXPECT_EQ(CountEntries(tmpdir.c_str()), t);
    auto rows = testing::ReadAll(**r);
    EXPECT_EQ(rows.size(), 1u);
  }
  EXPECT_EQ(CountEntries("/dev/shm"), shm);
  EXPECT_EQ(CountEntries(tmpdir.c_str()), t);
}

// A real Excel-format file made by LibreOffice, when it is installed.
TEST(XlsReaderTest, ReadsAFileMadeByLibreOffice) {
  if (std::system("command -v libreoffice >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "libreoffice is not on PATH; the hand-made BIFF8 tests above still ran";
  }
  std::string dir = "/tmp/dd-lo-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  {
    std::ofstream csv(dir + "/leads.csv");
    csv << "姓名,电话\n张三,13812345678\n";
  }
  std::string cmd = "cd " + dir + " && libreoffice --headless -env:UserInstallation=file://" + dir +
                    "/profile --infilter=CSV:44,34,76 --convert-to xls leads.csv >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir + "/leads.xls", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove_all(dir);
  auto [rows, reason] = ReadTable(ss.str(), "leads.xls");
  EXPECT_EQ(reason, "");
  EXPECT_EQ(rows, (Rows{{"姓名", "电话"}, {"张三", "13812345678"}}));
}

// FreeXL runs in the helper process dialdeck-xls: a helper that dies (a
// crash in FreeXL, its CPU or memory limit) is a refused file for the server,
// which goes on. /bin/false and a killed shell stand in for such a helper.
TEST(XlsReaderTest, AHelperThatDiesIsARefusedFileNotACrash) {
  const std::string good = MakeXls(LeadSheets());
  for (const char* helper : {"/bin/false", "/bin/sh"}) {
    ::setenv("DIALDECK_XLS_WORKER", helper, 1);
    auto [rows, reason] = ReadTable(good, "x.xls", ReadOptions{});
    EXPECT_EQ(reason, "file_corrupt") << helper;
    EXPECT_TRUE(rows.empty());
  }
  ::setenv("DIALDECK_XLS_WORKER", "/nonexistent/dialdeck-xls", 1);
  auto [rows, reason] = ReadTable(good, "x.xls", ReadOptions{});
  EXPECT_FALSE(reason.empty());
  ::unsetenv("DIALDECK_XLS_WORKER");
  auto [ok_rows, ok_reason] = ReadTable(good, "x.xls", ReadOptions{});
  EXPECT_EQ(ok_reason, "");
  EXPECT_FALSE(ok_rows.empty());
}

}  // namespace
}  // namespace dd::import

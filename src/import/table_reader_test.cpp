#include "import/table_reader.hpp"

#include <gtest/gtest.h>

#include "import/reader_internal.hpp"
#include "import/test_fixtures.hpp"

namespace dd::import {
namespace {

using testing::MakeXlsx;
using testing::MakeZip;

TEST(TableDetectTest, DecidesByMagicThenExtension) {
  const std::string xlsx = MakeXlsx("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>");
  const std::string ole2 = testing::MakeXls({{"Sheet1", {}}});
  const std::string docx = MakeZip({{"word/document.xml", "<w:document/>"}});
  struct Case {
    const char* what;
    std::string bytes;
    const char* filename;
    std::optional<Format> format;
    const char* reason;
  };
  const Case cases[] = {
      {"xlsx by magic", xlsx, "leads.xlsx", Format::kXlsx, ""},
      {"xlsx under a csv name", xlsx, "leads.csv", Format::kXlsx, ""},
      {"xlsx without a name", xlsx, "", Format::kXlsx, ""},
      {"xls by magic", ole2, "leads.xls", Format::kXls, ""},
      {"csv", "a,b\n1,2\n", "leads.csv", Format::kCsv, ""},
      {"CSV upper case", "a,b\n", "LEADS.CSV", Format::kCsv, ""},
      {"txt", "a\tb\n", "unicode.txt", Format::kCsv, ""},
      {"tsv", "a\tb\n", "x.tsv", Format::kCsv, ""},
      {"text with unknown extension", "a,b\n", "leads.doc", std::nullopt, "file_not_spreadsheet"},
      {"empty", "", "leads.csv", std::nullopt, "file_empty"},
      {"pdf named csv", "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", "leads.csv", std::nullopt,
       "file_not_spreadsheet"},
      {"png named xlsx", std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16), "leads.xlsx",
       std::nullopt, "file_not_spreadsheet"},
      {"elf named csv",
       std::string("\x7F"
                   "ELF\x02\x01\x01\0",
                   8),
       "a.csv", std::nullopt, "file_not_spreadsheet"},
      {"gzip named csv", std::string("\x1F\x8B\x08\0", 4), "a.csv", std::nullopt,
       "file_not_spreadsheet"},
      {"a zip that is not a workbook", docx, "leads.xlsx", std::nullopt, "file_not_spreadsheet"},
      {"truncated zip", xlsx.substr(0, xlsx.size() / 2), "leads.xlsx", std::nullopt,
       "file_corrupt"},
      {"zip magic only", "PK\x03\x04garbage", "leads.xlsx", std::nullopt, "file_corrupt"},
      {"encrypted xlsx (OLE2 EncryptedPackage)",
       std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(100, '\0') +
           std::string("E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0", 32),
       "leads.xlsx", std::nullopt, "file_encrypted"},
  };
  for (const auto& c : cases) {
    auto r = DetectFormat(c.bytes, c.filename);
    if (c.format) {
      ASSERT_TRUE(r.ok()) << c.what << ": " << r.error().reason;
      EXPECT_EQ(*r, *c.format) << c.what;
    } else {
      ASSERT_FALSE(r.ok()) << c.what;
      EXPECT_EQ(r.error().reason, c.reason) << c.what;
      // OpenTable refuses the same way.
      auto t = OpenTable(c.bytes, c.filename);
      ASSERT_FALSE(t.ok()) << c.what;
      EXPECT_EQ(t.error().reason, c.reason) << c.what;
    }
  }
}

TEST(TableNumberTextTest, FormatsNumbersAsExcelShowsThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"13812345678", "13812345678"},
      {"1.3812345678E10", "13812345678"},
      {"1.3812345678e+10", "13812345678"},
      {"1.38123E10", "13812300000"},
      {"-1.5E3", "-1500"},
      {"12.5", "12.5"},
      {"12.50", "12.5"},
      {"0.1", "0.1"},
      {"1E-3", "0.001"},
      {"100", "100"},
      {"007", "7"},
      {"0", "0"},
      {"-0", "0"},
      {"0.0", "0"},
      {"999999999999999", "999999999999999"},
      {"1E15", "1e+15"},
      {"123456789012345678", "123456789012345680"},  // beyond 1e15: as a double,
      {"45292", "45292"},                            // a date serial stays a serial
      {"0.30000000000000004", "0.30000000000000004"},
      {"8.6138123456780E12", "8613812345678"},
      {"abc", "abc"},
      {"1.2.3", "1.2.3"},
      {"1e", "1e"},
      {"", ""},
      {"1e999999", "1e999999"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(NumberText(in), want) << in;
}

TEST(TableNumberTextTest, FormatsDoubles) {
  const std::pair<double, const char*> cases[] = {
      {13812345678.0, "13812345678"},
      {12.5, "12.5"},
      {-3.0, "-3"},
      {0.1, "0.1"},
      {1e15, "1e+15"},
      {-0.0, "0"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(DoubleText(in), want) << in;
}

}  // namespace
}  // namespace dd::import

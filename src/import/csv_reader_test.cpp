#include "import/csv_reader.hpp"

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include <algorithm>

#include "import/encoding.hpp"
#include "import/test_fixtures.hpp"

namespace dd::import {
namespace {

using testing::ReadTable;
using testing::Rows;

// UTF-8 -> another encoding, for making test files.
std::string Encode(const std::string& utf8, const char* to) {
  UErrorCode err = U_ZERO_ERROR;
  std::string out(utf8.size() * 4 + 16, '\0');
  int32_t n = ucnv_convert(to, "UTF-8", out.data(), static_cast<int32_t>(out.size()), utf8.data(),
                           static_cast<int32_t>(utf8.size()), &err);
  EXPECT_TRUE(U_SUCCESS(err)) << u_errorName(err);
  out.resize(static_cast<size_t>(n));
  return out;
}

const std::string kLeads =
    "序号,楼盘,姓名,电话,区域\r\n1,万科城,张三,13812345678,南山\r\n2,碧桂园,李四,0755-8888 "
    "1234,福田\r\n";
const Rows kLeadRows = {{"序号", "楼盘", "姓名", "电话", "区域"},
                        {"1", "万科城", "张三", "13812345678", "南山"},
                        {"2", "碧桂园", "李四", "0755-8888 1234", "福田"}};

TEST(CsvReaderTest, ReadsRowsInEachEncoding) {
  std::string tabbed = kLeads;
  std::replace(tabbed.begin(), tabbed.end(), ',', '\t');
  struct Case {
    const char* what;
    std::string bytes;
  };
  const Case cases[] = {
      {"UTF-8", kLeads},
      {"UTF-8 BOM", "\xEF\xBB\xBF" + kLeads},
      {"UTF-16LE BOM (Excel Unicode text)", "\xFF\xFE" + Encode(tabbed, "UTF-16LE")},
      {"UTF-16BE BOM", "\xFE\xFF" + Encode(tabbed, "UTF-16BE")},
      {"UTF-16LE without BOM", Encode(tabbed, "UTF-16LE")},
      {"GBK (Excel ANSI)", Encode(kLeads, "windows-936")},
      {"GB18030", Encode(kLeads, "GB18030")},
  };
  for (const auto& c : cases) {
    auto [rows, reason] = ReadTable(c.bytes, "leads.csv");
    EXPECT_EQ(reason, "") << c.what;
    EXPECT_EQ(rows, kLeadRows) << c.what;
  }
}

TEST(CsvReaderTest, DecodesGbkSpecialsAndGb18030FourByteCharacters) {
  struct Case {
    const char* what;
    std::string bytes;
    Rows rows;
  };
  const Case cases[] = {
      // 0x80 is the euro sign in CP936 (a strict GB18030 decoder rejects it).
      {"euro in GBK", std::string("\x80") + "100,\xC4\xE3\xBA\xC3\n", {{"€100", "你好"}}},
      // U+20BB7 𠮷 needs a 4-byte GB18030 sequence that GBK does not have.
      {"GB18030 4-byte", Encode("姓名,𠮷\n", "GB18030"), {{"姓名", "𠮷"}}},
  };
  for (const auto& c : cases) {
    auto [rows, reason] = ReadTable(c.bytes, "x.csv");
    EXPECT_EQ(reason, "") << c.what;
    EXPECT_EQ(rows, c.rows) << c.what;
  }
}

TEST(CsvReaderTest, ParsesRfc4180AndSniffsTheDelimiter) {
  struct Case {
    const char* what;
    std::string text;
    Rows rows;
  };
  const Case cases[] = {
      {"comma", "a,b,c\n1,2,3\n", {{"a", "b", "c"}, {"1", "2", "3"}}},
      {"semicolon", "a;b;c\n1;2,5;3\n", {{"a", "b", "c"}, {"1", "2,5", "3"}}},
      {"tab", "a\tb\n1\t2, 3\n", {{"a", "b"}, {"1", "2, 3"}}},
      {"pipe", "a|b\n1|2\n", {{"a", "b"}, {"1", "2"}}},
      {"title row above a comma header",
       "2024年客户名单\n序号,姓名,电话\n1,张三,138\n2,李四,139\n",
       {{"2024年客户名单"}, {"序号", "姓名", "电话"}, {"1", "张三", "138"}, {"2", "李四", "139"}}},
      {"commas in text of a semicolon file",
       "name;note\nA;x, y, z\nB;p\nC;q\n",
       {{"name", "note"}, {"A", "x, y, z"}, {"B", "p"}, {"C", "q"}}},
      {"quoted delimiter, quote and newline",
       "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"line1\nline2\",z\n",
       {{"a", "b"}, {"x, y", "say \"hi\""}, {"line1\nline2", "z"}}},
      {"CRLF", "a,b\r\n1,2\r\n", {{"a", "b"}, {"1", "2"}}},
      {"CR only", "a,b\r1,2\r", {{"a", "b"}, {"1", "2"}}},
      {"no final newline", "a,b\n1,2", {{"a", "b"}, {"1", "2"}}},
      {"trailing empty cells dropped", "a,b,,\n,,x,\n", {{"a", "b"}, {"", "", "x"}}},
      {"empty rows in the middle kept, at the end dropped",
       "a\n\n,,\nb\n\n\n",
       {{"a"}, {}, {}, {"b"}}},
      {"leading empty row kept", "\na\n", {{}, {"a"}}},
      {"spaces kept (no trim)", " a , b \n", {{" a ", " b "}}},
      {"quoted empty is empty", "\"\",x\n", {{"", "x"}}},
      {"text after a closing quote kept", "\"ab\"c,d\n", {{"abc", "d"}}},
      {"Excel sep= line", "sep=;\na;b,c\n", {{"a", "b,c"}}},
      {"single column of phones", "13812345678\n13912345678\n", {{"13812345678"}, {"13912345678"}}},
  };
  for (const auto& c : cases) {
    auto [rows, reason] = ReadTable(c.text, "x.csv");
    EXPECT_EQ(reason, "") << c.what;
    EXPECT_EQ(rows, c.rows) << c.what;
  }
}

TEST(CsvReaderTest, RefusesHostileInputWithAReason) {
  std::string many;
  for (int i = 0; i < 6; ++i) many += std::to_string(i) + ",x\n";
  std::string junk;
  for (int i = 0; i < 1000; ++i) junk.push_back(static_cast<char>(1 + i % 7));
  struct Case {
    const char* what;
    std::string bytes;
    uint64_t max_rows;
    const char* reason;
    size_t rows_before_error;
  };
  const Case cases[] = {
      {"NUL bytes", std::string("a,b\n\0\0\x01\x02garbage", 16), 100, "file_not_spreadsheet", 0},
      {"control-character junk", junk, 100, "file_not_spreadsheet", 0},
      {"not UTF-8 nor GBK", "a,b\n\x81\x7F\n", 100, "file_encoding_unknown", 0},
      {"more rows than allowed", many, 5, "too_many_rows", 5},
      {"exactly the limit is fine", many, 6, "", 6},
      {"unclosed quote", "a,b\n1,\"open\n2,3\n", 100, "csv_unclosed_quote", 1},
  };
  for (const auto& c : cases) {
    ReadOptions opts;
    opts.max_rows = c.max_rows;
    auto [rows, reason] = ReadTable(c.bytes, "x.csv", opts);
    EXPECT_EQ(reason, c.reason) << c.what;
    EXPECT_EQ(rows.size(), c.rows_before_error) << c.what;
  }
}

TEST(CsvReaderTest, ReportsTheLineOfAnUnclosedQuote) {
  auto r = OpenTable("a\nb\n\"c\nd\n", "x.csv");
  ASSERT_TRUE(r.ok());
  std::vector<std::string> cells;
  ASSERT_TRUE((*r)->Next(cells).ok());
  ASSERT_TRUE((*r)->Next(cells).ok());
  auto e = (*r)->Next(cells);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().reason, "csv_unclosed_quote");
  EXPECT_EQ(e.error().args.at("line"), "3");
}

TEST(CsvReaderTest, SniffsDelimiterFromConsistentCounts) {
  const std::pair<const char*, char> cases[] = {
      {"a,b,c\n1,2,3\n", ','},
      {"a;b\n1;2\n3;4\n", ';'},
      {"a\tb\tc\n1\t2,5\t3\n", '\t'},
      {"a|b\n1|2\n", '|'},
      {"\"x;y\",b\n\"1;2\",3\n", ','},  // delimiters inside quotes do not
                                        // count
      {"onecolumn\n", ','},
  };
  for (const auto& [text, want] : cases) {
    size_t skip = 0;
    EXPECT_EQ(SniffDelimiter(text, &skip), want) << text;
    EXPECT_EQ(skip, 0u);
  }
}

}  // namespace
}  // namespace dd::import

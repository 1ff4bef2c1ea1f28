#include <gtest/gtest.h>

#include "import/table_reader.hpp"
#include "import/test_fixtures.hpp"

namespace dd::import {
namespace {

using testing::MakeXlsx;
using testing::MakeZip;
using testing::ReadTable;
using testing::Rows;
using testing::WriteXlsx;

TEST(XlsxReaderTest, ReadsALibxlsxwriterWorkbookSkippingTheHiddenSheet) {
  std::string bytes = WriteXlsx([](lxw_workbook* wb) {
    lxw_worksheet* hidden = workbook_add_worksheet(wb, "说明");
    lxw_worksheet* leads = workbook_add_worksheet(wb, "客户");
    worksheet_write_string(hidden, 0, 0, "secret", nullptr);
    worksheet_activate(leads);
    worksheet_hide(hidden);
    worksheet_write_string(leads, 0, 0, "2024年3月 客户名单", nullptr);  // title row
    const char* header[] = {"序号", "楼盘", "姓名", "电话", "区域"};
    for (int c = 0; c < 5; ++c) worksheet_write_string(leads, 1, c, header[c], nullptr);
    worksheet_write_number(leads, 2, 0, 1, nullptr);
    worksheet_write_string(leads, 2, 1, "万科城", nullptr);
    worksheet_write_string(leads, 2, 2, "张三", nullptr);
    worksheet_write_number(leads, 2, 3, 13812345678.0, nullptr);  // phone stored as number
    worksheet_write_string(leads, 2, 4, "南山", nullptr);
    // Row 4 (index 3) left empty; row 5 has gaps inside.
    worksheet_write_number(leads, 4, 0, 2.5, nullptr);
    worksheet_write_string(leads, 4, 3, "0755-88881234", nullptr);
    worksheet_write_boolean(leads, 5, 1, 1, nullptr);
    worksheet_write_string(leads, 5, 2, "  spaced  ", nullptr);
  });
  const Rows want = {{"2024年3月 客户名单"},
                     {"序号", "楼盘", "姓名", "电话", "区域"},
                     {"1", "万科城", "张三", "13812345678", "南山"},
                     {},
                     {"2.5", "", "", "0755-88881234"},
                     {"", "TRUE", "  spaced  "}};
  auto [rows, reason] = ReadTable(bytes, "leads.xlsx");
  EXPECT_EQ(reason, "");
  EXPECT_EQ(rows, want);

  ReadOptions opts;
  opts.sheet = "说明";  // a hidden sheet can still be asked for by name
  auto [hidden_rows, hidden_reason] = ReadTable(bytes, "leads.xlsx", opts);
  EXPECT_EQ(hidden_reason, "");
  EXPECT_EQ(hidden_rows, (Rows{{"secret"}}));

  opts.sheet = "没有";
  auto [none, none_reason] = ReadTable(bytes, "leads.xlsx", opts);
  EXPECT_EQ(none_reason, "sheet_not_found");
}

TEST(XlsxReaderTest, ReadsCellFormsExcelAndOtherToolsWrite) {
  struct Case {
    const char* what;
    std::string sheet_data;
    std::vector<std::string> sst;
    Rows rows;
  };
  const Case cases[] = {
      {"exponent form of a long number",
       "<row r=\"1\"><c r=\"A1\"><v>1.3812345678E10</v></c><c r=\"B1\" "
       "t=\"n\"><v>1.38123E10</v></c><c r=\"C1\"><v>12.5</v></c></row>",
       {},
       {{"13812345678", "13812300000", "12.5"}}},
      {"shared strings with rich text runs and phonetic runs",
       "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" "
       "t=\"s\"><v>2</v></c></row>",
       {"<t>张三</t>",
        "<r><rPr><b/></rPr><t>138</t></r><r><t xml:space=\"preserve\"> 1234 "
        "5678</t></r>",
        "<t>東京</t><rPh sb=\"0\" eb=\"2\"><t>トウキョウ</t></rPh><phoneticPr fontId=\"1\"/>"},
       {{"张三", "138 1234 5678", "東京"}}},
      {"inline strings, rich inline, booleans, errors, formula strings",
       "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>李四</t></is></c><c r=\"B1\" "
       "t=\"inlineStr\"><is><r><t>a</t></r><r><t>b</t></r><rPh><t>x</t></rPh></is></c><c "
       "r=\"C1\" t=\"b\"><v>1</v></c><c r=\"D1\" t=\"b\"><v>0</v></c><c r=\"E1\" "
       "t=\"e\"><v>#N/A</v></c><c r=\"F1\" t=\"str\"><f>A1&amp;\"x\"</f><v>李四x</v></c></row>",
       {},
       {{"李四", "ab", "TRUE", "FALSE", "#N/A", "李四x"}}},
      {"cells and rows without r attributes",
       "<row><c><v>1</v></c><c t=\"inlineStr\"><is><t>x</t></is></c></row><row><c><v>2</v></c>"
       "</row>",
       {},
       {{"1", "x"}, {"2"}}},
      {"gaps between cells and rows",
       "<row r=\"2\"><c r=\"C2\"><v>3</v></c></row><row r=\"5\"><c r=\"B5\"><v>5</v></c><c "
       "r=\"D5\"><v>7</v></c></row>",
       {},
       {{}, {"", "", "3"}, {}, {}, {"", "5", "", "7"}}},
      {"cells without r continue after the last one",
       "<row r=\"1\"><c r=\"C1\"><v>3</v></c><c><v>4</v></c></row>",
       {},
       {{"", "", "3", "4"}}},
      {"styled empty cells and trailing empty rows are not data",
       "<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"B1\" s=\"3\"/></row><row r=\"2\" s=\"1\" "
       "customFormat=\"1\"/><row r=\"900\"><c r=\"A900\" s=\"2\"/></row>",
       {},
       {{"1"}}},
      {"OOXML _xHHHH_ escapes",
       "<row r=\"1\"><c t=\"inlineStr\"><is><t>a_x000D_b</t></is></c></row>",
       {},
       {{"a\rb"}}},
      {"untrimmed text and an empty shared string",
       "<row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c><c t=\"s\"><v>0</v></c></row>",
       {"<t xml:space=\"preserve\"> 张 </t>", "<t/>"},
       {{" 张 ", "", " 张 "}}},
      {"column letters beyond Z",
       "<row r=\"1\"><c r=\"AA1\"><v>1</v></c></row>",
       {},
       {{"", "", "", "", "", "", "", "", "", "", "", "", "", "",
         "", "", "", "", "", "", "", "", "", "", "", "", "1"}}},
  };
  for (const auto& c : cases) {
    auto [rows, reason] = ReadTable(MakeXlsx(c.sheet_data, c.sst), "t.xlsx");
    EXPECT_EQ(reason, "") << c.what;
    EXPECT_EQ(rows, c.rows) << c.what;
  }
}

TEST(XlsxReaderTest, ResolvesAbsoluteAndRelativeSheetTargets) {
  for (const char* target : {"worksheets/sheet1.xml", "/xl/worksheets/sheet1.xml",
                             "./worksheets/../worksheets/sheet1.xml"}) {
    auto [rows, reason] = ReadTable(MakeXlsx("<row><c><v>42</v></c></row>", {}, target), "t.xlsx");
    EXPECT_EQ(reason, "") << target;
    EXPECT_EQ(rows, (Rows{{"42"}})) << target;
  }
}

TEST(XlsxReaderTest, RefusesDamagedWorkbooks) {
  std::string good = MakeXlsx("<row><c><v>1</v></c></row>");
  struct Case {
    const char* what;
    std::string bytes;
    const char* reason;
  };
  const Case cases[] = {
      {"truncated", good.substr(0, good.size() - 30), "file_corrupt"},
      {"cut in half", good.substr(0, good.size() / 2), "file_corrupt"},
      {"malformed sheet xml", MakeXlsx("<row><c><v>1</v></row>"), "file_corrupt"},
      {"shared string index out of range",
       MakeXlsx("<row><c t=\"s\"><v>5</v></c></row>", {"<t>a</t>"}), "file_corrupt"},
      {"column beyond XFD", MakeXlsx("<row><c r=\"XFE1\"><v>1</v></c></row>"), "file_corrupt"},
      {"DOCTYPE (entity tricks)",
       MakeZip({{"xl/workbook.xml",
                 "<!DOCTYPE w [<!ENTITY a \"aaaa\">]><workbook><sheets/></workbook>"}}),
       "file_corrupt"},
      {"sheet part missing",
       MakeZip({{"xl/workbook.xml",
                 std::string("<workbook xmlns:r=\"") + testing::kRelNs +
                     "\"><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>"}}),
       "file_corrupt"},
      {"no sheets at all", MakeZip({{"xl/workbook.xml", "<workbook><sheets/></workbook>"}}),
       "sheet_not_found"},
  };
  for (const auto& c : cases) {
    auto [rows, reason] = ReadTable(c.bytes, "t.xlsx");
    EXPECT_EQ(reason, c.reason) << c.what;
  }
}

// Sets the uncompressed size of every header of `name` to `size` (a zip that
// lies about its content).
void LieAboutSize(std::string& zip, const std::string& name, uint32_t size) {
  auto patch = [&](std::string_view sig, size_t size_off, size_t name_len_off, size_t name_off) {
    for (size_t p = zip.find(sig); p != std::string::npos; p = zip.find(sig, p + 1)) {
      uint16_t len;
      std::memcpy(&len, zip.data() + p + name_len_off, 2);
      if (zip.compare(p + name_off, len, name) == 0)
        std::memcpy(zip.data() + p + size_off, &size, 4);
    }
  };
  patch(std::string_view("PK\x03\x04", 4), 22, 26, 30);
  patch(std::string_view("PK\x01\x02", 4), 24, 28, 46);
}

TEST(XlsxReaderTest, RefusesZipBombs) {
  // 16 MB of whitespace inside valid sheet XML: compresses ~1000:1.
  std::string padding(16u << 20, ' ');
  std::string bomb = MakeXlsx("<row><c><v>1</v></c></row>" + padding);
  std::string sst_bomb = MakeXlsx("<row><c t=\"s\"><v>0</v></c></row>", {"<t>x</t>" + padding});
  std::string liar = bomb;
  LieAboutSize(liar, "xl/worksheets/sheet1.xml", 1000);
  std::string normal = MakeXlsx("<row><c><v>1</v></c></row>");

  struct Case {
    const char* what;
    const std::string& bytes;
    uint64_t max_inflated, max_ratio;
    const char* reason;
  };
  const Case cases[] = {
      {"sheet over the ratio", bomb, 1ull << 30, 200, "zip_bomb"},
      {"sheet over the size limit", bomb, 8u << 20, 1u << 20, "zip_bomb"},
      {"shared strings over the ratio", sst_bomb, 1ull << 30, 200, "zip_bomb"},
      {"headers lie: counted while inflating", liar, 1ull << 30, 200, "zip_bomb"},
      {"headers lie: size limit counted too", liar, 4u << 20, 1u << 20, "zip_bomb"},
      {"a normal file passes low limits", normal, 64 << 10, 50, ""},
  };
  for (const auto& c : cases) {
    ReadOptions opts;
    opts.max_inflated_bytes = c.max_inflated;
    opts.max_ratio = c.max_ratio;
    auto [rows, reason] = ReadTable(c.bytes, "bomb.xlsx", opts);
    EXPECT_EQ(reason, c.reason) << c.what;
  }
}

TEST(XlsxReaderTest, StopsAfterMaxRows) {
  std::string data;
  for (int i = 1; i <= 6; ++i) data += "<row><c><v>" + std::to_string(i) + "</v></c></row>";
  std::string gap = "<row r=\"1\"><c><v>1</v></c></row><row r=\"4000000000\"><c><v>2</v></c></row>";
  struct Case {
    const char* what;
    std::string sheet;
    uint64_t max_rows;
    size_t rows;
    const char* reason;
  };
  const Case cases[] = {
      {"over", data, 4, 4, "too_many_rows"},
      {"exactly", data, 6, 6, ""},
      {"a far row number counts the rows in between", gap, 10, 10, "too_many_rows"},
  };
  for (const auto& c : cases) {
    ReadOptions opts;
    opts.max_rows = c.max_rows;
    auto [rows, reason] = ReadTable(MakeXlsx(c.sheet), "t.xlsx", opts);
    EXPECT_EQ(reason, c.reason) << c.what;
    EXPECT_EQ(rows.size(), c.rows) << c.what;
  }
}

}  // namespace
}  // namespace dd::import

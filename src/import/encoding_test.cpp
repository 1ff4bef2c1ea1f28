#include "import/encoding.hpp"

#include <gtest/gtest.h>

namespace dd::import {
namespace {

TEST(EncodingTest, ValidatesUtf8Strictly) {
  const std::pair<std::string, bool> cases[] = {
      {"plain ascii", true},       {"中文 and ascii", true}, {"\xF0\x9F\x98\x80", true},  // emoji
      {"\xC0\xAF", false},          // overlong
      {"\xED\xA0\x80", false},      // surrogate
      {"\xF4\x90\x80\x80", false},  // > U+10FFFF
      {"\xE4\xB8", false},          // truncated
      {"\xC4\xE3\xBA\xC3", false},  // GBK 你好
      {"12345678\x80", false},      // after the 8-byte fast path
  };
  for (const auto& [s, ok] : cases) EXPECT_EQ(IsValidUtf8(s), ok) << s;
}

TEST(EncodingTest, DetectsTheEncoding) {
  struct Case {
    const char* what;
    std::string bytes;
    TextEncoding encoding;
    std::string text;
  };
  const Case cases[] = {
      {"ascii", "a,b", TextEncoding::kUtf8, "a,b"},
      {"utf-8 bom", "\xEF\xBB\xBF中", TextEncoding::kUtf8, "中"},
      {"utf-16le bom", std::string("\xFF\xFE\x2D\x4E", 4), TextEncoding::kUtf16Le, "中"},
      {"utf-16be bom", std::string("\xFE\xFF\x4E\x2D", 4), TextEncoding::kUtf16Be, "中"},
      {"utf-16le no bom", std::string("a\0,\0b\0", 6), TextEncoding::kUtf16Le, "a,b"},
      {"utf-16be no bom", std::string("\0a\0,\0b", 6), TextEncoding::kUtf16Be, "a,b"},
      {"gbk", "\xC4\xE3\xBA\xC3", TextEncoding::kGbk, "你好"},
      {"gbk euro", "\x80", TextEncoding::kGbk, "€"},
  };
  for (const auto& c : cases) {
    auto d = DecodeText(c.bytes);
    ASSERT_TRUE(d.ok()) << c.what << ": " << d.error().reason;
    EXPECT_EQ(d->encoding, c.encoding) << c.what;
    std::string text = d->converted ? d->utf8 : c.bytes.substr(d->bom_size);
    EXPECT_EQ(text, c.text) << c.what;
  }
}

TEST(EncodingTest, RefusesBinaryAndUnknownEncodings) {
  auto nul = DecodeText(std::string("abc\0def\x01", 8));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().reason, "file_not_spreadsheet");
  auto unknown = DecodeText("a\x81\x7F");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason, "file_encoding_unknown");
}

}  // namespace
}  // namespace dd::import

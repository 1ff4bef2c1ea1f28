#include "http/multipart.hpp"

#include <gtest/gtest.h>

namespace dd::http {
namespace {

const char* kType = "multipart/form-data; boundary=----xyz";

TEST(MultipartTest, ParsesFieldsAndFilesWithBinaryData) {
  std::string file("PK\x03\x04\r\n--not-a-boundary\0\xff", 22);
  std::string body =
      "------xyz\r\nContent-Disposition: form-data; name=\"batch_name\"\r\n\r\n"
      "五月名单\r\n"
      "------xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"客户.xlsx\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n" +
      file + "\r\n------xyz--\r\n";
  auto parts = ParseMultipart(kType, body);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(FindPart(*parts, "batch_name")->data, "五月名单");
  const FormPart* f = FindPart(*parts, "file");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->filename, "客户.xlsx");
  EXPECT_EQ(f->content_type, "application/octet-stream");
  EXPECT_EQ(f->data, file);
  EXPECT_EQ(FindPart(*parts, "nope"), nullptr);
}

TEST(MultipartTest, RefusesMalformedBodies) {
  struct Case {
    const char* type;
    std::string body;
    const char* reason;
  };
  const Case cases[] = {
      {"application/json", "{}", "multipart_expected"},
      {"multipart/form-data", "x", "multipart_expected"},
      {kType, "no delimiter at all", "multipart_invalid"},
      {kType, "------xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
       "multipart_invalid"},
      {kType, "------xyz\r\nno blank line", "multipart_invalid"},
  };
  for (const auto& c : cases) {
    auto r = ParseMultipart(c.type, c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().reason, c.reason) << c.body;
  }
}

}  // namespace
}  // namespace dd::http

// A multipart/form-data parser (RFC 7578) over a body held in memory. Parts
// are views into the body: nothing is copied, so the upload exists once, in
// the request buffer that the caller wipes when done. Thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dd::http {

struct FormPart {
  std::string name;      // form field name
  std::string filename;  // set for file fields
  std::string content_type;
  std::string_view data;  // view into the request body
};

// `content_type` is the request's Content-Type header. Errors: 400
// "multipart_expected" (not multipart or no boundary), "multipart_invalid".
Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body);

// The first part named `name`, or nullptr.
const FormPart* FindPart(const std::vector<FormPart>& parts, std::string_view name);

}  // namespace dd::http

// Text encoding detection and conversion to UTF-8 for csv/txt uploads.
//
// Detection, without asking the user: a BOM decides (UTF-8, UTF-16LE,
// UTF-16BE); else a BOM-less UTF-16 is recognised by its pattern of zero
// bytes; else valid UTF-8 is UTF-8; else GBK/CP936 (Excel's "ANSI" on Chinese
// Windows, where 0x80 is the euro sign); else GB18030 (4-byte sequences).
// Anything else is "file_encoding_unknown". All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace dd::import {

enum class TextEncoding { kUtf8, kUtf16Le, kUtf16Be, kGbk, kGb18030 };

const char* EncodingName(TextEncoding e);

struct DecodedText {
  TextEncoding encoding = TextEncoding::kUtf8;
  // When `converted` is false the text is `input.substr(bom_size)` (no copy);
  // otherwise it is `utf8`.
  bool converted = false;
  size_t bom_size = 0;
  std::string utf8;
};

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Detects the encoding of `bytes` and converts it to UTF-8 when needed.
// Errors: "file_encoding_unknown"; "file_not_spreadsheet" for NUL bytes in a
// text that is not UTF-16.
Result<DecodedText> DecodeText(std::string_view bytes);

// Converts `bytes` from the ICU converter `from` (e.g. "windows-936") to UTF-8.
// With `strict`, an unmappable or illegal sequence fails the conversion
// (returns false); otherwise it becomes U+FFFD.
bool ConvertToUtf8(std::string_view bytes, const char* from, bool strict, std::string* out);

}  // namespace dd::import

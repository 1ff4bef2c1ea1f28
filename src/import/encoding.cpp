#include "import/encoding.hpp"

#include <unicode/ucnv.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace dd::import {

const char* EncodingName(TextEncoding e) {
  switch (e) {
    case TextEncoding::kUtf8: return "UTF-8";
    case TextEncoding::kUtf16Le: return "UTF-16LE";
    case TextEncoding::kUtf16Be: return "UTF-16BE";
    case TextEncoding::kGbk: return "GBK";
    case TextEncoding::kGb18030: return "GB18030";
  }
  return "?";
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII fast path, 8 bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

bool ConvertToUtf8(std::string_view bytes, const char* from, bool strict, std::string* out) {
  UErrorCode err = U_ZERO_ERROR;
  std::unique_ptr<UConverter, decltype(&ucnv_close)> src(ucnv_open(from, &err), &ucnv_close);
  if (U_FAILURE(err)) return false;
  std::unique_ptr<UConverter, decltype(&ucnv_close)> dst(ucnv_open("UTF-8", &err), &ucnv_close);
  if (U_FAILURE(err)) return false;
  if (strict) {
    ucnv_setToUCallBack(src.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
    if (U_FAILURE(err)) return false;
  }
  out->clear();
  out->resize(bytes.size() + bytes.size() / 2 + 64);
  UChar pivot[4096];
  UChar* pivot_source = pivot;
  UChar* pivot_target = pivot;
  const char* s = bytes.data();
  const char* s_end = s + bytes.size();
  size_t written = 0;
  bool reset = true;
  for (;;) {
    err = U_ZERO_ERROR;
    char* t = out->data() + written;
    ucnv_convertEx(dst.get(), src.get(), &t, out->data() + out->size(), &s, s_end, pivot,
                   &pivot_source, &pivot_target, pivot + 4096, reset, /*flush=*/true, &err);
    written = static_cast<size_t>(t - out->data());
    reset = false;
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      out->resize(out->size() * 2);
      continue;
    }
    break;
  }
  if (U_FAILURE(err)) return false;
  out->resize(written);
  return true;
}

namespace {

// Recognises BOM-less UTF-16 (ASCII-heavy text has every other byte zero).
bool LooksLikeUtf16(std::string_view b, bool* little_endian) {
  if (b.size() < 4 || b.size() % 2 != 0) return false;
  size_t n = std::min<size_t>(b.size(), 4096);
  size_t pairs = n / 2, even_zero = 0, odd_zero = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    even_zero += b[i] == 0;
    odd_zero += b[i + 1] == 0;
  }
  if (odd_zero * 10 >= pairs * 4 && even_zero * 20 <= pairs) {
    *little_endian = true;
    return true;
  }
  if (even_zero * 10 >= pairs * 4 && odd_zero * 20 <= pairs) {
    *little_endian = false;
    return true;
  }
  return false;
}

}  // namespace

Result<DecodedText> DecodeText(std::string_view bytes) {
  DecodedText d;
  auto utf16 = [&](TextEncoding enc, size_t bom) -> Result<DecodedText> {
    d.encoding = enc;
    d.bom_size = bom;
    d.converted = true;
    const char* name = enc == TextEncoding::kUtf16Le ? "UTF-16LE" : "UTF-16BE";
    if (!ConvertToUtf8(bytes.substr(bom), name, /*strict=*/false, &d.utf8)) {
      return InvalidArgument("file_encoding_unknown");
    }
    return std::move(d);
  };
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    d.bom_size = 3;
    if (!IsValidUtf8(bytes.substr(3))) return InvalidArgument("file_encoding_unknown");
    return d;
  }
  if (bytes.starts_with("\xFF\xFE")) return utf16(TextEncoding::kUtf16Le, 2);
  if (bytes.starts_with("\xFE\xFF")) return utf16(TextEncoding::kUtf16Be, 2);
  bool le = false;
  if (LooksLikeUtf16(bytes, &le)) {
    return utf16(le ? TextEncoding::kUtf16Le : TextEncoding::kUtf16Be, 0);
  }
  // NUL bytes outside UTF-16 mean a binary file, not text.
  if (!bytes.empty() && std::memchr(bytes.data(), 0, bytes.size()) != nullptr) {
    return InvalidArgument("file_not_spreadsheet").WithInternal("NUL byte in text");
  }
  if (IsValidUtf8(bytes)) return d;
  d.converted = true;
  if (ConvertToUtf8(bytes, "windows-936", /*strict=*/true, &d.utf8)) {
    d.encoding = TextEncoding::kGbk;
    return d;
  }
  if (ConvertToUtf8(bytes, "GB18030", /*strict=*/true, &d.utf8)) {
    d.encoding = TextEncoding::kGb18030;
    return d;
  }
  return InvalidArgument("file_encoding_unknown");
}

}  // namespace dd::import

#include "import/table_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "import/reader_internal.hpp"

namespace dd::import {

Error FileCorrupt(std::string detail) {
  return InvalidArgument("file_corrupt").WithInternal(std::move(detail));
}

Error NotSpreadsheet(std::string detail) {
  return InvalidArgument("file_not_spreadsheet").WithInternal(std::move(detail));
}

Error ZipBomb(std::string detail) {
  return Error(ErrorCode::kTooLarge, "zip_bomb").WithInternal(std::move(detail));
}

Error TooManyRows(uint64_t limit) {
  return Error(ErrorCode::kTooLarge, "too_many_rows", {{"limit", std::to_string(limit)}});
}

Error SheetNotFound(std::string_view sheet) {
  return InvalidArgument("sheet_not_found", {{"sheet", std::string(sheet)}});
}

Error FileEncrypted() { return InvalidArgument("file_encrypted"); }

namespace {

std::string ShortestDouble(double d) {
  if (!std::isfinite(d)) return "";
  if (d == 0) return "0";  // also -0
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return "";
  return std::string(buf, end);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string DoubleText(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) {
    if (d == 0) return "0";
    return std::to_string(static_cast<int64_t>(d));
  }
  return ShortestDouble(d);
}

std::string NumberText(std::string_view s) {
  std::string_view t = s;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  size_t i = 0;
  bool negative = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) negative = t[i++] == '-';
  // Mantissa digits without the point; int_digits = digits before the point.
  std::string digits;
  int64_t int_digits = 0;
  bool seen_point = false, any_digit = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (IsDigit(c)) {
      any_digit = true;
      if (digits.empty() && c == '0') {  // leading zero: no significant digit yet
        if (seen_point) --int_digits;
        continue;
      }
      digits.push_back(c);
      if (!seen_point) ++int_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any_digit) return std::string(s);
  int64_t exponent = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    size_t j = i + 1;
    bool exp_negative = false;
    if (j < t.size() && (t[j] == '+' || t[j] == '-')) exp_negative = t[j++] == '-';
    if (j >= t.size() || !IsDigit(t[j])) return std::string(s);
    for (; j < t.size() && IsDigit(t[j]); ++j) {
      if (exponent < 100000) exponent = exponent * 10 + (t[j] - '0');
    }
    if (exp_negative) exponent = -exponent;
    i = j;
  }
  if (i != t.size()) return std::string(s);  // trailing junk: not a number
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  if (digits.empty()) return "0";
  // For a non-zero mantissa, leading zeros after the point were counted down.
  int64_t point = int_digits + exponent;  // digits before the decimal point
  if (point >= static_cast<int64_t>(digits.size()) && point <= 15) {
    std::string out;
    if (negative) out.push_back('-');
    out += digits;
    out.append(static_cast<size_t>(point) - digits.size(), '0');
    return out;
  }
  // Not integral, or too large: the shortest round-trip form of the double.
  std::string_view num = t;
  if (!num.empty() && num.front() == '+') num.remove_prefix(1);
  double d = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
  if (ptr != num.data() + num.size()) return std::string(s);
  if (ec == std::errc::result_out_of_range) return std::string(s);
  return DoubleText(d);
}

namespace {

bool StartsWith(std::string_view b, std::string_view magic) {
  return b.size() >= magic.size() && b.substr(0, magic.size()) == magic;
}

std::string LowerExtension(std::string_view filename) {
  auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return "";
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// Magic numbers of common non-spreadsheet files that may be uploaded by
// mistake under a .csv/.txt name.
constexpr std::string_view kBinaryMagics[] = {
    std::string_view("%PDF"),
    std::string_view("\x89PNG"),
    std::string_view("GIF8"),
    std::string_view("\xFF\xD8\xFF"),
    std::string_view("\x7F"
                     "ELF"),
    std::string_view("\x1F\x8B"),
    std::string_view("Rar!"),
    std::string_view("7z\xBC\xAF"),
    std::string_view("PK\x05\x06"),
    std::string_view("PK\x07\x08"),
    std::string_view("MZ"),
};

}  // namespace

Result<Format> DetectFormat(std::string_view bytes, std::string_view filename) {
  if (bytes.empty()) return InvalidArgument("file_empty");
  if (StartsWith(bytes, "PK\x03\x04")) {
    DD_ASSIGN_OR_RETURN(bool workbook, ZipHoldsWorkbook(bytes));
    if (!workbook) return NotSpreadsheet("zip without a workbook");
    return Format::kXlsx;
  }
  if (StartsWith(bytes, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    // An encrypted xlsx is an OLE2 file with an "EncryptedPackage" stream.
    static constexpr char kEncrypted[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
    if (memmem(bytes.data(), bytes.size(), kEncrypted, sizeof kEncrypted - 1) != nullptr) {
      return FileEncrypted();
    }
    return Format::kXls;
  }
  std::string ext = LowerExtension(filename);
  if (ext == "csv" || ext == "txt" || ext == "tsv") {
    for (auto magic : kBinaryMagics) {
      if (StartsWith(bytes, magic)) return NotSpreadsheet("binary magic under a text name");
    }
    return Format::kCsv;
  }
  return NotSpreadsheet("unknown magic and extension");
}

Result<std::unique_ptr<TableReader>> OpenTable(std::string_view bytes, std::string_view filename,
                                               const ReadOptions& opts) {
  DD_ASSIGN_OR_RETURN(Format format, DetectFormat(bytes, filename));
  switch (format) {
    case Format::kXlsx: return OpenXlsx(bytes, opts);
    case Format::kXls: return OpenXls(bytes, opts);
    case Format::kCsv: return OpenCsv(bytes, opts);
  }
  return InternalError("unknown format");
}

}  // namespace dd::import

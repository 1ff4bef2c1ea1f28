// PhoneCleaner: turns one spreadsheet cell of a lead list into phone numbers.
//
// A cell such as "手机:138-1234-5678（微信同号）/ 0755-12345678转801" becomes
// a PhoneInfo for +8613812345678 (the phone) and one for +8675512345678 with
// extension "801" (an alternate). Cells without a valid number get a stable
// invalid_reason code; its user-facing message is the i18n key
// "phone.<invalid_reason>" (i18n/phone.<lang>.json).
//
// Cleaning rules, in order:
//  - trim; fold full-width forms (０-９ ＋ （） － ， ； ／ ＃ ．, U+3000) and
//    Unicode dashes to ASCII;
//  - split the cell at / , ， ; ； 、 | 。 and line breaks; text that is not
//    part of a number (labels "手机:", notes "（微信同号）", "同微信", letters)
//    also separates numbers;
//  - inside a piece, digits joined by spaces, dashes, dots or brackets are
//    groups; the longest run of groups that forms a valid number is taken,
//    then the next, so "13812345678 13987654321" is two numbers and
//    "0755 1234 5678" is one;
//  - "+86", "0086", "(+86)" and, before an 11-digit mobile, "86" are
//    country-code prefixes; "+86 (0)755..." drops the trunk 0;
//  - extensions: "转801", "转 8", "ext 801", "ext.801", "x801", "#801",
//    "分机801", and a trailing "-801" (1-6 digits, after a dash) following a
//    fixed-line number: "0755-12345678-801";
//  - an Excel float "1.3812345678E+10" is recovered when its mantissa holds
//    every digit (as many decimals as the exponent); "1.38123E+10" lost
//    digits and is rejected with "excel_float"; "13812345678.0" is
//    recovered;
//  - the first valid number is `phone`, the other valid ones (distinct
//    E.164) are `alternates`.
//
// Invalid reasons (when `phone` is empty): "empty" (blank cell),
// "not_a_number" (no digits: "无", "N/A", "-----"), "excel_float",
// "too_short", "too_long", "invalid_number" (right length, no such
// number). The reason describes the first piece of the cell that holds
// digits.
//
// Speed: numbers of the default region "CN" take a fast path. Validity,
// type, format, carrier and time zone of a Chinese number depend only on its
// length and a few leading national digits (tables::CnDecisiveDigits: 3 for
// "138...", 4 for "1340...", at most 6) — the generator derives this from
// the metadata's regular expressions — so they are
// computed once per such block with libphonenumber and cached; the region
// comes from a generated copy of the geocoder's +86 'zh' data; E.164 and
// display strings are built by hand. Everything else (foreign numbers,
// numbers libphonenumber's parser could read differently, such as 12593...
// carrier-selection prefixes) goes through plain libphonenumber (~13 µs).
// PhoneCleanerTest.FastPathMatchesLibphonenumber checks the two agree.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dd::phone {

struct PhoneInfo {
  std::string e164;       // "+8613812345678": the identity of a number
  std::string national;   // digits of the national format: "13812345678", "075512345678"
                          // (CN landlines keep the trunk 0); for other regions the
                          // national significant number
  std::string display;    // for dialling: national format for numbers of the default
                          // region ("138 1234 5678", "0755 1234 5678"), else international
                          // ("+1 650-253-0000")
  std::string type;       // "mobile", "fixed_line", "fixed_line_or_mobile", "toll_free",
                          // "premium_rate", "shared_cost", "voip", "personal_number",
                          // "pager", "uan", "voicemail", "unknown"
  std::string region;     // geocoder description in Chinese: "广东省深圳市"; the country
                          // name ("中国") for non-geographic numbers; empty if unknown
  std::string carrier;    // "中国移动" for mobiles of +86/+852/+853/+886; else empty
  std::string timezone;   // "Asia/Shanghai"; several zones joined by ','; empty if unknown
  std::string extension;  // "801" if one was given

  bool operator==(const PhoneInfo&) const = default;
};

struct CleanResult {
  std::optional<PhoneInfo> phone;     // the first valid number in the cell
  std::vector<PhoneInfo> alternates;  // other valid numbers in the same cell
  std::string invalid_reason;         // set iff phone is empty (codes above)
};

// Thread-safety: construct once, then share; Clean() and CleanWithPath() are
// const and may be called from any number of threads at once. The block
// cache inside is a lock-free open-addressing table (4 MB of slots, allocated
// at construction) holding at most kMaxCachedBlocks blocks; it is never
// evicted. A process-wide 2 MB index of the +86 geocoding data is built on
// first use.
class PhoneCleaner {
 public:
  // How numbers are resolved; kSlow bypasses the cache and the generated
  // geocoding table (plain libphonenumber + the carrier/time-zone tables).
  enum class Path { kFast, kSlow };

  // `default_region`: ISO 3166 code used for numbers without a country code.
  // The fast path is used only when it is "CN".
  explicit PhoneCleaner(std::string default_region = "CN");
  ~PhoneCleaner();
  PhoneCleaner(const PhoneCleaner&) = delete;
  PhoneCleaner& operator=(const PhoneCleaner&) = delete;

  // Cleans one cell (UTF-8; invalid UTF-8 bytes are treated as text).
  CleanResult Clean(std::string_view cell) const { return CleanWithPath(cell, Path::kFast); }

  // Clean() with a chosen resolution path: for tests and benchmarks.
  CleanResult CleanWithPath(std::string_view cell, Path path) const;

  static constexpr std::size_t kMaxCachedBlocks = 1 << 17;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dd::phone

#include "modules/phone/phone_cleaner.hpp"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <utility>

#include "modules/phone/phone_tables.hpp"

namespace dd::phone {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using ::i18n::phonenumbers::PhoneNumberUtil;

// Reason codes (also the suffix of the i18n key "phone.<reason>").
constexpr const char* kEmpty = "empty";
constexpr const char* kExcelFloat = "excel_float";
constexpr const char* kTooShort = "too_short";
constexpr const char* kTooLong = "too_long";
constexpr const char* kInvalidNumber = "invalid_number";
constexpr const char* kNotANumber = "not_a_number";

constexpr std::size_t kMaxCandidateDigits = 17;  // "00" + 15-digit E.164
constexpr std::size_t kGroupDigits = 20;         // digits kept per group
constexpr std::size_t kMaxGroups = 16;           // groups per segment

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

void AppendUtf8(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 code point at s[*i]; advances *i. Invalid bytes decode
// as themselves (one byte).
char32_t DecodeUtf8(std::string_view s, std::size_t* i) {
  auto b = static_cast<unsigned char>(s[*i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len <= 1 || *i + len > s.size()) {
    ++*i;
    return b;
  }
  char32_t cp = b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[*i + k]);
    if ((c & 0xC0) != 0x80) {
      ++*i;
      return b;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  *i += len;
  return cp;
}

// Folds full-width forms and Unicode spaces/dashes/list marks to ASCII;
// other characters are kept as they are.
std::string Fold(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp = DecodeUtf8(in, &i);
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
      cp -= 0xFEE0;  // full-width ASCII
    } else if (cp == 0x3000 || cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F) {
      cp = ' ';
    } else if (cp == 0x3001 || cp == 0x3002 || cp == 0xFF64 || cp == 0xFE50) {
      cp = ',';  // 、 。
    } else if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE63) {
      cp = '-';
    } else if (cp == 0x3010 || cp == 0x3014) {
      cp = '(';  // 【 〔
    } else if (cp == 0x3011 || cp == 0x3015) {
      cp = ')';
    }
    AppendUtf8(&out, cp);
  }
  return out;
}

bool IsHardSeparator(char c) {
  return c == ',' || c == ';' || c == '/' || c == '|' || c == '\n' || c == '\r' || c == '\\';
}

enum class FloatKind { kNotFloat, kRecovered, kLost };

// Recognises numbers Excel turned into floats: "1.3812345678E+10" (all
// digits present: recovered), "1.38123E+10" (digits lost), "13812345678.0".
FloatKind ParseExcelFloat(std::string_view s, std::string* digits) {
  std::size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) ++i;
  std::string_view int_part = s.substr(0, i);
  if (int_part.empty()) return FloatKind::kNotFloat;
  std::string_view frac;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    frac = s.substr(start, i - start);
  }
  if (i == s.size()) {
    // "13812345678.0": a float with an all-zero fraction.
    if (frac.empty() || frac.find_first_not_of('0') != std::string_view::npos ||
        int_part.size() < 5) {
      return FloatKind::kNotFloat;
    }
    digits->assign(int_part);
    return FloatKind::kRecovered;
  }
  if (s[i] != 'e' && s[i] != 'E') return FloatKind::kNotFloat;
  ++i;
  if (i < s.size() && s[i] == '+') ++i;
  std::size_t exp_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i != s.size() || i == exp_start || i - exp_start > 2) return FloatKind::kNotFloat;
  int exponent = std::stoi(std::string(s.substr(exp_start)));
  // The mantissa carries every digit only when the decimals exactly fill
  // the exponent; otherwise Excel rounded digits away (or it is no integer).
  if (static_cast<int>(frac.size()) != exponent) return FloatKind::kLost;
  digits->assign(int_part);
  digits->append(frac);
  return FloatKind::kRecovered;
}

const char* TypeName(PhoneNumberUtil::PhoneNumberType t) {
  switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return "fixed_line";
    case PhoneNumberUtil::MOBILE: return "mobile";
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return "fixed_line_or_mobile";
    case PhoneNumberUtil::TOLL_FREE: return "toll_free";
    case PhoneNumberUtil::PREMIUM_RATE: return "premium_rate";
    case PhoneNumberUtil::SHARED_COST: return "shared_cost";
    case PhoneNumberUtil::VOIP: return "voip";
    case PhoneNumberUtil::PERSONAL_NUMBER: return "personal_number";
    case PhoneNumberUtil::PAGER: return "pager";
    case PhoneNumberUtil::UAN: return "uan";
    case PhoneNumberUtil::VOICEMAIL: return "voicemail";
    case PhoneNumberUtil::UNKNOWN: return "unknown";
  }
  return "unknown";
}

std::string DigitsOf(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (IsDigit(c)) d.push_back(c);
  }
  return d;
}

const char* TableString(int index) {
  if (index <= 0 || static_cast<std::size_t>(index) >= tables::kStringCount) return "";
  return tables::kStrings[index];
}

// Carrier as python-phonenumbers' carrier.name_for_number: only for mobile
// types, longest E.164 prefix. Index into tables::kStrings (0: none).
int CarrierIndex(PhoneNumberUtil::PhoneNumberType type, std::string_view e164_digits) {
  if (type != PhoneNumberUtil::MOBILE && type != PhoneNumberUtil::FIXED_LINE_OR_MOBILE &&
      type != PhoneNumberUtil::PAGER) {
    return 0;
  }
  return std::max(0, tables::LookupLongestPrefix(tables::kCarrierTable, e164_digits));
}

// Time zones as python-phonenumbers' timezone.time_zones_for_number. Index
// into tables::kStrings (0: unknown).
int TimeZoneIndex(PhoneNumberUtil::PhoneNumberType type, bool geographical, std::string_view cc,
                  std::string_view e164_digits) {
  if (type == PhoneNumberUtil::UNKNOWN) return 0;
  int idx = tables::LookupLongestPrefix(tables::kTimeZoneTable, geographical ? e164_digits : cc);
  if (idx <= 0 || std::string_view(tables::kStrings[idx]) == "Etc/Unknown") return 0;
  return idx;
}

// A dense index of the +86 geocoding table: for national numbers starting
// with digit d, the region of every prefix of depth[d] digits (longest match
// already resolved), so a lookup is one array read. Built once from
// tables::kCnGeoTable; immutable afterwards.
class CnGeoIndex {
 public:
  static const CnGeoIndex& Get() {
    static const CnGeoIndex index;  // thread-safe initialisation
    return index;
  }

  // The kStrings index of the region of `nsn` (>= 7 digits), 0 if none.
  int Lookup(std::string_view nsn) const {
    int d = nsn[0] - '0';
    if (depth_[d] == 0 || nsn.size() < static_cast<std::size_t>(depth_[d])) return Slow(nsn);
    std::size_t i = 0;
    for (int k = 1; k < depth_[d]; ++k) i = i * 10 + static_cast<std::size_t>(nsn[k] - '0');
    return dense_[d][i];
  }

 private:
  static constexpr int kMaxDepth = 7;  // 10^6 entries of 2 bytes

  CnGeoIndex() {
    const auto& t = tables::kCnGeoTable;
    for (std::size_t l = 0; l < t.num_levels; ++l) {
      int k = t.levels[l].digits - 2;  // national digits of the key
      for (std::size_t i = 0; i < t.levels[l].size; ++i) {
        int d = static_cast<int>(t.levels[l].keys[i] / Pow10(k - 1) % 10);
        if (k >= 1) depth_[d] = std::max(depth_[d], k);
      }
    }
    for (int d = 0; d < 10; ++d) {
      if (depth_[d] > kMaxDepth) depth_[d] = 0;  // too deep: binary search instead
      if (depth_[d] > 0) dense_[d].assign(Pow10(depth_[d] - 1), 0);
    }
    // Shorter keys first, so that longer (more specific) keys overwrite.
    for (std::size_t l = t.num_levels; l-- > 0;) {
      int k = t.levels[l].digits - 2;
      if (k < 1) continue;
      for (std::size_t i = 0; i < t.levels[l].size; ++i) {
        uint64_t national = t.levels[l].keys[i] % Pow10(k);
        int d = static_cast<int>(national / Pow10(k - 1));
        if (depth_[d] == 0) continue;
        std::size_t rest = national % Pow10(k - 1);
        std::size_t span = Pow10(depth_[d] - k);
        std::fill_n(dense_[d].begin() + static_cast<std::ptrdiff_t>(rest * span), span,
                    t.levels[l].values[i]);
      }
    }
  }

  static std::size_t Pow10(int n) {
    std::size_t p = 1;
    while (n-- > 0) p *= 10;
    return p;
  }

  static int Slow(std::string_view nsn) {
    std::array<char, 24> buf{'8', '6'};
    std::size_t n = std::min(nsn.size(), buf.size() - 2);
    std::copy_n(nsn.data(), n, buf.data() + 2);
    return std::max(0, tables::LookupLongestPrefix(tables::kCnGeoTable, {buf.data(), n + 2}));
  }

  std::array<int, 10> depth_{};
  std::array<std::vector<uint16_t>, 10> dense_;
};

// Display template: the display string with the national significant
// number's digits replaced by '#' (matched from the right, so a leading
// trunk "0" stays a literal). False if the digits do not line up.
bool MakeTemplate(std::string_view display, std::string_view nsn, std::string* tmpl) {
  tmpl->assign(display);
  std::size_t k = nsn.size();
  for (std::size_t i = display.size(); i-- > 0;) {
    if (!IsDigit(display[i])) continue;
    if (k == 0) break;
    if (display[i] != nsn[k - 1]) return false;
    (*tmpl)[i] = '#';
    --k;
  }
  return k == 0;
}

std::string FillTemplate(std::string_view tmpl, std::string_view nsn) {
  std::string out(tmpl);
  std::size_t k = 0;
  for (char& c : out) {
    if (c == '#') c = k < nsn.size() ? nsn[k++] : '?';
  }
  return out;
}

// What the metadata says about all Chinese numbers of one length sharing
// their first tables::CnDecisiveDigits() digits, packed in one
// word (0: not cached):
//   bit 0 present, bit 1 usable (else the fast path defers to Describe),
//   bits 2-4 reason (index into kBlockReasons; 0: valid), bits 5-8 the
//   PhoneNumberType, bit 9 geographical, bits 16-31 carrier and bits 32-47
//   time zone (kStrings indexes), bits 48-55 display template (intern index).
namespace block {
constexpr uint64_t kPresent = 1, kUsable = 2;
constexpr const char* kReasons[] = {nullptr, kTooShort, kTooLong, kInvalidNumber};
constexpr int kMaxTemplates = 256;

uint64_t ReasonBits(const char* reason) {
  for (uint64_t i = 1; i < 4; ++i) {
    if (reason == kReasons[i]) return i << 2;
  }
  return 3 << 2;
}
const char* Reason(uint64_t v) { return kReasons[(v >> 2) & 3]; }
PhoneNumberUtil::PhoneNumberType Type(uint64_t v) {
  return static_cast<PhoneNumberUtil::PhoneNumberType>((v >> 5) & 15);
}
bool Geographical(uint64_t v) { return (v >> 9) & 1; }
int Carrier(uint64_t v) { return static_cast<int>((v >> 16) & 0xFFFF); }
int TimeZone(uint64_t v) { return static_cast<int>((v >> 32) & 0xFFFF); }
int Template(uint64_t v) { return static_cast<int>((v >> 48) & 0xFF); }
}  // namespace block

// One run of digits inside a segment.
struct Group {
  std::array<char, kGroupDigits> digits{};
  std::size_t len = 0;  // real length (may exceed kGroupDigits)
  bool plus = false;    // preceded by '+'
  bool ext = false;     // preceded by an extension marker
  char sep = 0;         // soft separator before it: ' ', '-', '.', '(', ')'
  std::string_view view() const { return {digits.data(), std::min(len, kGroupDigits)}; }
};

struct Candidate {
  std::array<char, kMaxCandidateDigits + 1> buf{};
  std::size_t len = 0;
  bool plus = false;
  std::string_view digits() const { return {buf.data(), len}; }
};

}  // namespace

struct PhoneCleaner::Impl {
  explicit Impl(std::string region)
      : default_region(std::move(region)),
        cn_fast(default_region == "CN"),
        util(*PhoneNumberUtil::GetInstance()),
        geo_locale("zh", "CN") {
    icu::UnicodeString name;
    icu::Locale("", "CN").getDisplayCountry(geo_locale, name);
    name.toUTF8String(cn_country_name);
  }

  // ---- resolution of one candidate ---------------------------------------

  // Fills `info` (minus extension) for a parsed number; returns the invalid
  // reason, or nullptr when valid. Uses libphonenumber, the geocoder and the
  // carrier/time-zone tables only.
  const char* Describe(const PhoneNumber& num, PhoneInfo* info) const {
    std::string nsn;
    util.GetNationalSignificantNumber(num, &nsn);
    if (!util.IsValidNumber(num)) return InvalidReason(num, nsn);
    auto type = util.GetNumberType(num);
    std::string region_code;
    util.GetRegionCodeForNumber(num, &region_code);
    bool home = region_code == default_region;
    util.Format(num, PhoneNumberUtil::E164, &info->e164);
    util.Format(num, home ? PhoneNumberUtil::NATIONAL : PhoneNumberUtil::INTERNATIONAL,
                &info->display);
    info->national = home ? DigitsOf(info->display) : nsn;
    info->type = TypeName(type);
    info->region = geocoder.GetDescriptionForNumber(num, geo_locale);
    std::string_view e164_digits = std::string_view(info->e164).substr(1);
    std::string cc = std::to_string(num.country_code());
    info->carrier = TableString(CarrierIndex(type, e164_digits));
    info->timezone = TableString(
        TimeZoneIndex(type, util.IsNumberGeographical(type, num.country_code()), cc, e164_digits));
    return nullptr;
  }

  const char* InvalidReason(const PhoneNumber& num, std::string_view nsn) const {
    if (num.country_code() == 86 && nsn.size() >= 2 && nsn[0] == '1' && nsn[1] >= '3' &&
        nsn.size() != 11) {
      return nsn.size() < 11 ? kTooShort : kTooLong;  // a mobile with digits missing/extra
    }
    switch (util.IsPossibleNumberWithReason(num)) {
      case PhoneNumberUtil::TOO_SHORT:
      case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY: return kTooShort;
      case PhoneNumberUtil::TOO_LONG: return kTooLong;
      default: return kInvalidNumber;
    }
  }

  // Plain libphonenumber: Parse + Describe.
  const char* Slow(const Candidate& c, PhoneInfo* info) const {
    std::string text;
    if (c.plus) text.push_back('+');
    text.append(c.digits());
    PhoneNumber num;
    switch (util.Parse(text, default_region, &num)) {
      case PhoneNumberUtil::NO_PARSING_ERROR: break;
      case PhoneNumberUtil::TOO_LONG_NSN: return kTooLong;
      case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return kInvalidNumber;
      default: return kTooShort;
    }
    return Describe(num, info);
  }

  static bool IsCnParsePrefix(std::string_view n) {
    // National-prefix-for-parsing / IDD carrier codes: 1[12]xx.., 179xx.
    return n.size() >= 2 && n[0] == '1' && (n[1] == '1' || n[1] == '2' || n.starts_with("179"));
  }

  // Resolves a candidate: canonical prefix handling, then the fast or the
  // slow path.
  const char* Resolve(Candidate c, Path path, PhoneInfo* info) const {
    if (c.len == 0) return kTooShort;
    std::string_view d = c.digits();
    if (cn_fast) {
      if (!c.plus && d.starts_with("00")) {  // CN international prefix
        std::memmove(c.buf.data(), c.buf.data() + 2, c.len - 2);
        c.len -= 2;
        c.plus = true;
        d = c.digits();
      } else if (!c.plus && ((d.size() == 13 && d.starts_with("861") && d[3] >= '3') ||
                             (d.size() >= 10 && d.starts_with("860")))) {
        c.plus = true;  // "86 138...", "86 0755...": no domestic number looks like this
      }
      std::string_view nsn;
      if (c.plus) {
        if (!d.starts_with("86")) return Slow(c, info);
        nsn = d.substr(2);
        if (nsn.starts_with("0")) nsn.remove_prefix(1);
        if (nsn.empty() || nsn[0] == '0' || nsn.size() < 7 || nsn.size() > 12 ||
            IsCnParsePrefix(nsn)) {
          return Slow(c, info);
        }
      } else {
        nsn = d;
        bool trunk = nsn.starts_with("0");
        if (trunk) nsn.remove_prefix(1);
        if (IsCnParsePrefix(nsn) || (!trunk && nsn.starts_with("86"))) return Slow(c, info);
        if (nsn.size() < 7) return kTooShort;
        if (nsn.size() > 12) return kTooLong;
      }
      if (path == Path::kSlow) return Slow(c, info);
      return FastCn(nsn, info);
    }
    if (d.size() > kMaxCandidateDigits) return kTooLong;
    return Slow(c, info);
  }

  // The fast path for a Chinese national significant number (7-12 digits,
  // first digit 1-9, no parse-time prefix).
  const char* FastCn(std::string_view nsn, PhoneInfo* info) const {
    uint64_t v = GetBlock(nsn);
    if (!(v & block::kUsable)) return Describe(CnNumber(nsn), info);
    if (const char* reason = block::Reason(v)) return reason;
    const std::string* tmpl = templates[block::Template(v)].load(std::memory_order_acquire);
    info->e164.reserve(3 + nsn.size());
    info->e164.assign("+86");
    info->e164.append(nsn);
    info->display = FillTemplate(*tmpl, nsn);
    info->national = DigitsOf(info->display);
    info->type = TypeName(block::Type(v));
    info->carrier = TableString(block::Carrier(v));
    info->timezone = TableString(block::TimeZone(v));
    info->region = CnRegion(nsn, block::Geographical(v));
    return nullptr;
  }

  // What the geocoder says about a valid Chinese number: the table's region,
  // else (or for non-geographical numbers) the country name.
  std::string CnRegion(std::string_view nsn, bool geographical) const {
    int idx = geographical ? CnGeoIndex::Get().Lookup(nsn) : 0;
    return idx > 0 ? std::string(tables::kStrings[idx]) : cn_country_name;
  }

  static PhoneNumber CnNumber(std::string_view nsn) {
    PhoneNumber num;
    num.set_country_code(86);
    uint64_t v = 0;
    for (char ch : nsn) v = v * 10 + static_cast<uint64_t>(ch - '0');
    num.set_national_number(v);
    return num;
  }

  // ---- the block cache ----------------------------------------------------
  //
  // An open-addressing table of kSlots (key, packed block) pairs of atomics:
  // lock-free reads; an insert claims a key slot by compare-and-swap and
  // then publishes the value with release semantics. A reader that finds the
  // key but no value yet computes the block itself. Never erased; inserts
  // stop at kMaxCachedBlocks (half the slots), after which uncached blocks
  // are computed each time.

  static uint64_t BlockKey(std::string_view nsn) {
    uint64_t prefix = 0;
    std::size_t n = tables::CnDecisiveDigits(nsn);
    for (std::size_t i = 0; i < n; ++i) prefix = prefix * 10 + static_cast<uint64_t>(nsn[i] - '0');
    return (static_cast<uint64_t>(nsn.size()) << 40) | (static_cast<uint64_t>(n) << 36) | prefix;
  }

  static std::size_t SlotOf(uint64_t key) {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> (64 - kSlotBits));
  }

  uint64_t GetBlock(std::string_view nsn) const {
    uint64_t key = BlockKey(nsn);
    for (std::size_t i = SlotOf(key);; i = (i + 1) & (kSlots - 1)) {
      uint64_t k = slots[i].key.load(std::memory_order_acquire);
      if (k == key) {
        uint64_t v = slots[i].value.load(std::memory_order_acquire);
        if (v != 0) return v;
        break;
      }
      if (k == 0) break;
    }
    uint64_t v = MakeBlock(nsn);
    if (cached.load(std::memory_order_relaxed) >= kMaxCachedBlocks) return v;
    for (std::size_t i = SlotOf(key);; i = (i + 1) & (kSlots - 1)) {
      uint64_t expected = 0;
      if (slots[i].key.compare_exchange_strong(expected, key, std::memory_order_acq_rel)) {
        slots[i].value.store(v, std::memory_order_release);
        cached.fetch_add(1, std::memory_order_relaxed);
        return v;
      }
      if (expected == key) return v;  // another thread inserted it
    }
  }

  uint64_t MakeBlock(std::string_view nsn) const {
    PhoneNumber num = CnNumber(nsn);
    PhoneInfo info;
    if (const char* reason = Describe(num, &info)) {
      return block::kPresent | block::kUsable | block::ReasonBits(reason);
    }
    auto type = util.GetNumberType(num);
    bool geographical = util.IsNumberGeographical(type, 86);
    std::string e164_digits = "86";
    e164_digits.append(nsn);
    int carrier = CarrierIndex(type, e164_digits);
    int tz = TimeZoneIndex(type, geographical, "86", e164_digits);
    std::string tmpl;
    int t = -1;
    // Check that the hand-built fields reproduce libphonenumber's for this
    // number; if not, numbers of this block always take the slow path.
    bool usable = info.e164 == "+" + e164_digits && MakeTemplate(info.display, nsn, &tmpl) &&
                  FillTemplate(tmpl, nsn) == info.display &&
                  info.national == DigitsOf(info.display) && info.carrier == TableString(carrier) &&
                  info.timezone == TableString(tz) && info.type == TypeName(type) &&
                  info.region == CnRegion(nsn, geographical) && (t = InternTemplate(tmpl)) >= 0;
    uint64_t v = block::kPresent | (static_cast<uint64_t>(type) << 5) |
                 (static_cast<uint64_t>(geographical) << 9) |
                 (static_cast<uint64_t>(carrier) << 16) | (static_cast<uint64_t>(tz) << 32);
    if (usable) v |= block::kUsable | (static_cast<uint64_t>(t) << 48);
    return v;
  }

  // The index of `tmpl` in `templates`, adding it if new; -1 when full.
  int InternTemplate(const std::string& tmpl) const {
    std::lock_guard lock(template_mu);
    for (std::size_t i = 0; i < template_store.size(); ++i) {
      if (*template_store[i] == tmpl) return static_cast<int>(i);
    }
    if (template_store.size() == block::kMaxTemplates) return -1;
    template_store.push_back(std::make_unique<const std::string>(tmpl));
    templates[template_store.size() - 1].store(template_store.back().get(),
                                               std::memory_order_release);
    return static_cast<int>(template_store.size() - 1);
  }

  static constexpr int kSlotBits = 18;
  static constexpr std::size_t kSlots = std::size_t{1} << kSlotBits;
  static_assert(kSlots >= 2 * kMaxCachedBlocks);
  struct Slot {
    std::atomic<uint64_t> key{0};
    std::atomic<uint64_t> value{0};
  };

  const std::string default_region;
  const bool cn_fast;
  const PhoneNumberUtil& util;
  const PhoneNumberOfflineGeocoder geocoder;  // thread-safe (internal mutex)
  const icu::Locale geo_locale;
  std::string cn_country_name;
  const std::unique_ptr<Slot[]> slots = std::make_unique<Slot[]>(kSlots);
  mutable std::atomic<std::size_t> cached{0};
  mutable std::mutex template_mu;
  mutable std::vector<std::unique_ptr<const std::string>> template_store;  // guarded by template_mu
  mutable std::array<std::atomic<const std::string*>, block::kMaxTemplates> templates{};

  class Cell;
};

// Collects the numbers of one cell. One per Clean() call; not shared.
class PhoneCleaner::Impl::Cell {
 public:
  Cell(const Impl& impl, Path path, CleanResult* result)
      : impl_(impl), path_(path), result_(result) {}

  void Piece(std::string_view piece) {
    piece = Trim(piece);
    if (piece.empty()) return;
    if (piece.find_first_of(".eE") != std::string_view::npos) {
      std::string digits;
      switch (ParseExcelFloat(piece, &digits)) {
        case FloatKind::kNotFloat: break;
        case FloatKind::kLost: NoteReason(kExcelFloat); return;
        case FloatKind::kRecovered: {
          Group g;
          g.len = digits.size();
          std::copy_n(digits.data(), std::min(g.len, kGroupDigits), g.digits.data());
          groups_[0] = g;
          n_ = 1;
          Segment();
          return;
        }
      }
    }
    Tokenize(piece);
  }

  const char* first_reason() const { return first_reason_; }

 private:
  void NoteReason(const char* reason) {
    if (first_reason_ == nullptr) first_reason_ = reason;
  }

  void Tokenize(std::string_view s) {
    bool in_group = false, pending_plus = false, pending_ext = false;
    char pending_sep = 0;
    auto close = [&] { in_group = false; };
    auto noise = [&] {
      in_group = false;
      pending_plus = pending_ext = false;
      pending_sep = 0;
      Segment();
    };
    for (std::size_t i = 0; i < s.size();) {
      char c = s[i];
      if (IsDigit(c)) {
        if (!in_group) {
          if (n_ == kMaxGroups) Segment();
          Group& g = groups_[n_++];
          g = Group();
          g.plus = pending_plus;
          g.ext = pending_ext;
          g.sep = pending_sep;
          pending_plus = pending_ext = false;
          pending_sep = 0;
          in_group = true;
        }
        Group& g = groups_[n_ - 1];
        if (g.len < kGroupDigits) g.digits[g.len] = c;
        ++g.len;
        ++i;
      } else if (c == '+') {
        close();
        pending_plus = true;
        ++i;
      } else if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')' ||
                 c == '[' || c == ']' || c == '\'' || c == '"' || c == '_' || c == '~') {
        close();
        if (pending_sep != '-') pending_sep = c;
        ++i;
      } else if (c == '#') {
        close();
        pending_ext = true;
        ++i;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        std::size_t start = i;
        while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
          ++i;
        }
        std::string word(s.substr(start, i - start));
        for (char& ch : word) ch = static_cast<char>(ch | 0x20);
        if (word == "x" || word == "ext" || word == "extn" || word == "extension") {
          close();
          pending_ext = true;
          while (i < s.size() && (s[i] == '.' || s[i] == ':' || s[i] == ' ')) ++i;
        } else {
          noise();
        }
      } else if (s.substr(i).starts_with("\xE8\xBD\xAC")) {  // 转
        close();
        pending_ext = true;
        i += 3;
      } else if (s.substr(i).starts_with("\xE5\x88\x86\xE6\x9C\xBA")) {  // 分机
        close();
        pending_ext = true;
        i += 6;
      } else {
        DecodeUtf8(s, &i);
        noise();
      }
    }
    Segment();
  }

  // Turns the groups collected so far into numbers.
  void Segment() {
    std::size_t n = n_;
    n_ = 0;
    std::size_t i = 0;
    while (i < n) {
      const Group& first = groups_[i];
      if (first.ext) {  // an extension with no number before it
        ++i;
        continue;
      }
      std::size_t jmax = i, total = first.len;
      while (jmax + 1 < n && !groups_[jmax + 1].plus && !groups_[jmax + 1].ext &&
             total + groups_[jmax + 1].len <= kMaxCandidateDigits) {
        total += groups_[++jmax].len;
      }
      bool found = false;
      PhoneInfo info;
      std::size_t j = jmax + 1;
      while (j-- > i) {
        Candidate c;
        c.plus = first.plus;
        for (std::size_t k = i; k <= j; ++k) {
          std::string_view d = groups_[k].view();
          if (groups_[k].len > kMaxCandidateDigits || c.len + d.size() > kMaxCandidateDigits) {
            c.len = kMaxCandidateDigits + 1;
            break;
          }
          std::copy(d.begin(), d.end(), c.buf.data() + c.len);
          c.len += d.size();
        }
        const char* reason =
            c.len > kMaxCandidateDigits ? kTooLong : impl_.Resolve(c, path_, &info);
        if (reason == nullptr) {
          found = true;
          break;
        }
        NoteReason(reason);
        info = PhoneInfo();
      }
      if (!found) {
        ++i;
        continue;
      }
      std::size_t next = j + 1;
      if (next < n) {
        const Group& g = groups_[next];
        bool trailing =
            g.sep == '-' && !g.plus && g.len >= 1 && g.len <= 6 && info.type != "mobile";
        if ((g.ext || trailing) && g.len <= kGroupDigits) {
          info.extension.assign(g.view());
          ++next;
        }
      }
      Add(std::move(info));
      i = next;
    }
  }

  void Add(PhoneInfo&& info) {
    if (!result_->phone) {
      result_->phone = std::move(info);
      return;
    }
    if (result_->phone->e164 == info.e164) return;
    for (const auto& a : result_->alternates) {
      if (a.e164 == info.e164) return;
    }
    result_->alternates.push_back(std::move(info));
  }

  const Impl& impl_;
  Path path_;
  CleanResult* result_;
  const char* first_reason_ = nullptr;
  std::array<Group, kMaxGroups> groups_;
  std::size_t n_ = 0;
};

PhoneCleaner::PhoneCleaner(std::string default_region)
    : impl_(std::make_unique<Impl>(std::move(default_region))) {}

PhoneCleaner::~PhoneCleaner() = default;

CleanResult PhoneCleaner::CleanWithPath(std::string_view cell, Path path) const {
  CleanResult result;
  std::string folded;
  std::string_view s = cell;
  for (char c : cell) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      folded = Fold(cell);
      s = folded;
      break;
    }
  }
  s = Trim(s);
  if (s.empty()) {
    result.invalid_reason = kEmpty;
    return result;
  }
  Impl::Cell cleaner(*impl_, path, &result);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || IsHardSeparator(s[i])) {
      cleaner.Piece(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (!result.phone) {
    result.invalid_reason = cleaner.first_reason() ? cleaner.first_reason() : kNotANumber;
  }
  return result;
}

}  // namespace dd::phone

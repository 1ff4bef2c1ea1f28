// Prefix tables generated at build time by scripts/gen-phone-tables from
// python3-phonenumbers' data (cmake/phone_tables.cmake), for what Debian's
// C++ libphonenumber lacks: carrier names and time zones. Also the +86 'zh'
// geocoding data, so that the fast path of PhoneCleaner can geocode Chinese
// numbers without calling the (mutex-guarded) offline geocoder.
//
// All tables are immutable static data: safe to read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dd::phone::tables {

// One key length of a prefix table: `size` sorted keys (a digit string read
// as a number; all keys of a level have `digits` digits) and the index into
// kStrings of each key's value.
struct PrefixLevel {
  int digits;
  const uint64_t* keys;
  const uint16_t* values;
  std::size_t size;
};

// Levels ordered by `digits`, longest first.
struct PrefixTable {
  const PrefixLevel* levels;
  std::size_t num_levels;
};

extern const char* const kDataVersion;  // python3-phonenumbers version, e.g. "8.12.57"
extern const char* const kStrings[];    // value pool; kStrings[0] == ""
extern const std::size_t kStringCount;

// Carrier by E.164 digits (country code + national number), for +86, +852,
// +853 and +886: the 'zh' name, else the 'en' name, else "".
extern const PrefixTable kCarrierTable;
// Time zones by E.164 digits, every country; several zones joined by ','.
extern const PrefixTable kTimeZoneTable;
// 'zh' geocoder description by E.164 digits, +86 only.
extern const PrefixTable kCnGeoTable;

// Which leading digits of a Chinese national significant number decide,
// with its length, its validity, type, format, carrier and time zone: a trie
// computed by the generator from the CN metadata's regular expressions and
// the carrier/time-zone keys. Node 0 is the empty prefix;
// kCnDecisiveTrie[n][c] is the node of prefix+c when more digits are
// needed, else -1.
extern const int16_t kCnDecisiveTrie[][10];
extern const std::size_t kCnDecisiveTrieSize;
extern const int kCnDecisiveMaxDigits;  // the most digits any prefix needs

// How many leading digits of `nsn` (ASCII digits, first digit 1-9) decide
// it: 3 for "138...", 5 for "17400...", 6 for "7551001..." (at most
// nsn.size()).
inline std::size_t CnDecisiveDigits(std::string_view nsn) {
  int node = 0;
  std::size_t i = 0;
  while (i < nsn.size()) {
    int next = kCnDecisiveTrie[node][nsn[i] - '0'];
    ++i;
    if (next < 0) break;
    node = next;
  }
  return i;
}

// Longest-prefix match of `digits` (ASCII digits) in `table`: the index into
// kStrings of the value of the longest key that is a prefix of `digits`, or
// -1 when no key matches. Pure function; thread-safe.
inline int LookupLongestPrefix(const PrefixTable& table, std::string_view digits) {
  for (std::size_t l = 0; l < table.num_levels; ++l) {
    const PrefixLevel& level = table.levels[l];
    if (static_cast<std::size_t>(level.digits) > digits.size()) continue;
    uint64_t key = 0;
    for (int i = 0; i < level.digits; ++i) key = key * 10 + static_cast<uint64_t>(digits[i] - '0');
    std::size_t lo = 0, hi = level.size;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      if (level.keys[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo < level.size && level.keys[lo] == key) return level.values[lo];
  }
  return -1;
}

}  // namespace dd::phone::tables

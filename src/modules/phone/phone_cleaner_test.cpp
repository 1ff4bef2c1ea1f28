#include "modules/phone/phone_cleaner.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "modules/phone/phone_tables.hpp"

namespace dd::phone {
namespace {

const PhoneCleaner& Cleaner() {
  static const PhoneCleaner cleaner;
  return cleaner;
}

struct Case {
  std::string cell;
  std::string e164;                          // expected phone; empty: no phone
  std::string extension;                     // expected extension of the phone
  std::string reason;                        // expected invalid_reason when e164 is empty
  std::vector<std::string> alternates = {};  // expected alternates' E.164
};

void Check(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE("cell: [" + c.cell + "]");
    CleanResult r = Cleaner().Clean(c.cell);
    if (c.e164.empty()) {
      EXPECT_FALSE(r.phone.has_value()) << r.phone->e164;
      EXPECT_EQ(r.invalid_reason, c.reason);
      continue;
    }
    ASSERT_TRUE(r.phone.has_value()) << r.invalid_reason;
    EXPECT_EQ(r.phone->e164, c.e164);
    EXPECT_EQ(r.phone->extension, c.extension);
    EXPECT_EQ(r.invalid_reason, "");
    std::vector<std::string> alts;
    for (const auto& a : r.alternates) alts.push_back(a.e164);
    EXPECT_EQ(alts, c.alternates);
  }
}

TEST(PhoneCleanerTest, MobileFields) {
  CleanResult r = Cleaner().Clean("13812345678");
  ASSERT_TRUE(r.phone);
  EXPECT_EQ(r.phone->e164, "+8613812345678");
  EXPECT_EQ(r.phone->national, "13812345678");
  EXPECT_EQ(r.phone->display, "138 1234 5678");
  EXPECT_EQ(r.phone->type, "mobile");
  EXPECT_EQ(r.phone->region, "江苏省连云港市");
  EXPECT_EQ(r.phone->carrier, "中国移动");
  EXPECT_EQ(r.phone->timezone, "Asia/Shanghai");
  EXPECT_EQ(r.phone->extension, "");
  EXPECT_TRUE(r.alternates.empty());
}

TEST(PhoneCleanerTest, LandlineFields) {
  CleanResult r = Cleaner().Clean("0755-12345678");
  ASSERT_TRUE(r.phone);
  EXPECT_EQ(r.phone->e164, "+8675512345678");
  EXPECT_EQ(r.phone->national, "075512345678");
  EXPECT_EQ(r.phone->display, "0755 1234 5678");
  EXPECT_EQ(r.phone->type, "fixed_line");
  EXPECT_EQ(r.phone->region, "广东省深圳市");
  EXPECT_EQ(r.phone->carrier, "");
  EXPECT_EQ(r.phone->timezone, "Asia/Shanghai");
}

TEST(PhoneCleanerTest, Trim) {
  Check({
      {"  13812345678  ", "+8613812345678", "", ""},
      {"\t13812345678\r\n", "+8613812345678", "", ""},
      {"'13812345678", "+8613812345678", "", ""},  // Excel text marker
  });
}

TEST(PhoneCleanerTest, FullWidth) {
  Check({
      {"１３８１２３４５６７８", "+8613812345678", "", ""},
      {"＋８６　１３８－１２３４－５６７８", "+8613812345678", "", ""},
      {"（０７５５）１２３４５６７８", "+8675512345678", "", ""},
      {"138\u30001234\u30005678", "+8613812345678", "", ""},
      {"０７５５－１２３４５６７８－８０１", "+8675512345678", "801", ""},
  });
}

TEST(PhoneCleanerTest, SeparatorsInsideNumbers) {
  Check({
      {"138-1234-5678", "+8613812345678", "", ""},
      {"138.1234.5678", "+8613812345678", "", ""},
      {"138 1234 5678", "+8613812345678", "", ""},
      {"(138)1234-5678", "+8613812345678", "", ""},
      {"[0755] 1234 5678", "+8675512345678", "", ""},
      {"138\u20141234\u20145678", "+8613812345678", "", ""},  // em dashes
  });
}

TEST(PhoneCleanerTest, CountryCodePrefixes) {
  Check({
      {"+8613812345678", "+8613812345678", "", ""},
      {"+86 138 1234 5678", "+8613812345678", "", ""},
      {"008613812345678", "+8613812345678", "", ""},
      {"0086-138-1234-5678", "+8613812345678", "", ""},
      {"8613812345678", "+8613812345678", "", ""},
      {"86 138 1234 5678", "+8613812345678", "", ""},
      {"(+86)13812345678", "+8613812345678", "", ""},
      {"(+86) 138-1234-5678", "+8613812345678", "", ""},
      {"+86(0)755 1234 5678", "+8675512345678", "", ""},
      {"+86 755 1234 5678", "+8675512345678", "", ""},
      {"0086 10 1234 5678", "+861012345678", "", ""},
      {"+1 650-253-0000", "+16502530000", "", ""},
  });
}

TEST(PhoneCleanerTest, Extensions) {
  Check({
      {"0755-12345678转801", "+8675512345678", "801", ""},
      {"0755-12345678 转 8", "+8675512345678", "8", ""},
      {"0755-12345678 ext 801", "+8675512345678", "801", ""},
      {"0755-12345678 ext.801", "+8675512345678", "801", ""},
      {"0755-12345678 EXT:801", "+8675512345678", "801", ""},
      {"0755-12345678x801", "+8675512345678", "801", ""},
      {"0755-12345678 #801", "+8675512345678", "801", ""},
      {"0755-12345678分机801", "+8675512345678", "801", ""},
      {"0755-12345678-801", "+8675512345678", "801", ""},
      {"010-12345678-1234", "+861012345678", "1234", ""},
      {"400-800-1234 转 2", "+864008001234", "2", ""},
      // A dash after a mobile starts no extension.
      {"13812345678-801", "+8613812345678", "", ""},
  });
}

TEST(PhoneCleanerTest, Notes) {
  Check({
      {"13812345678（微信同号）", "+8613812345678", "", ""},
      {"13812345678(同微信)", "+8613812345678", "", ""},
      {"13812345678 微信同号", "+8613812345678", "", ""},
      {"手机:13812345678", "+8613812345678", "", ""},
      {"手机：138 1234 5678", "+8613812345678", "", ""},
      {"Tel: 0755-12345678", "+8675512345678", "", ""},
      {"电话1：13812345678", "+8613812345678", "", ""},
  });
}

TEST(PhoneCleanerTest, SeveralNumbers) {
  std::vector<std::string> alt = {"+8613987654321"};
  Check({
      {"13812345678/13987654321", "+8613812345678", "", "", alt},
      {"13812345678,13987654321", "+8613812345678", "", "", alt},
      {"13812345678，13987654321", "+8613812345678", "", "", alt},
      {"13812345678;13987654321", "+8613812345678", "", "", alt},
      {"13812345678；13987654321", "+8613812345678", "", "", alt},
      {"13812345678、13987654321", "+8613812345678", "", "", alt},
      {"13812345678 13987654321", "+8613812345678", "", "", alt},
      {"13812345678\n13987654321", "+8613812345678", "", "", alt},
      {"13812345678 / 13812345678", "+8613812345678", "", ""},  // duplicates fold
      {"无/13987654321", "+8613987654321", "", ""},
      {"123 / 13987654321", "+8613987654321", "", ""},
      {"手机:13812345678 座机:0755-12345678转801", "+8613812345678", "", "", {"+8675512345678"}},
      {"138 1234 5678 139 8765 4321", "+8613812345678", "", "", alt},
      {"1.38123E+10/13987654321", "+8613987654321", "", ""},
  });
  CleanResult r = Cleaner().Clean("13812345678/0755-12345678转801");
  ASSERT_EQ(r.alternates.size(), 1u);
  EXPECT_EQ(r.alternates[0].extension, "801");
  EXPECT_EQ(r.alternates[0].region, "广东省深圳市");
}

TEST(PhoneCleanerTest, ExcelFloats) {
  Check({
      {"1.38123E+10", "", "", "excel_float"},
      {"1.38123e10", "", "", "excel_float"},
      {"1.38123E10", "", "", "excel_float"},
      {"1.3812345678E+10", "+8613812345678", "", ""},
      {"1.3812345678e10", "+8613812345678", "", ""},
      {"1.38123456789E+10", "", "", "excel_float"},  // not an integer
      {"13812345678.0", "+8613812345678", "", ""},
      {"13812345678.00", "+8613812345678", "", ""},
  });
}

TEST(PhoneCleanerTest, Landlines) {
  Check({
      {"010-12345678", "+861012345678", "", ""},
      {"0755 1234 5678", "+8675512345678", "", ""},
      {"(021)12345678", "+862112345678", "", ""},
      {"02112345678", "+862112345678", "", ""},
      {"0571-88888888", "+8657188888888", "", ""},
      {"0898-66123456", "+8689866123456", "", ""},
      {"0755-1234567", "", "", "invalid_number"},  // Shenzhen has 8-digit numbers
  });
  struct {
    const char* cell;
    const char* display;
    const char* region;
  } fields[] = {
      {"010-12345678", "010 1234 5678", "北京市"},
      {"(021)12345678", "021 1234 5678", "上海市"},
      {"0571-88888888", "0571 8888 8888", "浙江省杭州市"},
  };
  for (const auto& f : fields) {
    CleanResult r = Cleaner().Clean(f.cell);
    ASSERT_TRUE(r.phone) << f.cell;
    EXPECT_EQ(r.phone->display, f.display);
    EXPECT_EQ(r.phone->region, f.region);
    EXPECT_EQ(r.phone->type, "fixed_line");
  }
}

TEST(PhoneCleanerTest, ServiceNumbers) {
  CleanResult r = Cleaner().Clean("400-800-1234");
  ASSERT_TRUE(r.phone);
  EXPECT_EQ(r.phone->e164, "+864008001234");
  EXPECT_EQ(r.phone->display, "400 800 1234");
  EXPECT_EQ(r.phone->national, "4008001234");
  EXPECT_EQ(r.phone->type, "shared_cost");
  EXPECT_EQ(r.phone->carrier, "");
  EXPECT_EQ(r.phone->timezone, "Asia/Shanghai");
  r = Cleaner().Clean("800 810 8888");
  ASSERT_TRUE(r.phone);
  EXPECT_EQ(r.phone->e164, "+868008108888");
  EXPECT_EQ(r.phone->type, "toll_free");
}

TEST(PhoneCleanerTest, NewMobilePrefixes) {
  struct {
    const char* cell;
    const char* carrier;
  } cases[] = {
      {"19912345678", "中国电信"}, {"19812345678", "中国电信"}, {"19612345678", "中国联通"},
      {"16612345678", "中国联通"}, {"16512345678", ""},  // no carrier entry in the data
      {"19212345678", "CBN"},      {"17712345678", "中国电信"}, {"17612345678", "中国联通"},
      {"14512345678", "中国联通"}, {"18912345678", "中国电信"},
  };
  for (const auto& c : cases) {
    CleanResult r = Cleaner().Clean(c.cell);
    ASSERT_TRUE(r.phone) << c.cell << " " << r.invalid_reason;
    EXPECT_EQ(r.phone->type, "mobile") << c.cell;
    EXPECT_EQ(r.phone->carrier, c.carrier) << c.cell;
    EXPECT_FALSE(r.phone->region.empty()) << c.cell;
  }
}

TEST(PhoneCleanerTest, Garbage) {
  Check({
      {"", "", "", "empty"},
      {"   ", "", "", "empty"},
      {"\u3000", "", "", "empty"},
      {"无", "", "", "not_a_number"},
      {"N/A", "", "", "not_a_number"},
      {"-----", "", "", "not_a_number"},
      {"微信同号", "", "", "not_a_number"},
      {"123", "", "", "too_short"},
      {"0", "", "", "too_short"},
      {"1381234567", "", "", "too_short"},
      {"138123456789", "", "", "too_long"},
      {"1381234567890123456789", "", "", "too_long"},
      {"10012345678", "", "", "invalid_number"},
      {"+86 123", "", "", "too_short"},
  });
}

TEST(PhoneCleanerTest, ForeignNumbers) {
  CleanResult r = Cleaner().Clean("+1 650-253-0000");
  ASSERT_TRUE(r.phone);
  EXPECT_EQ(r.phone->display, "+1 650-253-0000");
  EXPECT_EQ(r.phone->national, "6502530000");
  EXPECT_EQ(r.phone->timezone, "America/Los_Angeles");
  r = Cleaner().Clean("+852 5123 4567");
  ASSERT_TRUE(r.phone) << r.invalid_reason;
  EXPECT_EQ(r.phone->e164, "+85251234567");
  EXPECT_EQ(r.phone->timezone, "Asia/Hong_Kong");
}

TEST(PhoneCleanerTest, OtherDefaultRegion) {
  PhoneCleaner us("US");
  CleanResult r = us.Clean("(650) 253-0000");
  ASSERT_TRUE(r.phone) << r.invalid_reason;
  EXPECT_EQ(r.phone->e164, "+16502530000");
  EXPECT_EQ(r.phone->display, "(650) 253-0000");
  r = us.Clean("+86 138 1234 5678");
  ASSERT_TRUE(r.phone);
  EXPECT_EQ(r.phone->display, "+86 138 1234 5678");
}

TEST(PhoneCleanerTest, GeneratedTables) {
  EXPECT_EQ(tables::CnDecisiveDigits("13812345678"), 3u);  // carrier keys 86130..86139
  EXPECT_EQ(tables::CnDecisiveDigits("13401234567"), 4u);  // carrier keys 861340..861349
  EXPECT_EQ(tables::CnDecisiveDigits("17400123456"), 5u);  // mobile pattern 1740[0-5]
  EXPECT_EQ(tables::CnDecisiveDigits("7551001234"), 6u);   // fixed line 755100\d\d
  EXPECT_LE(tables::kCnDecisiveMaxDigits, 9);
  EXPECT_STREQ(tables::kStrings[0], "");
  int idx = tables::LookupLongestPrefix(tables::kCarrierTable, "8613812345678");
  ASSERT_GT(idx, 0);
  EXPECT_STREQ(tables::kStrings[idx], "中国移动");
  idx = tables::LookupLongestPrefix(tables::kTimeZoneTable, "8675512345678");
  ASSERT_GT(idx, 0);
  EXPECT_STREQ(tables::kStrings[idx], "Asia/Shanghai");
  EXPECT_EQ(tables::LookupLongestPrefix(tables::kCarrierTable, "0"), -1);
}

// Cells of the kinds a lead list holds, from a fixed seed.
std::vector<std::string> RandomCells(std::size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto digits = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  // Area codes: the 2- and 3-digit landline prefixes of the +86 geo table.
  std::vector<std::string> areas;
  for (std::size_t l = 0; l < tables::kCnGeoTable.num_levels; ++l) {
    const auto& level = tables::kCnGeoTable.levels[l];
    if (level.digits != 4 && level.digits != 5) continue;
    for (std::size_t k = 0; k < level.size; ++k) {
      std::string key = std::to_string(level.keys[k]);
      if (key[2] != '1') areas.push_back(key.substr(2));
    }
  }
  areas.push_back("10");
  std::vector<std::string> cells;
  cells.reserve(count);
  while (cells.size() < count) {
    int kind = static_cast<int>(rng() % 100);
    std::string cell;
    if (kind < 60) {  // mobiles, 130-199
      cell = std::to_string(130 + rng() % 70) + digits(8);
      switch (rng() % 5) {
        case 0: cell = "+86" + cell; break;
        case 1: cell = "0086 " + cell; break;
        case 2: cell = cell.substr(0, 3) + " " + cell.substr(3, 4) + " " + cell.substr(7); break;
        default: break;
      }
    } else if (kind < 90) {  // landlines of many area codes, 7 or 8 digits
      const std::string& area = areas[rng() % areas.size()];
      cell = "0" + area + "-" + digits(rng() % 4 == 0 ? 7 : 8);
      if (rng() % 4 == 0) cell = "+86 " + cell.substr(1);
    } else if (kind < 93) {  // service numbers
      cell = (rng() % 2 ? "400" : "800") + digits(7);
    } else {  // invalid or odd: wrong lengths, random digits, parse prefixes
      switch (rng() % 4) {
        case 0: cell = "1" + digits(static_cast<int>(rng() % 14)); break;
        case 1: cell = digits(static_cast<int>(1 + rng() % 14)); break;
        case 2: cell = "17951" + std::to_string(130 + rng() % 70) + digits(8); break;
        default: cell = "0" + digits(static_cast<int>(6 + rng() % 8)); break;
      }
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

TEST(PhoneCleanerTest, FastPathMatchesLibphonenumber) {
  PhoneCleaner cleaner;  // a fresh cache
  std::vector<std::string> cells = RandomCells(100000, 20240521);
  std::size_t valid = 0, mismatches = 0;
  for (const auto& cell : cells) {
    CleanResult fast = cleaner.CleanWithPath(cell, PhoneCleaner::Path::kFast);
    CleanResult slow = cleaner.CleanWithPath(cell, PhoneCleaner::Path::kSlow);
    bool same = fast.phone.has_value() == slow.phone.has_value() &&
                fast.invalid_reason == slow.invalid_reason &&
                (!fast.phone || *fast.phone == *slow.phone);
    if (fast.phone) ++valid;
    if (!same && ++mismatches <= 20) {
      ADD_FAILURE() << "cell [" << cell << "]: fast "
                    << (fast.phone ? fast.phone->e164 + " " + fast.phone->display + " " +
                                         fast.phone->type + " " + fast.phone->region + " " +
                                         fast.phone->carrier + " " + fast.phone->timezone
                                   : fast.invalid_reason)
                    << " / slow "
                    << (slow.phone ? slow.phone->e164 + " " + slow.phone->display + " " +
                                         slow.phone->type + " " + slow.phone->region + " " +
                                         slow.phone->carrier + " " + slow.phone->timezone
                                   : slow.invalid_reason);
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(valid, 50000u);  // the sample is mostly valid numbers
}

TEST(PhoneCleanerTest, ConcurrentCleaningAgrees) {
  PhoneCleaner cleaner;
  std::vector<std::string> cells = RandomCells(20000, 7);
  std::vector<CleanResult> expected;
  {
    PhoneCleaner reference;
    for (const auto& c : cells) expected.push_back(reference.Clean(c));
  }
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        std::size_t k = (i + static_cast<std::size_t>(t) * 5000) % cells.size();
        CleanResult r = cleaner.Clean(cells[k]);
        if (r.phone.has_value() != expected[k].phone.has_value() ||
            (r.phone && *r.phone != *expected[k].phone) ||
            r.invalid_reason != expected[k].invalid_reason) {
          ++bad[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace dd::phone

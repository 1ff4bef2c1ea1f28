#include "modules/leak/leak_guard.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "modules/intake/intake_service.hpp"
#include "modules/leak/xlsx_export.hpp"

namespace dd::leak {
namespace {

using nlohmann::json;

TEST(LeakGuardTest, MasksNumbersLikeTheRejectsFile) {
  EXPECT_EQ(intake::MaskDigits("13812345678"), "138****5678");
  EXPECT_EQ(intake::MaskDigits("075512345678"), "075****5678");
  EXPECT_EQ(intake::MaskDigits("12345"), "1**45");
  EXPECT_EQ(intake::MaskDigits("123"), "***");
  EXPECT_EQ(intake::MaskDigits(""), "");
}

TEST(LeakGuardTest, MasksLongDigitRunsInText) {
  const struct {
    const char* in;
    const char* out;
  } cases[] = {
      {"备用 13912345678 微信同号", "备用 139****5678 微信同号"},
      {"tel 139-1234-5678.", "tel 139****5678."},
      {"138 1234 5678", "138****5678"},
      {"3 rooms, 120 m2, 2026", "3 rooms, 120 m2, 2026"},  // short runs stay
      {"万科城", "万科城"},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(MaskDigitRuns(c.in), c.out) << c.in;
}

TEST(LeakGuardTest, MaskDeskHidesTheNumberEverywhere) {
  json desk = {{"lead",
                {{"id", 7},
                 {"phone", "+8613812345678"},
                 {"phone_display", "138 1234 5678"},
                 {"attributes", {{"备用电话", "13912345678"}, {"楼盘", "万科城"}}},
                 {"alternates",
                  json::array({{{"phone", "+8613612345678"}, {"phone_display", "136 1234 5678"}}})},
                 {"history", json::array({{{"note", "他说打 13712345678"}}})}}},
               {"low_stock", false}};
  MaskDesk(desk, "13812345678");
  EXPECT_EQ(desk["masked"], true);
  EXPECT_TRUE(desk["lead"]["phone"].is_null());
  EXPECT_EQ(desk["lead"]["phone_display"], "138****5678");
  EXPECT_EQ(desk["lead"]["masked"], true);
  EXPECT_EQ(desk["lead"]["attributes"]["备用电话"], "139****5678");
  EXPECT_EQ(desk["lead"]["attributes"]["楼盘"], "万科城");
  EXPECT_EQ(desk["lead"]["history"][0]["note"], "他说打 137****5678");
  EXPECT_TRUE(desk["lead"]["alternates"][0]["phone"].is_null());
  EXPECT_EQ(desk["lead"]["alternates"][0]["phone_display"], "136****5678");
  EXPECT_EQ(desk.dump().find("12345678"), std::string::npos) << desk.dump();
}

TEST(LeakGuardTest, LimitsFromSettings) {
  Limits l = Limits::From({{"reveal_budget_per_hour", "0"},
                           {"fast_outcome_seconds", "3"},
                           {"fast_outcome_streak", "4"},
                           {"desk_masked", "1"},
                           {"unmask_budget_per_day", "2"}});
  EXPECT_EQ(l.reveal_budget, 0);
  EXPECT_EQ(l.fast_seconds, 3);
  EXPECT_EQ(l.fast_streak, 4);
  EXPECT_TRUE(l.masked);
  EXPECT_EQ(l.unmask_budget, 2);
  Limits d = Limits::From({});
  EXPECT_EQ(d.reveal_budget, 150);
  EXPECT_FALSE(d.masked);
}

size_t ExportDirs() {
  size_t n = 0;
  const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  for (const auto& e : std::filesystem::directory_iterator(base)) {
    if (e.path().filename().string().starts_with("dialdeck-export-")) ++n;
  }
  return n;
}

TEST(XlsxExportTest, BuildsAZipInMemoryAndLeavesNoFile) {
  const size_t before = ExportDirs();
  Watermark wm;
  wm.title = "t";
  wm.author = "mgr";
  wm.banner = "exported by mgr";
  wm.header = "A & B";
  wm.footer = "mgr";
  wm.custom = {{"exported_by", "mgr"}};
  auto x = XlsxExport::Create(wm, "leads", {"id", "name"});
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(ExportDirs(), before + 1);
  (*x)->AddRow({"1", "张三"});
  (*x)->AddRow({"2", ""});
  auto bytes = (*x)->Finish();
  ASSERT_TRUE(bytes.ok());
  ASSERT_GT(bytes->size(), 100u);
  EXPECT_EQ(bytes->substr(0, 2), "PK");
  x->reset();
  EXPECT_EQ(ExportDirs(), before);
}

}  // namespace
}  // namespace dd::leak

#include "core/i18n.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/embedded.hpp"

namespace dd::i18n {
namespace {

TEST(I18nTest, EveryKeyExistsInEveryLanguage) {
  ASSERT_GE(embed::i18n().size(), 2u);
  for (const auto& f : embed::i18n()) {
    auto j = nlohmann::json::parse(f.data);
    for (auto& [key, value] : j.items()) {
      EXPECT_TRUE(HasKeyInAllLanguages(key)) << key << " from " << f.path;
      EXPECT_FALSE(value.get<std::string>().empty()) << key;
    }
  }
}

TEST(I18nTest, PicksChineseUnlessEnglishComesFirst) {
  struct Case {
    const char* header;
    const char* lang;
  };
  const Case cases[] = {
      {"", "zh-CN"},
      {"zh-CN,zh;q=0.9", "zh-CN"},
      {"en", "en"},
      {"en-US,en;q=0.9", "en"},
      {"fr-FR", "zh-CN"},
      {" EN-gb", "en"},
      {"zh-CN,en;q=0.5", "zh-CN"},
  };
  for (const auto& c : cases) EXPECT_EQ(PickLanguage(c.header), c.lang) << c.header;
}

TEST(I18nTest, FillsArgumentsAndFallsBack) {
  EXPECT_EQ(Translate("en", "missing_field", {{"field", "username"}}), "Missing field: username.");
  EXPECT_EQ(Translate("zh-CN", "missing_field", {{"field", "username"}}), "缺少字段：username。");
  // Unknown language falls back to Chinese; unknown key to the key.
  EXPECT_EQ(Translate("de", "forbidden"), Translate("zh-CN", "forbidden"));
  EXPECT_EQ(Translate("en", "no.such.key"), "no.such.key");
}

}  // namespace
}  // namespace dd::i18n

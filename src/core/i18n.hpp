// Server-side translations: every user-facing message is looked up here by
// key in i18n/<lang>.json (compiled into the binary). Languages: "zh-CN"
// (default) and "en". Thread-safe after the first call.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace dd::i18n {

// "zh-CN" unless the Accept-Language / LANG value prefers English.
std::string PickLanguage(std::string_view accept_language);

// The message for `key` in `lang` with "{name}" placeholders filled from
// `args`. Falls back to zh-CN, then to the key itself.
std::string Translate(std::string_view lang, std::string_view key,
                      const std::map<std::string, std::string>& args = {});

// True when `key` exists in every language (used by tests).
bool HasKeyInAllLanguages(std::string_view key);

}  // namespace dd::i18n

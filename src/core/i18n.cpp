#include "core/i18n.hpp"

#include <nlohmann/json.hpp>

#include "core/embedded.hpp"

namespace dd::i18n {
namespace {

using Catalog = std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>;

const Catalog& Catalogs() {
  static const Catalog catalogs = [] {
    Catalog c;
    for (const auto& f : embed::i18n()) {
      // "/zh-CN.json" and "/import.zh-CN.json" both hold zh-CN messages.
      std::string lang(f.path.substr(1));
      if (lang.size() > 5 && lang.ends_with(".json")) lang.resize(lang.size() - 5);
      if (auto dot = lang.rfind('.'); dot != std::string::npos) lang = lang.substr(dot + 1);
      auto j = nlohmann::json::parse(f.data, nullptr, false);
      if (!j.is_object()) continue;
      for (auto& [k, v] : j.items()) {
        if (v.is_string()) c[lang][k] = v.get<std::string>();
      }
    }
    return c;
  }();
  return catalogs;
}

}  // namespace

std::string PickLanguage(std::string_view accept_language) {
  // The first language tag decides; anything English-like means "en".
  auto first = accept_language.substr(0, accept_language.find_first_of(",;"));
  while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
  if (first.size() >= 2 && (first[0] == 'e' || first[0] == 'E') &&
      (first[1] == 'n' || first[1] == 'N')) {
    return "en";
  }
  return "zh-CN";
}

std::string Translate(std::string_view lang, std::string_view key,
                      const std::map<std::string, std::string>& args) {
  const auto& cats = Catalogs();
  std::string text;
  for (std::string_view l : {lang, std::string_view("zh-CN")}) {
    auto c = cats.find(l);
    if (c == cats.end()) continue;
    auto m = c->second.find(key);
    if (m != c->second.end()) {
      text = m->second;
      break;
    }
  }
  if (text.empty()) text = std::string(key);
  for (const auto& [name, value] : args) {
    std::string ph = "{" + name + "}";
    for (size_t pos = text.find(ph); pos != std::string::npos;
         pos = text.find(ph, pos + value.size())) {
      text.replace(pos, ph.size(), value);
    }
  }
  return text;
}

bool HasKeyInAllLanguages(std::string_view key) {
  const auto& cats = Catalogs();
  if (cats.empty()) return false;
  for (const auto& [lang, msgs] : cats) {
    if (msgs.find(key) == msgs.end()) return false;
  }
  return true;
}

}  // namespace dd::i18n

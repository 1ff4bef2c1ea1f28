#include "core/i18n.hpp"

#include <cctype>
#include <cstdlib>
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
  // The supported language with the highest q-value wins (zh-CN on a tie or
  // when neither is named); an unsupported language is skipped.
  double best_q = 0;
  std::string best = "zh-CN";
  std::string_view rest = accept_language;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    std::string_view tag = item.substr(0, item.find(';'));
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    double q = 1.0;
    if (size_t qp = item.find("q="); qp != std::string_view::npos) {
      q = std::strtod(std::string(item.substr(qp + 2)).c_str(), nullptr);
    }
    auto starts = [&](std::string_view p) {
      if (tag.size() < p.size()) return false;
      for (size_t i = 0; i < p.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(tag[i])) != p[i]) return false;
      }
      return tag.size() == p.size() || tag[p.size()] == '-' || tag[p.size()] == '_';
    };
    const char* lang = starts("en") ? "en" : starts("zh") ? "zh-CN" : nullptr;
    if (lang && q > best_q) {
      best_q = q;
      best = lang;
    }
  }
  return best;
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

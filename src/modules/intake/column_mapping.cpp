#include "modules/intake/column_mapping.hpp"

#include <algorithm>
#include <array>

namespace dd::intake {
namespace {

constexpr std::array kPhoneNames = {
    "电话",     "手机",      "手机号",   "手机号码",    "联系电话",    "联系方式", "电话号码",
    "移动电话", "号码",      "客户电话", "联系手机",    "客户手机",    "phone",    "mobile",
    "tel",      "telephone", "cell",     "phonenumber", "mobilephone", "cellphone"};
constexpr std::array kNameNames = {"姓名",     "客户姓名",     "联系人",     "名字", "客户名称",
                                   "客户名",   "客户",         "称呼",       "name", "customer",
                                   "fullname", "customername", "contactname"};
constexpr std::array kAreaNames = {"区域",   "地区",   "所在地区", "城市",     "地址",
                                   "所在地", "省份",   "省市",     "所在城市", "area",
                                   "city",   "region", "address",  "location"};
// Substrings that mark a phone header in longer names ("客户手机号(必填)").
constexpr std::array kPhoneParts = {"电话", "手机", "phone", "mobile"};

template <size_t N>
bool In(const std::array<const char*, N>& names, std::string_view s) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

std::string ColumnLabel(size_t i) { return "列" + std::to_string(i + 1); }

}  // namespace

bool IsBlankCell(std::string_view c) {
  return std::all_of(c.begin(), c.end(),
                     [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; });
}

bool IsBlankRow(const std::vector<std::string>& row) {
  return std::all_of(row.begin(), row.end(), [](const std::string& c) { return IsBlankCell(c); });
}

std::string_view ColumnRoleName(ColumnRole r) {
  switch (r) {
    case ColumnRole::kPhone: return "phone";
    case ColumnRole::kName: return "name";
    case ColumnRole::kArea: return "area";
    case ColumnRole::kAttribute: return "attribute";
    case ColumnRole::kIgnore: return "ignore";
  }
  return "attribute";
}

std::optional<ColumnRole> ParseColumnRole(std::string_view s) {
  for (auto r : {ColumnRole::kPhone, ColumnRole::kName, ColumnRole::kArea, ColumnRole::kAttribute,
                 ColumnRole::kIgnore}) {
    if (ColumnRoleName(r) == s) return r;
  }
  return std::nullopt;
}

void ColumnMapping::IndexRoles() {
  phone_col = name_col = area_col = -1;
  for (size_t i = 0; i < roles.size(); ++i) {
    int idx = static_cast<int>(i);
    if (roles[i] == ColumnRole::kPhone && phone_col < 0) phone_col = idx;
    if (roles[i] == ColumnRole::kName && name_col < 0) name_col = idx;
    if (roles[i] == ColumnRole::kArea && area_col < 0) area_col = idx;
  }
}

std::string NormalizeHeader(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    // Full-width ASCII (U+FF01..U+FF5E: EF BC 81 .. EF BD 9E) -> ASCII.
    if (c == 0xEF && i + 2 < s.size()) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      unsigned char c2 = static_cast<unsigned char>(s[i + 2]);
      unsigned cp = ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        char a = static_cast<char>(cp - 0xFF01 + 0x21);
        if (std::isalnum(static_cast<unsigned char>(a))) {
          out += static_cast<char>(std::tolower(static_cast<unsigned char>(a)));
        }
        i += 3;
        continue;
      }
    }
    // Ideographic space and CJK brackets/colon are dropped like ASCII punctuation.
    if (c == 0xE3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
      i += 3;
      continue;
    }
    if (c < 0x80) {
      if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
      ++i;
      continue;
    }
    out += s[i];
    ++i;
  }
  return out;
}

Result<ColumnMapping> SuggestMapping(
    const std::vector<std::vector<std::string>>& rows,
    const std::function<bool(std::string_view)>& looks_like_phone) {
  const size_t n = std::min(rows.size(), kSampleRows);
  int best_row = -1, best_score = 0;
  for (size_t r = 0; r < n; ++r) {
    int score = 0;
    bool has_phone = false;
    for (const auto& cell : rows[r]) {
      std::string h = NormalizeHeader(cell);
      if (h.empty()) continue;
      if (In(kPhoneNames, h)) {
        has_phone = true;
        score += 2;
      } else if (In(kNameNames, h) || In(kAreaNames, h)) {
        score += 1;
      } else if (std::any_of(kPhoneParts.begin(), kPhoneParts.end(),
                             [&](const char* p) { return h.find(p) != std::string::npos; }) &&
                 h.size() <= 30) {
        has_phone = true;
        score += 1;
      }
    }
    if (has_phone && score > best_score) {
      best_score = score;
      best_row = static_cast<int>(r);
    }
  }

  size_t width = 0;
  for (size_t r = 0; r < n; ++r) width = std::max(width, rows[r].size());
  ColumnMapping m;
  m.header_row = best_row;
  m.headers.resize(width);
  m.roles.assign(width, ColumnRole::kAttribute);
  if (best_row >= 0) {
    const auto& hdr = rows[best_row];
    for (size_t i = 0; i < width; ++i) {
      m.headers[i] = i < hdr.size() && !hdr[i].empty() ? hdr[i] : ColumnLabel(i);
    }
    auto pick = [&](auto pred, ColumnRole role) {
      for (size_t i = 0; i < width; ++i) {
        if (m.roles[i] == ColumnRole::kAttribute && i < hdr.size() &&
            pred(NormalizeHeader(hdr[i]))) {
          m.roles[i] = role;
          return true;
        }
      }
      return false;
    };
    if (!pick([](const std::string& h) { return In(kPhoneNames, h); }, ColumnRole::kPhone)) {
      pick(
          [](const std::string& h) {
            return std::any_of(kPhoneParts.begin(), kPhoneParts.end(),
                               [&](const char* p) { return h.find(p) != std::string::npos; });
          },
          ColumnRole::kPhone);
    }
    pick([](const std::string& h) { return In(kNameNames, h); }, ColumnRole::kName);
    pick([](const std::string& h) { return In(kAreaNames, h); }, ColumnRole::kArea);
  } else {
    // No header: the column where most non-empty sampled cells are phones.
    for (size_t i = 0; i < width; ++i) m.headers[i] = ColumnLabel(i);
    int best_col = -1;
    size_t best_hits = 0;
    for (size_t c = 0; c < width; ++c) {
      size_t hits = 0, filled = 0;
      for (size_t r = 0; r < n; ++r) {
        if (c >= rows[r].size() || IsBlankCell(rows[r][c])) continue;
        ++filled;
        if (looks_like_phone(rows[r][c])) ++hits;
      }
      if (filled > 0 && hits * 2 >= filled && hits > best_hits) {
        best_hits = hits;
        best_col = static_cast<int>(c);
      }
    }
    if (best_col >= 0) m.roles[best_col] = ColumnRole::kPhone;
  }
  m.IndexRoles();
  if (m.phone_col < 0) return InvalidArgument("no_phone_column");
  return m;
}

Result<ColumnMapping> ApplyMappingJson(const ColumnMapping& base, const nlohmann::json& j,
                                       const std::vector<std::vector<std::string>>& rows) {
  if (!j.is_object()) return InvalidArgument("invalid_mapping");
  ColumnMapping m = base;
  if (j.contains("header_row")) {
    if (!j["header_row"].is_number_integer()) return InvalidArgument("invalid_mapping");
    int hr = j["header_row"].get<int>();
    if (hr < 0 || hr > static_cast<int>(kSampleRows)) return InvalidArgument("invalid_mapping");
    m.header_row = hr - 1;
    if (m.header_row >= 0 && m.header_row < static_cast<int>(rows.size())) {
      const auto& hdr = rows[m.header_row];
      for (size_t i = 0; i < m.headers.size(); ++i) {
        m.headers[i] = i < hdr.size() && !hdr[i].empty() ? hdr[i] : ColumnLabel(i);
      }
    } else {
      for (size_t i = 0; i < m.headers.size(); ++i) m.headers[i] = ColumnLabel(i);
    }
  }
  if (j.contains("columns")) {
    if (!j["columns"].is_array()) return InvalidArgument("invalid_mapping");
    for (const auto& c : j["columns"]) {
      if (!c.is_object() || !c.contains("index") || !c["index"].is_number_integer() ||
          !c.contains("role") || !c["role"].is_string()) {
        return InvalidArgument("invalid_mapping");
      }
      int idx = c["index"].get<int>();
      auto role = ParseColumnRole(c["role"].get<std::string>());
      if (idx < 0 || idx > 1000 || !role) return InvalidArgument("invalid_mapping");
      if (static_cast<size_t>(idx) >= m.roles.size()) {
        m.roles.resize(idx + 1, ColumnRole::kAttribute);
        for (size_t i = m.headers.size(); i <= static_cast<size_t>(idx); ++i)
          m.headers.push_back(ColumnLabel(i));
      }
      m.roles[idx] = *role;
    }
  }
  m.IndexRoles();
  if (m.phone_col < 0) return InvalidArgument("no_phone_column");
  return m;
}

Result<ColumnMapping> ApplyMappingSpec(const ColumnMapping& base, std::string_view spec) {
  ColumnMapping m = base;
  // Roles named in the spec replace the suggestion for that role.
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("invalid_mapping");
    auto role = ParseColumnRole(item.substr(0, eq));
    std::string_view col = item.substr(eq + 1);
    if (!role || col.empty()) return InvalidArgument("invalid_mapping");
    int idx = -1;
    if (std::all_of(col.begin(), col.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      idx = std::stoi(std::string(col)) - 1;
    } else if (col.size() <= 2 &&
               std::all_of(col.begin(), col.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      idx = 0;
      for (char c : col) idx = idx * 26 + (c - 'A' + 1);
      idx -= 1;
    } else {
      std::string want = NormalizeHeader(col);
      for (size_t i = 0; i < m.headers.size(); ++i) {
        if (NormalizeHeader(m.headers[i]) == want) {
          idx = static_cast<int>(i);
          break;
        }
      }
    }
    if (idx < 0 || idx > 1000) return InvalidArgument("invalid_mapping");
    if (static_cast<size_t>(idx) >= m.roles.size()) {
      m.roles.resize(idx + 1, ColumnRole::kAttribute);
      while (m.headers.size() < m.roles.size()) m.headers.push_back(ColumnLabel(m.headers.size()));
    }
    if (*role == ColumnRole::kPhone || *role == ColumnRole::kName || *role == ColumnRole::kArea) {
      for (auto& r : m.roles) {
        if (r == *role) r = ColumnRole::kAttribute;
      }
    }
    m.roles[idx] = *role;
  }
  m.IndexRoles();
  if (m.phone_col < 0) return InvalidArgument("no_phone_column");
  return m;
}

nlohmann::json MappingJson(const ColumnMapping& m) {
  nlohmann::json cols = nlohmann::json::array();
  for (size_t i = 0; i < m.roles.size(); ++i) {
    cols.push_back({{"index", i}, {"header", m.headers[i]}, {"role", ColumnRoleName(m.roles[i])}});
  }
  return {{"header_row", m.header_row + 1}, {"columns", cols}};
}

}  // namespace dd::intake

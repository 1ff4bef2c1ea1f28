// Which column of a lead file holds the phone, the name and the area: found
// by matching known header names among the first rows (the header may sit
// below title rows), or by content when there is no header. Pure functions;
// thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace dd::intake {

enum class ColumnRole { kPhone, kName, kArea, kAttribute, kIgnore };

std::string_view ColumnRoleName(ColumnRole r);
std::optional<ColumnRole> ParseColumnRole(std::string_view s);

struct ColumnMapping {
  int header_row = -1;               // 0-based index of the header row; -1 = none
  std::vector<std::string> headers;  // one per column ("列3" when there is no header)
  std::vector<ColumnRole> roles;     // one per column
  int phone_col = -1;
  int name_col = -1;
  int area_col = -1;

  // Recomputes phone_col/name_col/area_col from roles (first of each).
  void IndexRoles();
};

// How many leading rows SuggestMapping looks at.
inline constexpr size_t kSampleRows = 20;

// `looks_like_phone(cell)` says whether a cell holds a valid phone number
// (used when no header names a phone column). Error: no_phone_column.
Result<ColumnMapping> SuggestMapping(const std::vector<std::vector<std::string>>& first_rows,
                                     const std::function<bool(std::string_view)>& looks_like_phone);

// Applies a manager's choice: {"header_row": 1-based or 0, "columns":
// [{"index": 0-based, "role": "phone"}, ...]} over `base` (the suggestion).
// Errors: invalid_mapping, no_phone_column.
Result<ColumnMapping> ApplyMappingJson(const ColumnMapping& base, const nlohmann::json& j,
                                       const std::vector<std::vector<std::string>>& first_rows);

// Parses the CLI form "phone=电话,name=3,area=C" (header names, 1-based
// numbers or column letters).
Result<ColumnMapping> ApplyMappingSpec(const ColumnMapping& base, std::string_view spec);

nlohmann::json MappingJson(const ColumnMapping& m);

// Blank means only spaces, tabs and line breaks (or nothing).
bool IsBlankCell(std::string_view c);
bool IsBlankRow(const std::vector<std::string>& row);

// "" for a header cell -> normalised form used for matching (lower case, no
// spaces, punctuation or full-width forms).
std::string NormalizeHeader(std::string_view s);

}  // namespace dd::intake

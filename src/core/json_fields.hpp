// Typed reads of request JSON fields. Each failure is a 400 naming the field
// ("invalid_field"/"missing_field"), never an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace dd::jsonf {

Result<std::string> RequiredString(const nlohmann::json& j, const char* key);
Result<std::optional<std::string>> OptionalString(const nlohmann::json& j, const char* key);
Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& j,
                                           const char* key);  // null -> nullopt
Result<std::optional<bool>> OptionalBool(const nlohmann::json& j, const char* key);
// For PATCH: absent -> nullopt; null -> {nullopt}; a number -> {n}.
Result<std::optional<std::optional<int64_t>>> PatchNullableInt(const nlohmann::json& j,
                                                               const char* key);

}  // namespace dd::jsonf

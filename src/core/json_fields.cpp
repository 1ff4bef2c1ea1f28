#include "core/json_fields.hpp"

namespace dd::jsonf {
namespace {
Error Invalid(const char* key) { return InvalidArgument("invalid_field", {{"field", key}}); }
}  // namespace

Result<std::string> RequiredString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return InvalidArgument("missing_field", {{"field", key}});
  if (!it->is_string()) return Invalid(key);
  return it->get<std::string>();
}

Result<std::optional<std::string>> OptionalString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Invalid(key);
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return Invalid(key);
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<std::optional<bool>> OptionalBool(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return Invalid(key);
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::optional<int64_t>>> PatchNullableInt(const nlohmann::json& j,
                                                               const char* key) {
  using R = std::optional<std::optional<int64_t>>;
  auto it = j.find(key);
  if (it == j.end()) return R();
  if (it->is_null()) return R(std::optional<int64_t>());
  if (!it->is_number_integer()) return Invalid(key);
  return R(std::optional<int64_t>(it->get<int64_t>()));
}

}  // namespace dd::jsonf

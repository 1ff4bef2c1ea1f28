#include "core/result.hpp"

namespace dd {

Error InternalError(std::string note) {
  Error e(ErrorCode::kInternal, "internal");
  e.internal = std::move(note);
  return e;
}

Error InvalidArgument(std::string reason, std::map<std::string, std::string> args) {
  return Error(ErrorCode::kInvalidArgument, std::move(reason), std::move(args));
}

Error NotFound(std::string what) {
  return Error(ErrorCode::kNotFound, "not_found", {{"what", std::move(what)}});
}

}  // namespace dd

// Error and Result<T>: how every layer reports expected failures.
//
// An Error carries a small fixed ErrorCode (mapped to HTTP in one place,
// src/http/problem.cpp), a stable machine `reason` that doubles as the key of
// the user-facing message in i18n/<lang>.json, arguments for that message,
// and an internal note for logs that users never see.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <variant>

namespace dd {

enum class ErrorCode {
  kInvalidArgument,   // 400: the caller sent something wrong
  kUnauthenticated,   // 401
  kPermissionDenied,  // 403
  kNotFound,          // 404
  kConflict,          // 409
  kTooLarge,          // 413
  kLocked,            // 423: e.g. an account locked after failed logins
  kRateLimited,       // 429
  kUnavailable,       // 503: e.g. the database is busy or gone
  kInternal,          // 500: a bug; never caused by input
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string reason;                       // e.g. "invalid_credentials"
  std::map<std::string, std::string> args;  // message arguments: {field} ...
  std::string internal;                     // for logs only
  int retry_after_s = 0;                    // Retry-After, when > 0
  std::chrono::milliseconds delay{0};       // answer only after this delay

  Error() = default;
  Error(ErrorCode c, std::string r, std::map<std::string, std::string> a = {})
      : code(c), reason(std::move(r)), args(std::move(a)) {}

  Error&& WithInternal(std::string note) && {
    internal = std::move(note);
    return std::move(*this);
  }
};

Error InternalError(std::string note);
Error InvalidArgument(std::string reason, std::map<std::string, std::string> args = {});
Error NotFound(std::string what);

// Result<T>: a T or an Error. Result<void> holds only success or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace dd

// Early return helpers in the spirit of leveldb's `if (!s.ok()) return s;`.
#define DD_CONCAT_INNER(a, b) a##b
#define DD_CONCAT(a, b) DD_CONCAT_INNER(a, b)
#define DD_RETURN_IF_ERROR(expr)                                \
  do {                                                          \
    auto dd_status_ = (expr);                                   \
    if (!dd_status_.ok()) return std::move(dd_status_).error(); \
  } while (0)
#define DD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).error();  \
  lhs = std::move(tmp).value()
#define DD_ASSIGN_OR_RETURN(lhs, expr) \
  DD_ASSIGN_OR_RETURN_IMPL(DD_CONCAT(dd_result_, __LINE__), lhs, expr)

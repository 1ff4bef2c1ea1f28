// Plain request/response types shared by the server (Beast) and the router
// (no Beast), so business code never includes Beast or Asio.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dd::http {

struct Request {
  std::string method;  // "GET"
  std::string target;  // "/api/v1/users?x=1"
  std::string path;    // "/api/v1/users" (percent-decoding is not applied)
  std::string query;   // "x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string remote_ip;
  bool tls = false;

  std::string_view Header(std::string_view lower_name) const;
  std::string Cookie(std::string_view name) const;
  // The decoded value of ?name=..., or "" when absent.
  std::string QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Answer only after this delay (login slow-down); the server waits on a
  // timer, never blocking a thread.
  std::chrono::milliseconds delay{0};
  bool close = false;  // close the connection after this answer

  static Response Json(int status, const nlohmann::json& body);
  // A body already serialised as JSON.
  static Response JsonText(int status, std::string body);
  static Response NoContent();
  void SetHeader(std::string name, std::string value);
};

// What the server needs from the application. Both calls may run on any
// thread; Handle runs on a worker thread, never on an I/O thread.
class Handler {
 public:
  virtual ~Handler() = default;
  // Largest body accepted for this request line (checked before reading it).
  virtual size_t BodyLimit(std::string_view method, std::string_view target) const = 0;
  virtual Response Handle(Request& req) const = 0;
  // True when the request is answered at once, never waiting on the
  // database's write lock or doing heavy work: the server then handles it on
  // its I/O thread instead of handing it to a worker (a thread switch each
  // way, which costs more than such an answer).
  virtual bool Quick(std::string_view method, std::string_view target) const {
    (void)method;
    (void)target;
    return false;
  }
  // For a request not Quick: its answer if it can be given at once on the
  // I/O thread (a route's try_inline), else nullopt and Handle runs on a
  // worker. Never waits.
  virtual std::optional<Response> TryInline(Request& req) const {
    (void)req;
    return std::nullopt;
  }
  // A problem+json answer for errors the server finds itself: 400 (bad
  // request line or headers), 413 (body too large), 408 (too slow).
  virtual Response TransportError(int status, std::string_view accept_language, bool tls,
                                  size_t limit = 0) const = 0;
};

}  // namespace dd::http

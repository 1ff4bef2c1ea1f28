// The HTTP(S) server: Boost.Beast/Asio with C++20 coroutines. The only
// component that includes Beast. One coroutine per connection reads a request
// (header and body limits, timeouts), hands it to the Handler on a worker
// thread pool (so blocking database work never runs on an I/O thread; the
// quick requests, Handler::Quick, are answered on the I/O thread), waits
// for any requested delay on a timer, and writes the answer; keep-alive until
// the client closes or the server stops.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/message.hpp"

namespace dd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int io_threads = 1;
  int worker_threads = 16;
  int header_timeout_s = 15;  // to receive a request's header
  int idle_timeout_s = 60;    // keep-alive connection with no request
  int body_timeout_s = 300;   // to receive a body (uploads are large)
  int write_timeout_s = 60;
  int shutdown_grace_s = 15;  // in-flight requests get this long after SIGTERM
  std::string tls_cert_file;  // both set: HTTPS only
  std::string tls_key_file;
};

class Server {
 public:
  Server(const Handler& handler, ServerOptions opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; fails with a message when the address is taken or the
  // TLS files cannot be loaded.
  Status Listen();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Serves until SIGTERM/SIGINT or Stop(); then stops accepting, lets
  // in-flight requests finish (up to the grace period) and returns.
  void Run();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dd::http

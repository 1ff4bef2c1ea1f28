// Boost 1.74 + g++ 12: <utility> must come before the Asio headers.
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace dd::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::seconds;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;

// A live connection, so shutdown can close the idle ones.
struct ConnState {
  asio::any_io_executor ex;
  std::function<void()> close;
  bool idle = true;  // touched only on the connection's strand
  bool alive = true;
};

bool IsClientGone(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == ssl::error::stream_truncated ||
         ec == asio::error::broken_pipe;
}

}  // namespace

class Server::Impl {
 public:
  Impl(const Handler& handler, ServerOptions opts)
      : handler_(handler),
        opts_(std::move(opts)),
        ioc_(std::max(1, opts_.io_threads)),
        workers_(static_cast<size_t>(std::max(1, opts_.worker_threads))),
        acceptor_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM),
        grace_timer_(ioc_) {}

  Status Listen() {
    try {
      if (!opts_.tls_cert_file.empty() || !opts_.tls_key_file.empty()) {
        ssl_.emplace(ssl::context::tls_server);
        ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        ssl_->use_certificate_chain_file(opts_.tls_cert_file);
        ssl_->use_private_key_file(opts_.tls_key_file, ssl::context::pem);
      }
    } catch (const std::exception& e) {
      return Error(ErrorCode::kInvalidArgument, "tls_files_invalid").WithInternal(e.what());
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(opts_.host, ec);
    if (ec)
      return Error(ErrorCode::kInvalidArgument, "listen_address_invalid",
                   {{"address", opts_.host}});
    tcp::endpoint ep(address, opts_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error(
          ErrorCode::kUnavailable, "listen_failed",
          {{"address", opts_.host + ":" + std::to_string(opts_.port)}, {"error", ec.message()}});
    }
    return {};
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void Run() {
    signals_.async_wait([this](const beast::error_code& ec, int sig) {
      if (ec) return;
      spdlog::info("event=shutdown_requested signal={}", sig);
      Stop();
    });
    asio::co_spawn(ioc_, Accept(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    std::vector<std::thread> extra;
    for (int i = 1; i < opts_.io_threads; ++i) extra.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : extra) t.join();
    workers_.join();
    spdlog::info("event=stopped");
  }

  void Stop() {
    asio::post(ioc_, [this] {
      if (stopping_.exchange(true)) return;
      beast::error_code ec;
      acceptor_.close(ec);
      signals_.cancel();
      std::lock_guard lock(mu_);
      for (const auto& st : conns_) {
        asio::post(st->ex, [st] {
          if (st->alive && st->idle) st->close();
        });
      }
      if (conns_.empty()) return;
      grace_timer_.expires_after(seconds(opts_.shutdown_grace_s));
      grace_timer_.async_wait([this](const beast::error_code& e) {
        if (e) return;
        spdlog::warn("event=shutdown_forced open_connections={}", open_count());
        ioc_.stop();
      });
    });
  }

 private:
  size_t open_count() {
    std::lock_guard lock(mu_);
    return conns_.size();
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket sock =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
        continue;
      }
      sock.set_option(tcp::no_delay(true), ec);
      auto strand = asio::make_strand(ioc_);
      asio::co_spawn(strand, Connection(std::move(sock)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::warn("event=connection_error error=\"{}\"", ex.what());
        }
      });
    }
  }

  asio::awaitable<void> Connection(tcp::socket sock) {
    beast::error_code ec;
    const std::string remote = sock.remote_endpoint(ec).address().to_string();
    auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<ConnState>();
    st->ex = ex;
    if (ssl_) {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *ssl_);
      st->close = [&stream] {
        beast::error_code e;
        beast::get_lowest_layer(stream).socket().close(e);
      };
      Register(st);
      beast::get_lowest_layer(stream).expires_after(seconds(opts_.header_timeout_s));
      co_await stream.async_handshake(ssl::stream_base::server,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        co_await Serve(stream, *st, remote, true);
        beast::get_lowest_layer(stream).expires_after(seconds(5));
        co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
      }
      Unregister(st);
    } else {
      beast::tcp_stream stream(std::move(sock));
      st->close = [&stream] {
        beast::error_code e;
        stream.socket().close(e);
      };
      Register(st);
      co_await Serve(stream, *st, remote, false);
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      Unregister(st);
    }
  }

  void Register(const std::shared_ptr<ConnState>& st) {
    std::lock_guard lock(mu_);
    conns_.insert(st);
  }

  void Unregister(const std::shared_ptr<ConnState>& st) {
    st->alive = false;
    std::lock_guard lock(mu_);
    conns_.erase(st);
    if (stopping_ && conns_.empty()) grace_timer_.cancel();
  }

  template <class Stream>
  asio::awaitable<void> WriteResponse(Stream& stream, Response res, unsigned version,
                                      bool keep_alive, bool head = false) {
    if (head) {  // the headers GET would send, and no body
      bhttp::response<bhttp::empty_body> msg{static_cast<bhttp::status>(res.status), version};
      msg.set(bhttp::field::server, "Dialdeck");
      if (!res.content_type.empty()) msg.set(bhttp::field::content_type, res.content_type);
      for (auto& [k, v] : res.headers) msg.insert(k, v);
      msg.keep_alive(keep_alive);
      msg.content_length(res.body.size());
      beast::get_lowest_layer(stream).expires_after(seconds(opts_.write_timeout_s));
      beast::error_code ec;
      co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    bhttp::response<bhttp::string_body> msg{static_cast<bhttp::status>(res.status), version};
    msg.set(bhttp::field::server, "Dialdeck");
    if (!res.content_type.empty()) msg.set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) msg.insert(k, v);
    msg.body() = std::move(res.body);
    msg.keep_alive(keep_alive);
    msg.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(seconds(opts_.write_timeout_s));
    beast::error_code ec;
    co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
  }

  // After refusing a request whose body is still arriving, read and discard
  // what the client sends for a short while, so that closing the socket with
  // unread data (a TCP reset) does not destroy the answer before it is read.
  template <class Stream>
  asio::awaitable<void> Drain(Stream& stream, beast::flat_buffer& buffer) {
    constexpr size_t kMaxDrain = 64u << 20;
    size_t drained = 0;
    beast::get_lowest_layer(stream).expires_after(seconds(2));
    beast::error_code ec;
    while (drained < kMaxDrain) {
      buffer.consume(buffer.size());
      size_t n = co_await stream.async_read_some(buffer.prepare(64 * 1024),
                                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
      drained += n;
    }
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, ConnState& st, const std::string& remote, bool tls) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      if (stopping_) co_return;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // the route decides below
      beast::get_lowest_layer(stream).expires_after(
          seconds(first ? opts_.header_timeout_s : opts_.idle_timeout_s));
      st.idle = true;
      beast::error_code ec;
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
      st.idle = false;
      first = false;
      if (ec) {
        if (!IsClientGone(ec) && buffer.size() > 0) {
          co_await WriteResponse(stream, handler_.TransportError(400, "", tls), 11, false);
        }
        co_return;
      }
      const auto& head = parser.get();
      const std::string accept_language(head[bhttp::field::accept_language]);
      const unsigned version = head.version();
      const size_t limit = handler_.BodyLimit(head.method_string(), head.target());
      if (parser.content_length() && *parser.content_length() > limit) {
        co_await WriteResponse(stream, handler_.TransportError(413, accept_language, tls, limit),
                               version, false);
        co_await Drain(stream, buffer);
        co_return;
      }
      parser.body_limit(limit);
      // One allocation for the whole body: growing it would leave stale
      // copies of an upload behind in freed heap memory.
      if (parser.content_length()) {
        parser.get().body().reserve(static_cast<size_t>(*parser.content_length()));
      }
      if (beast::iequals(head[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
        co_await bhttp::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
      }
      if (!parser.is_done()) {
        beast::get_lowest_layer(stream).expires_after(seconds(opts_.body_timeout_s));
        co_await bhttp::async_read(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec == bhttp::error::body_limit) {
          co_await WriteResponse(stream, handler_.TransportError(413, accept_language, tls, limit),
                                 version, false);
          co_await Drain(stream, buffer);
          co_return;
        }
        if (ec) {
          if (!IsClientGone(ec)) {
            co_await WriteResponse(stream, handler_.TransportError(400, accept_language, tls),
                                   version, false);
          }
          co_return;
        }
      }
      const bool client_keep_alive = parser.get().keep_alive();
      auto msg = parser.release();
      Request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      const size_t q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& f : msg) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      req.body = std::move(msg.body());
      req.remote_ip = remote;
      req.tls = tls;

      const auto started = std::chrono::steady_clock::now();
      Response res;
      try {
        if (handler_.Quick(req.method, req.target)) {
          res = handler_.Handle(req);
        } else if (auto now = handler_.TryInline(req)) {
          res = std::move(*now);
        } else {
          res = co_await asio::co_spawn(
              workers_.get_executor(),
              [this, &req]() -> asio::awaitable<Response> { co_return handler_.Handle(req); },
              asio::use_awaitable);
        }
      } catch (const std::exception& e) {
        spdlog::error("event=handler_exception error=\"{}\"", e.what());
        res = handler_.TransportError(500, accept_language, tls);
      }
      if (res.delay.count() > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor, res.delay);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      const bool keep_alive = client_keep_alive && !res.close && !stopping_;
      const int status = res.status;
      co_await WriteResponse(stream, std::move(res), version, keep_alive, req.method == "HEAD");
      if (spdlog::should_log(spdlog::level::debug)) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
        spdlog::debug("event=http method={} path={} status={} us={} ip={}", req.method, req.path,
                      status, us, remote);
      }
      if (!keep_alive) co_return;
    }
  }

  const Handler& handler_;
  ServerOptions opts_;
  asio::io_context ioc_;
  asio::thread_pool workers_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer grace_timer_;
  std::optional<ssl::context> ssl_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::set<std::shared_ptr<ConnState>> conns_;
};

Server::Server(const Handler& handler, ServerOptions opts)
    : impl_(std::make_unique<Impl>(handler, std::move(opts))) {}
Server::~Server() = default;
Status Server::Listen() { return impl_->Listen(); }
uint16_t Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace dd::http

// Desk load generator (run by bench/run, not a test): N agents post outcomes
// concurrently over HTTP/1.1 keep-alive, each answering its current lead and
// getting the next one in the same response. One thread, non-blocking POSIX
// sockets and epoll, one connection per agent with at most one request in
// flight, so that on a small machine shared with the server it measures the
// server rather than itself.
//
//   dialdeck_desk_load BASE_URL AGENT_PREFIX N SECONDS PASSWORD
//                      [--pace MS | --rate R] [--logins K] [--timeout S] [--seed S]
//
// BASE_URL is http://HOST:PORT[/PREFIX] (no TLS). The agents are
// AGENT_PREFIX0 .. AGENT_PREFIX{N-1}, all with PASSWORD. First they log in
// (POST /api/v1/session, K at once, default 8: argon2id makes logins slow),
// then each fetches its desk (GET /api/v1/desk); neither is timed. Then for
// SECONDS each agent posts "not_interested" for its current lead
// (POST /api/v1/desk/outcome) and gets the next lead in the answer, until the
// time is up or it has no lead left. Three ways to pace the posts:
//   (default)  closed loop: post again as soon as the answer is in. The
//              server's ceiling; by Little's law the mean latency is
//              N / throughput. Latency from the send to the whole answer.
//   --pace MS  each agent waits a random 0..2×MS between an answer and its
//              next post, as people on the phone do (about N×1000/MS posts/s
//              offered). Latency from the send. A 6th positional argument is
//              taken as --pace (the old command line).
//   --rate R   open loop: R posts/s in all, shared evenly: each agent posts at
//              fixed intervals of N/R s from a random phase. An agent whose
//              previous answer has not arrived posts as soon as it does, and
//              latency is measured from the *scheduled* time, so a slow
//              server is not hidden by the client waiting for it (no
//              coordinated omission, as wrk2). Posts are sent only before the
//              time is up; those that were due by then but still waiting for
//              an earlier answer are counted in "unsent" (0 when the server
//              keeps up).
// --timeout S (default 30) fails a request with no whole answer after S s;
// --seed S fixes the random phases and pauses.
//
// Prints one JSON line: agents, mode ("closed", "paced", "open"), seconds
// (from the start of the posting to the last answer, or to the end of the
// time if an agent was still waiting then), outcomes, errors, outcomes_per_s,
// offered_per_s (R with --rate, else null), unsent (with --rate only), and
// p50_ms, p90_ms, p99_ms, max_ms over every answer to a post (errors too).
// A failed request (refused connection, connection closed, non-200 answer,
// timeout) is reported on stderr, counted in "errors", and stops its agent.
// Exit status 1 if not a single outcome was recorded, 2 on a usage error.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as the timerfd
using TimePoint = Clock::time_point;
using Nanos = std::chrono::nanoseconds;

double Ms(Nanos d) { return static_cast<double>(d.count()) / 1e6; }

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "dialdeck_desk_load: %s\n"
               "usage: dialdeck_desk_load BASE_URL AGENT_PREFIX N SECONDS PASSWORD\n"
               "                          [--pace MS | --rate R] [--logins K] [--timeout S] "
               "[--seed S]\n",
               why.c_str());
  std::exit(2);
}

double ParsePositive(std::string_view what, std::string_view s, bool allow_zero = false) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 0 ||
      (v == 0 && !allow_zero)) {
    Usage(std::string(what) + ": not a " + (allow_zero ? "non-negative" : "positive") +
          " number: '" + std::string(s) + "'");
  }
  return v;
}

enum class Mode { kClosed, kPaced, kOpen };

struct Options {
  std::string host;          // as given, for the Host header
  std::string connect_host;  // without IPv6 brackets
  std::string port = "80";
  std::string path_prefix;  // no trailing slash
  std::string prefix;
  int agents = 0;
  double seconds = 0;
  std::string password;
  Mode mode = Mode::kClosed;
  double pace_ms = 0;
  double rate = 0;
  int logins = 8;
  double timeout_s = 30;
  std::optional<uint64_t> seed;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--pace") {
      if (o.mode != Mode::kClosed) Usage("give one of --pace and --rate");
      o.mode = Mode::kPaced;
      o.pace_ms = ParsePositive("--pace", value());
    } else if (a == "--rate") {
      if (o.mode != Mode::kClosed) Usage("give one of --pace and --rate");
      o.mode = Mode::kOpen;
      o.rate = ParsePositive("--rate", value());
    } else if (a == "--logins") {
      o.logins = static_cast<int>(ParsePositive("--logins", value()));
      if (o.logins < 1) Usage("--logins: at least 1");
    } else if (a == "--timeout") {
      o.timeout_s = ParsePositive("--timeout", value());
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(ParsePositive("--seed", value(), true));
    } else if (a == "-h" || a == "--help") {
      Usage("help");
    } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
      Usage("unknown option " + a);
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() == 6) {  // the old command line: PACE_MS last
    if (o.mode != Mode::kClosed) Usage("give one of PACE_MS, --pace and --rate");
    o.pace_ms = ParsePositive("PACE_MS", pos[5], true);
    if (o.pace_ms > 0) o.mode = Mode::kPaced;
    pos.pop_back();
  }
  if (pos.size() != 5) Usage("expected 5 arguments, got " + std::to_string(pos.size()));

  std::string url = pos[0];
  if (url.rfind("https://", 0) == 0) Usage("https is not supported: " + url);
  if (url.rfind("http://", 0) != 0) Usage("BASE_URL must start with http://: " + url);
  url = url.substr(7);
  const size_t slash = url.find('/');
  std::string authority = url.substr(0, slash);
  if (slash != std::string::npos) o.path_prefix = url.substr(slash);
  while (!o.path_prefix.empty() && o.path_prefix.back() == '/') o.path_prefix.pop_back();
  if (authority.empty()) Usage("no host in BASE_URL");
  o.host = authority;
  if (authority[0] == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) Usage("bad IPv6 address in BASE_URL");
    o.connect_host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') Usage("bad BASE_URL");
      o.port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    o.connect_host = authority.substr(0, colon);
    if (colon != std::string::npos) o.port = authority.substr(colon + 1);
  }
  o.prefix = pos[1];
  const double n = ParsePositive("N", pos[2]);
  if (n != std::floor(n) || n > 100000) Usage("N: a whole number up to 100000");
  o.agents = static_cast<int>(n);
  o.seconds = ParsePositive("SECONDS", pos[3]);
  o.password = pos[4];
  return o;
}

// ---- HTTP/1.1 responses ----------------------------------------------------

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Response {
  int status = 0;
  bool close = false;   // Connection: close
  std::string session;  // "dd_session=VALUE" from Set-Cookie, if any
  std::string_view body;
};

// Parses one whole response from the front of buf. Returns 0 if more bytes
// are needed, the response's length once it is all there, or -1 with *error.
long ParseResponse(const std::string& buf, Response* r, std::string* error) {
  const size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (buf.size() > 64 * 1024) {
      *error = "response header over 64 KiB";
      return -1;
    }
    return 0;
  }
  std::string_view head(buf.data(), head_end);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // HTTP/1.1 200 OK
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    *error = "bad status line '" + std::string(status_line.substr(0, 80)) + "'";
    return -1;
  }
  int status = 0;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || p != status_line.data() + 12 || status < 100) {
    *error = "bad status line '" + std::string(status_line.substr(0, 80)) + "'";
    return -1;
  }
  r->status = status;
  r->close = status_line[7] == '0';  // HTTP/1.0 closes unless told otherwise
  std::optional<size_t> content_length;
  while (eol != std::string_view::npos) {
    const size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view line =
        head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "bad header line '" + std::string(line.substr(0, 80)) + "'";
      return -1;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      size_t n = 0;
      auto [q, ec2] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec2 != std::errc() || q != value.data() + value.size() ||
          (content_length && *content_length != n)) {
        *error = "bad Content-Length '" + std::string(value) + "'";
        return -1;
      }
      content_length = n;
    } else if (IEquals(name, "transfer-encoding")) {
      *error = "Transfer-Encoding '" + std::string(value) +
               "' is not supported (the server is expected to send Content-Length)";
      return -1;
    } else if (IEquals(name, "connection")) {
      if (IEquals(value, "close")) r->close = true;
      if (IEquals(value, "keep-alive")) r->close = false;
    } else if (IEquals(name, "set-cookie")) {
      if (value.rfind("dd_session=", 0) == 0)
        r->session = std::string(value.substr(0, value.find(';')));
    }
  }
  size_t length = 0;
  if (status == 204 || status == 304 || status < 200) {
    length = 0;
  } else if (!content_length) {
    *error = "response " + std::to_string(status) + " without Content-Length";
    return -1;
  } else {
    length = *content_length;
  }
  const size_t total = head_end + 4 + length;
  if (buf.size() < total) return 0;
  if (buf.size() > total) {
    *error = "bytes after the response, with no request in flight";
    return -1;
  }
  r->body = std::string_view(buf).substr(head_end + 4, length);
  return static_cast<long>(total);
}

// Finds lead.id in a desk answer ({"lead": {"id": 5, ...} | null, ...})
// without building the whole document.
class LeadSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool saw_lead = false;
  bool lead_null = false;
  std::optional<int64_t> id;
  std::string bad;

  bool null() override {
    if (Is(kLead)) saw_lead = lead_null = true;
    return Value();
  }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t v) override {
    if (Is(kId)) id = v;
    return Scalar();
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (Is(kId)) id = static_cast<int64_t>(v);
    return Scalar();
  }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool string(string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override {
    if (Is(kLead)) saw_lead = in_lead_ = true;
    ++depth_;
    key_ = kOther;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1 && k == "lead") {
      key_ = kLead;
    } else if (depth_ == 2 && in_lead_ && k == "id") {
      key_ = kId;
    } else {
      key_ = kOther;
    }
    return true;
  }
  bool end_object() override {
    --depth_;
    if (depth_ == 1) in_lead_ = false;
    return true;
  }
  bool start_array(std::size_t) override {
    if (Is(kLead)) bad = "lead is an array";
    ++depth_;
    key_ = kOther;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    bad = e.what();
    return false;
  }

 private:
  enum Key { kOther, kLead, kId };
  bool Is(Key k) const {
    return key_ == k && depth_ == (k == kLead ? 1 : 2) && (k == kLead || in_lead_);
  }
  bool Value() {
    key_ = kOther;
    return true;
  }
  bool Scalar() {
    if (Is(kLead)) bad = "lead is neither an object nor null";
    return Value();
  }
  int depth_ = 0;
  bool in_lead_ = false;
  Key key_ = kOther;
};

// ---- the load --------------------------------------------------------------

enum class Req { kNone, kLogin, kDesk, kOutcome };

struct Agent {
  int index = 0;
  std::string name;
  int fd = -1;
  bool connecting = false;
  bool want_out = false;  // EPOLLOUT registered
  std::string out;        // request bytes not yet written
  size_t out_off = 0;
  std::string in;
  Req req = Req::kNone;
  TimePoint sent_at;  // when the request was written (for --timeout)
  TimePoint origin;   // latency is measured from here
  std::string cookie, csrf;
  int64_t lead_id = 0;
  bool has_lead = false;
  bool active = false;  // posting outcomes
  TimePoint done_at;
  TimePoint next_at;  // --rate: the next scheduled post
  uint64_t timer_gen = 0;
};

struct Timer {
  TimePoint at;
  int agent;
  uint64_t gen;
  bool operator>(const Timer& o) const { return at > o.at; }
};

class Load {
 public:
  explicit Load(Options o) : o_(std::move(o)), rng_(o_.seed ? *o_.seed : std::random_device{}()) {
    agents_.resize(o_.agents);
    for (int i = 0; i < o_.agents; ++i) {
      agents_[i].index = i;
      agents_[i].name = o_.prefix + std::to_string(i);
    }
    // request_id is unique per agent and remembered by the server (a retried
    // post): a run on a database an earlier run used must not reuse them.
    char nonce[20];
    std::snprintf(nonce, sizeof nonce, "%08x", static_cast<unsigned>(rng_()));
    request_prefix_ = std::string("b") + nonce + "-";
    if (o_.mode == Mode::kOpen) {
      interval_ = Nanos(std::max<int64_t>(1, std::llround(o_.agents / o_.rate * 1e9)));
    }
  }

  int Run() {
    Resolve();
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd_ < 0 || tfd_ < 0) Die("epoll/timerfd: " + std::string(std::strerror(errno)));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimerTag;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, tfd_, &ev);

    stage_ = Stage::kLogin;
    PumpLogins();
    Loop();
    return Report();
  }

 private:
  static constexpr uint64_t kTimerTag = ~uint64_t{0};
  enum class Stage { kLogin, kDesk, kRun, kOver };

  [[noreturn]] static void Die(const std::string& why) {
    std::fprintf(stderr, "dialdeck_desk_load: %s\n", why.c_str());
    std::exit(1);
  }

  void Resolve() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(o_.connect_host.c_str(), o_.port.c_str(), &hints, &res);
    if (rc != 0) Die("cannot resolve " + o_.host + ": " + gai_strerror(rc));
    std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
    addr_len_ = res->ai_addrlen;
    family_ = res->ai_family;
    freeaddrinfo(res);
  }

  // Errors: each is printed (the first 20; then a count) and stops its agent.
  void Note(const Agent& a, const std::string& what) {
    if (++notes_ <= kMaxNotes) {
      std::fprintf(stderr, "dialdeck_desk_load: %s: %s\n", a.name.c_str(), what.c_str());
    }
  }
  static constexpr int kMaxNotes = 20;

  void Fail(Agent& a, const std::string& what, TimePoint now) {
    ++errors_;
    Note(a, what);
    Close(a);
    const Req req = a.req;
    a.req = Req::kNone;
    a.has_lead = false;
    if (req == Req::kLogin) {
      LoginDone();
    } else if (req == Req::kDesk) {
      DeskDone();
    } else if (a.active) {
      Finish(a, now);
    }
  }

  void Close(Agent& a) {
    if (a.fd >= 0) {
      close(a.fd);  // also leaves the epoll set
      a.fd = -1;
    }
    a.connecting = a.want_out = false;
    a.in.clear();
  }

  // Opens a non-blocking connection; false (and a.fd -1) if it failed at once.
  bool Connect(Agent& a, std::string* error) {
    a.fd = socket(family_, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (a.fd < 0) {
      *error = std::string("socket: ") + std::strerror(errno);
      return false;
    }
    const int one = 1;
    setsockopt(a.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(a.fd, reinterpret_cast<sockaddr*>(&addr_), addr_len_) != 0) {
      if (errno != EINPROGRESS) {
        *error = "connect to " + o_.host + ": " + std::strerror(errno);
        close(a.fd);
        a.fd = -1;
        return false;
      }
      a.connecting = true;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (a.connecting ? uint32_t{EPOLLOUT} : 0u);
    ev.data.u64 = static_cast<uint64_t>(a.index);
    epoll_ctl(epfd_, EPOLL_CTL_ADD, a.fd, &ev);
    a.want_out = a.connecting;
    return true;
  }

  void WantOut(Agent& a, bool want) {
    if (a.want_out == want) return;
    a.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want ? uint32_t{EPOLLOUT} : 0u);
    ev.data.u64 = static_cast<uint64_t>(a.index);
    epoll_ctl(epfd_, EPOLL_CTL_MOD, a.fd, &ev);
  }

  void Send(Agent& a, Req req, std::string request, TimePoint origin) {
    a.req = req;
    a.out = std::move(request);
    a.out_off = 0;
    a.in.clear();
    a.origin = origin;
    a.sent_at = Clock::now();
    if (a.fd < 0) {
      std::string error;
      if (!Connect(a, &error)) return Fail(a, error, a.sent_at);
    }
    if (!a.connecting) Flush(a);
  }

  void Flush(Agent& a) {
    while (a.out_off < a.out.size()) {
      const ssize_t n =
          send(a.fd, a.out.data() + a.out_off, a.out.size() - a.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return WantOut(a, true);
        return Fail(a, std::string("send: ") + std::strerror(errno), Clock::now());
      }
      a.out_off += static_cast<size_t>(n);
    }
    WantOut(a, false);
  }

  std::string Request(std::string_view method, std::string_view path, const Agent& a,
                      std::string_view body, bool csrf) const {
    std::string r;
    r.reserve(256 + body.size() + a.cookie.size());
    r.append(method).append(" ").append(o_.path_prefix).append(path);
    r.append(" HTTP/1.1\r\nHost: ").append(o_.host);
    r.append("\r\nUser-Agent: dialdeck_desk_load\r\nAccept: application/json\r\n");
    if (!a.cookie.empty()) r.append("Cookie: ").append(a.cookie).append("\r\n");
    if (csrf) r.append("X-CSRF-Token: ").append(a.csrf).append("\r\n");
    if (!body.empty() || method == "POST") {
      r.append("Content-Type: application/json\r\nContent-Length: ");
      r.append(std::to_string(body.size())).append("\r\n");
    }
    r.append("\r\n").append(body);
    return r;
  }

  // ---- stages ----

  void StartLogin() {
    Agent& a = agents_[next_login_++];
    ++logins_in_flight_;
    const std::string body = nlohmann::json{{"username", a.name}, {"password", o_.password}}.dump();
    Send(a, Req::kLogin, Request("POST", "/api/v1/session", a, body, false), Clock::now());
  }

  // Keeps K logins in flight (a loop, not a recursion: a login can fail at once).
  void PumpLogins() {
    if (pumping_) return;
    pumping_ = true;
    while (next_login_ < o_.agents && logins_in_flight_ < o_.logins) StartLogin();
    pumping_ = false;
    if (next_login_ < o_.agents || logins_in_flight_ > 0 || stage_ != Stage::kLogin) return;
    stage_ = Stage::kDesk;
    for (Agent& a : agents_) desks_in_flight_ += a.cookie.empty() ? 0 : 1;
    if (desks_in_flight_ == 0) {
      stage_ = Stage::kOver;
      return;
    }
    for (Agent& a : agents_) {
      if (!a.cookie.empty())
        Send(a, Req::kDesk, Request("GET", "/api/v1/desk", a, "", false), Clock::now());
    }
  }

  void LoginDone() {
    --logins_in_flight_;
    PumpLogins();
  }

  void DeskDone() {
    if (--desks_in_flight_ > 0) return;
    // Everyone has a desk: the clock starts.
    stage_ = Stage::kRun;
    start_ = Clock::now();
    deadline_ =
        start_ + std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(o_.seconds));
    for (Agent& a : agents_) {
      a.active = a.has_lead;
      active_ += a.active ? 1 : 0;
    }
    if (active_ == 0) {
      stage_ = Stage::kOver;
      return;
    }
    for (Agent& a : agents_) {
      if (!a.active) continue;
      if (o_.mode == Mode::kOpen) {
        std::uniform_int_distribution<int64_t> phase(0, interval_.count() - 1);
        a.next_at = start_ + Nanos(phase(rng_));
      }
      Next(a, start_);
    }
  }

  // An active agent with a lead and no request in flight: post now, later, or stop.
  void Next(Agent& a, TimePoint now) {
    switch (o_.mode) {
      case Mode::kClosed:
        if (now >= deadline_) return Finish(a, now);
        return PostOutcome(a, now);
      case Mode::kPaced: {
        if (now >= deadline_) return Finish(a, now);
        std::uniform_real_distribution<double> wait(0, 2 * o_.pace_ms * 1e6);
        const TimePoint at = now + Nanos(static_cast<int64_t>(wait(rng_)));
        if (at >= deadline_) return Finish(a, deadline_);
        return Schedule(a, at);
      }
      case Mode::kOpen:
        if (a.next_at >= deadline_) return Finish(a, std::max(now, deadline_));
        if (now >= deadline_) {  // due before the end, but its answer came too late
          unsent_ += (deadline_ - a.next_at + interval_ - Nanos(1)) / interval_;
          return Finish(a, now);
        }
        if (a.next_at > now) return Schedule(a, a.next_at);
        {
          const TimePoint origin = a.next_at;  // late: measured from when it was due
          a.next_at += interval_;
          return PostOutcome(a, origin);
        }
    }
  }

  void PostOutcome(Agent& a, TimePoint origin) {
    char body[160];
    const int n = std::snprintf(body, sizeof body,
                                "{\"lead_id\":%lld,\"outcome\":\"not_interested\",\"note\":\"\","
                                "\"request_id\":\"%s%llu\"}",
                                static_cast<long long>(a.lead_id), request_prefix_.c_str(),
                                static_cast<unsigned long long>(seq_++));
    Send(a, Req::kOutcome,
         Request("POST", "/api/v1/desk/outcome", a, std::string_view(body, n), true), origin);
  }

  void Finish(Agent& a, TimePoint at) {
    if (!a.active) return;
    a.active = false;
    a.done_at = at;
    last_done_ = std::max(last_done_, at);
    if (--active_ == 0) stage_ = Stage::kOver;
  }

  void Schedule(Agent& a, TimePoint at) { timers_.push(Timer{at, a.index, ++a.timer_gen}); }

  // ---- events ----

  void Loop() {
    std::vector<epoll_event> events(512);
    TimePoint armed = TimePoint::max();
    TimePoint last_sweep = Clock::now();
    while (stage_ != Stage::kOver) {
      const TimePoint next = timers_.empty() ? TimePoint::max() : timers_.top().at;
      if (next != armed) {
        itimerspec its{};
        if (next != TimePoint::max()) {
          const auto ns = next.time_since_epoch().count();
          its.it_value.tv_sec = ns / 1000000000;
          its.it_value.tv_nsec = ns % 1000000000;
          if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
        }
        timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &its, nullptr);
        armed = next;
      }
      const int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 1000);
      if (n < 0 && errno != EINTR) Die(std::string("epoll_wait: ") + std::strerror(errno));
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kTimerTag) {
          uint64_t expirations;
          (void)!read(tfd_, &expirations, sizeof expirations);
          armed = TimePoint::max();  // fired (or about to be re-armed)
          RunTimers();
        } else {
          OnSocket(agents_[events[i].data.u64], events[i].events);
        }
      }
      const TimePoint now = Clock::now();
      if (now - last_sweep >= std::chrono::seconds(1)) {
        last_sweep = now;
        Sweep(now);
      }
    }
  }

  void RunTimers() {
    const TimePoint now = Clock::now();
    while (!timers_.empty() && timers_.top().at <= now) {
      const Timer t = timers_.top();
      timers_.pop();
      Agent& a = agents_[t.agent];
      if (t.gen != a.timer_gen || !a.active || a.req != Req::kNone) continue;
      if (o_.mode == Mode::kOpen) {
        const TimePoint origin = a.next_at;
        a.next_at += interval_;
        PostOutcome(a, origin);
      } else {
        PostOutcome(a, Clock::now());
      }
    }
  }

  void Sweep(TimePoint now) {
    const auto limit =
        std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(o_.timeout_s));
    for (Agent& a : agents_) {
      if (a.req != Req::kNone && now - a.sent_at > limit) {
        Fail(a,
             "no whole answer within " + std::to_string(static_cast<int>(o_.timeout_s)) +
                 " s (got " + std::to_string(a.in.size()) + " bytes)",
             now);
      }
    }
  }

  void OnSocket(Agent& a, uint32_t ev) {
    if (a.fd < 0) return;  // closed earlier in this batch
    if (a.connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        return Fail(a, "connect to " + o_.host + ": " + std::strerror(err), Clock::now());
      }
      a.connecting = false;
      Flush(a);
      if (a.fd < 0) return;
    } else if ((ev & EPOLLOUT) && a.out_off < a.out.size()) {
      Flush(a);
      if (a.fd < 0) return;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) OnReadable(a);
  }

  void OnReadable(Agent& a) {
    char buf[65536];
    ssize_t n;
    do {
      n = recv(a.fd, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    const TimePoint now = Clock::now();
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      const std::string why = std::strerror(errno);
      if (a.req == Req::kNone) {  // idle: reconnect at the next post
        Note(a, "connection error while idle (" + why + "); reconnecting");
        return Close(a);
      }
      return Fail(a, "connection error: " + why, now);
    }
    if (n == 0) {
      if (a.req == Req::kNone) {  // the server closed an idle connection
        Close(a);
        return;
      }
      return Fail(a,
                  "connection closed by the server before the whole answer (" +
                      std::to_string(a.in.size()) + " bytes of it)",
                  now);
    }
    if (a.req == Req::kNone) {
      Note(a, "unexpected bytes from the server with no request in flight");
      return Close(a);
    }
    a.in.append(buf, static_cast<size_t>(n));
    Response r;
    std::string error;
    const long done = ParseResponse(a.in, &r, &error);
    if (done < 0) return Fail(a, "bad answer: " + error, now);
    if (done == 0) return;
    OnResponse(a, r, now);
  }

  static std::string Snippet(std::string_view body) {
    std::string s(body.substr(0, 200));
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
  }

  // Reads lead.id; false with *error if the answer is not a desk.
  static bool ReadDesk(std::string_view body, Agent& a, std::string* error) {
    LeadSax sax;
    const bool ok = nlohmann::json::sax_parse(body.begin(), body.end(), &sax);
    if (!ok || !sax.bad.empty() || !sax.saw_lead || (!sax.lead_null && !sax.id)) {
      *error = "not a desk answer (" +
               (!sax.bad.empty() ? sax.bad
                : !sax.saw_lead  ? std::string("no \"lead\"")
                                 : std::string("lead without a numeric id")) +
               "): " + Snippet(body);
      return false;
    }
    a.has_lead = !sax.lead_null;
    if (sax.id) a.lead_id = *sax.id;
    return true;
  }

  void OnResponse(Agent& a, const Response& r, TimePoint now) {
    const Req req = a.req;
    if (req == Req::kOutcome) latencies_.push_back(now - a.origin);
    if (r.status != 200) {
      return Fail(a, std::to_string(r.status) + " from " + ReqName(req) + ": " + Snippet(r.body),
                  now);
    }
    std::string error;
    switch (req) {
      case Req::kLogin: {
        if (r.session.empty()) return Fail(a, "login answer without a dd_session cookie", now);
        try {
          const auto j = nlohmann::json::parse(r.body);
          a.csrf = j.at("csrf_token").get<std::string>();
        } catch (const std::exception& e) {
          return Fail(a, std::string("login answer without csrf_token: ") + e.what(), now);
        }
        a.cookie = r.session;
        break;
      }
      case Req::kDesk:
      case Req::kOutcome:
        if (!ReadDesk(r.body, a, &error)) return Fail(a, error, now);
        break;
      case Req::kNone: break;
    }
    a.req = Req::kNone;
    a.in.clear();
    if (r.close) Close(a);  // reconnect at the next request
    switch (req) {
      case Req::kLogin: return LoginDone();
      case Req::kDesk: return DeskDone();
      case Req::kOutcome:
        ++outcomes_;
        if (!a.has_lead) {
          ++out_of_leads_;
          return Finish(a, now);
        }
        return Next(a, now);
      case Req::kNone: return;
    }
  }

  static std::string ReqName(Req r) {
    switch (r) {
      case Req::kLogin: return "POST /api/v1/session";
      case Req::kDesk: return "GET /api/v1/desk";
      case Req::kOutcome: return "POST /api/v1/desk/outcome";
      case Req::kNone: break;
    }
    return "?";
  }

  int Report() {
    if (notes_ > kMaxNotes) {
      std::fprintf(stderr, "dialdeck_desk_load: ... and %d more such messages\n",
                   notes_ - kMaxNotes);
    }
    if (out_of_leads_ > 0) {
      std::fprintf(stderr, "dialdeck_desk_load: %d agents ran out of leads before the end\n",
                   out_of_leads_);
    }
    const double elapsed = stage_ == Stage::kOver && last_done_ > start_ && start_ != TimePoint()
                               ? std::chrono::duration<double>(last_done_ - start_).count()
                               : 0.0;
    std::sort(latencies_.begin(), latencies_.end());
    auto pct = [&](double p) {
      if (latencies_.empty()) return 0.0;
      const size_t i = std::min(latencies_.size() - 1,
                                static_cast<size_t>(std::floor(latencies_.size() * p / 100)));
      return Ms(latencies_[i]);
    };
    const char* mode = o_.mode == Mode::kClosed  ? "closed"
                       : o_.mode == Mode::kPaced ? "paced"
                                                 : "open";
    std::string offered = "null";
    char tmp[64];
    if (o_.mode == Mode::kOpen) {
      std::snprintf(tmp, sizeof tmp, "%.6g", o_.rate);
      offered = tmp;
      std::snprintf(tmp, sizeof tmp, ",\"unsent\":%lld", static_cast<long long>(unsent_));
    } else {
      tmp[0] = 0;
    }
    std::printf(
        "{\"agents\":%d,\"mode\":\"%s\",\"seconds\":%.2f,\"outcomes\":%lld,\"errors\":%d,"
        "\"outcomes_per_s\":%.0f,\"offered_per_s\":%s%s,\"p50_ms\":%.2f,\"p90_ms\":%.2f,"
        "\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
        o_.agents, mode, elapsed, static_cast<long long>(outcomes_), errors_,
        elapsed > 0 ? std::round(outcomes_ / elapsed) : 0.0, offered.c_str(), tmp, pct(50), pct(90),
        pct(99), latencies_.empty() ? 0.0 : Ms(latencies_.back()));
    std::fflush(stdout);
    return outcomes_ > 0 ? 0 : 1;
  }

  Options o_;
  std::mt19937_64 rng_;
  std::vector<Agent> agents_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int family_ = AF_INET;
  int epfd_ = -1, tfd_ = -1;
  Stage stage_ = Stage::kLogin;
  bool pumping_ = false;
  int next_login_ = 0, logins_in_flight_ = 0, desks_in_flight_ = 0, active_ = 0;
  TimePoint start_{}, deadline_{}, last_done_{};
  Nanos interval_{0};
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::string request_prefix_;
  uint64_t seq_ = 0;
  int64_t outcomes_ = 0;
  int64_t unsent_ = 0;
  int errors_ = 0, notes_ = 0, out_of_leads_ = 0;
  std::vector<Nanos> latencies_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  rlimit rl{};  // one socket per agent
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  Load load(std::move(o));
  return load.Run();
}

// The HTTP/1.1 server. Why it looks like this:
// - one io_context per thread with its own SO_REUSEPORT acceptor: a connection never changes
//   thread, so per-thread state (upstream pools) needs no locks;
// - Beast parses requests (limits, chunked bodies) but responses are framed by hand: the head is
//   one small string and the body is gathered into the same write, which is both simpler and
//   cheaper than Beast's serializer for the shapes a gateway sends (full body or chunked stream);
// - the read of a request has two deadlines: idle_timeout while waiting for its first byte (a
//   kept-alive connection), read_timeout from then until the body is complete (slow clients);
// - draining closes idle connections at once and busy ones after their current response.
#include "server/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <list>
#include <mutex>
#include <random>
#include <span>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <unistd.h>

#include "asio/fast_io.hpp"
#include "asio/http_parser.hpp"
#include "asio/watchdog.hpp"
#include "server/websocket.hpp"

namespace baton {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's own spelling

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kClientProbeInterval{1000};

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return "Status";
  }
}

// A client-supplied request id is reused when it is short and made of safe characters.
bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  return std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
         EqualsIgnoreCase(name, "connection");
}

}  // namespace

struct Worker;

// One accepted connection. Lives in its coroutine frame; registered with its worker so a drain
// can close it while idle.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) { watch.socket = &socket; }
  tcp::socket socket;
  WatchEntry watch;  // read / idle / write deadlines
  bool busy = false;
  std::list<Connection*>::iterator registration;
};

struct Worker {
  // Declared before ioc: destroying ioc destroys suspended sessions, which unregister here.
  std::list<Connection*> connections;  // touched only on this worker's thread
  int index = 0;
  uint64_t request_counter = 0;
  std::string id_prefix;  // random per worker, so ids are unique across threads and restarts
  asio::io_context ioc{1};
  Watchdog watchdog{ioc};  // after ioc: its timer goes first
  std::unique_ptr<tcp::acceptor> acceptor;
};

struct Server::Impl {
  ServerOptions options;
  HttpHandler handler;
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = 0;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopped{false};
  std::once_flag shutdown_once;
  std::unique_ptr<asio::signal_set> signals;
  std::unique_ptr<asio::signal_set> hup;
  std::unique_ptr<asio::steady_timer> drain_timer;

  std::string RenderErrorHead(int status, std::string_view message, std::string* body) const {
    std::string content_type = "application/json";
    if (options.render_error) {
      auto [ct, b] = options.render_error(status, message);
      content_type = std::move(ct);
      *body = std::move(b);
    } else {
      *body = R"({"error":{"message":")" + std::string(message) + R"("}})";
    }
    return content_type;
  }

  void StopAll() {
    if (stopped.exchange(true)) {
      return;
    }
    for (auto& w : workers) {
      w->ioc.stop();
    }
  }

  void CheckDrained() {
    if (draining.load() && in_flight.load() == 0) {
      StopAll();
    }
  }
};

namespace {

class ConnectionWriter final : public ResponseWriter {
 public:
  ConnectionWriter(Connection& conn, Watchdog& watchdog, const Server::Impl& impl,
                   std::string_view request_id, bool keep_alive, bool head_only)
      : conn_(conn),
        watchdog_(watchdog),
        impl_(impl),
        request_id_(request_id),
        keep_alive_(keep_alive),
        head_only_(head_only) {}

  Awaitable<bool> Send(int status, HttpHeaders headers, std::string body) override {
    if (started_ || gone_) {
      co_return false;
    }
    started_ = true;
    status_ = status;
    std::string head = Head(status, headers);
    head += "content-length: ";
    head += std::to_string(body.size());
    head += "\r\n\r\n";
    if (head_only_) {
      body.clear();
    }
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body)};
    co_return co_await WriteBuffers(std::span<const asio::const_buffer>(bufs));
  }

  Awaitable<bool> Begin(int status, HttpHeaders headers) override {
    if (started_ || gone_) {
      co_return false;
    }
    started_ = true;
    status_ = status;
    chunked_ = true;
    pending_head_ = Head(status, headers);
    pending_head_ += "transfer-encoding: chunked\r\n\r\n";
    co_return true;
  }

  Awaitable<bool> Write(std::string_view data) override {
    if (!chunked_ || gone_ || ended_) {
      co_return false;
    }
    if (data.empty()) {
      co_return true;
    }
    co_return co_await WriteChunk(data, /*last=*/false);
  }

  Awaitable<bool> End() override {
    if (!chunked_ || gone_ || ended_) {
      co_return false;
    }
    co_return co_await WriteChunk({}, /*last=*/true);
  }

  Awaitable<bool> WriteAndEnd(std::string_view data) override {
    if (!chunked_ || gone_ || ended_) {
      co_return false;
    }
    co_return co_await WriteChunk(data, /*last=*/true);
  }

  void Abort() override {
    gone_ = true;
    keep_alive_ = false;
    beast::error_code ec;
    conn_.socket.shutdown(tcp::socket::shutdown_both, ec);
    conn_.socket.close(ec);
  }

  void Reset() override {
    gone_ = true;
    keep_alive_ = false;
    beast::error_code ec;
    conn_.socket.set_option(asio::socket_base::linger(true, 0), ec);
    conn_.socket.close(ec);
  }

  // NOLINTNEXTLINE(cppcoreguidelines-avoid-reference-coroutine-parameters): see http.hpp
  Awaitable<bool> ServeWebSocket(const HttpRequest& request, WebSocketSource& source) override {
    if (started_ || gone_ || head_only_ || !IsWebSocketUpgrade(request)) {
      co_return false;
    }
    started_ = true;
    status_ = 101;
    keep_alive_ = false;
    ProbeBetweenWrites(false);
    Watchdog::Disarm(conn_.watch);
    if (std::optional<asio::any_io_executor> target = source.executor()) {
      // Hand the socket over to the source's executor (its own io_context): from here on this
      // worker's reactor no longer sees it; the loop closes the now empty socket afterwards.
      beast::error_code ec;
      const tcp protocol = conn_.socket.local_endpoint(ec).protocol();
      const tcp::socket::native_handle_type fd = ec ? -1 : conn_.socket.release(ec);
      if (!ec) {
        tcp::socket moved(*target);
        moved.assign(protocol, fd, ec);
        if (ec) {
          ::close(fd);
        } else {
          co_await asio::co_spawn(*target, RunWebSocketOwned(std::move(moved), request, source),
                                  asio::use_awaitable);
        }
      }
      gone_ = true;
      co_return true;
    }
    co_await RunWebSocket(conn_.socket, request, source);
    gone_ = true;  // the connection is done: the loop closes it
    co_return true;
  }

  bool started() const override { return started_; }
  int status() const override { return status_; }
  bool client_gone() const override { return gone_; }

  bool keep_alive() const { return keep_alive_ && !gone_ && (!chunked_ || ended_); }
  void ProbeBetweenWrites(bool on) { probe_between_writes_ = on; }

 private:
  std::string Head(int status, const HttpHeaders& headers) {
    if (impl_.draining.load(std::memory_order_relaxed)) {
      keep_alive_ = false;
    }
    std::string head;
    head.reserve(256);
    head += "HTTP/1.1 ";
    head += std::to_string(status);
    head += ' ';
    head += ReasonPhrase(status);
    head += "\r\n";
    bool has_id = false;
    for (const auto& h : headers) {
      if (IsFramingHeader(h.name)) {
        continue;
      }
      if (EqualsIgnoreCase(h.name, "x-request-id")) {
        has_id = true;
      }
      head += h.name;
      head += ": ";
      head += h.value;
      head += "\r\n";
    }
    if (!has_id) {
      head += "x-request-id: ";
      head += request_id_;
      head += "\r\n";
    }
    if (!keep_alive_) {
      head += "connection: close\r\n";
    }
    return head;
  }

  // One gathered write: [pending head] [chunk of data] [terminal chunk].
  Awaitable<bool> WriteChunk(std::string_view data, bool last) {
    std::array<asio::const_buffer, 5> bufs;
    std::size_t n = 0;
    if (!pending_head_.empty()) {
      bufs[n++] = asio::buffer(pending_head_);
    }
    std::array<char, 20> size_line{};
    if (!data.empty()) {
      auto [end, ec] = std::to_chars(size_line.data(), size_line.data() + 16, data.size(), 16);
      *end++ = '\r';
      *end++ = '\n';
      bufs[n++] = asio::buffer(size_line.data(), static_cast<std::size_t>(end - size_line.data()));
      bufs[n++] = asio::buffer(data.data(), data.size());
      bufs[n++] = asio::buffer("\r\n", 2);
    }
    if (last) {
      ended_ = true;
      bufs[n++] = asio::buffer("0\r\n\r\n", 5);
    }
    bool ok = co_await WriteBuffers(std::span<const asio::const_buffer>(bufs.data(), n));
    pending_head_.clear();
    co_return ok;
  }

  Awaitable<bool> WriteBuffers(std::span<const asio::const_buffer> bufs) {
    watchdog_.Arm(conn_.watch, impl_.options.write_timeout);
    auto ec = co_await fastio::WriteAll(conn_.socket, bufs);
    if (probe_between_writes_) {
      watchdog_.Probe(conn_.watch, kClientProbeInterval);
    } else {
      Watchdog::Disarm(conn_.watch);
    }
    if (ec) {
      gone_ = true;
      co_return false;
    }
    co_return true;
  }

  Connection& conn_;
  Watchdog& watchdog_;
  const Server::Impl& impl_;
  std::string_view request_id_;
  std::string pending_head_;           // a stream's head, sent with its first chunk
  bool probe_between_writes_ = false;  // keep probing the client while the handler runs
  bool keep_alive_;
  bool head_only_;
  bool started_ = false;
  int status_ = 0;
  bool chunked_ = false;
  bool ended_ = false;
  bool gone_ = false;
};

// Writes a complete error response produced by the server itself and closes the connection.
// Takes references: only ever co_awaited at once by Session, which owns everything referred to.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-reference-coroutine-parameters)
Awaitable<void> WriteServerError(Connection& conn, Watchdog& watchdog, const Server::Impl& impl,
                                 int status, std::string_view message,
                                 std::string_view request_id) {
  std::string body;
  std::string content_type = impl.RenderErrorHead(status, message, &body);
  ConnectionWriter writer(conn, watchdog, impl, request_id, /*keep_alive=*/false,
                          /*head_only=*/false);
  HttpHeaders headers;
  headers.push_back({"content-type", content_type});
  co_await writer.Send(status, std::move(headers), std::move(body));
  beast::error_code ec;
  conn.socket.shutdown(tcp::socket::shutdown_send, ec);
}

std::string NextRequestId(Worker& worker) {
  std::string id = worker.id_prefix;
  id += std::to_string(++worker.request_counter);
  return id;
}

struct InFlightGuard {
  explicit InFlightGuard(Server::Impl& impl) : impl(impl) { impl.in_flight.fetch_add(1); }
  ~InFlightGuard() {
    if (impl.in_flight.fetch_sub(1) == 1 && impl.draining.load()) {
      impl.CheckDrained();
    }
  }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;
  Server::Impl& impl;
};

// The connection loop. Spawned per accepted socket: takes everything by value or pointer to
// long-lived objects (Impl and Worker outlive every io_context run).
Awaitable<void> Session(tcp::socket socket, Server::Impl* impl, Worker* worker,
                        std::shared_ptr<asio::cancellation_signal> cancel) {
  // Cancellation arrives as operation_aborted error codes, never as exceptions.
  co_await asio::this_coro::throw_if_cancelled(false);
  Connection conn(std::move(socket));
  conn.registration = worker->connections.insert(worker->connections.end(), &conn);
  struct Unregister {
    Worker* w;
    Connection* c;
    ~Unregister() { w->connections.erase(c->registration); }
  } unregister{worker, &conn};

  beast::error_code ec;
  worker->watchdog.Add(conn.watch);
  conn.watch.on_peer_closed = cancel.get();
  conn.socket.set_option(tcp::no_delay(true), ec);
  conn.socket.non_blocking(true, ec);  // fastio reads and writes without blocking
  bool first_request = true;
  std::string remote;
  {
    auto ep = conn.socket.remote_endpoint(ec);
    if (!ec) {
      remote = ep.address().to_string();
    }
  }
  const ServerOptions& options = impl->options;
  beast::flat_buffer buffer;
  buffer.reserve(8192);  // Beast reads up to the free capacity; 512 bytes when empty

  for (;;) {
    if (impl->draining.load()) {
      break;
    }
    // Idle wait for the first byte of the next request.
    if (buffer.size() == 0) {
      worker->watchdog.Arm(conn.watch, options.idle_timeout);
      // The first request usually arrives with the connection; later ones are waited for.
      auto rec = co_await fastio::ReadSome(conn.socket, buffer, /*try_now=*/first_request);
      first_request = false;
      if (rec) {
        break;
      }
    }
    conn.busy = true;
    InFlightGuard guard(*impl);

    HttpRequest request;
    request.headers.reserve(12);
    RequestParser parser(&request.headers, &request.body);
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    worker->watchdog.Arm(conn.watch, options.read_timeout);
    std::string request_id = NextRequestId(*worker);

    auto hec = co_await fastio::ReadMessage(conn.socket, buffer, parser, /*whole_message=*/false,
                                            /*try_now=*/false);
    const std::size_t hn = parser.header_bytes;
    if (hec) {
      if (hec == http::error::header_limit) {
        co_await WriteServerError(conn, worker->watchdog, *impl, 431,
                                  "Request header fields too large.", request_id);
      } else if (hec == http::error::body_limit) {
        co_await WriteServerError(conn, worker->watchdog, *impl, 413, "Request body too large.",
                                  request_id);
      } else if (conn.watch.expired()) {
        co_await WriteServerError(conn, worker->watchdog, *impl, 408,
                                  "Timed out reading the request.", request_id);
      } else if (hec != http::error::end_of_stream && hec != asio::error::eof &&
                 hec != asio::error::connection_reset && hec != asio::error::operation_aborted) {
        co_await WriteServerError(conn, worker->watchdog, *impl, 400, "Malformed HTTP request.",
                                  request_id);
      }
      break;
    }
    if (hn > options.max_header_bytes) {
      // Beast's own limit misses a head that arrives complete in one read.
      co_await WriteServerError(conn, worker->watchdog, *impl, 431,
                                "Request header fields too large.", request_id);
      break;
    }
    {
      std::string_view id = request.Header("x-request-id");
      if (IsSaneRequestId(id)) {
        request_id.assign(id);
      }
      auto cl = parser.content_length();
      if (cl && *cl > options.max_body_bytes) {
        co_await WriteServerError(conn, worker->watchdog, *impl, 413, "Request body too large.",
                                  request_id);
        break;
      }
      if (EqualsIgnoreCase(request.Header("expect"), "100-continue") && !parser.is_done()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        std::array<asio::const_buffer, 1> cont{asio::buffer(kContinue)};
        auto wec = co_await fastio::WriteAll(conn.socket, cont);
        if (wec) {
          break;
        }
      }
    }
    if (!parser.is_done()) {
      auto bec = co_await fastio::ReadMessage(conn.socket, buffer, parser, /*whole_message=*/true,
                                              /*try_now=*/true);
      if (bec) {
        if (bec == http::error::body_limit) {
          co_await WriteServerError(conn, worker->watchdog, *impl, 413, "Request body too large.",
                                    request_id);
        } else if (conn.watch.expired()) {
          co_await WriteServerError(conn, worker->watchdog, *impl, 408,
                                    "Timed out reading the request.", request_id);
        } else if (bec != asio::error::eof && bec != http::error::end_of_stream &&
                   bec != asio::error::connection_reset) {
          co_await WriteServerError(conn, worker->watchdog, *impl, 400, "Malformed HTTP request.",
                                    request_id);
        }
        break;
      }
    }
    Watchdog::Disarm(conn.watch);

    request.method = std::move(parser.method);
    request.target = std::move(parser.target);
    {
      std::string_view t = request.target;
      auto q = t.find('?');
      request.path = t.substr(0, q);
      request.query = q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
    }
    request.request_id = std::move(request_id);
    request.remote_address = remote;

    bool keep_alive = parser.keep_alive() && !impl->draining.load();
    ConnectionWriter writer(conn, worker->watchdog, *impl, request.request_id, keep_alive,
                            request.method == "HEAD");
    bool failed = false;
    // While the handler runs, the client socket is idle: probe it so that a client that gives up
    // cancels the upstream call (tokens cost money) instead of it running to its timeout.
    worker->watchdog.Probe(conn.watch, kClientProbeInterval);
    writer.ProbeBetweenWrites(true);
    try {
      co_await impl->handler(request, writer);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "baton: handler error on %s %s: %s\n", request.method.c_str(),
                   std::string(request.path).c_str(), e.what());
      failed = true;
    }
    writer.ProbeBetweenWrites(false);
    Watchdog::Disarm(conn.watch);
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
      break;  // the probe found the client gone and cancelled the handler's wait
    }
    if (failed && !writer.started() && !writer.client_gone()) {
      co_await WriteServerError(conn, worker->watchdog, *impl, 500, "Internal error.",
                                request.request_id);
      break;
    }
    if (!writer.started() && !writer.client_gone()) {
      co_await WriteServerError(conn, worker->watchdog, *impl, 500, "No response.",
                                request.request_id);
      break;
    }
    if (!writer.keep_alive()) {
      break;
    }
    conn.busy = false;
  }
  beast::error_code ignored;
  conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
  conn.socket.close(ignored);
}

Awaitable<void> AcceptLoop(Server::Impl* impl, Worker* worker) {
  for (;;) {
    auto [ec, socket] = co_await worker->acceptor->async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !worker->acceptor->is_open()) {
        co_return;
      }
      // EMFILE and friends: back off briefly rather than spin.
      asio::steady_timer t(worker->ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(kUseTuple);
      continue;
    }
    // The session's cancellation slot lets the Watchdog cancel whatever the session waits on
    // (in practice the upstream call) when its client goes away.
    auto cancel = std::make_shared<asio::cancellation_signal>();
    asio::co_spawn(worker->ioc, Session(std::move(socket), impl, worker, cancel),
                   asio::bind_cancellation_slot(cancel->slot(), asio::detached));
  }
}

std::string RandomPrefix() {
  static constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::string s = "req_";
  for (int i = 0; i < 10; ++i) {
    s += kAlphabet[gen() % 36];
  }
  s += '_';
  return s;
}

}  // namespace

Server::Server(ServerOptions options, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  int n = impl_->options.threads;
  if (n <= 0) {
    n = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  }
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->id_prefix = RandomPrefix();
    impl_->workers.push_back(std::move(w));
  }
}

Server::~Server() = default;

void Server::Bind() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    // Allow host names such as "localhost".
    asio::io_context tmp;
    tcp::resolver resolver(tmp);
    auto results = resolver.resolve(impl_->options.host, "0", ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot resolve listen host \"" + impl_->options.host + "\"");
    }
    address = results.begin()->endpoint().address();
  }
  uint16_t port = impl_->options.port;
  if (port != 0) {
    // SO_REUSEPORT would let us share an explicit port with another process: probe without it
    // first, so a port already in use is an error.
    tcp::acceptor probe(impl_->workers.front()->ioc);
    tcp::endpoint endpoint(address, port);
    probe.open(endpoint.protocol());
    probe.set_option(asio::socket_base::reuse_address(true));
    probe.bind(endpoint, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(port) + ": " + ec.message());
    }
    probe.close(ec);
  }
  for (auto& w : impl_->workers) {
    auto acceptor = std::make_unique<tcp::acceptor>(w->ioc);
    tcp::endpoint endpoint(address, port);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    int one = 1;
    ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    acceptor->bind(endpoint, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(port) + ": " + ec.message());
    }
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(port) + ": " + ec.message());
    }
    port = acceptor->local_endpoint().port();
    w->acceptor = std::move(acceptor);
  }
  impl_->port = port;
  InstallSignals();
}

uint16_t Server::port() const {
  return impl_->port;
}
bool Server::draining() const {
  return impl_->draining.load();
}
std::size_t Server::in_flight() const {
  return impl_->in_flight.load();
}
int Server::threads() const {
  return static_cast<int>(impl_->workers.size());
}

void Server::Shutdown() {
  Impl* impl = impl_.get();
  std::call_once(impl->shutdown_once, [impl] {
    impl->draining.store(true);
    for (auto& w : impl->workers) {
      Worker* worker = w.get();
      asio::post(worker->ioc, [worker] {
        beast::error_code ec;
        if (worker->acceptor) {
          worker->acceptor->close(ec);
        }
        // Idle keep-alive connections close now; busy ones after their current response.
        for (Connection* c : worker->connections) {
          if (!c->busy) {
            c->socket.shutdown(tcp::socket::shutdown_both, ec);
            c->socket.close(ec);
          }
        }
      });
    }
    Worker* first = impl->workers.front().get();
    asio::post(first->ioc, [impl, first] {
      impl->drain_timer = std::make_unique<asio::steady_timer>(first->ioc);
      impl->drain_timer->expires_after(impl->options.drain_timeout);
      impl->drain_timer->async_wait([impl](const beast::error_code& ec) {
        if (!ec) {
          impl->StopAll();
        }
      });
      impl->CheckDrained();
    });
  });
}

// Signals are caught from the moment the port is bound (before "listening" is announced), so a
// SIGTERM sent right after the announcement drains instead of killing the process.
void Server::InstallSignals() {
  Impl* impl = impl_.get();
  Worker* first = impl->workers.front().get();
  if (impl->signals) {
    return;
  }
  if (impl->options.handle_signals) {
    impl->signals = std::make_unique<asio::signal_set>(first->ioc, SIGINT, SIGTERM);
    impl->signals->async_wait([this](const beast::error_code& ec, int) {
      if (!ec) {
        Shutdown();
      }
    });
    if (impl->options.on_sighup) {
      impl->hup = std::make_unique<asio::signal_set>(first->ioc, SIGHUP);
      // Re-arms itself: a plain function object, not a coroutine.
      struct HupHandler {
        Impl* impl;
        void operator()(const beast::error_code& ec, int /*signal*/) const {
          if (ec) {
            return;
          }
          impl->options.on_sighup();
          impl->hup->async_wait(*this);
        }
      };
      impl->hup->async_wait(HupHandler{impl});
    }
  }
}

void Server::Run() {
  if (!impl_->workers.front()->acceptor) {
    Bind();
  }
  Impl* impl = impl_.get();
  for (auto& w : impl->workers) {
    asio::co_spawn(w->ioc, AcceptLoop(impl, w.get()), asio::detached);
  }
  auto run_worker = [impl](Worker* w) {
    if (impl->options.on_thread_start) {
      impl->options.on_thread_start(w->index, w->ioc);
    }
    w->ioc.run();
    if (impl->options.on_thread_stop) {
      impl->options.on_thread_stop(w->index, w->ioc);
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl->workers.size(); ++i) {
    threads.emplace_back(run_worker, impl->workers[i].get());
  }
  run_worker(impl->workers.front().get());
  impl->StopAll();
  for (auto& t : threads) {
    t.join();
  }
}

}  // namespace baton

// Upstream HTTP client. Why it looks like this:
// - requests are framed by hand (one head string + body in one gathered write) and responses are
//   parsed by Beast's basic_parser straight into plain headers and body strings, so chunked
//   streams are de-chunked incrementally and handed out as they arrive;
// - a pooled connection may have been closed by the upstream while idle; that shows as a write
//   error or EOF before any response byte, and only then is the request retried (once) on a new
//   connection — a request that got any response byte is never replayed;
// - TLS contexts are per CA file and per thread, loaded once; host name verification and SNI use
//   the origin's host.
#include "upstream/client.hpp"

#include <array>
#include <cstdlib>
#include <deque>
#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

#include "asio/fast_io.hpp"
#include "asio/http_parser.hpp"
#include "asio/watchdog.hpp"

namespace baton {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's own spelling

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxIdlePerOrigin = 256;
constexpr std::size_t kReadBuffer = std::size_t{16} * 1024;
constexpr auto kMaxIdleAge = std::chrono::seconds(50);

thread_local UpstreamClient* g_thread_client = nullptr;
// Every client's pool counts together, for /metrics (read from any thread). Relaxed atomics
// changed next to the per-client stats; one add per connection checkout and release.
PoolGauges g_pool_gauges;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string GetEnv(const char* upper, const char* lower) {
  // Read once per worker at startup, before any thread could change the environment.
  for (const char* name : {upper, lower}) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    if (v != nullptr && *v != '\0') {
      return v;
    }
  }
  return {};
}

std::string Base64(std::string_view in) {
  static constexpr std::string_view kTable =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += kTable[n & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

struct ProxyTarget {
  std::string host;
  uint16_t port = 0;
  std::string authorization;  // "Basic ..." or empty
};

Result<ProxyTarget> ParseProxy(std::string_view url) {
  std::string with_scheme(url);
  if (with_scheme.find("://") == std::string::npos) {
    with_scheme = "http://" + with_scheme;
  }
  auto parsed = boost::urls::parse_uri(with_scheme);
  if (!parsed || parsed->scheme() != "http") {
    return Error(ErrorKind::kUpstreamError, "invalid proxy URL in the environment");
  }
  ProxyTarget p;
  p.host = parsed->host_address();
  p.port = parsed->has_port() ? static_cast<uint16_t>(parsed->port_number()) : 80;
  if (parsed->has_userinfo()) {
    p.authorization = "Basic " + Base64(std::string(parsed->userinfo()));
  }
  return p;
}

Error TimeoutError(std::string_view what, std::chrono::milliseconds ms) {
  return {ErrorKind::kUpstreamTimeout,
          std::string("upstream ") + std::string(what) + " timed out after " +
              std::to_string(ms.count()) + " ms",
          "upstream_timeout"};
}

Error IoError(std::string_view what, const beast::error_code& ec) {
  std::string reason = "connection failed";
  if (ec == asio::error::connection_refused) {
    reason = "connection refused";
  } else if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    reason = "connection reset by the upstream";
  } else if (ec == asio::error::eof || ec == http::error::end_of_stream ||
             ec == http::error::partial_message || ec == ssl::error::stream_truncated) {
    reason = "connection closed by the upstream";
  } else if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again) {
    reason = "host name not found";
  } else if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable) {
    reason = "network unreachable";
  } else if (ec.category() == asio::error::get_ssl_category()) {
    auto reason_code = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    reason = reason_code == SSL_R_CERTIFICATE_VERIFY_FAILED ? "TLS certificate verification failed"
                                                            : "TLS handshake failed";
  } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category()) {
    reason = "malformed HTTP response";
  }
  return {ErrorKind::kUpstreamError, "upstream " + std::string(what) + ": " + reason,
          "upstream_error"};
}

// Stale = the peer closed a pooled connection while it sat idle.
bool LooksStale(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == http::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated || ec == asio::error::connection_aborted;
}

}  // namespace

Result<UpstreamOrigin> ParseOrigin(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return Error(ErrorKind::kBadRequest, "invalid URL");
  }
  UpstreamOrigin o;
  if (parsed->scheme_id() == boost::urls::scheme::https) {  // case-insensitive (RFC 3986)
    o.tls = true;
  } else if (parsed->scheme_id() != boost::urls::scheme::http) {
    return Error(ErrorKind::kBadRequest, "URL scheme must be http or https");
  }
  o.host = parsed->host_address();
  if (o.host.empty()) {
    return Error(ErrorKind::kBadRequest, "URL has no host");
  }
  if (parsed->host_type() == boost::urls::host_type::ipv6) {
    o.host = std::string(parsed->host_address());
  }
  o.port = static_cast<uint16_t>(o.tls ? 443 : 80);
  if (parsed->has_port() && !parsed->port().empty()) {
    std::string_view digits = parsed->port();
    unsigned long port = 0;
    for (char c : digits) {
      port = port * 10 + static_cast<unsigned long>(c - '0');
      if (port > 65535) {
        break;
      }
    }
    if (port == 0 || port > 65535) {
      return Error(ErrorKind::kBadRequest, "URL port must be 1..65535");
    }
    o.port = static_cast<uint16_t>(port);
  }
  o.base_path = std::string(parsed->encoded_path());
  while (!o.base_path.empty() && o.base_path.back() == '/') {
    o.base_path.pop_back();
  }
  return o;
}

ProxySettings ProxySettings::FromEnvironment() {
  ProxySettings p;
  p.http_proxy = GetEnv("HTTP_PROXY", "http_proxy");
  p.https_proxy = GetEnv("HTTPS_PROXY", "https_proxy");
  p.no_proxy = GetEnv("NO_PROXY", "no_proxy");
  return p;
}

std::string ProxySettings::ProxyFor(const UpstreamOrigin& origin) const {
  const std::string& proxy = origin.tls ? https_proxy : http_proxy;
  if (proxy.empty()) {
    return {};
  }
  std::string host = Lowered(origin.host);
  std::string_view list = no_proxy;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && entry.back() == ' ') {
      entry.remove_suffix(1);
    }
    if (entry.empty()) {
      continue;
    }
    if (entry == "*") {
      return {};
    }
    // "host:port" entries match only that port.
    if (auto colon = entry.rfind(':');
        colon != std::string_view::npos && entry.find(':') == colon) {
      if (entry.substr(colon + 1) != std::to_string(origin.port)) {
        continue;
      }
      entry = entry.substr(0, colon);
    }
    if (entry.front() == '.') {
      entry.remove_prefix(1);
    }
    std::string e = Lowered(entry);
    if (host == e ||
        (host.size() > e.size() && host.ends_with(e) && host[host.size() - e.size() - 1] == '.')) {
      return {};
    }
  }
  return proxy;
}

// One connection to an origin (possibly through a proxy), plain or TLS.
struct UpConn {
  // Beast reads at most the buffer's free capacity at a time (512 bytes for an empty buffer):
  // reserving up front makes one recv take a whole burst of stream events.
  explicit UpConn(asio::io_context& ioc) : sock(ioc) {
    buffer.reserve(kReadBuffer);
    watch.socket = &sock;
  }
  tcp::socket sock;
  WatchEntry watch;  // connect / first-byte / idle deadlines
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  beast::flat_buffer buffer;
  std::string key;
  bool via_http_proxy = false;  // absolute-form targets
  std::chrono::steady_clock::time_point idle_since;

  void Close() {
    beast::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }
};

struct UpstreamClient::Impl {
  asio::io_context& ioc;
  Watchdog watchdog{ioc};
  ProxySettings proxy;
  std::map<std::string, std::deque<std::unique_ptr<UpConn>>> idle;
  std::map<std::string, std::unique_ptr<ssl::context>> tls_contexts;  // by CA file
  PoolStats stats;

  Impl(asio::io_context& io, ProxySettings p) : ioc(io), proxy(std::move(p)) {}

  Result<ssl::context*> TlsContext(const std::string& ca_file) {
    auto it = tls_contexts.find(ca_file);
    if (it != tls_contexts.end()) {
      return it->second.get();
    }
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    ctx->set_default_verify_paths(ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    if (!ca_file.empty()) {
      ctx->load_verify_file(ca_file, ec);
      if (ec) {
        return Error(ErrorKind::kUpstreamError, "the provider's CA file cannot be loaded",
                     "upstream_error");
      }
    }
    auto* raw = ctx.get();
    tls_contexts.emplace(ca_file, std::move(ctx));
    return raw;
  }

  std::unique_ptr<UpConn> TakeIdle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) {
      return nullptr;
    }
    auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
      auto conn = std::move(it->second.back());
      it->second.pop_back();
      g_pool_gauges.idle.fetch_sub(1, std::memory_order_relaxed);
      if (now - conn->idle_since < kMaxIdleAge && conn->sock.is_open()) {
        return conn;
      }
      conn->Close();
    }
    return nullptr;
  }

  void Release(std::unique_ptr<UpConn> conn) {
    --stats.active;
    g_pool_gauges.busy.fetch_sub(1, std::memory_order_relaxed);
    auto& list = idle[conn->key];
    if (list.size() >= kMaxIdlePerOrigin) {
      conn->Close();
      return;
    }
    conn->idle_since = std::chrono::steady_clock::now();
    Watchdog::Disarm(conn->watch);
    list.push_back(std::move(conn));
    g_pool_gauges.idle.fetch_add(1, std::memory_order_relaxed);
  }

  Awaitable<Result<std::unique_ptr<UpConn>>> Connect(const UpstreamOrigin& origin, std::string key,
                                                     std::string proxy_url,
                                                     ClientTimeouts timeouts);
};

namespace {

// Reads a proxy's answer to CONNECT: "HTTP/1.1 200 ..." up to the blank line.
Awaitable<bool> ReadConnectReply(tcp::socket& stream) {
  std::string reply;
  auto [ec, n] = co_await asio::async_read_until(
      stream, asio::dynamic_buffer(reply, std::size_t{16} * 1024), "\r\n\r\n", kUseTuple);
  if (ec) {
    co_return false;
  }
  // "HTTP/1.x 200"
  co_return reply.size() > 12 && reply.starts_with("HTTP/") && reply.compare(9, 3, "200") == 0;
}

}  // namespace

Awaitable<Result<std::unique_ptr<UpConn>>> UpstreamClient::Impl::Connect(
    const UpstreamOrigin& origin, std::string key, std::string proxy_url, ClientTimeouts timeouts) {
  auto conn = std::make_unique<UpConn>(ioc);
  conn->key = std::move(key);
  std::string connect_host = origin.host;
  uint16_t connect_port = origin.port;
  ProxyTarget proxy;
  if (!proxy_url.empty()) {
    auto parsed = ParseProxy(proxy_url);
    if (!parsed) {
      co_return parsed.error();
    }
    proxy = std::move(parsed).value();
    connect_host = proxy.host;
    connect_port = proxy.port;
  }
  tcp::resolver resolver(ioc);
  watchdog.Add(conn->watch);
  conn->watch.resolver = &resolver;
  watchdog.Arm(conn->watch, timeouts.connect);
  auto [rec, endpoints] = co_await resolver.async_resolve(
      connect_host, std::to_string(connect_port), tcp::resolver::numeric_service, kUseTuple);
  if (rec) {
    conn->watch.resolver = nullptr;
    if (conn->watch.expired()) {
      co_return TimeoutError("connect", timeouts.connect);
    }
    co_return IoError("connect", rec);
  }
  auto [cec, ep] = co_await asio::async_connect(conn->sock, endpoints, kUseTuple);
  conn->watch.resolver = nullptr;
  if (cec) {
    if (conn->watch.expired()) {
      co_return TimeoutError("connect", timeouts.connect);
    }
    co_return IoError("connect", cec);
  }
  beast::error_code ignored;
  conn->sock.set_option(tcp::no_delay(true), ignored);
  conn->sock.non_blocking(true, ignored);  // fastio on the plain path
  ++stats.opened;

  if (!proxy_url.empty() && origin.tls) {
    std::string target = HostHeader(origin);
    if (target.find(':') == std::string::npos || target.back() == ']') {
      target += ":" + std::to_string(origin.port);
    }
    std::string req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
    if (!proxy.authorization.empty()) {
      req += "Proxy-Authorization: " + proxy.authorization + "\r\n";
    }
    req += "\r\n";
    auto [wec, wn] = co_await asio::async_write(conn->sock, asio::buffer(req), kUseTuple);
    if (wec) {
      co_return IoError("proxy", wec);
    }
    if (!co_await ReadConnectReply(conn->sock)) {
      if (conn->watch.expired()) {
        co_return TimeoutError("proxy CONNECT", timeouts.connect);
      }
      co_return Error(ErrorKind::kUpstreamError, "upstream proxy refused the CONNECT tunnel",
                      "upstream_error");
    }
  } else if (!proxy_url.empty()) {
    conn->via_http_proxy = true;
  }

  if (origin.tls) {
    auto ctx = TlsContext(origin.ca_file);
    if (!ctx) {
      co_return ctx.error();
    }
    conn->tls = std::make_unique<ssl::stream<tcp::socket&>>(conn->sock, **ctx);
    // SNI only for names, never for IP literals (RFC 6066).
    beast::error_code addr_ec;
    asio::ip::make_address(origin.host, addr_ec);
    if (addr_ec) {
      SSL_set_tlsext_host_name(conn->tls->native_handle(), origin.host.c_str());
    }
    conn->tls->set_verify_callback(ssl::host_name_verification(origin.host));
    auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kUseTuple);
    if (hec) {
      if (conn->watch.expired()) {
        co_return TimeoutError("TLS handshake", timeouts.connect);
      }
      co_return IoError("TLS handshake", hec);
    }
  }
  co_return conn;
}

namespace {

class BodyImpl final : public UpstreamBody {
 public:
  BodyImpl(UpstreamClient::Impl* client, std::unique_ptr<UpConn> conn,
           std::unique_ptr<ResponseParser> parser, HttpHeaders headers, ClientTimeouts timeouts)
      : client_(client),
        conn_(std::move(conn)),
        parser_(std::move(parser)),
        headers_(std::move(headers)),
        timeouts_(timeouts) {
    // Not eager: an eager parser keeps reading the socket until it can parse a further chunk
    // header, which holds back a stream's events. Read() drains what is buffered by hand.
    parser_->set_body(&piece_);
  }

  ~BodyImpl() override {
    if (conn_) {
      --client_->stats.active;
      g_pool_gauges.busy.fetch_sub(1, std::memory_order_relaxed);
      conn_->Close();
    }
  }

  int status() const override { return parser_->status; }
  bool finished() const override { return !conn_ || parser_->is_done(); }
  const HttpHeaders& headers() const override { return headers_; }

  Awaitable<void> Drain(std::chrono::milliseconds max_wait) override {
    const auto idle = timeouts_.idle;
    timeouts_.idle = max_wait;
    for (;;) {
      auto piece = co_await Read();
      if (!piece || piece->empty()) {
        break;
      }
    }
    timeouts_.idle = idle;
  }

  Awaitable<Result<std::string_view>> Read() override {
    piece_.clear();
    for (;;) {
      if (!conn_ || parser_->is_done()) {
        Finish();
        co_return std::string_view{};
      }
      beast::error_code ec;
      if (!conn_->tls) {
        // Plain TCP: hand out what is already buffered (often the whole body arrived with the
        // head) before touching the socket, then wait for readability and read what is there.
        fastio::ParseBuffered(conn_->buffer, *parser_, ec, &need_more_at_);
        if (!ec && (!piece_.empty() || parser_->is_done())) {
          co_return std::string_view(piece_);
        }
        if (!ec) {
          client_->watchdog.Arm(conn_->watch, timeouts_.idle);
          ec = co_await fastio::ReadSome(conn_->sock, conn_->buffer, /*try_now=*/false);
          if (ec == asio::error::eof) {
            parser_->put_eof(ec);
            if (!ec && !parser_->is_done()) {
              ec = http::error::partial_message;
            }
          }
        }
      } else {
        client_->watchdog.Arm(conn_->watch, timeouts_.idle);
        auto [e, n] =
            co_await http::async_read_some(*conn_->tls, conn_->buffer, *parser_, kUseTuple);
        ec = e;
        if (!ec) {
          // Hand out every complete piece already buffered (a burst of small chunks) at once.
          beast::error_code put_ec;
          fastio::ParseBuffered(conn_->buffer, *parser_, put_ec, &need_more_at_);
        }
      }
      if (ec) {
        const bool timed_out = conn_->watch.expired();
        --client_->stats.active;
        g_pool_gauges.busy.fetch_sub(1, std::memory_order_relaxed);
        conn_->Close();
        conn_.reset();
        if (timed_out) {
          co_return TimeoutError("stream idle", timeouts_.idle);
        }
        co_return IoError("response", ec);
      }
      if (!piece_.empty()) {
        co_return std::string_view(piece_);
      }
    }
  }

 private:
  void Finish() {
    if (!conn_) {
      return;
    }
    if (parser_->keep_alive() && !parser_->need_eof()) {
      client_->Release(std::move(conn_));
    } else {
      --client_->stats.active;
      g_pool_gauges.busy.fetch_sub(1, std::memory_order_relaxed);
      conn_->Close();
      conn_.reset();
    }
  }

  UpstreamClient::Impl* client_;
  std::unique_ptr<UpConn> conn_;
  std::unique_ptr<ResponseParser> parser_;
  std::size_t need_more_at_ = SIZE_MAX;  // see fastio::ParseBuffered
  HttpHeaders headers_;
  ClientTimeouts timeouts_;
  std::string piece_;  // body bytes of the last Read()
};

template <typename Stream>
Awaitable<beast::error_code> WriteRequest(Stream& stream, const std::string& head,
                                          const std::string& body) {
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body)};
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    co_return co_await fastio::WriteAll(stream, bufs);
  } else {
    auto [ec, n] = co_await asio::async_write(stream, bufs, kUseTuple);
    co_return ec;
  }
}

template <typename Stream>
Awaitable<beast::error_code> ReadHead(Stream& stream, beast::flat_buffer& buffer,
                                      ResponseParser& parser) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    co_return co_await fastio::ReadMessage(stream, buffer, parser, /*whole_message=*/false,
                                           /*try_now=*/false);
  } else {
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
    co_return ec;
  }
}

}  // namespace

Awaitable<Result<std::string>> UpstreamBody::ReadAll(std::size_t max_bytes) {
  std::string out;
  for (;;) {
    auto piece = co_await Read();
    if (!piece) {
      co_return std::move(piece).error();
    }
    if (piece->empty()) {
      co_return out;
    }
    if (out.size() + piece->size() > max_bytes) {
      co_return Error(ErrorKind::kUpstreamError, "upstream response too large", "upstream_error");
    }
    out.append(piece->data(), piece->size());
  }
}

UpstreamClient::UpstreamClient(asio::io_context& ioc, ProxySettings proxy)
    : impl_(std::make_unique<Impl>(ioc, std::move(proxy))) {}

UpstreamClient::~UpstreamClient() {
  CloseIdle();
}

PoolStats UpstreamClient::stats() const {
  PoolStats s = impl_->stats;
  s.idle = 0;
  for (const auto& [key, list] : impl_->idle) {
    s.idle += list.size();
  }
  return s;
}

void UpstreamClient::CloseIdle() {
  for (auto& [key, list] : impl_->idle) {
    for (auto& c : list) {
      c->Close();
    }
    g_pool_gauges.idle.fetch_sub(static_cast<int64_t>(list.size()), std::memory_order_relaxed);
  }
  impl_->idle.clear();
}

void UpstreamClient::Stop() {
  CloseIdle();
  impl_->watchdog.Stop();
}

PoolGauges& UpstreamClient::Gauges() {
  return g_pool_gauges;
}

UpstreamClient* UpstreamClient::ForThisThread() {
  return g_thread_client;
}
void UpstreamClient::SetForThisThread(UpstreamClient* client) {
  g_thread_client = client;
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> UpstreamClient::Open(UpstreamRequest request) {
  const UpstreamOrigin& origin = *request.origin;
  std::string proxy_url = impl_->proxy.ProxyFor(origin);
  std::string key = (origin.tls ? "https://" : "http://") + origin.host + ":" +
                    std::to_string(origin.port) + "|" + origin.ca_file + "|" + proxy_url;

  std::string host = HostHeader(origin);
  std::string head;
  head.reserve(256 + request.path.size());
  head += request.method;
  head += ' ';
  bool absolute_form = !proxy_url.empty() && !origin.tls;
  if (absolute_form) {
    head += "http://";
    head += host;
  }
  head += origin.base_path;
  head += request.path;
  head += " HTTP/1.1\r\nhost: ";
  head += host;
  head += "\r\n";
  bool has_body = !request.body.empty() || request.method == "POST" || request.method == "PUT";
  if (has_body) {
    head += "content-length: ";
    head += std::to_string(request.body.size());
    head += "\r\n";
  }
  for (const auto& h : request.headers) {
    head += h.name;
    head += ": ";
    head += h.value;
    head += "\r\n";
  }
  if (absolute_form) {
    if (auto p = ParseProxy(proxy_url); p && !p->authorization.empty()) {
      head += "proxy-authorization: " + p->authorization + "\r\n";
    }
  }
  head += "\r\n";

  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<UpConn> conn = attempt == 0 ? impl_->TakeIdle(key) : nullptr;
    bool reused = conn != nullptr;
    if (!conn) {
      auto connected = co_await impl_->Connect(origin, key, proxy_url, request.timeouts);
      if (!connected) {
        // Nothing reached the upstream: the router may go to another deployment at once.
        Error e = std::move(connected).error();
        e.code = std::string(kConnectFailedCode);
        co_return e;
      }
      conn = std::move(connected).value();
    } else {
      ++impl_->stats.reused;
    }
    ++impl_->stats.active;
    g_pool_gauges.busy.fetch_add(1, std::memory_order_relaxed);

    impl_->watchdog.Arm(conn->watch, request.timeouts.first_byte);
    // No co_await inside ?: — g++ 12 miscompiles it.
    beast::error_code ec;
    if (conn->tls) {
      ec = co_await WriteRequest(*conn->tls, head, request.body);
    } else {
      ec = co_await WriteRequest(conn->sock, head, request.body);
    }
    HttpHeaders headers;
    headers.reserve(16);
    auto parser = std::make_unique<ResponseParser>(&headers, nullptr);
    parser->body_limit(boost::none);
    parser->header_limit(64 * 1024);
    if (request.method == "HEAD") {
      parser->skip(true);
    }
    if (!ec && conn->tls) {
      ec = co_await ReadHead(*conn->tls, conn->buffer, *parser);
    } else if (!ec) {
      ec = co_await ReadHead(conn->sock, conn->buffer, *parser);
    }
    if (!ec) {
      co_return std::unique_ptr<UpstreamBody>(std::make_unique<BodyImpl>(
          impl_.get(), std::move(conn), std::move(parser), std::move(headers), request.timeouts));
    }
    --impl_->stats.active;
    g_pool_gauges.busy.fetch_sub(1, std::memory_order_relaxed);
    conn->Close();
    if (reused && LooksStale(ec) && !parser->got_some()) {
      ++impl_->stats.stale_retries;
      continue;
    }
    if (conn->watch.expired()) {
      co_return TimeoutError("response", request.timeouts.first_byte);
    }
    co_return IoError("request", ec);
  }
  co_return Error(ErrorKind::kUpstreamError, "upstream request: connection failed",
                  "upstream_error");
}

std::string HostHeader(const UpstreamOrigin& o) {
  std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  bool default_port = (o.tls && o.port == 443) || (!o.tls && o.port == 80);
  if (!default_port) {
    host += ':';
    host += std::to_string(o.port);
  }
  return host;
}

}  // namespace baton

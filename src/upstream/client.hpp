// The outgoing HTTP/1.1 client used by providers to call upstream LLM APIs.
//
// Pooled keep-alive connections per origin (scheme, host, port, proxy, CA), TLS with certificate
// verification against the system store (plus an optional extra CA file) and SNI, connect /
// first-byte / idle timeouts, HTTP(S)_PROXY and NO_PROXY from the environment, and a single retry
// on a fresh connection when a reused pooled connection turns out to be stale before any response
// byte arrived. Responses are read incrementally (UpstreamBody::Read), so streams are relayed as
// they arrive; destroying an unfinished UpstreamBody closes its connection, which is how a
// cancelled client request cancels the upstream request.
//
// Thread-safety: one UpstreamClient per worker thread (its io_context); not shared across threads.
// UpstreamClient::ForThisThread() returns the current worker's client.
// Lifetime: the client must outlive every UpstreamBody it returned.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "core/http_types.hpp"

namespace boost::asio {
class io_context;
}

namespace baton {

struct ClientTimeouts {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds first_byte{120'000};
  std::chrono::milliseconds idle{60'000};
};

// Where requests go: parsed once (per provider), reused for every request.
struct UpstreamOrigin {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string base_path;  // path prefix from the base URL, no trailing slash ("/v1")
  std::string ca_file;    // extra trusted CA bundle, empty for the system store only
};

// Parses "http(s)://host[:port][/path]". Error (kBadRequest) on anything else.
Result<UpstreamOrigin> ParseOrigin(std::string_view url);
// The Host header value the client sends for an origin ("host", "host:port", "[v6]:port").
std::string HostHeader(const UpstreamOrigin& origin);

// Error.code of an Open() that failed before the request reached the upstream (resolve, connect,
// proxy tunnel, TLS handshake, or their timeouts).
inline constexpr std::string_view kConnectFailedCode = "upstream_connect_failed";

struct UpstreamRequest {
  const UpstreamOrigin* origin = nullptr;  // must outlive the call
  std::string method = "POST";
  std::string path;  // appended to origin->base_path, e.g. "/chat/completions"
  HttpHeaders headers;
  std::string body;
  ClientTimeouts timeouts;
};

// An upstream response whose head has arrived; the body is read piece by piece.
class UpstreamBody {
 public:
  virtual ~UpstreamBody() = default;
  virtual int status() const = 0;
  virtual const HttpHeaders& headers() const = 0;
  // The next piece of the (de-chunked) body. An empty view means the body ended cleanly. The
  // view is valid until the next call. Errors: kUpstreamTimeout (idle timeout), kUpstreamError
  // (reset, cut before the end).
  virtual Awaitable<Result<std::string_view>> Read() = 0;
  // True once the whole body has been received (the next Read() returns the end at once).
  virtual bool finished() const = 0;
  // Reads and discards the rest of the body so the connection can be reused, waiting at most
  // max_wait for it; past that (or on any error) the connection is closed instead.
  virtual Awaitable<void> Drain(std::chrono::milliseconds max_wait) = 0;
  // Reads the rest of the body into one string, up to max_bytes (kUpstreamError beyond).
  Awaitable<Result<std::string>> ReadAll(std::size_t max_bytes = 64U << 20);
};

// Proxy settings, normally read from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and
// their lower-case forms).
struct ProxySettings {
  std::string http_proxy;   // "http://[user:pass@]host:port"
  std::string https_proxy;  // idem; tunnelled with CONNECT
  std::string no_proxy;     // comma-separated hosts/domains/"*"
  static ProxySettings FromEnvironment();
  // The proxy URL to use for an origin, or empty for a direct connection.
  std::string ProxyFor(const UpstreamOrigin& origin) const;
};

struct PoolStats {
  std::size_t idle = 0;    // pooled idle connections
  std::size_t active = 0;  // connections currently carrying a request
  uint64_t opened = 0;     // connections opened since start
  uint64_t reused = 0;     // requests served on a pooled connection
  uint64_t stale_retries = 0;
};

// Pool counts over every thread's client, readable from any thread (relaxed: a scrape may see a
// connection between the two counts).
struct PoolGauges {
  std::atomic<int64_t> idle{0};  // pooled idle connections
  std::atomic<int64_t> busy{0};  // connections carrying a request
};

class UpstreamClient {
 public:
  UpstreamClient(boost::asio::io_context& ioc, ProxySettings proxy);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends the request and waits for the response head. Any HTTP status is a success here; the
  // caller decides what a 4xx/5xx means. Errors: kUpstreamError (connect, TLS, reset, proxy),
  // kUpstreamTimeout (connect or first-byte timeout); code kConnectFailedCode when the request
  // never reached the upstream.
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Open(UpstreamRequest request);

  PoolStats stats() const;
  // Closes idle pooled connections.
  void CloseIdle();
  // Closes idle connections and stops the deadline timer; call on the client's thread after its
  // io_context stopped running and before it is destroyed.
  void Stop();

  // Process-wide gauges (all clients); for /metrics.
  static PoolGauges& Gauges();

  static UpstreamClient* ForThisThread();
  static void SetForThisThread(UpstreamClient* client);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton

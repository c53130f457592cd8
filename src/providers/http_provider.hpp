// The common part of every provider that reaches its upstream over HTTP(S): the parsed origin,
// the fixed headers (auth, user-agent, configured extras) and the timeouts, all computed once at
// construction; and Open(), which sends one request on the calling thread's pooled client with
// every wait clamped to the request's deadline.
//
// Thread-safety and lifetime: as Provider (immutable after construction; shared by all threads).
#pragma once

#include "providers/provider.hpp"

namespace baton {

class HttpProvider : public Provider {
 protected:
  // base_url overrides config.base_url when not empty. Throws std::runtime_error (startup) on a
  // URL that cannot be parsed.
  explicit HttpProvider(ProviderConfig config, std::string base_url = {});

  // Sends method + path (appended to the base URL's path) with the fixed headers plus `extra`.
  // kUnavailable when the provider's secrets are not configured; kUpstreamTimeout when the
  // deadline has already passed.
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Open(
      std::string method, std::string path, HttpHeaders extra, std::string body,
      std::chrono::steady_clock::time_point deadline) const;

  const UpstreamOrigin& origin() const { return origin_; }
  // Adds a header sent with every request (constructor only).
  void AddFixedHeader(std::string name, std::string value) {
    headers_.push_back({std::move(name), std::move(value)});
  }

 private:
  UpstreamOrigin origin_;
  HttpHeaders headers_;
  ClientTimeouts timeouts_;
};

// Copies the client headers whose names start with one of the prefixes (case-insensitive).
void CopyHeadersWithPrefix(const HttpHeaders& from, std::string_view prefix, HttpHeaders& to);

}  // namespace baton

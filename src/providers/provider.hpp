// A provider: one configured upstream (or the built-in echo) that can carry one attempt of a
// request in its own wire dialect (DESIGN.md §4). Retries, fallback and fan-out belong to the
// router, never to a provider.
//
// Thread-safety: a Provider is immutable after construction and shared by every worker thread;
// Send() uses the calling thread's UpstreamClient. Lifetime: owned by the config snapshot, which
// outlives every request that started on it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "dialects/canonical.hpp"
#include "upstream/client.hpp"

namespace baton {

enum class Operation { kChatCompletions, kEmbeddings, kModels, kCountTokens };

struct ProviderCall {
  Operation operation = Operation::kChatCompletions;
  std::string body;   // already in the provider's dialect
  std::string model;  // the upstream model (dialects that carry it in the URL need it)
  bool stream = false;
  // The client's request headers (a provider picks what is meant for its upstream, e.g.
  // anthropic-beta), or null. Borrowed: the request outlives the call, which is awaited at once.
  const HttpHeaders* client_headers = nullptr;
  // The request's overall deadline ([server] request_timeout): no upstream wait may pass it.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

class Provider {
 public:
  virtual ~Provider() = default;
  const ProviderConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  // The wire dialect chat bodies for Send() must be in (embeddings are always OpenAI's).
  virtual canon::Dialect dialect() const = 0;
  // Does this provider serve the operation at all (e.g. embeddings, count_tokens)?
  virtual bool Supports(Operation op) const {
    return op == Operation::kChatCompletions || op == Operation::kModels;
  }
  // One attempt: the upstream's answer head, or a transport error (kUpstreamError,
  // kUpstreamTimeout, kUnavailable when the provider is not configured with a key).
  virtual Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) = 0;

 protected:
  explicit Provider(ProviderConfig config) : config_(std::move(config)) {}

 private:
  ProviderConfig config_;
};

// Builds the provider for a configured entry. Throws std::runtime_error (startup) when the entry
// cannot be served at all (unsupported kind, bad URL).
std::unique_ptr<Provider> MakeProvider(const ProviderConfig& config);

}  // namespace baton

// OpenAI-compatible upstreams: OpenAI itself, every preset (Groq, DeepSeek, ...), Ollama's /v1,
// vLLM, LM Studio, and, until their native dialects land, Anthropic's and Gemini's
// OpenAI-compatible endpoints. The body is already in OpenAI's dialect; this only adds the
// upstream's auth and fixed headers, precomputed once.
#include "providers/openai_compatible.hpp"

#include <algorithm>
#include <stdexcept>

namespace baton {

OpenAiCompatibleProvider::OpenAiCompatibleProvider(ProviderConfig config)
    : Provider(std::move(config)) {
  std::string base = this->config().base_url;
  // Gemini serves OpenAI's dialect under /openai of its API root.
  if (this->config().kind == "gemini" && !base.ends_with("/openai")) {
    base += "/openai";
  }
  auto origin = ParseOrigin(base);
  if (!origin) {
    throw std::runtime_error("provider \"" + name() +
                             "\": invalid base_url: " + origin.error().message);
  }
  origin_ = std::move(origin).value();
  origin_.ca_file = this->config().ca_file;
  headers_.push_back({"content-type", "application/json"});
  headers_.push_back({"user-agent", "baton/0.1"});
  if (!this->config().api_key.empty()) {
    headers_.push_back({"authorization", "Bearer " + this->config().api_key});
  }
  for (const auto& [name, value] : this->config().headers) {
    headers_.push_back({name, value});
  }
  timeouts_.connect = this->config().timeouts.connect;
  timeouts_.first_byte = this->config().timeouts.first_byte;
  timeouts_.idle = this->config().timeouts.idle;
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> OpenAiCompatibleProvider::Send(ProviderCall call) {
  if (!config().available) {
    co_return Error(ErrorKind::kUnavailable,
                    "provider \"" + name() + "\" is not configured: " + config().unavailable_reason,
                    "provider_unavailable");
  }
  UpstreamClient* client = UpstreamClient::ForThisThread();
  if (client == nullptr) {
    co_return Error(ErrorKind::kInternal, "no upstream client on this thread");
  }
  UpstreamRequest request;
  request.origin = &origin_;
  switch (call.operation) {
    case Operation::kChatCompletions:
      request.path = "/chat/completions";
      break;
    case Operation::kEmbeddings:
      request.path = "/embeddings";
      break;
    case Operation::kModels:
      request.method = "GET";
      request.path = "/models";
      break;
  }
  request.headers = headers_;
  request.headers.push_back({"accept", call.stream ? "text/event-stream" : "application/json"});
  request.body = std::move(call.body);
  request.timeouts = timeouts_;
  if (call.deadline != std::chrono::steady_clock::time_point::max()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        call.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      co_return Error(ErrorKind::kUpstreamTimeout, "the request timed out before this attempt",
                      "request_timeout");
    }
    request.timeouts.connect = std::min(request.timeouts.connect, left);
    request.timeouts.first_byte = std::min(request.timeouts.first_byte, left);
    request.timeouts.idle = std::min(request.timeouts.idle, left);
  }
  co_return co_await client->Open(std::move(request));
}

}  // namespace baton

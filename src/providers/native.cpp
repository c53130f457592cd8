#include "providers/native.hpp"

namespace baton {

AnthropicProvider::AnthropicProvider(ProviderConfig config) : HttpProvider(std::move(config)) {
  if (!this->config().api_key.empty()) {
    AddFixedHeader("x-api-key", this->config().api_key);
  }
  AddFixedHeader("anthropic-version", this->config().anthropic_version);
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> AnthropicProvider::Send(ProviderCall call) {
  std::string method = "POST";
  std::string path = "/messages";
  if (call.operation == Operation::kCountTokens) {
    path = "/messages/count_tokens";
  } else if (call.operation == Operation::kModels) {
    method = "GET";
    path = "/models?limit=1000";  // the default page is 20 models
  }
  HttpHeaders extra{{"accept", call.stream ? "text/event-stream" : "application/json"}};
  if (call.client_headers != nullptr) {
    CopyHeadersWithPrefix(*call.client_headers, "anthropic-beta", extra);
  }
  co_return co_await Open(std::move(method), std::move(path), std::move(extra),
                          std::move(call.body), call.deadline);
}

GeminiProvider::GeminiProvider(ProviderConfig config) : HttpProvider(std::move(config)) {
  if (!this->config().api_key.empty()) {
    AddFixedHeader("x-goog-api-key", this->config().api_key);
  }
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> GeminiProvider::Send(ProviderCall call) {
  if (call.operation == Operation::kModels) {
    // The default page is 50 models.
    co_return co_await Open("GET", "/models?pageSize=1000", HttpHeaders{}, std::string{},
                            call.deadline);
  }
  // Gemini model names may be given with or without the "models/" prefix.
  std::string_view model = call.model;
  if (model.starts_with("models/")) {
    model.remove_prefix(7);
  }
  std::string path = "/models/" + PercentEncode(model);
  if (call.operation == Operation::kCountTokens) {
    path += ":countTokens";
  } else if (call.stream) {
    path += ":streamGenerateContent?alt=sse";
  } else {
    path += ":generateContent";
  }
  HttpHeaders extra{{"accept", call.stream ? "text/event-stream" : "application/json"}};
  co_return co_await Open("POST", std::move(path), std::move(extra), std::move(call.body),
                          call.deadline);
}

OllamaProvider::OllamaProvider(ProviderConfig config) : HttpProvider(std::move(config)) {
  // Ollama itself takes no key; one behind an authenticating proxy (or Ollama's cloud) takes a
  // Bearer token.
  if (!this->config().api_key.empty()) {
    AddFixedHeader("authorization", "Bearer " + this->config().api_key);
  }
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> OllamaProvider::Send(ProviderCall call) {
  if (call.operation == Operation::kModels) {
    co_return co_await Open("GET", "/api/tags", HttpHeaders{}, std::string{}, call.deadline);
  }
  HttpHeaders extra{{"accept", "application/x-ndjson"}};
  co_return co_await Open("POST", "/api/chat", std::move(extra), std::move(call.body),
                          call.deadline);
}

}  // namespace baton

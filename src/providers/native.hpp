// Providers for upstreams with their own (non-OpenAI) dialects. Bodies handed to Send() are
// already in the provider's dialect (the api layer translates through the canonical form); these
// choose the path, add the upstream's auth and version headers. See provider.hpp for contracts.
#pragma once

#include "providers/http_provider.hpp"

namespace baton {

// Anthropic Messages API: x-api-key + anthropic-version; the client's anthropic-beta header is
// passed through. Paths /messages, /messages/count_tokens, /models under the base URL
// (https://api.anthropic.com/v1).
class AnthropicProvider final : public HttpProvider {
 public:
  explicit AnthropicProvider(ProviderConfig config);
  canon::Dialect dialect() const override { return canon::Dialect::kAnthropic; }
  bool Supports(Operation op) const override { return op != Operation::kEmbeddings; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;
};

// Gemini API: x-goog-api-key; the model is in the path:
// /models/{model}:generateContent, :streamGenerateContent?alt=sse, :countTokens (base URL
// https://generativelanguage.googleapis.com/v1beta).
class GeminiProvider final : public HttpProvider {
 public:
  explicit GeminiProvider(ProviderConfig config);
  canon::Dialect dialect() const override { return canon::Dialect::kGemini; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;
};

// Ollama's native API: POST /api/chat (NDJSON when streaming), GET /api/tags; no auth unless
// headers are configured.
class OllamaProvider final : public HttpProvider {
 public:
  explicit OllamaProvider(ProviderConfig config);
  canon::Dialect dialect() const override { return canon::Dialect::kOllama; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;
};

}  // namespace baton

// Providers for upstreams that speak OpenAI's dialect over HTTP(S). See provider.hpp.
#pragma once

#include "providers/http_provider.hpp"

namespace baton {

// OpenAI itself, every preset (Groq, DeepSeek, ...), Ollama's /v1, vLLM, LM Studio: Bearer auth,
// paths /chat/completions, /embeddings, /models under the base URL.
class OpenAiCompatibleProvider final : public HttpProvider {
 public:
  explicit OpenAiCompatibleProvider(ProviderConfig config);
  canon::Dialect dialect() const override { return canon::Dialect::kOpenAiChat; }
  bool Supports(Operation op) const override { return op != Operation::kCountTokens; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;
};

// Azure OpenAI: `api-key` header, the model is the deployment name in the path
// (/openai/deployments/{deployment}/chat/completions?api-version=...).
class AzureProvider final : public HttpProvider {
 public:
  explicit AzureProvider(ProviderConfig config);
  canon::Dialect dialect() const override { return canon::Dialect::kOpenAiChat; }
  bool Supports(Operation op) const override {
    return op == Operation::kChatCompletions || op == Operation::kEmbeddings;
  }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;
};

}  // namespace baton

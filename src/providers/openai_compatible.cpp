// OpenAI-dialect upstreams. The body is already in OpenAI's dialect; these only choose the path
// and add the upstream's auth.
#include "providers/openai_compatible.hpp"

#include "core/http_types.hpp"

namespace baton {

OpenAiCompatibleProvider::OpenAiCompatibleProvider(ProviderConfig config)
    : HttpProvider(std::move(config)) {
  if (!this->config().api_key.empty()) {
    AddFixedHeader("authorization", "Bearer " + this->config().api_key);
  }
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> OpenAiCompatibleProvider::Send(ProviderCall call) {
  std::string method = "POST";
  std::string path;
  switch (call.operation) {
    case Operation::kChatCompletions:
    case Operation::kCountTokens:
      path = "/chat/completions";
      break;
    case Operation::kEmbeddings:
      path = "/embeddings";
      break;
    case Operation::kModels:
      method = "GET";
      path = "/models";
      break;
  }
  HttpHeaders extra{{"accept", call.stream ? "text/event-stream" : "application/json"}};
  co_return co_await Open(std::move(method), std::move(path), std::move(extra),
                          std::move(call.body), call.deadline);
}

AzureProvider::AzureProvider(ProviderConfig config) : HttpProvider(std::move(config)) {
  if (!this->config().api_key.empty()) {
    AddFixedHeader("api-key", this->config().api_key);
  }
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> AzureProvider::Send(ProviderCall call) {
  std::string path = "/openai/deployments/" + PercentEncode(call.model);
  path += call.operation == Operation::kEmbeddings ? "/embeddings" : "/chat/completions";
  path += "?api-version=" + PercentEncode(config().api_version);
  HttpHeaders extra{{"accept", call.stream ? "text/event-stream" : "application/json"}};
  co_return co_await Open("POST", std::move(path), std::move(extra), std::move(call.body),
                          call.deadline);
}

}  // namespace baton

// Provider for upstreams that speak OpenAI's dialect over HTTP(S). See provider.hpp.
#pragma once

#include "providers/provider.hpp"

namespace baton {

class OpenAiCompatibleProvider final : public Provider {
 public:
  explicit OpenAiCompatibleProvider(ProviderConfig config);
  std::string_view dialect() const override { return "openai"; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;

 private:
  UpstreamOrigin origin_;
  HttpHeaders headers_;
  ClientTimeouts timeouts_;
};

}  // namespace baton

// Amazon Bedrock through the Converse API: POST /model/{id}/converse and
// /model/{id}/converse-stream (AWS event stream), signed with SigV4 (service "bedrock") using
// credentials from the environment or a shared-credentials profile (providers/aws/). Bodies are
// in the Bedrock Converse dialect (dialects/bedrock/).
//
// Thread-safety and lifetime: as Provider. Credentials are read once, at construction.
#pragma once

#include "providers/aws/credentials.hpp"
#include "providers/http_provider.hpp"

namespace baton {

class BedrockProvider final : public HttpProvider {
 public:
  explicit BedrockProvider(ProviderConfig config);
  canon::Dialect dialect() const override { return canon::Dialect::kBedrock; }
  bool Supports(Operation op) const override { return op == Operation::kChatCompletions; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;

 private:
  aws::Credentials credentials_;
  std::string credentials_error_;  // why there are none (no secrets in it); empty when loaded
  std::string host_;               // the Host header, as signed
};

}  // namespace baton

// The built-in `echo` provider: answers in-process, in OpenAI's wire format, with the text of the
// last user message. It needs no key and no network, so the embedded default configuration can
// answer its first request (smoke checks, demos, CI). Token counts are estimates (4 characters a
// token for the prompt, one token a word for the answer).
#pragma once

#include "providers/provider.hpp"

namespace baton {

class EchoProvider final : public Provider {
 public:
  explicit EchoProvider(ProviderConfig config) : Provider(std::move(config)) {}
  canon::Dialect dialect() const override { return canon::Dialect::kOpenAiChat; }
  bool Supports(Operation op) const override { return op != Operation::kCountTokens; }
  Awaitable<Result<std::unique_ptr<UpstreamBody>>> Send(ProviderCall call) override;
};

// The echo answer for a chat request body: {"status", content type, body}. Exposed for tests.
struct EchoAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
};
EchoAnswer EchoChat(std::string_view request_body, bool stream);

}  // namespace baton

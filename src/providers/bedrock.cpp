#include "providers/bedrock.hpp"

#include "providers/aws/bedrock_request.hpp"

namespace baton {

BedrockProvider::BedrockProvider(ProviderConfig config) : HttpProvider(std::move(config)) {
  auto creds = aws::LoadCredentials(this->config().aws_profile);
  if (creds) {
    credentials_ = std::move(creds).value();
  } else {
    credentials_error_ = creds.error().message;
  }
  host_ = HostHeader(origin());
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> BedrockProvider::Send(ProviderCall call) {
  if (!credentials_error_.empty()) {
    co_return Error(ErrorKind::kUnavailable,
                    "provider \"" + name() + "\" has no AWS credentials: " + credentials_error_,
                    "provider_unavailable");
  }
  std::string path = aws::ConversePath(call.model, call.stream);
  auto signed_headers = aws::SignConverse(host_, origin().base_path + path, call.body, credentials_,
                                          config().region, std::chrono::system_clock::now());
  HttpHeaders extra;
  extra.reserve(signed_headers.size() + 1);
  for (auto& [name, value] : signed_headers) {
    extra.push_back({std::move(name), std::move(value)});
  }
  extra.push_back(
      {"accept", call.stream ? "application/vnd.amazon.eventstream" : "application/json"});
  co_return co_await Open("POST", std::move(path), std::move(extra), std::move(call.body),
                          call.deadline);
}

}  // namespace baton

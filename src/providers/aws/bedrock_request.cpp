// Bedrock Converse addressing and signing on top of the SigV4 signer.
#include "providers/aws/bedrock_request.hpp"

namespace baton::aws {

std::string BedrockRuntimeHost(std::string_view region) {
  return "bedrock-runtime." + std::string(region) + ".amazonaws.com";
}

std::string ConversePath(std::string_view model_id, bool stream) {
  return "/model/" + EncodePathSegment(model_id) + (stream ? "/converse-stream" : "/converse");
}

std::vector<Header> SignConverse(std::string_view host, std::string_view path,
                                 std::string_view body, const Credentials& credentials,
                                 std::string_view region,
                                 std::chrono::system_clock::time_point now) {
  SigningRequest request{
      "POST", path, "", {{"host", std::string(host)}, {"content-type", "application/json"}}, body};
  SigningParams params{region, "bedrock", &credentials, now};
  Signature sig = Sign(request, params);
  std::vector<Header> headers;
  headers.emplace_back("authorization", std::move(sig.authorization));
  for (auto& h : sig.add_headers) {
    headers.push_back(std::move(h));
  }
  return headers;
}

}  // namespace baton::aws

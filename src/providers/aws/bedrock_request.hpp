// What a Bedrock provider needs to address and sign a Converse call: the runtime host for a
// region, the path for a model id (one encoded path segment, so ARNs with '/' and ids with ':'
// route and sign correctly), and the signed headers for a JSON body.
//
// Thread-safety: pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "providers/aws/sigv4.hpp"

namespace baton::aws {

// "bedrock-runtime.<region>.amazonaws.com".
std::string BedrockRuntimeHost(std::string_view region);
// "/model/<id>/converse" or "/model/<id>/converse-stream", the id percent-encoded once.
std::string ConversePath(std::string_view model_id, bool stream);
// The headers to add to a POST of `body` (Content-Type application/json) to host + path:
// authorization, x-amz-date, and x-amz-security-token with temporary credentials. The request
// must carry exactly `host` as its Host header and "application/json" as its Content-Type.
std::vector<Header> SignConverse(std::string_view host, std::string_view path,
                                 std::string_view body, const Credentials& credentials,
                                 std::string_view region,
                                 std::chrono::system_clock::time_point now);

}  // namespace baton::aws

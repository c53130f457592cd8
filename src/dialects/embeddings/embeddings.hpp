// OpenAI Embeddings dialect (WIRE_FORMATS.md §3): validation of the request, enough for routing.
// The body itself is forwarded as is (model rewritten), so float and base64 encodings both work.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace baton::embeddings {

struct EmbeddingsRequestInfo {
  std::string model;
};

// A JSON object with a non-empty string "model" and an "input" that is a string, an array of
// strings, an array of token ids or an array of such arrays. kBadRequest otherwise.
Result<EmbeddingsRequestInfo> InspectEmbeddingsRequest(std::string_view body);

}  // namespace baton::embeddings

// Fuzzes every client dialect's request parser and every upstream dialect's request renderer
// through the codec table (src/dialects/canonical.hpp).
// Input: byte 0 picks the client dialect ('0' openai, '1' responses, '2' anthropic, '3' gemini,
// '4' ollama, '5' bedrock); the rest is the request body.
// Invariants: no crash or sanitizer report; a request the parser accepts renders into valid JSON
// for every dialect that has render_request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialects.hpp"

using namespace baton;  // NOLINT(google-build-using-namespace): a test driver

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const canon::Codec& from = canon::CodecFor(fuzz::DialectFor(data[0]));
  if (from.parse_request == nullptr) {
    return 0;
  }
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto req = from.parse_request(body);
  if (!req) {
    return 0;
  }
  for (canon::Dialect d : fuzz::kDialects) {
    const canon::Codec& to = canon::CodecFor(d);
    if (to.render_request == nullptr) {
      continue;
    }
    std::string out = to.render_request(*req, "upstream-model");
    BATON_FUZZ_CHECK(fuzz::ParseJson(out), std::string(canon::DialectName(from.dialect)) + " -> " +
                                               canon::DialectName(d) +
                                               " request is not JSON: " + fuzz::Shorten(out));
  }
  return 0;
}

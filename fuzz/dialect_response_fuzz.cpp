// Fuzzes every upstream dialect's response parser and every client dialect's response renderer
// through the codec table (src/dialects/canonical.hpp).
// Input: byte 0 picks the upstream dialect ('0'..'5' as in dialect_request_fuzz), byte 1 the
// client request's options (fuzz::ClientRequest); the rest is the upstream's response body.
// Invariants: no crash or sanitizer report; an accepted response renders into valid JSON for
// every dialect that has render_response.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialects.hpp"

using namespace baton;  // NOLINT(google-build-using-namespace): a test driver

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  const canon::Codec& from = canon::CodecFor(fuzz::DialectFor(data[0]));
  if (from.parse_response == nullptr) {
    return 0;
  }
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto resp = from.parse_response(body);
  if (!resp) {
    return 0;
  }
  canon::Request request = fuzz::ClientRequest(data[1]);
  request.stream = false;
  for (canon::Dialect d : fuzz::kDialects) {
    const canon::Codec& to = canon::CodecFor(d);
    if (to.render_response == nullptr) {
      continue;
    }
    std::string out = to.render_response(*resp, request);
    BATON_FUZZ_CHECK(fuzz::ParseJson(out), std::string(canon::DialectName(from.dialect)) + " -> " +
                                               canon::DialectName(d) +
                                               " response is not JSON: " + fuzz::Shorten(out));
  }
  return 0;
}

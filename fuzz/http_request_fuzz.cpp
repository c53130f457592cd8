// Fuzzes the HTTP/1.1 request parser (src/asio/http_parser.hpp RequestParser) the way the server
// reads requests (src/server/server.cpp): the head first, with the server's default header and
// body limits, then the body, then the next pipelined request on a keep-alive connection.
// Invariants: a complete message with a Content-Length has exactly that many body bytes; no body
// grows past the limit; a request line was seen.
#include <cstddef>
#include <cstdint>
#include <string>

#include "asio/http_parser.hpp"
#include "fuzz_util.hpp"
#include "http_feed.hpp"

namespace {
constexpr std::size_t kMaxHeaderBytes = 64U << 10;  // ServerOptions defaults
constexpr std::size_t kMaxBodyBytes = 32U << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  baton::fuzz::SocketSim sock(data, size);
  for (int n = 0; n < 64; ++n) {  // requests on one connection
    if (sock.buffer.size() == 0 && !sock.Read()) {
      break;
    }
    baton::HttpHeaders headers;
    std::string body;
    baton::RequestParser parser(&headers, &body);
    parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser.body_limit(kMaxBodyBytes);
    if (sock.ReadMessage(parser, /*whole_message=*/false)) {
      break;
    }
    BATON_FUZZ_CHECK(parser.is_header_done(), "head reported complete");
    if (parser.header_bytes > kMaxHeaderBytes) {
      break;  // the server answers 431
    }
    auto cl = parser.content_length();
    if (cl && *cl > kMaxBodyBytes) {
      break;  // 413
    }
    if (!parser.is_done() && sock.ReadMessage(parser, /*whole_message=*/true)) {
      break;
    }
    BATON_FUZZ_CHECK(parser.is_done(), "message reported complete");
    BATON_FUZZ_CHECK(!parser.method.empty() && !parser.target.empty(), parser.method);
    BATON_FUZZ_CHECK(body.size() <= kMaxBodyBytes, std::to_string(body.size()));
    if (cl && !parser.chunked()) {
      BATON_FUZZ_CHECK(
          body.size() == *cl,
          std::to_string(body.size()) + " body bytes, content-length " + std::to_string(*cl));
    }
    for (const auto& h : headers) {
      BATON_FUZZ_CHECK(!h.name.empty(), "empty header name");
    }
    if (!parser.keep_alive()) {
      break;
    }
  }
  return 0;
}

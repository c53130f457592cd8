// Fuzzes the HTTP/1.1 response parser (src/asio/http_parser.hpp ResponseParser) the way the
// upstream client reads responses (src/upstream/client.cpp): the head with no body destination
// and a 64 KiB header limit, then the body piece by piece into a buffer that is cleared per read
// (set_body), with no body limit; HEAD responses are parsed with skip(true).
// Input: byte 0 = flags (bit 0: HEAD request), byte 1 = read size, then the upstream's bytes.
// Invariants: a complete body with a Content-Length (not chunked, not HEAD) has exactly that many
// bytes; a parser that says "done" produces no further bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "asio/http_parser.hpp"
#include "fuzz_util.hpp"
#include "http_feed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const bool head = (data[0] & 1) != 0;
  baton::fuzz::SocketSim sock(data + 1, size - 1);
  baton::HttpHeaders headers;
  baton::ResponseParser parser(&headers, nullptr);
  parser.body_limit(boost::none);
  parser.header_limit(64 * 1024);
  if (head) {
    parser.skip(true);
  }
  if (sock.ReadMessage(parser, /*whole_message=*/false)) {
    return 0;
  }
  BATON_FUZZ_CHECK(parser.is_header_done(), "head reported complete");
  BATON_FUZZ_CHECK(parser.status >= 0 && parser.status <= 999, std::to_string(parser.status));

  // BodyImpl::Read(), plain-TCP branch.
  std::string piece;
  std::string total;
  parser.set_body(&piece);
  bool failed = false;
  std::size_t need_more_at = SIZE_MAX;  // as BodyImpl keeps it
  for (int reads = 0; reads < 1 << 20; ++reads) {
    piece.clear();
    if (parser.is_done()) {
      break;
    }
    boost::system::error_code ec;
    baton::fastio::ParseBuffered(sock.buffer, parser, ec, &need_more_at);
    if (!ec && (!piece.empty() || parser.is_done())) {
      total += piece;
      continue;
    }
    if (!ec && !sock.Read()) {
      parser.put_eof(ec);
      if (!ec && !parser.is_done()) {
        ec = boost::beast::http::error::partial_message;
      }
    }
    if (ec) {
      failed = true;
      break;
    }
  }
  if (failed || !parser.is_done()) {
    return 0;
  }
  piece.clear();
  boost::system::error_code ec;
  baton::fastio::ParseBuffered(sock.buffer, parser, ec);
  BATON_FUZZ_CHECK(piece.empty(), "bytes after the message was done");
  auto cl = parser.content_length();
  if (cl && !head && !parser.chunked() && parser.status >= 200 && parser.status != 204 &&
      parser.status != 304) {
    BATON_FUZZ_CHECK(total.size() == *cl, std::to_string(total.size()) +
                                              " body bytes, content-length " + std::to_string(*cl));
  }
  return 0;
}

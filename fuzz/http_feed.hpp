// Feeds a fuzz input to a Baton MessageParser the way src/asio/fast_io.cpp does on a socket:
// bytes arrive in reads of a size chosen by the input's first byte, each read is appended to a
// flat_buffer and parsed with fastio::ParseBuffered, and the end of the input is the peer's EOF.
// Not thread-safe; one per input.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "asio/fast_io.hpp"

namespace baton::fuzz {

class SocketSim {
 public:
  // data[0] picks the read size; the rest is what the peer sends.
  SocketSim(const uint8_t* data, size_t size) {
    if (size > 0) {
      const uint8_t b = data[0];
      read_size_ = b == 0 ? SIZE_MAX : b < 128 ? b : static_cast<size_t>(b - 127) * 64;
      rest_ = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
    }
    buffer.reserve(8192);  // as the server does
  }

  // One read: appends up to read_size_ bytes; false at EOF.
  bool Read() {
    if (rest_.empty()) {
      return false;
    }
    const size_t n = std::min(read_size_, rest_.size());
    auto mb = buffer.prepare(n);
    std::copy_n(rest_.data(), n, static_cast<char*>(mb.data()));
    buffer.commit(n);
    rest_.remove_prefix(n);
    return true;
  }

  // fastio::ReadMessage without the socket.
  template <bool IsRequest>
  boost::system::error_code ReadMessage(boost::beast::http::basic_parser<IsRequest>& parser,
                                        bool whole_message) {
    namespace http = boost::beast::http;
    for (;;) {
      boost::system::error_code ec;
      fastio::ParseBuffered(buffer, parser, ec, nullptr, /*stop_at_header=*/!whole_message);
      if (ec) {
        return ec;
      }
      if (whole_message ? parser.is_done() : parser.is_header_done()) {
        return {};
      }
      if (!Read()) {
        if (!parser.got_some()) {
          return http::error::end_of_stream;
        }
        boost::system::error_code eof_ec;
        parser.put_eof(eof_ec);
        if (eof_ec) {
          return eof_ec;
        }
        if (whole_message ? parser.is_done() : parser.is_header_done()) {
          return {};
        }
        return http::error::partial_message;
      }
    }
  }

  bool at_eof() const { return rest_.empty(); }

  boost::beast::flat_buffer buffer;

 private:
  size_t read_size_ = SIZE_MAX;
  std::string_view rest_;
};

}  // namespace baton::fuzz

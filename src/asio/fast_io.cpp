#include "asio/fast_io.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/error.hpp>

namespace baton::fastio {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's own spelling

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

Awaitable<ErrorCode> WriteAll(tcp::socket& socket, std::span<const asio::const_buffer> bufs) {
  boost::beast::buffers_suffix<std::span<const asio::const_buffer>> rest(bufs);
  while (asio::buffer_size(rest) > 0) {
    ErrorCode ec;
    std::size_t n = socket.write_some(rest, ec);
    if (!ec) {
      rest.consume(n);
      continue;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      co_return ec;
    }
    auto [wec] = co_await socket.async_wait(tcp::socket::wait_write, kUseTuple);
    if (wec) {
      co_return wec;
    }
  }
  co_return ErrorCode{};
}

Awaitable<ErrorCode> ReadSome(tcp::socket& socket, boost::beast::flat_buffer& buffer, bool try_now,
                              std::size_t min_space) {
  std::size_t space = std::max(buffer.capacity() - buffer.size(), min_space);
  if (buffer.size() + space > buffer.max_size()) {
    space = buffer.max_size() - buffer.size();
    if (space == 0) {
      co_return make_error_code(boost::beast::http::error::buffer_overflow);
    }
  }
  for (;;) {
    if (try_now) {
      ErrorCode ec;
      std::size_t n = socket.read_some(buffer.prepare(space), ec);  // non-blocking
      if (!ec) {
        buffer.commit(n);
        co_return ErrorCode{};
      }
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        co_return ec;
      }
    }
    // async_read_some, not async_wait: Asio re-arms the descriptor with epoll_ctl for every
    // wait, but a read that found the socket exhausted last time is simply queued until epoll
    // reports data, and then performed by the reactor.
    auto [rec, n] = co_await socket.async_read_some(buffer.prepare(space), kUseTuple);
    if (rec) {
      co_return rec;
    }
    buffer.commit(n);
    co_return ErrorCode{};
  }
}

template <bool IsRequest>
bool ParseBuffered(boost::beast::flat_buffer& buffer, http::basic_parser<IsRequest>& parser,
                   ErrorCode& ec, std::size_t* need_more_at, bool stop_at_header) {
  bool progress = false;
  if (need_more_at != nullptr && *need_more_at != SIZE_MAX && buffer.size() <= *need_more_at) {
    return false;  // nothing new since the parser asked for more
  }
  while (buffer.size() > 0 && !parser.is_done() && !(stop_at_header && parser.is_header_done())) {
    ec = {};
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    progress = progress || used > 0;
    if (ec == http::error::need_more) {
      ec = {};
      if (need_more_at != nullptr) {
        *need_more_at = buffer.size();
      }
      return progress;
    }
    if (ec || used == 0) {
      break;
    }
  }
  if (need_more_at != nullptr) {
    *need_more_at = SIZE_MAX;
  }
  return progress;
}

template <bool IsRequest>
Awaitable<ErrorCode> ReadMessage(tcp::socket& socket, boost::beast::flat_buffer& buffer,
                                 http::basic_parser<IsRequest>& parser, bool whole_message,
                                 bool try_now) {
  // The head phase stops at the end of the head, so the body phase feeds the body bytes first;
  // within one call, every feed after need_more follows a read that added bytes.
  for (;;) {
    ErrorCode ec;
    ParseBuffered(buffer, parser, ec, nullptr, /*stop_at_header=*/!whole_message);
    if (ec) {
      co_return ec;
    }
    if (whole_message ? parser.is_done() : parser.is_header_done()) {
      co_return ErrorCode{};
    }
    ec = co_await ReadSome(socket, buffer, try_now);
    try_now = false;
    if (ec == asio::error::eof) {
      if (!parser.got_some()) {
        co_return make_error_code(http::error::end_of_stream);  // closed before a byte came
      }
      ErrorCode eof_ec;
      parser.put_eof(eof_ec);
      if (eof_ec) {
        co_return eof_ec;
      }
      if (whole_message ? parser.is_done() : parser.is_header_done()) {
        co_return ErrorCode{};
      }
      co_return make_error_code(http::error::partial_message);
    }
    if (ec) {
      co_return ec;
    }
  }
}

template bool ParseBuffered<true>(boost::beast::flat_buffer&, http::basic_parser<true>&, ErrorCode&,
                                  std::size_t*, bool);
template bool ParseBuffered<false>(boost::beast::flat_buffer&, http::basic_parser<false>&,
                                   ErrorCode&, std::size_t*, bool);
template Awaitable<ErrorCode> ReadMessage<true>(tcp::socket&, boost::beast::flat_buffer&,
                                                http::basic_parser<true>&, bool, bool);
template Awaitable<ErrorCode> ReadMessage<false>(tcp::socket&, boost::beast::flat_buffer&,
                                                 http::basic_parser<false>&, bool, bool);

}  // namespace baton::fastio

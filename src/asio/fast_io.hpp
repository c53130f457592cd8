// Socket reads and writes for plain TCP that skip Asio's scheduler when they can.
//
// Why: an Asio async operation that completes at once (a write the kernel takes whole, a parse of
// bytes already buffered) still posts its completion through the io_context queue, and every pass
// of that queue costs an extra epoll_wait(0). Writing synchronously while the non-blocking socket
// accepts bytes, parsing what is buffered before reading, and waiting for readability instead of
// letting Asio's reactor perform reads only once epoll reports data, a request through the
// gateway costs about half the scheduler passes and syscalls. Only when the socket would block
// does a coroutine suspend.
//
// The socket must be in non-blocking mode (socket.non_blocking(true)). Cancellation (the
// Watchdog's socket.cancel()) ends a pending wait with operation_aborted.
// Thread-safety: as for the socket; one operation of each direction at a time.
#pragma once

#include <span>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include "core/awaitable.hpp"

namespace baton::fastio {

using ErrorCode = boost::system::error_code;

// Writes every byte of bufs.
Awaitable<ErrorCode> WriteAll(boost::asio::ip::tcp::socket& socket,
                              std::span<const boost::asio::const_buffer> bufs);

// Appends at least one byte to buffer (up to its free capacity, at least min_space). With
// try_now, reads at once and suspends only if nothing is there; otherwise goes straight to an
// asynchronous read (the right choice right after sending a request: a read now would only find
// nothing).
// EOF is reported as boost::asio::error::eof.
Awaitable<ErrorCode> ReadSome(boost::asio::ip::tcp::socket& socket,
                              boost::beast::flat_buffer& buffer, bool try_now,
                              std::size_t min_space = 4096);

// Feeds buffered bytes to the parser, reading more as needed, until the header (whole_message =
// false) or the whole message is complete. Parser errors (limits, bad syntax) are returned as is;
// a peer that closes early gives Beast's partial_message / end_of_stream.
template <bool IsRequest>
Awaitable<ErrorCode> ReadMessage(boost::asio::ip::tcp::socket& socket,
                                 boost::beast::flat_buffer& buffer,
                                 boost::beast::http::basic_parser<IsRequest>& parser,
                                 bool whole_message, bool try_now);

// Feeds only what is already buffered; returns true when the parser made progress.
// Beast requires that after `need_more` the parser is given the unconsumed bytes again only
// together with new ones (its chunk-header parsing asserts otherwise). `need_more_at` carries
// that across calls: the buffer size at the last need_more, or SIZE_MAX; while the buffer has
// not grown past it, nothing is fed. `stop_at_header` stops once the head is parsed, so the body
// is first fed by the caller that reads it.
template <bool IsRequest>
bool ParseBuffered(boost::beast::flat_buffer& buffer,
                   boost::beast::http::basic_parser<IsRequest>& parser, ErrorCode& ec,
                   std::size_t* need_more_at = nullptr, bool stop_at_header = false);

}  // namespace baton::fastio

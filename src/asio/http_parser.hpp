// A Beast HTTP/1.1 parser that writes straight into Baton's plain types: headers into an
// HttpHeaders vector and body bytes appended to a std::string, instead of Beast's fields
// container (an allocation per field) followed by a copy. Shared by the server (requests) and the
// upstream client (responses, read piece by piece while streaming).
// Not thread-safe; one parser per message.
#pragma once

#include <string>

#include <boost/beast/http/basic_parser.hpp>

#include "core/http_types.hpp"

namespace baton {

template <bool IsRequest>
class MessageParser final : public boost::beast::http::basic_parser<IsRequest> {
 public:
  using StringView = boost::beast::string_view;
  using ErrorCode = boost::beast::error_code;

  MessageParser(HttpHeaders* headers, std::string* body) : headers_(headers), body_(body) {}

  // Request line (requests) / status (responses).
  std::string method;
  std::string target;
  int status = 0;
  int version = 11;
  // Size of the request/status line and header fields as received (for header size limits).
  std::size_t header_bytes = 0;

  // Where body bytes go; may be swapped between reads (the upstream client clears it per read).
  void set_body(std::string* body) { body_ = body; }

 private:
  void on_request_impl(boost::beast::http::verb /*verb*/, StringView method_str, StringView t,
                       int v, ErrorCode& /*ec*/) override {
    method.assign(method_str.data(), method_str.size());
    target.assign(t.data(), t.size());
    version = v;
    header_bytes += method_str.size() + t.size() + 12;  // "M T HTTP/1.1\r\n"
  }
  void on_response_impl(int code, StringView reason, int v, ErrorCode& /*ec*/) override {
    status = code;
    version = v;
    header_bytes += reason.size() + 15;
  }
  void on_field_impl(boost::beast::http::field /*field*/, StringView name, StringView value,
                     ErrorCode& /*ec*/) override {
    header_bytes += name.size() + value.size() + 4;  // "N: V\r\n"
    headers_->push_back(
        {std::string(name.data(), name.size()), std::string(value.data(), value.size())});
  }
  void on_header_impl(ErrorCode& /*ec*/) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, ErrorCode& /*ec*/) override {
    if (body_ != nullptr && length && *length <= (64U << 20)) {
      body_->reserve(body_->size() + static_cast<std::size_t>(*length));
    }
  }
  std::size_t on_body_impl(StringView body, ErrorCode& /*ec*/) override {
    if (body_ == nullptr) {
      return 0;  // no destination yet: leave the bytes buffered
    }
    body_->append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t /*size*/, StringView /*extensions*/,
                            ErrorCode& /*ec*/) override {}
  std::size_t on_chunk_body_impl(std::uint64_t /*remain*/, StringView body,
                                 ErrorCode& /*ec*/) override {
    if (body_ == nullptr) {
      return 0;
    }
    body_->append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(ErrorCode& /*ec*/) override {}

  HttpHeaders* headers_;
  std::string* body_;
};

using RequestParser = MessageParser<true>;
using ResponseParser = MessageParser<false>;

}  // namespace baton

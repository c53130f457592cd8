// Errors as values for the request path (DESIGN.md §9).
//
// An Error carries a protocol-agnostic ErrorKind; each client dialect maps the kind to its own
// HTTP status and body shape. Messages are meant for clients: they never contain internal paths,
// library exception texts or secrets. Result<T> holds either a T or an Error.
// Thread-safety: plain values; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace baton {

enum class ErrorKind {
  kBadRequest,       // malformed JSON, missing fields, bad parameters          (400)
  kUnauthorized,     // missing or wrong key                                    (401)
  kForbidden,        // key valid but not allowed (model, zone)                 (403)
  kNotFound,         // unknown model or route                                  (404)
  kPayloadTooLarge,  // body over the configured limit                         (413)
  kRateLimited,      // rate limit or budget exhausted                          (429)
  kUpstreamError,    // upstream failed: connect, reset, TLS, bad status        (502)
  kUpstreamTimeout,  // upstream did not answer in time                         (504)
  kUnavailable,      // shutting down, no deployment usable                     (503)
  kInternal,         // a bug; message is generic                               (500)
  kCancelled,        // the client went away; nothing is sent
};

// The HTTP status a kind maps to when no dialect-specific rule applies.
int DefaultHttpStatus(ErrorKind kind);
// Short stable name ("bad_request", "upstream_timeout", ...) used in logs and metrics.
const char* ErrorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;      // client-safe text
  std::string code;         // optional machine code, e.g. "model_not_found"
  std::string param;        // optional offending parameter, e.g. "model"
  int upstream_status = 0;  // for kUpstreamError with an HTTP answer: the upstream's status

  Error() = default;
  Error(ErrorKind k, std::string msg, std::string c = {}, std::string p = {})
      : kind(k), message(std::move(msg)), code(std::move(c)), param(std::move(p)) {}
};

// Either a value or an Error. Check ok() before value(); value() on an error is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() {
  return Ok{};
}

}  // namespace baton

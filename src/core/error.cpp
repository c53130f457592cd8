#include "core/error.hpp"

namespace baton {

int DefaultHttpStatus(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadRequest:
      return 400;
    case ErrorKind::kUnauthorized:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kPayloadTooLarge:
      return 413;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUpstreamError:
      return 502;
    case ErrorKind::kUpstreamTimeout:
      return 504;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kCancelled:
      return 499;
    case ErrorKind::kInternal:
      break;
  }
  return 500;
}

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadRequest:
      return "bad_request";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kForbidden:
      return "forbidden";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorKind::kRateLimited:
      return "rate_limited";
    case ErrorKind::kUpstreamError:
      return "upstream_error";
    case ErrorKind::kUpstreamTimeout:
      return "upstream_timeout";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kInternal:
      break;
  }
  return "internal";
}

}  // namespace baton

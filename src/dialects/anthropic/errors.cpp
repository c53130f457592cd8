// Errors in Anthropic's shape: {"type":"error","error":{"type":T,"message":M}}.
//
// Status choice: the canonical kinds map to Anthropic's documented statuses; kUnavailable is 503
// (what a gateway with no usable deployment says) except when the upstream itself answered 529
// "overloaded", which is passed on as 529 so Anthropic SDKs retry it the way they know.
#include <string>

#include "core/json_text.hpp"
#include "dialects/anthropic/anthropic.hpp"
#include "dialects/anthropic/json_util.hpp"

namespace baton::anthropic {

const char* ErrorTypeForStatus(int status) {
  switch (status) {
    case 400:
    case 422:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      break;
  }
  return status >= 500 ? "api_error" : "invalid_request_error";
}

int ErrorStatus(const Error& error) {
  if (error.kind == ErrorKind::kUnavailable && error.upstream_status == 529) {
    return 529;
  }
  return DefaultHttpStatus(error.kind);
}

const char* ErrorType(const Error& error) {
  return ErrorTypeForStatus(ErrorStatus(error));
}

std::string RenderError(const Error& error) {
  std::string out;
  out.reserve(64 + error.message.size());
  out += R"({"type":"error","error":{"type":)";
  AppendJsonString(out, ErrorType(error));
  out += R"(,"message":)";
  AppendJsonString(out, error.message.empty() ? ErrorKindName(error.kind) : error.message);
  out += "}}";
  return out;
}

Error ParseError(int status, std::string_view body) {
  Error e(canon::KindForUpstreamStatus(status), "upstream returned HTTP " + std::to_string(status));
  e.upstream_status = status;
  auto doc = detail::ParseJson(body);
  if (doc && doc->is_object()) {
    const boost::json::value* err = doc->get_object().if_contains("error");
    if (err != nullptr && err->is_object()) {
      std::string_view message = detail::StringOr(err->get_object(), "message");
      if (!message.empty()) {
        e.message = message;
      }
    }
  }
  return e;
}

ErrorKind KindForErrorType(std::string_view type) {
  if (type == "overloaded_error") {
    return ErrorKind::kUnavailable;
  }
  if (type == "rate_limit_error") {
    return ErrorKind::kRateLimited;
  }
  if (type == "invalid_request_error" || type == "billing_error") {
    return ErrorKind::kBadRequest;
  }
  if (type == "authentication_error") {
    return ErrorKind::kUnauthorized;
  }
  if (type == "permission_error") {
    return ErrorKind::kForbidden;
  }
  if (type == "not_found_error") {
    return ErrorKind::kNotFound;
  }
  if (type == "request_too_large") {
    return ErrorKind::kPayloadTooLarge;
  }
  if (type == "timeout_error") {
    return ErrorKind::kUpstreamTimeout;
  }
  return ErrorKind::kUpstreamError;  // api_error and anything new
}

}  // namespace baton::anthropic

// AWS Signature Version 4 request signing (header-based, AWS4-HMAC-SHA256), for Bedrock.
//
// The caller builds the request as it will be sent: `path` is the wire path, percent-encoded once
// (a Bedrock model id is one path segment, so encode it with EncodePathSegment:
// "/model/" + EncodePathSegment("anthropic.claude-3-5-sonnet-20240620-v1:0") + "/converse" =
// "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse").
// For every service but S3 the canonical URI is that wire path normalized (empty and "." segments
// dropped, ".." resolved) and URI-encoded once more ("double encoding"): the signed form of the
// path above is ".../anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse". S3 signs the wire
// path as is (SigningParams::s3_style).
//
// Sign() returns the Authorization value plus the headers the caller must add to the request
// (x-amz-date, and x-amz-security-token with temporary credentials, x-amz-content-sha256 when
// asked); they are signed together with the request's own headers (pass at least `host`, and
// `content-type` for a body).
//
// Thread-safety: pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/digest.hpp"  // Sha256Hex, for payload hashes
#include "providers/aws/credentials.hpp"

namespace baton::aws {

using Header = std::pair<std::string, std::string>;

struct SigningRequest {
  std::string_view method;      // "POST"
  std::string_view path;        // wire path, percent-encoded once; "" = "/"
  std::string_view query;       // without '?'; raw or percent-encoded ("" = none)
  std::vector<Header> headers;  // headers to sign, any case; repeated names allowed
  std::string_view payload;     // the body
};

struct SigningParams {
  std::string_view region;   // "us-east-1"
  std::string_view service;  // "bedrock"
  const Credentials* credentials = nullptr;
  std::chrono::system_clock::time_point time;
  bool add_content_sha256 = false;  // also sign and send x-amz-content-sha256
  bool s3_style = false;            // no path normalization, no second encoding (S3 only)
};

struct Signature {
  std::string authorization;        // the Authorization header value
  std::vector<Header> add_headers;  // to add to the request: x-amz-date, x-amz-security-token, ...
  std::string amz_date;             // "20150830T123600Z"
  // The intermediate steps, for tests and debugging (they contain no secret).
  std::string canonical_request;
  std::string string_to_sign;
};

Signature Sign(const SigningRequest& request, const SigningParams& params);

// ---- Pieces, exposed for tests and for building wire paths ----

// Percent-encodes everything but A-Z a-z 0-9 - . _ ~ (and '/' when keep_slash), as %XX uppercase.
std::string UriEncode(std::string_view s, bool keep_slash);
// One path segment for the wire: UriEncode(s, false) (':' → %3A, '/' → %2F).
inline std::string EncodePathSegment(std::string_view s) {
  return UriEncode(s, false);
}
// The canonical URI for a wire path (see the header comment).
std::string CanonicalUri(std::string_view path, bool s3_style = false);
// The canonical query string: parameters decoded, re-encoded strictly, sorted by name then value.
std::string CanonicalQuery(std::string_view query);
// "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(std::chrono::system_clock::time_point t);

}  // namespace baton::aws

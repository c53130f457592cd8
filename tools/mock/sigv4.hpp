// AWS Signature Version 4 checks for baton-mock's Bedrock endpoints: parsing the Authorization
// header and, when a secret is configured, recomputing the signature (own implementation on
// OpenSSL's SHA-256 and HMAC) the way AWS does for non-S3 services (canonical URI = the path as
// sent, URI-encoded once more).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/http_types.hpp"

namespace baton::mock {

// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex`.
struct SigV4Authorization {
  std::string access_key;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;
};
std::optional<SigV4Authorization> ParseSigV4Authorization(std::string_view header);

// What a signature is computed over.
struct SigV4Request {
  std::string_view method;
  std::string_view path;   // as sent (still percent-encoded)
  std::string_view query;  // as sent, without '?'
  const HttpHeaders* headers = nullptr;
  std::string_view body;
};

// The hex signature for `request` under `auth`'s scope and signed headers, with `amz_date`
// (x-amz-date, yyyymmddThhmmssZ) and `secret`.
std::string SigV4Signature(const SigV4Request& request, const SigV4Authorization& auth,
                           std::string_view amz_date, std::string_view secret);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// RFC 3986 encoding as SigV4 wants it (unreserved characters kept; '/' kept when keep_slash).
std::string SigV4UriEncode(std::string_view s, bool keep_slash);
// Decodes %XX escapes (and nothing else).
std::string PercentDecode(std::string_view s);

}  // namespace baton::mock

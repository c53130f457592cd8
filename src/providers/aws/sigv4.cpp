// SigV4 signing. The rules (canonical URI, query, headers; key derivation) are AWS's published
// algorithm; tests/fixtures/sigv4 holds AWS's test-suite vectors that sigv4_test.cpp checks.
#include "providers/aws/sigv4.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace baton::aws {

namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::string_view kHexLower = "0123456789abcdef";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Query parameters may arrive raw or encoded; decoding first makes both sign the same way.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi * 16) + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string ToHex(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHexLower[data[i] >> 4]);
    out.push_back(kHexLower[data[i] & 0xF]);
  }
  return out;
}

using Digest = std::array<unsigned char, 32>;

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string_view AsView(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Trims the value and turns every run of spaces and tabs into one space (AWS's rule; it applies
// inside quoted strings too, see the get-header-value-trim vector).
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view path, bool s3_style) {
  if (path.empty()) {
    return "/";
  }
  if (s3_style) {
    return std::string(path);
  }
  // Normalize like the SDKs: drop empty and "." segments, resolve "..", keep a trailing slash.
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) {
      next = path.size();
    }
    std::string_view seg = path.substr(pos, next - pos);
    if (seg == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = next + 1;
  }
  std::string out;
  for (std::string_view seg : segments) {
    out.push_back('/');
    out += UriEncode(seg, false);
  }
  if (out.empty() || path.back() == '/') {
    out.push_back('/');
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) {
      amp = query.size();
    }
    std::string_view item = query.substr(pos, amp - pos);
    if (!item.empty()) {
      std::size_t eq = item.find('=');
      std::string_view name = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
      params.emplace_back(UriEncode(PercentDecode(name), false),
                          UriEncode(PercentDecode(value), false));
    }
    pos = amp + 1;
  }
  std::ranges::sort(params);
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::size_t n = std::strftime(buf.data(), buf.size(), "%Y%m%dT%H%M%SZ", &tm);
  return {buf.data(), n};
}

Signature Sign(const SigningRequest& request, const SigningParams& params) {
  static const Credentials none;
  const Credentials& creds = params.credentials != nullptr ? *params.credentials : none;
  Signature sig;

  // Canonical headers: lowercase names, values trimmed, repeated names joined with ',' in order.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    std::string key = Lower(name);
    std::string v = CanonicalHeaderValue(value);
    auto [it, inserted] = headers.try_emplace(key, v);
    if (!inserted) {
      it->second.push_back(',');
      it->second += v;
    }
  }
  auto date_it = headers.find("x-amz-date");
  if (date_it != headers.end()) {
    sig.amz_date = date_it->second;  // the caller fixed the time; sign what is sent
  } else {
    sig.amz_date = AmzDate(params.time);
    headers["x-amz-date"] = sig.amz_date;
    sig.add_headers.emplace_back("x-amz-date", sig.amz_date);
  }
  if (!creds.session_token.empty() && !headers.contains("x-amz-security-token")) {
    headers["x-amz-security-token"] = creds.session_token;
    sig.add_headers.emplace_back("x-amz-security-token", creds.session_token);
  }
  std::string payload_hash = Sha256Hex(request.payload);
  if (params.add_content_sha256 && !headers.contains("x-amz-content-sha256")) {
    headers["x-amz-content-sha256"] = payload_hash;
    sig.add_headers.emplace_back("x-amz-content-sha256", payload_hash);
  }

  std::string signed_headers;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    if (!signed_headers.empty()) {
      signed_headers.push_back(';');
    }
    signed_headers += name;
    canonical_headers += name;
    canonical_headers.push_back(':');
    canonical_headers += value;
    canonical_headers.push_back('\n');
  }

  std::string& creq = sig.canonical_request;
  creq.append(request.method);
  creq.push_back('\n');
  creq += CanonicalUri(request.path, params.s3_style);
  creq.push_back('\n');
  creq += CanonicalQuery(request.query);
  creq.push_back('\n');
  creq += canonical_headers;
  creq.push_back('\n');
  creq += signed_headers;
  creq.push_back('\n');
  creq += payload_hash;

  std::string_view date = std::string_view(sig.amz_date).substr(0, 8);
  std::string scope;
  scope.append(date).append("/").append(params.region).append("/").append(params.service);
  scope += "/aws4_request";

  sig.string_to_sign = "AWS4-HMAC-SHA256\n" + sig.amz_date + "\n" + scope + "\n" + Sha256Hex(creq);

  std::string secret = "AWS4" + creds.secret_access_key;
  Digest k_date = HmacSha256(secret, date);
  Digest k_region = HmacSha256(AsView(k_date), params.region);
  Digest k_service = HmacSha256(AsView(k_region), params.service);
  Digest k_signing = HmacSha256(AsView(k_service), "aws4_request");
  Digest signature = HmacSha256(AsView(k_signing), sig.string_to_sign);
  std::ranges::fill(secret, '\0');

  sig.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                      ", SignedHeaders=" + signed_headers +
                      ", Signature=" + ToHex(signature.data(), signature.size());
  return sig;
}

}  // namespace baton::aws

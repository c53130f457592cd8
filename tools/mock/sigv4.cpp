// SigV4 canonical request, string to sign and signing key, written from the AWS documentation
// ("Create a signed AWS API request"), on OpenSSL's EVP SHA-256 and HMAC.
#include "mock/sigv4.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace baton::mock {
namespace {

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
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

// Header value as SigV4 canonicalizes it: trimmed, inner runs of spaces collapsed to one.
std::string CanonicalValue(std::string_view v) {
  v = Trim(v);
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) {
      out += ' ';
    }
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return Hex(md, len);
}

std::string SigV4UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
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
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<SigV4Authorization> ParseSigV4Authorization(std::string_view header) {
  constexpr std::string_view kScheme = "AWS4-HMAC-SHA256 ";
  if (!header.starts_with(kScheme)) {
    return std::nullopt;
  }
  header.remove_prefix(kScheme.size());
  SigV4Authorization a;
  std::string credential;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view part = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view key = part.substr(0, eq);
    std::string_view value = part.substr(eq + 1);
    if (key == "Credential") {
      credential = std::string(value);
    } else if (key == "SignedHeaders") {
      a.signed_headers = std::string(value);
    } else if (key == "Signature") {
      a.signature = std::string(value);
    }
  }
  // AK/DATE/REGION/SERVICE/aws4_request
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = credential.find('/', start);
    parts.push_back(credential.substr(start, slash - start));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (parts.size() != 5 || parts[4] != "aws4_request" || parts[0].empty() ||
      a.signed_headers.empty() || a.signature.empty()) {
    return std::nullopt;
  }
  a.access_key = parts[0];
  a.date = parts[1];
  a.region = parts[2];
  a.service = parts[3];
  return a;
}

std::string SigV4Signature(const SigV4Request& request, const SigV4Authorization& auth,
                           std::string_view amz_date, std::string_view secret) {
  std::string canonical;
  canonical += request.method;
  canonical += '\n';
  canonical += SigV4UriEncode(request.path.empty() ? "/" : request.path, true);
  canonical += '\n';

  std::vector<std::pair<std::string, std::string>> params;
  std::string_view q = request.query;
  while (!q.empty()) {
    std::size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (kv.empty()) {
      continue;
    }
    std::size_t eq = kv.find('=');
    std::string k = PercentDecode(kv.substr(0, eq));
    std::string v = eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1));
    params.emplace_back(SigV4UriEncode(k, false), SigV4UriEncode(v, false));
  }
  std::sort(params.begin(), params.end());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) {
      canonical += '&';
    }
    canonical += params[i].first;
    canonical += '=';
    canonical += params[i].second;
  }
  canonical += '\n';

  std::string_view names = auth.signed_headers;
  while (!names.empty()) {
    std::size_t semi = names.find(';');
    std::string name = Lower(names.substr(0, semi));
    names = semi == std::string_view::npos ? std::string_view() : names.substr(semi + 1);
    std::string value;
    bool first = true;
    for (const HttpHeader& h : *request.headers) {
      if (Lower(h.name) == name) {
        if (!first) {
          value += ',';
        }
        first = false;
        value += CanonicalValue(h.value);
      }
    }
    canonical += name;
    canonical += ':';
    canonical += value;
    canonical += '\n';
  }
  canonical += '\n';
  canonical += auth.signed_headers;
  canonical += '\n';
  canonical += Sha256Hex(request.body);

  const std::string scope = auth.date + "/" + auth.region + "/" + auth.service + "/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n";
  to_sign += amz_date;
  to_sign += '\n';
  to_sign += scope;
  to_sign += '\n';
  to_sign += Sha256Hex(canonical);

  std::string key = Hmac("AWS4" + std::string(secret), auth.date);
  key = Hmac(key, auth.region);
  key = Hmac(key, auth.service);
  key = Hmac(key, "aws4_request");
  std::string sig = Hmac(key, to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

}  // namespace baton::mock

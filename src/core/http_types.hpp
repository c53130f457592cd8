// Plain HTTP header values shared by the server (incoming) and the upstream client (outgoing).
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace baton {

struct HttpHeader {
  std::string name;  // as sent; lookups are case-insensitive
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

// Case-insensitive lookup; empty view when absent.
std::string_view FindHeader(const HttpHeaders& headers, std::string_view name);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), for a
// path segment or query value.
std::string PercentEncode(std::string_view s);
// Decodes %XX escapes (and nothing else); malformed escapes are kept as they are.
std::string PercentDecode(std::string_view s);
// The percent-decoded value of `name` in a query string "a=1&b=2"; empty when absent.
std::string QueryParam(std::string_view query, std::string_view name);

}  // namespace baton

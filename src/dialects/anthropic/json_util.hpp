// Small boost::json helpers shared by the Anthropic codec's translation units (not a public
// interface). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "dialects/json_number.hpp"

namespace baton::anthropic::detail {

namespace json = boost::json;

// Parses text without throwing; nullopt on malformed JSON.
inline std::optional<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return std::nullopt;
  }
  return v;
}

inline const json::value* Member(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

inline std::string_view StringOr(const json::object& o, std::string_view key,
                                 std::string_view fallback = {}) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return fallback;
  }
  return v->get_string();
}

// An integral JSON number (doubles with no fraction count too).
inline std::optional<int64_t> AsInt(const json::value& v) {
  return JsonInt(v, /*exact=*/true);
}

inline int64_t IntOr(const json::object& o, std::string_view key, int64_t fallback = 0) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return fallback;
  }
  return AsInt(*v).value_or(fallback);
}

inline std::optional<double> AsDouble(const json::value& v) {
  if (v.is_number()) {
    return v.to_number<double>();
  }
  return std::nullopt;
}

}  // namespace baton::anthropic::detail

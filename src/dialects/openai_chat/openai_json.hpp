// JSON accessors and OpenAI-style request errors shared by the OpenAI Chat and Responses codecs
// (internal to src/dialects). Header-only; pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "dialects/json_number.hpp"

namespace baton::canon::openai_json {

// A 400 in OpenAI's words: message, the offending parameter, and a code.
inline Error BadRequest(std::string message, std::string param,
                        std::string code = "invalid_value") {
  return {ErrorKind::kBadRequest, std::move(message), std::move(code), std::move(param)};
}

inline Error BadType(const std::string& param, std::string_view expected) {
  return BadRequest("Invalid type for '" + param + "': expected " + std::string(expected) + ".",
                    param, "invalid_type");
}

inline Error Missing(const std::string& param) {
  return BadRequest("Missing required parameter: '" + param + "'.", param,
                    "missing_required_parameter");
}

// The member, or nullptr when it is absent or null (OpenAI treats both alike).
inline const boost::json::value* Member(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

inline std::optional<double> AsDouble(const boost::json::value& v) {
  if (v.is_double()) {
    return v.get_double();
  }
  if (v.is_int64()) {
    return static_cast<double>(v.get_int64());
  }
  if (v.is_uint64()) {
    return static_cast<double>(v.get_uint64());
  }
  return std::nullopt;
}

// A number member as int64 (0 when absent or not a number).
inline int64_t IntOf(const boost::json::value* v) {
  return v == nullptr ? 0 : JsonInt(*v).value_or(0);
}

// A string member's text ("" when absent or not a string).
inline std::string StringOf(const boost::json::value* v) {
  return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string();
}

}  // namespace baton::canon::openai_json

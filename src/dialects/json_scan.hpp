// Byte-level lookups in JSON text that is already known to be valid.
//
// Used on the same-dialect fast path, where a request body is forwarded with only a member or two
// edited (DESIGN.md §1.3): rather than re-serializing a parsed document, the edit splices the raw
// text, so every other byte (key order, whitespace, number formatting, unknown fields) survives.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_text.hpp"  // AppendJsonString, used with these splices

namespace baton {

struct JsonMemberSpan {
  std::size_t member_begin;  // first byte of the key's opening quote
  std::size_t value_begin;   // first byte of the value
  std::size_t value_end;     // one past the last byte of the value
};

// Finds a member of the top-level object by its (unescaped, plain ASCII) key. The text must be
// valid JSON whose top level is an object; on anything else it returns nullopt. When a key
// appears twice, the last one wins (as in JSON.parse and boost::json).
std::optional<JsonMemberSpan> FindTopLevelMember(std::string_view json, std::string_view key);

// Returns json with the value at span replaced by new_value (raw JSON text).
std::string ReplaceValue(std::string_view json, const JsonMemberSpan& span,
                         std::string_view new_value);

// Returns json (a top-level object) with `"key":value` added as its last member.
std::string AppendMember(std::string_view json, std::string_view key, std::string_view value);

}  // namespace baton

// Internal helpers shared by the dialect generators of baton-mock (dialect_mock.hpp): JSON
// lookups, word counting over request texts, tool-argument synthesis from schemas and a small
// builder for event streams. Not part of the mock's interface.
// Thread-safety: free functions and plain values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "mock/dialect_mock.hpp"

namespace baton::mock::detail {

namespace json = boost::json;

const json::value* Find(const json::object& o, std::string_view key);
// o[key] as an object / array / string, or null when absent or of another type.
const json::object* FindObject(const json::object& o, std::string_view key);
const json::array* FindArray(const json::object& o, std::string_view key);
std::optional<std::string_view> FindString(const json::object& o, std::string_view key);
std::optional<int64_t> AsInt(const json::value& v);
void AppendInt(std::string& out, int64_t v);

// Parses a request body into `root` (an object). False when it is not a JSON object.
bool ParseObject(std::string_view body, json::value& root);

// Adds the words of every text string under `v` to *words and, when `text` is set, appends the
// texts to it. Strings under keys that hold ids, names, types, signatures or binary data are
// skipped; strings directly in arrays or as the value itself count.
void CollectText(const json::value& v, int64_t* words, std::string* text);

// Arguments JSON text for a tool from its parsed JSON schema (see ArgumentsFromRequiredText).
std::string ArgumentsFromRequired(const json::value* schema);

// Serializes a parsed value compactly.
std::string Compact(const json::value& v);

// The Nth thinking word list (a fixed sentence).
const std::vector<std::string_view>& ThinkingWords();
// A fixed, base64-looking signature for thinking blocks.
std::string_view ThinkingSignature();

// Appends events to an SseStream one at a time.
class EventBuilder {
 public:
  void Add(std::string_view bytes, bool content) {
    stream_.bytes += bytes;
    stream_.events.push_back({stream_.bytes.size(), content});
  }
  std::string& bytes() { return stream_.bytes; }
  // Marks the bytes appended since the last event as one event.
  void Close(bool content) { stream_.events.push_back({stream_.bytes.size(), content}); }
  std::size_t size() const { return stream_.events.size(); }
  SseStream Take() { return std::move(stream_); }

 private:
  SseStream stream_;
};

// Tokens a tool call counts for: 1 + its arguments' bytes / 4.
int64_t CallTokens(const ToolSpec& call);

}  // namespace baton::mock::detail

// One finished request (later: one fan-out leg) as the request log stores it, its JSON line form
// (docs/request-log.md) and its spend form for the Store.
//
// The JSON member names are the field names below, in this order, except `cost`, written as
// "cost_pico" (exact integer pico-USD) and "cost_usd" (a float for humans; never read back).
// A line written by the log also starts with "prev" (the hash chain, request_log.hpp); records
// themselves know nothing of it.
//
// Secrets: a record never holds a virtual key, only its SHA-256 (key_hash) and display prefix.
// Prompt/response text (content) is only filled when [log] content = true, and then passed
// through Redact() first.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/store.hpp"

namespace baton {

struct RequestRecord {
  int64_t time_ms = 0;     // unix milliseconds, request end
  std::string request_id;  // unique per record (a fan-out leg gets its own)
  std::string key_alias;   // "" when none
  std::string key_hash;    // lowercase hex SHA-256 of the virtual key; "" when none
  std::string key_prefix;  // display form "sk-...ab12"; "" when none
  std::string team_id;
  std::string zone;
  std::string session;
  std::string dialect;      // client dialect: "openai", "anthropic", "gemini", ...
  std::string operation;    // "chat", "responses", "embeddings", "messages", ...
  std::string model_asked;  // as the client sent it
  std::string model_used;   // deployment id "provider/model"; "" when none was reached
  std::string provider;
  int attempts = 0;
  int fallbacks = 0;
  int status = 0;  // HTTP status sent to the client
  int64_t latency_ms = 0;
  int64_t ttft_ms = -1;  // -1: not a stream, or no first token
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t cost = 0;   // pico-USD
  std::string error;  // error code, "" on success
  bool stream = false;
  std::string content;  // redacted prompt/response text; "" unless [log] content = true

  bool operator==(const RequestRecord&) const = default;
};

// The record as one JSON object on one line (no trailing newline, no "prev").
std::string ToJsonLine(const RequestRecord& record);

// Parses a line written by ToJsonLine or by the log (a "prev" member is accepted and returned in
// *prev when given). Unknown members are ignored (newer writers); a missing member keeps its
// default. kBadRequest "bad_log_line" when the line is not a JSON object or a member has the
// wrong type.
Result<RequestRecord> ParseJsonLine(std::string_view line, std::string* prev = nullptr);

// The spend row of a record (deployment = model_used, time = time_ms).
SpendRecord ToSpendRecord(const RequestRecord& record);

// The similarity-search form of a record (store.hpp ContentRecord): request_id, time, model asked
// and ContentSearchText(content). Its text is empty when the record has no content.
ContentRecord ToContentRecord(const RequestRecord& record);

// The words worth searching in a logged request body: the string values of a JSON body (minus
// "model", "role", "type", "id" members: the same in every request) joined by newlines; a body
// that is not JSON as it is. NUL characters removed, at most 64 KiB.
std::string ContentSearchText(std::string_view content);

// Masks what looks like a credential or personal address in free text, keeping the rest:
//   "sk-..." / "sk-ant-..." style keys (prefix + 16 or more key characters) -> "sk-[REDACTED]"
//   "Bearer <token>" / "Basic <token>"                                    -> "Bearer [REDACTED]"
//   AWS access key ids (AKIA/ASIA + 16)                                    -> "[REDACTED]"
//   e-mail addresses                                                       -> "[EMAIL]"
//   any other run of 32+ letters/digits/'-'/'_' holding both letters and digits (hex digests,
//   opaque tokens, JWT parts)                                              -> "[REDACTED]"
std::string Redact(std::string_view text);

}  // namespace baton

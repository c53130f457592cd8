// The dialect list and output checks shared by the dialect_*_fuzz targets, which drive every
// codec through the table in src/dialects/canonical.hpp: a codec is fuzzed as soon as its table
// entries are filled in (null entries are skipped).
// Not thread-safe; fuzz targets run one input at a time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialects/canonical.hpp"
#include "dialects/sse.hpp"
#include "fuzz_util.hpp"

namespace baton::fuzz {

inline constexpr std::array<canon::Dialect, 6> kDialects = {
    canon::Dialect::kOpenAiChat, canon::Dialect::kOpenAiResponses, canon::Dialect::kAnthropic,
    canon::Dialect::kGemini,     canon::Dialect::kOllama,          canon::Dialect::kBedrock,
};

// Byte 0 of an input picks the dialect: '0'..'5' in the seed files (48 % 6 == 0).
inline canon::Dialect DialectFor(uint8_t b) {
  return kDialects[b % kDialects.size()];
}

// A client request to render responses and streams for: the defaults plus what byte b toggles.
inline canon::Request ClientRequest(uint8_t b) {
  canon::Request r;
  r.model = "fuzz-model";
  r.stream = true;
  r.include_usage = (b & 1) != 0;
  r.thinking_enabled = (b & 2) != 0;
  if ((b & 4) != 0) {
    canon::Tool t;
    t.name = "get_weather";
    t.parameters = R"({"type":"object","properties":{"city":{"type":"string"}}})";
    r.tools.push_back(t);
  }
  r.messages.push_back({canon::Role::kUser, {canon::Part::Text("hi")}});
  return r;
}

// Checks a client stream body: NDJSON for Ollama (every line a JSON value), SSE otherwise (every
// data payload JSON, except OpenAI's [DONE] terminator).
inline void CheckStreamOutput(canon::Dialect d, std::string_view out) {
  const std::string who = std::string(canon::DialectName(d)) + " stream: ";
  if (d == canon::Dialect::kOllama) {
    std::size_t at = 0;
    while (at < out.size()) {
      std::size_t nl = out.find('\n', at);
      std::string_view line = out.substr(at, nl == std::string_view::npos ? nl : nl - at);
      at = nl == std::string_view::npos ? out.size() : nl + 1;
      if (!line.empty()) {
        BATON_FUZZ_CHECK(ParseJson(line), who + "line is not JSON: " + Shorten(line));
      }
    }
    return;
  }
  SseSplitter splitter;
  splitter.Feed(out, [&](const SseEvent& ev) {
    if (ev.has_data && ev.data != "[DONE]") {
      BATON_FUZZ_CHECK(ParseJson(ev.data), who + "data is not JSON: " + Shorten(ev.data));
    }
    return true;
  });
}

}  // namespace baton::fuzz

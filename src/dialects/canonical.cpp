// The codec registry and the small helpers every dialect shares. See canonical.hpp.
#include "dialects/canonical.hpp"

#include <array>
#include <atomic>

#include <openssl/rand.h>

namespace baton::canon {

const char* DialectName(Dialect d) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return "openai";
    case Dialect::kOpenAiResponses:
      return "openai-responses";
    case Dialect::kAnthropic:
      return "anthropic";
    case Dialect::kGemini:
      return "gemini";
    case Dialect::kOllama:
      return "ollama";
    case Dialect::kBedrock:
      return "bedrock";
  }
  return "unknown";
}

const Codec& CodecFor(Dialect d) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return OpenAiChatCodec();
    case Dialect::kOpenAiResponses:
      return OpenAiResponsesCodec();
    case Dialect::kAnthropic:
      return AnthropicCodec();
    case Dialect::kGemini:
      return GeminiCodec();
    case Dialect::kOllama:
      return OllamaCodec();
    case Dialect::kBedrock:
      return BedrockCodec();
  }
  return OpenAiChatCodec();
}

const char* OpenAiFinishReason(FinishReason r) {
  switch (r) {
    case FinishReason::kLength:
    case FinishReason::kContextWindow:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kContentFilter:
      return "content_filter";
    case FinishReason::kNone:
    case FinishReason::kStop:
    case FinishReason::kStopSequence:
    case FinishReason::kPauseTurn:
      break;
  }
  return "stop";
}

FinishReason FinishReasonFromOpenAi(std::string_view s) {
  if (s == "length") {
    return FinishReason::kLength;
  }
  if (s == "tool_calls" || s == "function_call") {
    return FinishReason::kToolCalls;
  }
  if (s == "content_filter") {
    return FinishReason::kContentFilter;
  }
  return FinishReason::kStop;
}

std::string NewId(std::string_view prefix) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::array<unsigned char, 24> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    // Ids need to be unique, not secret: fall back to a counter mixed with the address space.
    static std::atomic<uint64_t> counter{0};
    uint64_t v = counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL;
    for (auto& b : raw) {
      b = static_cast<unsigned char>(v >>= 3);
    }
  }
  std::string id(prefix);
  for (unsigned char b : raw) {
    id.push_back(kAlphabet[b % 62]);
  }
  return id;
}

ErrorKind KindForUpstreamStatus(int status) {
  switch (status) {
    case 400:
    case 422:
      return ErrorKind::kBadRequest;
    case 401:
      return ErrorKind::kUnauthorized;
    case 403:
      return ErrorKind::kForbidden;
    case 404:
      return ErrorKind::kNotFound;
    case 413:
      return ErrorKind::kPayloadTooLarge;
    case 429:
      return ErrorKind::kRateLimited;
    case 408:
    case 504:
      return ErrorKind::kUpstreamTimeout;
    case 503:
    case 529:
      return ErrorKind::kUnavailable;
    default:
      break;
  }
  return status >= 500 ? ErrorKind::kUpstreamError : ErrorKind::kBadRequest;
}

}  // namespace baton::canon

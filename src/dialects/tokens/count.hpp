// Prompt token counts for a canonical request: exact-ish for OpenAI models (tiktoken BPE plus
// OpenAI's chat framing), a documented estimate for every other upstream family. Used for
// /v1/messages/count_tokens when it is not forwarded, and for budget reservations before a
// request leaves (DESIGN.md: worst case = prompt estimate × input price + max output × price).
// docs/tokenizer.md explains each number.
// Thread-safety: pure functions (the BPE tables are shared, read-only).
#pragma once

#include <cstdint>
#include <string_view>

#include "dialects/canonical.hpp"
#include "dialects/tokens/bpe.hpp"

namespace baton::tokens {

enum class Family {
  kOpenAi,     // "openai", "openai-responses", "azure": the model's own encoding, exact-ish
  kAnthropic,  // "anthropic", "claude", "bedrock": o200k × kClaudeFactor + tool system prompt
  kGemini,     // "gemini", "google", "vertex": o200k × 1.0
  kLlama,      // "ollama", "llama", "meta": o200k × 1.0
  kOther,      // anything else (OpenAI-compatible servers of unknown models): o200k × 1.0
};
Family FamilyFromName(std::string_view name);  // case-insensitive; unknown → kOther

// Multipliers applied to the o200k count for families whose tokenizer Baton does not have.
inline constexpr double kClaudeFactor = 1.15;
inline constexpr double kGeminiFactor = 1.0;
inline constexpr double kLlamaFactor = 1.0;
inline constexpr double kOtherFactor = 1.0;

// Fixed per-image estimates (the canonical form carries no pixel size).
inline constexpr int64_t kOpenAiImageTokens = 765;   // a high-detail 1024×1024 image (low: 85)
inline constexpr int64_t kClaudeImageTokens = 1600;  // Anthropic's cap (~1.15 megapixels / 750)
inline constexpr int64_t kGeminiImageTokens = 1600;  // several 258-token tiles
inline constexpr int64_t kOtherImageTokens = 765;
// Claude adds a hidden system prompt when tools are given (Anthropic's pricing docs, Claude 4:
// 346 tokens with tool_choice auto/none, 313 with any/tool).
inline constexpr int64_t kClaudeToolPromptAuto = 346;
inline constexpr int64_t kClaudeToolPromptForced = 313;

// OpenAI chat framing, counted with encoding e: per message 3 tokens + its role + its content,
// 3 more to prime the reply; tools as OpenAI's cookbook counts function definitions.
int64_t CountOpenAiChatTokens(const canon::Request& request, Encoding e);

// Prompt tokens of request as sent to an upstream of this family (family name as above).
int64_t CountRequestTokens(const canon::Request& request, std::string_view upstream_family);

}  // namespace baton::tokens

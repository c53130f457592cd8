// The built-in price catalog: per-token prices of mainstream hosted models (docs/pricing.md).
//
// Prices are pico-USD per token (money.hpp). A deployment's config can override them
// (cost.hpp, PriceOverride); local providers cost 0, which the caller decides with
// IsLocalProviderKind before it looks anything up.
//
// Thread-safety: the catalog is a constant table; every function here is pure and may be called
// from any thread. Lifetime: pointers returned by FindPrice point into static storage and stay
// valid for the whole program.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "money/money.hpp"

namespace baton {

struct ModelPrice {
  std::string_view model;     // catalog key, e.g. "gpt-4o-mini"; empty for a price made only
                              // from config overrides
  std::string_view provider;  // "openai", "anthropic", "gemini", "mistral", "deepseek", "groq",
                              // "xai"
  Money input = 0;            // per prompt token not served from a cache
  Money output = 0;           // per completion token (reasoning tokens included)
  Money cached_input = 0;     // per prompt token read from the provider's prompt cache; equal to
                              // `input` where the provider gives no discount
  Money cache_write = 0;      // per prompt token written to the cache (Anthropic bills these
                              // above the input price); equal to `input` elsewhere
};

// The price of `model` as a client or a deployment names it, or nullptr when the catalog does not
// know it. The name is normalized first (case-insensitive):
//   1. a "provider/" prefix is dropped (everything up to the last '/'): "openai/gpt-4o",
//      "models/gemini-1.5-pro", "bedrock/us.anthropic.claude-...";
//   2. Bedrock-style dotted prefixes made of letters only are dropped: "anthropic.",
//      "us.anthropic.", "eu.", "global.";
//   3. a Vertex "@version" and a ":tag" suffix are cut: "@20240620", ":0" (with a Bedrock
//      revision before the tag: "-v2:0");
//   4. then the exact name is tried (so a dated snapshot with its own price wins);
//   5. version suffixes are stripped one by one, trying the name after each: "-latest", dates
//      "-20241022" and "-2024-08-06", and 3-/4-digit versions "-001", "-0613", "-2411";
//   6. last, the longest catalog name that is a prefix of it ending at a '-' wins:
//      "gpt-4o-audio-preview" -> gpt-4o, but "gpt-4o-mini-search" -> gpt-4o-mini. A '.' does not
//      end a prefix, so "gpt-5.4" is unknown rather than priced as "gpt-5".
const ModelPrice* FindPrice(std::string_view model);

// The normalized name FindPrice matches against (steps 1-3 and 5 above), for logs and tests.
std::string NormalizeModelName(std::string_view model);

// True for provider kinds that run on the user's own hardware and therefore cost nothing:
// "ollama", "lmstudio", "vllm", and the built-in "echo" test provider.
bool IsLocalProviderKind(std::string_view kind);

// Every catalog entry, in table order (docs and tests walk it).
std::span<const ModelPrice> PriceCatalog();

// Where the catalog's numbers come from (printed in docs/pricing.md and by tools).
inline constexpr std::string_view kPriceCatalogSource =
    "BerriAI/litellm model_prices_and_context_window.json (commit 00035b69), read 2026-11-30";

}  // namespace baton

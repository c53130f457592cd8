// What a request costs: the real cost from the upstream's usage report, the worst case reserved
// before the request leaves (DESIGN.md §5), and per-deployment price overrides from config.
//
// Thread-safety: pure functions on values. Lifetime: a ModelPrice returned by ApplyPriceOverride
// is a value; its string_views point into the catalog's static storage (or are empty).
#pragma once

#include <cstdint>
#include <optional>

#include "money/catalog.hpp"
#include "money/money.hpp"

namespace baton {

// Token counts of one finished request (or of the part of a stream that was delivered).
//
// `prompt` counts every prompt token, including the cached and cache-written ones: that is what
// OpenAI reports as prompt_tokens. Anthropic reports input_tokens without the cache reads and
// writes, so its dialect adds cache_read_input_tokens and cache_creation_input_tokens into
// `prompt` when it fills this struct. `completion` includes reasoning tokens.
struct TokenUsage {
  int64_t prompt = 0;
  int64_t completion = 0;
  int64_t cached_prompt = 0;  // of `prompt`: read from the provider's prompt cache
  int64_t cache_write = 0;    // of `prompt`: written to the cache (Anthropic)
};

// The real cost of `usage` at `price`. Each prompt token is billed once: cached tokens at
// cached_input, cache writes at cache_write, the rest at input. Cached and written counts larger
// than the prompt are clamped to it (a provider bug must not produce a negative input count);
// negative counts count as 0. Saturates (and sets *saturated when given) instead of overflowing.
Money RequestCost(const ModelPrice& price, const TokenUsage& usage, bool* saturated = nullptr);

// The most a request can cost before it is sent, for budget reservations: the estimated prompt
// at the highest prompt-side price (input, or cache_write where that is higher, since the whole
// prompt might be written to the cache) plus max_output_tokens at the output price. Negative
// counts count as 0. Saturates like RequestCost.
Money WorstCase(const ModelPrice& price, int64_t prompt_estimate, int64_t max_output_tokens,
                bool* saturated = nullptr);

// Per-token USD prices from a deployment's config (baton.toml `input_cost_per_token`,
// `output_cost_per_token`, ...). A negative value (the default -1) means "not set".
struct PriceOverride {
  double input_cost_per_token = -1;
  double output_cost_per_token = -1;
  double cached_input_cost_per_token = -1;
  double cache_write_cost_per_token = -1;

  bool Empty() const {
    return input_cost_per_token < 0 && output_cost_per_token < 0 &&
           cached_input_cost_per_token < 0 && cache_write_cost_per_token < 0;
  }
};

// `base` (a catalog entry, or nullptr for a model the catalog does not know) with every set field
// of `override_prices` replacing the catalog's. Returns nullopt only when there is neither a
// catalog entry nor any override. Without a catalog entry, unset input/output prices are 0 and an
// unset cached-input or cache-write price equals the input price. With a catalog entry, a new
// input price alone also moves cached_input and cache_write when the catalog had no separate
// price for them (they were equal to its input price), so "no cache discount" stays true.
std::optional<ModelPrice> ApplyPriceOverride(const ModelPrice* base,
                                             const PriceOverride& override_prices);

}  // namespace baton

#include "money/cost.hpp"

#include <algorithm>

namespace baton {

namespace {

int64_t NonNegative(int64_t n) {
  return std::max<int64_t>(n, 0);
}

}  // namespace

Money RequestCost(const ModelPrice& price, const TokenUsage& usage, bool* saturated) {
  const int64_t prompt = NonNegative(usage.prompt);
  const int64_t cached = std::min(NonNegative(usage.cached_prompt), prompt);
  const int64_t written = std::min(NonNegative(usage.cache_write), prompt - cached);
  const int64_t plain = prompt - cached - written;

  Money total = CostOf(plain, price.input, saturated);
  total = SaturatingAdd(total, CostOf(cached, price.cached_input, saturated), saturated);
  total = SaturatingAdd(total, CostOf(written, price.cache_write, saturated), saturated);
  total = SaturatingAdd(total, CostOf(usage.completion, price.output, saturated), saturated);
  return total;
}

Money WorstCase(const ModelPrice& price, int64_t prompt_estimate, int64_t max_output_tokens,
                bool* saturated) {
  // A reservation must never be lower than the settled cost, so the prompt is priced at the
  // dearest way the provider could bill it. Cache reads are always cheaper than input, so only
  // the cache-write price can be above it.
  const Money prompt_price = std::max(price.input, price.cache_write);
  return SaturatingAdd(CostOf(prompt_estimate, prompt_price, saturated),
                       CostOf(max_output_tokens, price.output, saturated), saturated);
}

std::optional<ModelPrice> ApplyPriceOverride(const ModelPrice* base,
                                             const PriceOverride& override_prices) {
  if (base == nullptr && override_prices.Empty()) {
    return std::nullopt;
  }
  ModelPrice merged;
  if (base != nullptr) {
    merged = *base;
  }
  // Remember whether the cache prices were just "same as input" so that a new input price keeps
  // them in step; a catalog discount (e.g. half price for cached input) is kept as it is.
  const bool cached_follows_input = base == nullptr || base->cached_input == base->input;
  const bool write_follows_input = base == nullptr || base->cache_write == base->input;

  if (override_prices.input_cost_per_token >= 0) {
    merged.input = FromUsd(override_prices.input_cost_per_token);
  }
  if (override_prices.output_cost_per_token >= 0) {
    merged.output = FromUsd(override_prices.output_cost_per_token);
  }
  if (override_prices.cached_input_cost_per_token >= 0) {
    merged.cached_input = FromUsd(override_prices.cached_input_cost_per_token);
  } else if (cached_follows_input) {
    merged.cached_input = merged.input;
  }
  if (override_prices.cache_write_cost_per_token >= 0) {
    merged.cache_write = FromUsd(override_prices.cache_write_cost_per_token);
  } else if (write_follows_input) {
    merged.cache_write = merged.input;
  }
  return merged;
}

}  // namespace baton

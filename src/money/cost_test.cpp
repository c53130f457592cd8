#include "money/cost.hpp"

#include <gtest/gtest.h>

namespace baton {
namespace {

// Made-up round prices so the expected numbers can be checked by hand.
constexpr ModelPrice kOpenAiLike{"test-openai", "openai", 2'000'000, 8'000'000, 500'000, 2'000'000};
constexpr ModelPrice kClaudeLike{"test-claude", "anthropic", 3'000'000,
                                 15'000'000,    300'000,     3'750'000};

TEST(RequestCostTest, PromptAndCompletion) {
  const Money cost = RequestCost(kOpenAiLike, {.prompt = 1000, .completion = 500});
  EXPECT_EQ(cost, int64_t{1000} * 2'000'000 + int64_t{500} * 8'000'000);
  EXPECT_EQ(ToUsdString(cost), "0.006");
}

TEST(RequestCostTest, CachedTokensAreBilledOnceAtTheCachedPrice) {
  // 1000 prompt tokens of which 800 came from the cache: 200 at input, 800 at cached.
  const Money cost =
      RequestCost(kOpenAiLike, {.prompt = 1000, .completion = 100, .cached_prompt = 800});
  EXPECT_EQ(cost, int64_t{200} * 2'000'000 + int64_t{800} * 500'000 + int64_t{100} * 8'000'000);
  // Strictly cheaper than the same request without a cache hit.
  EXPECT_LT(cost, RequestCost(kOpenAiLike, {.prompt = 1000, .completion = 100}));
}

TEST(RequestCostTest, AnthropicCacheReadsAndWrites) {
  // prompt counts everything (the Anthropic dialect adds cache reads and writes into it).
  const TokenUsage usage{
      .prompt = 10'000, .completion = 200, .cached_prompt = 6'000, .cache_write = 3'000};
  const Money cost = RequestCost(kClaudeLike, usage);
  EXPECT_EQ(cost, int64_t{1'000} * 3'000'000 + int64_t{6'000} * 300'000 +
                      int64_t{3'000} * 3'750'000 + int64_t{200} * 15'000'000);
}

TEST(RequestCostTest, InconsistentCountsAreClamped) {
  // More cached than prompt: everything is cached, nothing negative.
  EXPECT_EQ(RequestCost(kOpenAiLike, {.prompt = 100, .cached_prompt = 500}),
            int64_t{100} * 500'000);
  // Cache reads + writes above the prompt: writes get what is left.
  EXPECT_EQ(RequestCost(kClaudeLike, {.prompt = 100, .cached_prompt = 80, .cache_write = 80}),
            int64_t{80} * 300'000 + int64_t{20} * 3'750'000);
  // Negative counts count as zero.
  EXPECT_EQ(RequestCost(kOpenAiLike, {.prompt = -5, .completion = -7, .cached_prompt = -1}), 0);
}

TEST(RequestCostTest, RealCatalogPriceIsExact) {
  const ModelPrice* mini = FindPrice("gpt-4o-mini");
  ASSERT_NE(mini, nullptr);
  // 1M prompt (400k cached) + 1M completion: 0.6 * 0.15 + 0.4 * 0.075 + 0.6 = 0.72 USD exactly.
  const Money cost =
      RequestCost(*mini, {.prompt = 1'000'000, .completion = 1'000'000, .cached_prompt = 400'000});
  EXPECT_EQ(cost, 720'000'000'000);
  EXPECT_EQ(ToUsdString(cost), "0.72");
}

TEST(RequestCostTest, SaturatesInsteadOfWrapping) {
  bool saturated = false;
  const Money cost = RequestCost(
      kClaudeLike, {.prompt = 1'000'000'000'000, .completion = 1'000'000'000'000}, &saturated);
  EXPECT_EQ(cost, kMoneyMax);
  EXPECT_TRUE(saturated);
}

TEST(WorstCaseTest, PromptAtInputPlusMaxOutput) {
  EXPECT_EQ(WorstCase(kOpenAiLike, 1000, 4096),
            int64_t{1000} * 2'000'000 + int64_t{4096} * 8'000'000);
  EXPECT_EQ(WorstCase(kOpenAiLike, 0, 0), 0);
  EXPECT_EQ(WorstCase(kOpenAiLike, -3, -4), 0);
}

TEST(WorstCaseTest, NeverBelowTheSettledCost) {
  // With cache writes dearer than input, the reservation uses the write price for the prompt.
  EXPECT_EQ(WorstCase(kClaudeLike, 1000, 100),
            int64_t{1000} * 3'750'000 + int64_t{100} * 15'000'000);
  for (int64_t written = 0; written <= 1000; written += 250) {
    for (int64_t cached = 0; cached + written <= 1000; cached += 250) {
      const TokenUsage usage{
          .prompt = 1000, .completion = 100, .cached_prompt = cached, .cache_write = written};
      EXPECT_LE(RequestCost(kClaudeLike, usage), WorstCase(kClaudeLike, 1000, 100));
    }
  }
}

TEST(WorstCaseTest, SaturatesAndFlags) {
  bool saturated = false;
  EXPECT_EQ(WorstCase(kOpenAiLike, kMoneyMax, 1, &saturated), kMoneyMax);
  EXPECT_TRUE(saturated);
}

TEST(PriceOverrideTest, NothingKnownIsNullopt) {
  EXPECT_FALSE(ApplyPriceOverride(nullptr, PriceOverride{}).has_value());
}

TEST(PriceOverrideTest, NoOverrideKeepsTheCatalogEntry) {
  const ModelPrice* gpt4o = FindPrice("gpt-4o");
  ASSERT_NE(gpt4o, nullptr);
  const auto merged = ApplyPriceOverride(gpt4o, PriceOverride{});
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->model, "gpt-4o");
  EXPECT_EQ(merged->input, gpt4o->input);
  EXPECT_EQ(merged->output, gpt4o->output);
  EXPECT_EQ(merged->cached_input, gpt4o->cached_input);
  EXPECT_EQ(merged->cache_write, gpt4o->cache_write);
}

TEST(PriceOverrideTest, SetFieldsReplaceTheCatalog) {
  const ModelPrice* gpt4o = FindPrice("gpt-4o");
  ASSERT_NE(gpt4o, nullptr);
  // As in baton.toml: input_cost_per_token = 2e-6, output_cost_per_token = 8e-6.
  const auto merged = ApplyPriceOverride(
      gpt4o, PriceOverride{.input_cost_per_token = 2e-6, .output_cost_per_token = 8e-6});
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->input, 2'000'000);
  EXPECT_EQ(merged->output, 8'000'000);
  EXPECT_EQ(merged->cached_input, gpt4o->cached_input);  // catalog discount kept
  EXPECT_EQ(merged->cache_write, 2'000'000);             // OpenAI: writes follow input

  const auto only_output =
      ApplyPriceOverride(gpt4o, PriceOverride{.output_cost_per_token = 1e-5 * 2});
  ASSERT_TRUE(only_output.has_value());
  EXPECT_EQ(only_output->input, gpt4o->input);
  EXPECT_EQ(only_output->output, 20'000'000);

  const auto cached = ApplyPriceOverride(gpt4o, PriceOverride{.cached_input_cost_per_token = 0});
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->cached_input, 0);  // 0 is a real price, unlike -1
}

TEST(PriceOverrideTest, UnknownModelPricedFromConfigAlone) {
  const auto merged = ApplyPriceOverride(
      nullptr, PriceOverride{.input_cost_per_token = 1e-6, .output_cost_per_token = 3e-6});
  ASSERT_TRUE(merged.has_value());
  EXPECT_TRUE(merged->model.empty());
  EXPECT_EQ(merged->input, 1'000'000);
  EXPECT_EQ(merged->output, 3'000'000);
  EXPECT_EQ(merged->cached_input, 1'000'000);  // no discount known
  EXPECT_EQ(merged->cache_write, 1'000'000);
  EXPECT_EQ(RequestCost(*merged, {.prompt = 10, .completion = 10, .cached_prompt = 5}),
            int64_t{10} * 1'000'000 + int64_t{10} * 3'000'000);

  const auto input_only = ApplyPriceOverride(nullptr, PriceOverride{.input_cost_per_token = 1e-7});
  ASSERT_TRUE(input_only.has_value());
  EXPECT_EQ(input_only->output, 0);
}

TEST(PriceOverrideTest, ClaudeWritePriceKeptWhenOnlyInputChanges) {
  const ModelPrice* haiku = FindPrice("claude-haiku-4-5");
  ASSERT_NE(haiku, nullptr);
  const auto merged = ApplyPriceOverride(haiku, PriceOverride{.input_cost_per_token = 1.1e-6});
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->input, 1'100'000);
  EXPECT_EQ(merged->cache_write, haiku->cache_write);  // Anthropic's own write price stays
  EXPECT_EQ(merged->cached_input, haiku->cached_input);
}

}  // namespace
}  // namespace baton

#include "money/catalog.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace baton {
namespace {

// The catalog key FindPrice resolves `model` to, or "<none>".
std::string Key(std::string_view model) {
  const ModelPrice* price = FindPrice(model);
  return price == nullptr ? "<none>" : std::string(price->model);
}

TEST(CatalogTest, EveryEntryFindsItself) {
  std::set<std::string_view> seen;
  for (const ModelPrice& entry : PriceCatalog()) {
    EXPECT_TRUE(seen.insert(entry.model).second) << "duplicate " << entry.model;
    EXPECT_EQ(FindPrice(entry.model), &entry) << entry.model;
    EXPECT_GT(entry.input, 0) << entry.model;
    EXPECT_GE(entry.output, 0) << entry.model;
    EXPECT_LE(entry.cached_input, entry.input) << entry.model;  // a cache read never costs more
    EXPECT_FALSE(entry.provider.empty()) << entry.model;
  }
}

TEST(CatalogTest, CoversTheMainstreamModels) {
  for (const char* model : {"gpt-4o",
                            "gpt-4o-mini",
                            "gpt-4.1",
                            "gpt-4.1-mini",
                            "gpt-4.1-nano",
                            "o1",
                            "o3",
                            "o3-mini",
                            "o4-mini",
                            "gpt-5",
                            "gpt-5-mini",
                            "gpt-5-nano",
                            "text-embedding-3-small",
                            "text-embedding-3-large",
                            "claude-3-5-haiku",
                            "claude-3-5-sonnet",
                            "claude-3-7-sonnet",
                            "claude-sonnet-4",
                            "claude-sonnet-4-5",
                            "claude-opus-4",
                            "claude-opus-4-1",
                            "claude-haiku-4-5",
                            "gemini-1.5-flash",
                            "gemini-1.5-pro",
                            "gemini-2.0-flash",
                            "gemini-2.0-flash-lite",
                            "gemini-2.5-flash",
                            "gemini-2.5-flash-lite",
                            "gemini-2.5-pro",
                            "mistral-large",
                            "mistral-small",
                            "codestral",
                            "deepseek-chat",
                            "deepseek-reasoner",
                            "llama-3.1-8b-instant",
                            "llama-3.3-70b-versatile",
                            "grok-4",
                            "grok-3"}) {
    EXPECT_EQ(Key(model), model);
  }
}

TEST(CatalogTest, KnownPrices) {
  const ModelPrice* gpt4o = FindPrice("gpt-4o");
  ASSERT_NE(gpt4o, nullptr);
  EXPECT_EQ(gpt4o->input, FromUsd(2.5e-6));
  EXPECT_EQ(gpt4o->output, FromUsd(10e-6));
  EXPECT_EQ(gpt4o->cached_input, FromUsd(1.25e-6));
  EXPECT_EQ(gpt4o->cache_write, gpt4o->input);  // OpenAI does not bill cache writes

  const ModelPrice* sonnet = FindPrice("claude-sonnet-4-5");
  ASSERT_NE(sonnet, nullptr);
  EXPECT_EQ(sonnet->input, FromUsd(3e-6));
  EXPECT_EQ(sonnet->output, FromUsd(15e-6));
  EXPECT_EQ(sonnet->cached_input, FromUsd(0.3e-6));
  EXPECT_EQ(sonnet->cache_write, FromUsd(3.75e-6));

  const ModelPrice* embed = FindPrice("text-embedding-3-small");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->output, 0);
}

TEST(CatalogTest, StripsProviderPrefix) {
  EXPECT_EQ(Key("openai/gpt-4o"), "gpt-4o");
  EXPECT_EQ(Key("anthropic/claude-3-5-sonnet-20241022"), "claude-3-5-sonnet");
  EXPECT_EQ(Key("groq/llama-3.3-70b-versatile"), "llama-3.3-70b-versatile");
  EXPECT_EQ(Key("deepseek/deepseek-chat"), "deepseek-chat");
  EXPECT_EQ(Key("my-azure/gpt-4.1-mini"), "gpt-4.1-mini");
}

TEST(CatalogTest, StripsGeminiModelsPrefix) {
  EXPECT_EQ(Key("models/gemini-1.5-pro"), "gemini-1.5-pro");
  EXPECT_EQ(Key("gemini/gemini-2.5-flash"), "gemini-2.5-flash");
}

TEST(CatalogTest, StripsBedrockPrefixesAndRevision) {
  EXPECT_EQ(Key("anthropic.claude-3-5-haiku-20241022-v1:0"), "claude-3-5-haiku");
  EXPECT_EQ(Key("us.anthropic.claude-sonnet-4-20250514-v1:0"), "claude-sonnet-4");
  EXPECT_EQ(Key("bedrock/eu.anthropic.claude-3-7-sonnet-20250219-v1:0"), "claude-3-7-sonnet");
  EXPECT_EQ(Key("global.anthropic.claude-haiku-4-5-20251001-v1:0"), "claude-haiku-4-5");
}

TEST(CatalogTest, StripsVertexAtVersionAndColonTag) {
  EXPECT_EQ(Key("claude-3-5-sonnet@20240620"), "claude-3-5-sonnet");
  EXPECT_EQ(Key("vertex_ai/claude-opus-4-1@20250805"), "claude-opus-4-1");
  EXPECT_EQ(Key("gpt-4o:0"), "gpt-4o");
}

TEST(CatalogTest, StripsDateAndVersionSuffixes) {
  EXPECT_EQ(Key("claude-3-5-haiku-20241022"), "claude-3-5-haiku");  // -YYYYMMDD
  EXPECT_EQ(Key("gpt-4o-2024-08-06"), "gpt-4o");                    // -YYYY-MM-DD
  EXPECT_EQ(Key("gpt-4o-2024-11-20"), "gpt-4o");
  EXPECT_EQ(Key("gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
  EXPECT_EQ(Key("claude-3-7-sonnet-latest"), "claude-3-7-sonnet");  // -latest
  EXPECT_EQ(Key("mistral-large-latest"), "mistral-large");
  EXPECT_EQ(Key("mistral-small-2503"), "mistral-small");       // -NNNN
  EXPECT_EQ(Key("gemini-2.0-flash-001"), "gemini-2.0-flash");  // -NNN
  EXPECT_EQ(Key("o3-mini-2025-01-31"), "o3-mini");
  EXPECT_EQ(Key("grok-4-0709"), "grok-4");
  EXPECT_EQ(NormalizeModelName("Bedrock/US.Anthropic.Claude-Sonnet-4-20250514-v1:0"),
            "claude-sonnet-4");
}

TEST(CatalogTest, IsCaseInsensitive) {
  EXPECT_EQ(Key("GPT-4o-Mini"), "gpt-4o-mini");
  EXPECT_EQ(Key("OpenAI/GPT-4O"), "gpt-4o");
}

TEST(CatalogTest, MiniIsNotPricedAsItsBaseModel) {
  // The prefix trap: "gpt-4o" is a prefix of every "gpt-4o-mini..." name.
  EXPECT_EQ(Key("gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(Key("gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
  EXPECT_EQ(Key("gpt-4o-mini-search-preview"), "gpt-4o-mini");
  EXPECT_EQ(Key("gpt-4o-audio-preview"), "gpt-4o");
  EXPECT_EQ(Key("gpt-4.1-nano-2025-04-14"), "gpt-4.1-nano");
  EXPECT_EQ(Key("gpt-5-mini-2025-08-07"), "gpt-5-mini");
  EXPECT_EQ(Key("o3-mini-high"), "o3-mini");
  EXPECT_EQ(Key("o4-mini-2025-04-16"), "o4-mini");
  EXPECT_EQ(Key("gemini-2.5-flash-lite-preview-06-17"), "gemini-2.5-flash-lite");
  EXPECT_EQ(Key("gemini-2.5-flash-preview-05-20"), "gemini-2.5-flash");
  EXPECT_EQ(Key("grok-3-mini-fast"), "grok-3-mini");
}

TEST(CatalogTest, SiblingsWithTheirOwnPriceAreNotFolded) {
  EXPECT_EQ(Key("gpt-4o-2024-05-13"), "gpt-4o-2024-05-13");  // the dearer first snapshot
  EXPECT_EQ(Key("gpt-5-pro"), "gpt-5-pro");
  EXPECT_EQ(Key("o1-pro-2025-03-19"), "o1-pro");
  EXPECT_EQ(Key("claude-opus-4-5-20251101"), "claude-opus-4-5");
  EXPECT_EQ(Key("claude-opus-4-20250514"), "claude-opus-4");
  EXPECT_EQ(Key("claude-opus-4-1-20250805"), "claude-opus-4-1");
  EXPECT_EQ(Key("mistral/mistral-large-2411"), "mistral-large-2411");  // not Large 3's price
  EXPECT_EQ(Key("mistral-large-latest"), "mistral-large");
}

TEST(CatalogTest, PrefixFallbackNeedsADashBoundary) {
  EXPECT_EQ(Key("gpt-5.4"), "<none>");  // a newer family, not gpt-5
  EXPECT_EQ(Key("gpt-4o1"), "<none>");  // not gpt-4o
  EXPECT_EQ(Key("o1x"), "<none>");
  EXPECT_EQ(Key("deepseek-v3"), "<none>");  // "-v3" is part of the name, not a revision
}

TEST(CatalogTest, UnknownModelsAreNull) {
  EXPECT_EQ(FindPrice("llama3.2"), nullptr);
  EXPECT_EQ(FindPrice("ollama/qwen2.5:7b"), nullptr);
  EXPECT_EQ(FindPrice("my-custom-model"), nullptr);
  EXPECT_EQ(FindPrice(""), nullptr);
  EXPECT_EQ(FindPrice("openai/"), nullptr);
  EXPECT_EQ(FindPrice("-"), nullptr);
}

TEST(CatalogTest, LocalProviderKinds) {
  for (const char* kind : {"ollama", "lmstudio", "vllm", "echo"}) {
    EXPECT_TRUE(IsLocalProviderKind(kind)) << kind;
  }
  for (const char* kind : {"openai", "anthropic", "groq", "openai-compatible", "", "Ollama"}) {
    EXPECT_FALSE(IsLocalProviderKind(kind)) << kind;
  }
}

}  // namespace
}  // namespace baton

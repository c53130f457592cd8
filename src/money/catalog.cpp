#include "money/catalog.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace baton {

namespace {

// Table helpers. Prices are pico-USD per token, which is the same number as "USD per 1M tokens"
// times 10^6: $2.50 / 1M tokens = 2'500'000 pico-USD per token. Written as integers so the table
// carries no float rounding at all.
constexpr ModelPrice Price(std::string_view model, std::string_view provider, Money input,
                           Money output, Money cached_input) {
  return ModelPrice{model, provider, input, output, cached_input, input};
}
// No prompt-cache discount: cached tokens cost the same as any other input token.
constexpr ModelPrice Flat(std::string_view model, std::string_view provider, Money input,
                          Money output) {
  return ModelPrice{model, provider, input, output, input, input};
}
// Anthropic: cache reads are discounted, cache writes are billed above the input price.
constexpr ModelPrice Claude(std::string_view model, Money input, Money output, Money cache_read,
                            Money cache_write) {
  return ModelPrice{model, "anthropic", input, output, cache_read, cache_write};
}

// Source: BerriAI/litellm model_prices_and_context_window.json at commit 00035b69 (read
// 2026-11-30); the provider's own price page is named where LiteLLM's direct entry was missing.
// Base tier only: long-context surcharges (Gemini above 200k, Claude Sonnet above 200k), batch,
// flex and priority tiers are not modelled. Snapshots and siblings whose price differs from the
// family name (gpt-4o-2024-05-13, gpt-5-pro, o1-pro, claude-opus-4-5, ...) have their own row,
// because lookups fall back to the longest prefix.
constexpr std::array kCatalog = {
    // ---- OpenAI ----
    Price("gpt-4o", "openai", 2'500'000, 10'000'000, 1'250'000),
    Flat("gpt-4o-2024-05-13", "openai", 5'000'000, 15'000'000),
    Price("gpt-4o-mini", "openai", 150'000, 600'000, 75'000),
    Price("gpt-4.1", "openai", 2'000'000, 8'000'000, 500'000),
    Price("gpt-4.1-mini", "openai", 400'000, 1'600'000, 100'000),
    Price("gpt-4.1-nano", "openai", 100'000, 400'000, 25'000),
    Price("o1", "openai", 15'000'000, 60'000'000, 7'500'000),
    Flat("o1-pro", "openai", 150'000'000, 600'000'000),
    Price("o3", "openai", 2'000'000, 8'000'000, 500'000),
    Price("o3-mini", "openai", 1'100'000, 4'400'000, 550'000),
    Flat("o3-pro", "openai", 20'000'000, 80'000'000),
    Price("o3-deep-research", "openai", 10'000'000, 40'000'000, 2'500'000),
    Price("o4-mini", "openai", 1'100'000, 4'400'000, 275'000),
    Price("gpt-5", "openai", 1'250'000, 10'000'000, 125'000),
    Price("gpt-5-mini", "openai", 250'000, 2'000'000, 25'000),
    Price("gpt-5-nano", "openai", 50'000, 400'000, 5'000),
    Flat("gpt-5-pro", "openai", 15'000'000, 120'000'000),
    Flat("text-embedding-3-small", "openai", 20'000, 0),
    Flat("text-embedding-3-large", "openai", 130'000, 0),
    // ---- Anthropic (input, output, cache read, cache write) ----
    Claude("claude-3-5-haiku", 800'000, 4'000'000, 80'000, 1'000'000),
    Claude("claude-3-5-sonnet", 3'000'000, 15'000'000, 300'000, 3'750'000),
    Claude("claude-3-7-sonnet", 3'000'000, 15'000'000, 300'000, 3'750'000),
    Claude("claude-sonnet-4", 3'000'000, 15'000'000, 300'000, 3'750'000),
    Claude("claude-4-sonnet", 3'000'000, 15'000'000, 300'000, 3'750'000),
    Claude("claude-sonnet-4-5", 3'000'000, 15'000'000, 300'000, 3'750'000),
    Claude("claude-opus-4", 15'000'000, 75'000'000, 1'500'000, 18'750'000),
    Claude("claude-4-opus", 15'000'000, 75'000'000, 1'500'000, 18'750'000),
    Claude("claude-opus-4-1", 15'000'000, 75'000'000, 1'500'000, 18'750'000),
    Claude("claude-opus-4-5", 5'000'000, 25'000'000, 500'000, 6'250'000),
    Claude("claude-haiku-4-5", 1'000'000, 5'000'000, 100'000, 1'250'000),
    // ---- Google Gemini (Gemini API; base context tier) ----
    Price("gemini-1.5-flash", "gemini", 75'000, 300'000, 18'750),
    Price("gemini-1.5-pro", "gemini", 1'250'000, 5'000'000, 312'500),
    Price("gemini-2.0-flash", "gemini", 100'000, 400'000, 25'000),
    Price("gemini-2.0-flash-lite", "gemini", 75'000, 300'000, 18'750),
    Price("gemini-2.5-flash", "gemini", 300'000, 2'500'000, 30'000),
    Price("gemini-2.5-flash-lite", "gemini", 100'000, 400'000, 25'000),
    Price("gemini-2.5-pro", "gemini", 1'250'000, 10'000'000, 125'000),
    // ---- Mistral ----
    // "mistral-large" / "mistral-small" are the -latest models (Large 3, Small 3.2); the older
    // Large snapshots were dearer and keep their own rows.
    Flat("mistral-large", "mistral", 500'000, 1'500'000),
    Flat("mistral-large-2411", "mistral", 2'000'000, 6'000'000),
    Flat("mistral-large-2407", "mistral", 3'000'000, 9'000'000),
    Flat("mistral-large-2402", "mistral", 4'000'000, 12'000'000),
    Flat("mistral-small", "mistral", 60'000, 180'000),
    Flat("codestral", "mistral", 300'000, 900'000),
    // ---- DeepSeek ----
    Price("deepseek-chat", "deepseek", 280'000, 420'000, 28'000),
    Price("deepseek-reasoner", "deepseek", 280'000, 420'000, 28'000),
    // ---- Groq ----
    Flat("llama-3.1-8b-instant", "groq", 50'000, 80'000),
    Flat("llama-3.3-70b-versatile", "groq", 590'000, 790'000),
    // ---- xAI ----
    Price("grok-4", "xai", 3'000'000, 15'000'000, 750'000),
    Price("grok-3", "xai", 3'000'000, 15'000'000, 750'000),
    Price("grok-3-mini", "xai", 300'000, 500'000, 75'000),
};

char Lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

bool AllLetters(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= 'a' && c <= 'z'; });
}

// Steps 1-3 of the header's list: provider prefix, Bedrock dotted prefixes, "@..." and ":..."
// suffixes. The result is lowercase.
std::string StripRouting(std::string_view model) {
  if (const size_t slash = model.rfind('/'); slash != std::string_view::npos) {
    model.remove_prefix(slash + 1);
  }
  std::string name;
  name.reserve(model.size());
  for (const char c : model) {
    name.push_back(Lower(c));
  }
  // "us.anthropic.claude-..." / "anthropic.claude-...": a leading segment of letters only ending
  // at a '.'. Model names with dots ("gpt-4.1", "gemini-2.5-pro") have a '-' or digit before
  // their first dot, so they are left alone.
  for (;;) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos || !AllLetters(std::string_view(name).substr(0, dot))) {
      break;
    }
    name.erase(0, dot + 1);
  }
  if (const size_t at = name.find('@'); at != std::string::npos) {
    name.erase(at);
  }
  if (const size_t colon = name.find(':'); colon != std::string::npos) {
    name.erase(colon);
    // Bedrock ids end in "-v1:0" / "-v2:0"; the "-vN" is the Bedrock revision, not part of the
    // model's name. Only stripped next to a ":" tag, so that "deepseek-v3" keeps its "v3".
    const size_t dash = name.rfind('-');
    if (dash != std::string::npos && dash > 0 && name.size() - dash >= 3 && name[dash + 1] == 'v' &&
        AllDigits(std::string_view(name).substr(dash + 2))) {
      name.erase(dash);
    }
  }
  return name;
}

// One version suffix off the end, if there is one. True when something was removed.
bool StripOneVersionSuffix(std::string& name) {
  constexpr std::string_view kLatest = "-latest";
  if (name.size() > kLatest.size() && name.ends_with(kLatest)) {
    name.resize(name.size() - kLatest.size());
    return true;
  }
  // "-YYYY-MM-DD"
  if (name.size() > 11) {
    const std::string_view tail = std::string_view(name).substr(name.size() - 11);
    if (tail[0] == '-' && AllDigits(tail.substr(1, 4)) && tail[5] == '-' &&
        AllDigits(tail.substr(6, 2)) && tail[8] == '-' && AllDigits(tail.substr(9, 2))) {
      name.resize(name.size() - 11);
      return true;
    }
  }
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0) {
    return false;
  }
  const std::string_view last = std::string_view(name).substr(dash + 1);
  // "-20241022" (8 digits), "-0613" / "-2411" (4), "-001" (3). One- and two-digit parts are
  // versions of the model itself ("claude-opus-4-1", "grok-3") and stay.
  if (AllDigits(last) && (last.size() == 3 || last.size() == 4 || last.size() == 8)) {
    name.resize(dash);
    return true;
  }
  return false;
}

const ModelPrice* FindExact(std::string_view name) {
  for (const ModelPrice& entry : kCatalog) {
    if (entry.model == name) {
      return &entry;
    }
  }
  return nullptr;
}

// The longest entry that is `name` itself or a prefix of it followed by '-'.
const ModelPrice* FindLongestPrefix(std::string_view name) {
  const ModelPrice* best = nullptr;
  for (const ModelPrice& entry : kCatalog) {
    if (name.size() > entry.model.size() && name.starts_with(entry.model) &&
        name[entry.model.size()] == '-' &&
        (best == nullptr || entry.model.size() > best->model.size())) {
      best = &entry;
    }
  }
  return best;
}

}  // namespace

std::string NormalizeModelName(std::string_view model) {
  std::string name = StripRouting(model);
  while (StripOneVersionSuffix(name)) {
  }
  return name;
}

const ModelPrice* FindPrice(std::string_view model) {
  std::string name = StripRouting(model);
  if (name.empty()) {
    return nullptr;
  }
  // The exact (routing-stripped) name first: a dated snapshot with a price of its own, such as
  // gpt-4o-2024-05-13, must not be folded into its family.
  if (const ModelPrice* exact = FindExact(name)) {
    return exact;
  }
  while (StripOneVersionSuffix(name)) {
    if (const ModelPrice* exact = FindExact(name)) {
      return exact;
    }
  }
  return FindLongestPrefix(name);
}

bool IsLocalProviderKind(std::string_view kind) {
  return kind == "ollama" || kind == "lmstudio" || kind == "vllm" || kind == "echo";
}

std::span<const ModelPrice> PriceCatalog() {
  return kCatalog;
}

}  // namespace baton

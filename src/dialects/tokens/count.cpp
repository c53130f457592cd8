#include "dialects/tokens/count.hpp"

#include <cmath>
#include <string>

#include <boost/json.hpp>

namespace baton::tokens {
namespace {

namespace json = boost::json;

// OpenAI's chat framing (its cookbook "How to count tokens with tiktoken", which matches the
// usage the API reports): every message is wrapped in 3 tokens and its role is encoded; the reply
// is primed with 3 more.
constexpr int64_t kPerMessage = 3;
constexpr int64_t kReplyPriming = 3;
// A tool call in an assistant turn: its name and arguments plus a little framing. OpenAI does
// not document this; 3 is the per-message figure and an estimate.
constexpr int64_t kPerToolCall = 3;
// Function definitions, per the same cookbook (its measured constants): 7 tokens per function for
// o200k models (10 for cl100k ones), 3 to open the properties, 3 per property, 3 per enum item
// (-3 once per enum), 12 after all functions.
constexpr int64_t kFuncInitO200k = 7;
constexpr int64_t kFuncInitCl100k = 10;
constexpr int64_t kPropInit = 3;
constexpr int64_t kPropKey = 3;
constexpr int64_t kEnumInit = -3;
constexpr int64_t kEnumItem = 3;
constexpr int64_t kFuncEnd = 12;

struct Tally {
  int64_t text = 0;    // tokens counted with the BPE
  int64_t images = 0;  // number of images (priced per family by the caller)
};

class Counter {
 public:
  explicit Counter(Encoding e) : e_(e) {}

  int64_t Text(std::string_view s) const { return static_cast<int64_t>(CountTokens(e_, s)); }

  void Parts(const std::vector<canon::Part>& parts, Tally& t) const {
    for (const canon::Part& p : parts) {
      switch (p.type) {
        case canon::Part::Type::kText:
          t.text += Text(p.text);
          break;
        case canon::Part::Type::kImage:
          ++t.images;
          break;
        case canon::Part::Type::kToolCall:
          t.text += kPerToolCall + Text(p.name) + Text(p.arguments);
          break;
        case canon::Part::Type::kToolResult:
          // Its own message on OpenAI's wire: {"role":"tool","content":...}.
          t.text += kPerMessage + Text("tool");
          Parts(p.content, t);
          break;
        case canon::Part::Type::kThinking:
        case canon::Part::Type::kRedactedThinking:
          // Reasoning of earlier turns is not part of the prompt the model reads (OpenAI drops
          // it; Anthropic strips earlier turns' thinking blocks from the context).
          break;
      }
    }
  }

  int64_t Tools(const std::vector<canon::Tool>& tools) const {
    if (tools.empty()) {
      return 0;
    }
    int64_t n = kFuncEnd;
    for (const canon::Tool& tool : tools) {
      n += (e_ == Encoding::kCl100k ? kFuncInitCl100k : kFuncInitO200k);
      n += Text(tool.name + ":" + tool.description);
      if (!tool.parameters.empty()) {
        n += Parameters(tool.parameters);
      }
    }
    return n;
  }

 private:
  static std::string_view StringField(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : "";
  }

  // Top-level properties as the cookbook counts them ("name:type:description" and enum items);
  // anything else in a property (nested properties, items, formats) is counted as its JSON text,
  // an overestimate that errs on the safe side for budgets.
  int64_t Parameters(std::string_view schema_text) const {
    boost::system::error_code ec;
    json::value schema = json::parse(schema_text, ec);
    if (ec || !schema.is_object()) {
      return Text(schema_text);
    }
    const json::value* props = schema.get_object().if_contains("properties");
    if (props == nullptr || !props->is_object() || props->get_object().empty()) {
      return 0;
    }
    int64_t n = kPropInit;
    for (const auto& [key, value] : props->get_object()) {
      n += kPropKey;
      if (!value.is_object()) {
        n += Text(key);
        continue;
      }
      const json::object& field = value.get_object();
      std::string_view desc = StringField(field, "description");
      if (!desc.empty() && desc.back() == '.') {
        desc.remove_suffix(1);
      }
      std::string line(key);
      line.append(":").append(StringField(field, "type")).append(":").append(desc);
      n += Text(line);
      for (const auto& [fk, fv] : field) {
        if (fk == "type" || fk == "description") {
          continue;
        }
        if (fk == "enum" && fv.is_array()) {
          n += kEnumInit;
          for (const json::value& item : fv.get_array()) {
            n += kEnumItem +
                 (item.is_string() ? Text(item.get_string()) : Text(json::serialize(item)));
          }
          continue;
        }
        n += Text(fk) + Text(json::serialize(fv));
      }
    }
    return n;
  }

  Encoding e_;
};

Tally CountWith(const canon::Request& r, Encoding e) {
  Counter c(e);
  Tally t;
  t.text = kReplyPriming;
  if (!r.system.empty()) {
    t.text += kPerMessage + c.Text("system");
    c.Parts(r.system, t);
  }
  for (const canon::Message& m : r.messages) {
    bool only_tool_results = !m.parts.empty();
    for (const canon::Part& p : m.parts) {
      if (p.type != canon::Part::Type::kToolResult) {
        only_tool_results = false;
      }
    }
    if (!only_tool_results) {  // tool results are messages of their own
      t.text += kPerMessage + c.Text(m.role == canon::Role::kUser ? "user" : "assistant");
    }
    c.Parts(m.parts, t);
  }
  t.text += c.Tools(r.tools);
  if (r.response_format == canon::Request::Format::kJsonSchema) {
    t.text += c.Text(r.response_schema_name) + c.Text(r.response_schema);
  }
  return t;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (x != b[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Family FamilyFromName(std::string_view name) {
  for (std::string_view n : {"openai", "openai-responses", "azure"}) {
    if (EqualsNoCase(name, n)) {
      return Family::kOpenAi;
    }
  }
  for (std::string_view n : {"anthropic", "claude", "bedrock"}) {
    if (EqualsNoCase(name, n)) {
      return Family::kAnthropic;
    }
  }
  for (std::string_view n : {"gemini", "google", "vertex"}) {
    if (EqualsNoCase(name, n)) {
      return Family::kGemini;
    }
  }
  for (std::string_view n : {"ollama", "llama", "meta"}) {
    if (EqualsNoCase(name, n)) {
      return Family::kLlama;
    }
  }
  return Family::kOther;
}

int64_t CountOpenAiChatTokens(const canon::Request& request, Encoding e) {
  Tally t = CountWith(request, e);
  return t.text + (t.images * kOpenAiImageTokens);
}

int64_t CountRequestTokens(const canon::Request& request, std::string_view upstream_family) {
  Family f = FamilyFromName(upstream_family);
  if (f == Family::kOpenAi) {
    return CountOpenAiChatTokens(request, EncodingForModel(request.model));
  }
  Tally t = CountWith(request, Encoding::kO200k);
  double factor = kOtherFactor;
  int64_t per_image = kOtherImageTokens;
  int64_t extra = 0;
  switch (f) {
    case Family::kAnthropic: {
      factor = kClaudeFactor;
      per_image = kClaudeImageTokens;
      if (!request.tools.empty()) {
        using Mode = canon::ToolChoice::Mode;
        Mode m = request.tool_choice.mode;
        extra =
            (m == Mode::kAny || m == Mode::kTool) ? kClaudeToolPromptForced : kClaudeToolPromptAuto;
      }
      break;
    }
    case Family::kGemini:
      factor = kGeminiFactor;
      per_image = kGeminiImageTokens;
      break;
    case Family::kLlama:
      factor = kLlamaFactor;
      break;
    case Family::kOpenAi:
    case Family::kOther:
      break;
  }
  return static_cast<int64_t>(std::ceil(static_cast<double>(t.text) * factor)) +
         (t.images * per_image) + extra;
}

}  // namespace baton::tokens

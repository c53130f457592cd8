// Google Benchmark micro-benchmarks of the translators (issue 3): for each client → upstream
// direction, requests translated per second (parse the client's body into the canonical form,
// render it in the upstream's dialect), responses translated per second, and stream events
// translated per second (decode a recorded upstream stream, encode it for the client).
// Inputs are the recorded bodies under tests/golden (real provider captures).
// Run: build/baton_bench_translate [--benchmark_filter=...]
#include <filesystem>
#include <fstream>
#include <sstream>

#include <benchmark/benchmark.h>

#include "dialects/canonical.hpp"
#include "dialects/tokens/bpe.hpp"

namespace {

using baton::canon::CodecFor;
using baton::canon::Dialect;

std::string Read(const std::string& rel) {
  std::ifstream in(std::filesystem::path(BATON_SOURCE_DIR) / rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A typical agent turn: system prompt, a few turns, two tools, a tool call and its result.
const char* kOpenAiRequest = R"({"model":"gpt-4o","max_tokens":1024,"stream":true,
"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},
{"role":"user","content":"What is the weather in Paris and in Berlin?"},
{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Berlin\"}"}}]},
{"role":"tool","tool_call_id":"call_1","content":"18C sunny"},{"role":"tool","tool_call_id":"call_2","content":"12C rain"},
{"role":"user","content":"Thanks. And tomorrow?"}],
"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
{"type":"function","function":{"name":"get_time","description":"Local time","parameters":{"type":"object","properties":{"tz":{"type":"string"}}}}}]})";

const char* kAnthropicRequest = R"({"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,
"system":[{"type":"text","text":"You are a helpful assistant. Answer briefly.","cache_control":{"type":"ephemeral"}}],
"messages":[{"role":"user","content":"What is the weather in Paris and in Berlin?"},
{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Berlin"}}]},
{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C sunny"},{"type":"tool_result","tool_use_id":"toolu_2","content":"12C rain"},{"type":"text","text":"Thanks. And tomorrow?"}]}],
"tools":[{"name":"get_weather","description":"Weather in a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
{"name":"get_time","description":"Local time","input_schema":{"type":"object","properties":{"tz":{"type":"string"}}}}]})";

void TranslateRequest(benchmark::State& state, Dialect from, Dialect to, const char* body) {
  const auto& f = CodecFor(from);
  const auto& t = CodecFor(to);
  if (f.parse_request == nullptr || t.render_request == nullptr) {
    state.SkipWithError("codec missing");
    return;
  }
  std::string_view in(body);
  for (auto _ : state) {
    auto req = f.parse_request(in);
    std::string out = t.render_request(*req, "upstream-model");
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}

void TranslateStream(benchmark::State& state, Dialect upstream, Dialect client,
                     const char* fixture) {
  const auto& u = CodecFor(upstream);
  const auto& c = CodecFor(client);
  if (u.make_decoder == nullptr || c.make_encoder == nullptr) {
    state.SkipWithError("codec missing");
    return;
  }
  std::string body = Read(fixture);
  if (body.empty()) {
    state.SkipWithError("fixture missing");
    return;
  }
  baton::canon::Request request;
  request.model = "m";
  request.stream = true;
  std::size_t events = 0;
  baton::canon::StreamEvents evs;
  std::string out;
  for (auto _ : state) {
    auto decoder = u.make_decoder();
    auto encoder = c.make_encoder(request);
    out.clear();
    decoder->Feed(body, evs);
    decoder->Finish(evs);
    for (const auto& ev : evs) {
      encoder->Encode(ev, out);
    }
    events += evs.size();
    evs.clear();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));  // items = stream events
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void TranslateResponse(benchmark::State& state, Dialect upstream, Dialect client,
                       const char* fixture) {
  const auto& u = CodecFor(upstream);
  const auto& c = CodecFor(client);
  if (u.parse_response == nullptr || c.render_response == nullptr) {
    state.SkipWithError("codec missing");
    return;
  }
  std::string body = Read(fixture);
  baton::canon::Request request;
  request.model = "m";
  for (auto _ : state) {
    auto resp = u.parse_response(body);
    std::string out = c.render_response(*resp, request);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

constexpr const char* kOpenAiStream = "tests/fixtures/openai/parallel_tools_weather_stock.sse";
constexpr const char* kOpenAiLongStream = "tests/fixtures/openai/json_text_long_stream.sse";
constexpr const char* kOpenAiJson = "tests/fixtures/openai/json_tool_get_weather_args.json";

BENCHMARK_CAPTURE(TranslateRequest, anthropic_to_openai, Dialect::kAnthropic, Dialect::kOpenAiChat,
                  kAnthropicRequest);
BENCHMARK_CAPTURE(TranslateRequest, openai_to_anthropic, Dialect::kOpenAiChat, Dialect::kAnthropic,
                  kOpenAiRequest);
BENCHMARK_CAPTURE(TranslateRequest, openai_to_gemini, Dialect::kOpenAiChat, Dialect::kGemini,
                  kOpenAiRequest);
BENCHMARK_CAPTURE(TranslateRequest, openai_to_ollama, Dialect::kOpenAiChat, Dialect::kOllama,
                  kOpenAiRequest);
BENCHMARK_CAPTURE(TranslateRequest, openai_to_bedrock, Dialect::kOpenAiChat, Dialect::kBedrock,
                  kOpenAiRequest);
BENCHMARK_CAPTURE(TranslateStream, openai_to_anthropic_tools, Dialect::kOpenAiChat,
                  Dialect::kAnthropic, kOpenAiStream);
BENCHMARK_CAPTURE(TranslateStream, openai_to_anthropic_text, Dialect::kOpenAiChat,
                  Dialect::kAnthropic, kOpenAiLongStream);
BENCHMARK_CAPTURE(TranslateStream, openai_to_responses_text, Dialect::kOpenAiChat,
                  Dialect::kOpenAiResponses, kOpenAiLongStream);
BENCHMARK_CAPTURE(TranslateStream, openai_to_gemini_text, Dialect::kOpenAiChat, Dialect::kGemini,
                  kOpenAiLongStream);
BENCHMARK_CAPTURE(TranslateStream, anthropic_to_openai, Dialect::kAnthropic, Dialect::kOpenAiChat,
                  "tests/fixtures/anthropic/tool_use_response.sse");
BENCHMARK_CAPTURE(TranslateStream, gemini_to_openai, Dialect::kGemini, Dialect::kOpenAiChat,
                  "tests/fixtures/gemini/count_one_two_three.sse");
BENCHMARK_CAPTURE(TranslateStream, ollama_to_openai, Dialect::kOllama, Dialect::kOpenAiChat,
                  "tests/fixtures/ollama/joke_stream.ndjson");
BENCHMARK_CAPTURE(TranslateResponse, openai_to_anthropic, Dialect::kOpenAiChat, Dialect::kAnthropic,
                  kOpenAiJson);

// Tokenizer throughput on English text (bytes/s), the table loaded beforehand.
void BpeEncode(benchmark::State& state, baton::tokens::Encoding e) {
  std::string text = Read("README.md");
  for (int i = 0; i < 3; ++i) {
    text += text;
  }
  baton::tokens::CountTokens(e, "warm up");  // loads the rank table
  for (auto _ : state) {
    benchmark::DoNotOptimize(baton::tokens::CountTokens(e, text));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK_CAPTURE(BpeEncode, o200k, baton::tokens::Encoding::kO200k);
BENCHMARK_CAPTURE(BpeEncode, cl100k, baton::tokens::Encoding::kCl100k);

}  // namespace

BENCHMARK_MAIN();

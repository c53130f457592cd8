// What [signing] adds (docs/signing.md): per non-streamed answer, SignJsonBody (insert the request
// id, one HMAC-SHA256 over the body, insert the signature); per streamed event, StreamSigner::Feed
// (split, one chained HMAC, insert x_signature); per stream, the fixed cost (sig_0 and the terminal
// event). Also the verifier's cost, for `baton verify` on large saved streams. Without [signing]
// none of this runs (Api::Handle checks one string for emptiness).
#include <string>

#include <benchmark/benchmark.h>

#include "api/signing.hpp"

namespace baton {
namespace {

constexpr std::string_view kSecret = "bench-signing-secret-0123456789abcdef";
constexpr std::string_view kRid = "req_0123456789abcdef";

// An OpenAI chat.completion of about `size` bytes (the content padded).
std::string Completion(std::size_t size) {
  std::string head =
      R"({"id":"chatcmpl-abc123","object":"chat.completion","created":1764547200,)"
      R"("model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",)"
      R"("content":")";
  std::string tail =
      R"("},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":120,)"
      R"("completion_tokens":40,"total_tokens":160},"system_fingerprint":"fp_0123456789"})";
  std::size_t pad = size > head.size() + tail.size() ? size - head.size() - tail.size() : 1;
  std::string content;
  while (content.size() < pad) {
    content += "lorem ipsum ";
  }
  content.resize(pad);
  return head + content + tail;
}

// One typical OpenAI stream chunk (~230 bytes on the wire).
constexpr std::string_view kChunk =
    "data: {\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion.chunk\",\"created\":1764547200,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0123456789\",\"choices\":[{"
    "\"index\":0,\"delta\":{\"content\":\" word\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";

void BM_HmacSha256Hex(benchmark::State& state) {
  const std::string message(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    std::string sig = HmacSha256Hex(kSecret, message);
    benchmark::DoNotOptimize(sig);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_HmacSha256Hex)->Arg(64)->Arg(1024)->Arg(16384);

// Per non-streamed answer.
void BM_SignJsonBody(benchmark::State& state) {
  const std::string body = Completion(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    SignedBody s = SignJsonBody(kSecret, kRid, body);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_SignJsonBody)->Arg(600)->Arg(4096)->Arg(65536);

// Per streamed event: one chunk fed to a long-lived signer, as the relay writes it.
void BM_StreamSignerPerChunk(benchmark::State& state) {
  StreamSigner signer(kSecret, std::string(kRid));
  std::string out;
  for (auto _ : state) {
    out.clear();
    signer.Feed(kChunk, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_StreamSignerPerChunk);

// The same event arriving in three pieces (an upstream's TCP segments): the splitter buffers.
void BM_StreamSignerPerChunkSplit(benchmark::State& state) {
  StreamSigner signer(kSecret, std::string(kRid));
  std::string out;
  const std::string_view a = kChunk.substr(0, 70);
  const std::string_view b = kChunk.substr(70, 90);
  const std::string_view c = kChunk.substr(160);
  for (auto _ : state) {
    out.clear();
    signer.Feed(a, out);
    signer.Feed(b, out);
    signer.Feed(c, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_StreamSignerPerChunkSplit);

// Per stream: construction (sig_0) and the terminal event.
void BM_StreamSignerFixedCost(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    StreamSigner signer(kSecret, std::string(kRid));
    out.clear();
    signer.Finish(out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_StreamSignerFixedCost);

// `baton verify`: a saved stream of 1000 chunks, per chunk.
void BM_VerifyStreamPerChunk(benchmark::State& state) {
  StreamSigner signer(kSecret, std::string(kRid));
  std::string stream;
  for (int i = 0; i < 1000; ++i) {
    signer.Feed(kChunk, stream);
  }
  signer.Finish(stream);
  for (auto _ : state) {
    VerifyReport r = VerifySignedStream(kSecret, stream);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_VerifyStreamPerChunk);

}  // namespace
}  // namespace baton

BENCHMARK_MAIN();

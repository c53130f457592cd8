// Fuzzes the OpenAI same-dialect fast path (src/dialects/openai_chat/openai_chat.hpp): a body that
// InspectChatRequest accepts is forwarded through RewriteChatRequest.
// Input: byte 0 bit 0 = streaming; the rest is the request body.
// Invariants: an accepted body is a JSON object with a string model and an array messages (what
// Inspect promises); the rewritten body is valid JSON whose model (as a JSON parser reads it: the
// last duplicate wins) is the upstream model and, when streaming, whose
// stream_options.include_usage is true; the other members are unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialects/openai_chat/openai_chat.hpp"
#include "fuzz_util.hpp"

namespace json = boost::json;
using baton::fuzz::ParseJson;
using baton::fuzz::Shorten;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const bool streaming = (data[0] & 1) != 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto info = baton::openai::InspectChatRequest(body);
  if (!info) {
    return 0;
  }
  json::value in;
  BATON_FUZZ_CHECK(ParseJson(body, &in) && in.is_object(), "accepted body is not a JSON object");
  const json::object& obj = in.as_object();
  BATON_FUZZ_CHECK(obj.if_contains("model") && obj.at("model").is_string() &&
                       obj.at("model").as_string() == info->model,
                   "model differs from Inspect's: " + info->model);
  BATON_FUZZ_CHECK(obj.if_contains("messages") && obj.at("messages").is_array(),
                   "accepted without a messages array");

  constexpr std::string_view kUpstream = "upstream-model-\"x\"";
  std::string out = baton::openai::RewriteChatRequest(body, kUpstream, streaming);
  json::value v;
  BATON_FUZZ_CHECK(ParseJson(out, &v) && v.is_object(), "rewrite is not JSON: " + Shorten(out));
  const json::object& o = v.as_object();
  BATON_FUZZ_CHECK(o.if_contains("model") && o.at("model") == json::value(kUpstream),
                   "rewritten model is not the upstream's: " + Shorten(out));
  if (streaming) {
    const json::value* so = o.if_contains("stream_options");
    BATON_FUZZ_CHECK(so != nullptr && so->is_object() &&
                         so->as_object().if_contains("include_usage") &&
                         so->as_object().at("include_usage") == json::value(true),
                     "stream_options.include_usage not true: " + Shorten(out));
  }
  for (const auto& kv : obj) {
    if (kv.key() == "model" || (streaming && kv.key() == "stream_options")) {
      continue;
    }
    // As text: boost::json 1.81 reads numbers like 0e999 as NaN, which never equals itself.
    BATON_FUZZ_CHECK(
        o.if_contains(kv.key()) && json::serialize(o.at(kv.key())) == json::serialize(kv.value()),
        "member changed: " + std::string(kv.key()));
  }
  return 0;
}

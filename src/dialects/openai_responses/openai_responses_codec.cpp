// The OpenAI Responses codec table; the entries live in responses_*.cpp. Errors have the same
// shape as in Chat Completions ({"error":{"message","type","param","code"}}).
#include "dialects/canonical.hpp"
#include "dialects/openai_chat/openai_codec.hpp"
#include "dialects/openai_responses/responses_codec.hpp"

namespace baton::canon {

const Codec& OpenAiResponsesCodec() {
  static const Codec codec{
      .dialect = Dialect::kOpenAiResponses,
      .parse_request = &ParseResponsesRequest,
      .render_response = &RenderResponsesResponse,
      .make_encoder = &MakeResponsesEncoder,
      .render_request = &RenderResponsesRequest,
      .parse_response = &ParseResponsesResponse,
      .make_decoder = &MakeResponsesDecoder,
      .render_error = &RenderOpenAiChatError,
      .error_status = &OpenAiChatErrorStatus,
      .parse_error = &ParseOpenAiChatError,
  };
  return codec;
}

}  // namespace baton::canon

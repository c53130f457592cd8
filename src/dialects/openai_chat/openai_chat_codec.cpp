// The OpenAI Chat Completions codec table; the entries live in openai_codec*.cpp.
#include "dialects/canonical.hpp"
#include "dialects/openai_chat/openai_codec.hpp"

namespace baton::canon {

const Codec& OpenAiChatCodec() {
  static const Codec codec{
      .dialect = Dialect::kOpenAiChat,
      .parse_request = &ParseOpenAiChatRequest,
      .render_response = &RenderOpenAiChatResponse,
      .make_encoder = &MakeOpenAiChatEncoder,
      .render_request = &RenderOpenAiChatRequest,
      .parse_response = &ParseOpenAiChatResponse,
      .make_decoder = &MakeOpenAiChatDecoder,
      .render_error = &RenderOpenAiChatError,
      .error_status = &OpenAiChatErrorStatus,
      .parse_error = &ParseOpenAiChatError,
  };
  return codec;
}

}  // namespace baton::canon

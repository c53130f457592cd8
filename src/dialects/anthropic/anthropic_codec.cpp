// The Anthropic Messages codec table (functions in anthropic.hpp).
#include "dialects/anthropic/anthropic.hpp"
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& AnthropicCodec() {
  static const Codec codec{
      .dialect = Dialect::kAnthropic,
      .parse_request = &anthropic::ParseRequest,
      .render_response = &anthropic::RenderResponse,
      .make_encoder = &anthropic::MakeStreamEncoder,
      .render_request = &anthropic::RenderRequest,
      .parse_response = &anthropic::ParseResponse,
      .make_decoder = &anthropic::MakeStreamDecoder,
      .render_error = &anthropic::RenderError,
      .error_status = &anthropic::ErrorStatus,
      .parse_error = &anthropic::ParseError,
  };
  return codec;
}

}  // namespace baton::canon

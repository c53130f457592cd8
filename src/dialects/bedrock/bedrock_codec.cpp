// The Bedrock codec table: upstream directions only (Bedrock is never a client dialect).
#include "dialects/bedrock/bedrock.hpp"

namespace baton::canon {

const Codec& BedrockCodec() {
  static const Codec kCodec{
      .dialect = Dialect::kBedrock,
      .render_request = bedrock::RenderRequest,
      .parse_response = bedrock::ParseResponse,
      .make_decoder = bedrock::MakeStreamDecoder,
      .render_error = bedrock::RenderError,
      .error_status = bedrock::ErrorStatus,
      .parse_error = bedrock::ParseError,
  };
  return kCodec;
}

}  // namespace baton::canon

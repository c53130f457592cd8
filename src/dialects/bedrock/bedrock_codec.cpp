// The Bedrock codec table: upstream directions only (Bedrock is never a client dialect).
#include "dialects/bedrock/bedrock.hpp"

namespace baton::canon {

// Declared where the registry uses it (canonical.cpp), like every dialect's table.
const Codec& BedrockCodec() {  // NOLINT(misc-use-internal-linkage)
  static const Codec codec{
      .dialect = Dialect::kBedrock,
      .render_request = bedrock::RenderRequest,
      .parse_response = bedrock::ParseResponse,
      .make_decoder = bedrock::MakeStreamDecoder,
      .render_error = bedrock::RenderError,
      .error_status = bedrock::ErrorStatus,
      .parse_error = bedrock::ParseError,
  };
  return codec;
}

}  // namespace baton::canon

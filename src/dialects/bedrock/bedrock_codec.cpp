// Placeholder codec table: the bedrock translator fills it in.
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& BedrockCodec() {
  static const Codec kCodec{Dialect::kBedrock};
  return kCodec;
}

}  // namespace baton::canon

// Placeholder codec table: the gemini translator fills it in.
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& GeminiCodec() {
  static const Codec kCodec{Dialect::kGemini};
  return kCodec;
}

}  // namespace baton::canon

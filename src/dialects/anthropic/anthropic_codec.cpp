// Placeholder codec table: the anthropic translator fills it in.
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& AnthropicCodec() {
  static const Codec kCodec{Dialect::kAnthropic};
  return kCodec;
}

}  // namespace baton::canon

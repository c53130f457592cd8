// Placeholder codec table: the openai_chat translator fills it in.
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& OpenAiChatCodec() {
  static const Codec kCodec{Dialect::kOpenAiChat};
  return kCodec;
}

}  // namespace baton::canon

// Placeholder codec table: the openai_responses translator fills it in.
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& OpenAiResponsesCodec() {
  static const Codec kCodec{Dialect::kOpenAiResponses};
  return kCodec;
}

}  // namespace baton::canon

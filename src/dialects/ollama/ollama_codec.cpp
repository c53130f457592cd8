// Placeholder codec table: the ollama translator fills it in.
#include "dialects/canonical.hpp"

namespace baton::canon {

const Codec& OllamaCodec() {
  static const Codec kCodec{Dialect::kOllama};
  return kCodec;
}

}  // namespace baton::canon

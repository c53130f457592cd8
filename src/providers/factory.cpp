#include <stdexcept>

#include "providers/echo.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/provider.hpp"

namespace baton {

std::unique_ptr<Provider> MakeProvider(const ProviderConfig& config) {
  if (config.dialect == "echo" || config.kind == "echo") {
    return std::make_unique<EchoProvider>(config);
  }
  // Anthropic and Gemini are reached through their OpenAI-compatible endpoints until their
  // native dialects are implemented; everything else speaks OpenAI natively.
  if (config.dialect == "openai" || config.kind == "anthropic" || config.kind == "gemini") {
    return std::make_unique<OpenAiCompatibleProvider>(config);
  }
  throw std::runtime_error("provider \"" + config.name + "\": kind \"" + config.kind +
                           "\" is not supported yet");
}

}  // namespace baton

#include <stdexcept>

#include "providers/bedrock.hpp"
#include "providers/echo.hpp"
#include "providers/native.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/provider.hpp"

namespace baton {

std::unique_ptr<Provider> MakeProvider(const ProviderConfig& config) {
  if (config.dialect == "echo" || config.kind == "echo") {
    return std::make_unique<EchoProvider>(config);
  }
  if (config.kind == "azure") {
    return std::make_unique<AzureProvider>(config);
  }
  if (config.dialect == "openai") {
    return std::make_unique<OpenAiCompatibleProvider>(config);
  }
  if (config.dialect == "anthropic") {
    return std::make_unique<AnthropicProvider>(config);
  }
  if (config.dialect == "gemini") {
    return std::make_unique<GeminiProvider>(config);
  }
  if (config.dialect == "bedrock") {
    return std::make_unique<BedrockProvider>(config);
  }
  if (config.dialect == "ollama") {
    return std::make_unique<OllamaProvider>(config);
  }
  throw std::runtime_error("provider \"" + config.name + "\": kind \"" + config.kind +
                           "\" is not supported yet");
}

}  // namespace baton

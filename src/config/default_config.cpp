// The embedded default configuration: what `baton serve` (and `make run`) uses when no --config is
// given and ~/.config/baton/baton.toml does not exist. It must load with no environment at all,
// so every provider that needs a key or a local server degrades to "unavailable", never an error.
#include "config/config.hpp"

namespace baton {

namespace {

constexpr std::string_view kDefaultConfigToml = R"toml(# Baton's built-in default configuration.
#
# Used when no --config is given and ~/.config/baton/baton.toml does not exist. Copy it there
# (or start from src/config/baton.example.toml, which shows every key) to change anything.

[server]
# Loopback only: this config sets no master key, so anyone who can reach the port may use it.
# Before binding to another address, set master_key (e.g. "os.environ/BATON_MASTER_KEY").
host = "127.0.0.1"
port = 4000

# A built-in local provider that answers with a deterministic echo of the request: no key, no
# network. It serves the "demo" model below, so the gateway answers its first request at once.
[providers.echo]
kind = "echo"

# OpenAI (https://api.openai.com/v1). Available as soon as OPENAI_API_KEY is set in the
# environment; until then it is listed as unavailable. Ask for e.g. "openai/gpt-4o-mini".
[providers.openai]
kind = "openai"

# Anthropic (https://api.anthropic.com/v1). Available as soon as ANTHROPIC_API_KEY is set.
# Ask for e.g. "anthropic/claude-3-5-haiku-latest".
[providers.anthropic]
kind = "anthropic"

# A local Ollama, through its OpenAI-compatible API at http://127.0.0.1:11434/v1. Needs no key;
# it serves requests once Ollama answers on localhost:11434. Ask for e.g. "ollama/llama3.2".
[providers.ollama]
kind = "ollama"

# Aliases clients can ask for by name; deployments are tried in order.
[models.demo]
deployments = ["echo/demo"]
)toml";

}  // namespace

std::string_view DefaultConfigToml() {
  return kDefaultConfigToml;
}

}  // namespace baton

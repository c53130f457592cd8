#include "config/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/scoped_env_test_support.hpp"

namespace baton {
namespace {

using std::chrono::milliseconds;

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("baton_config_test_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) const {
    std::filesystem::path p = path_ / name;
    std::ofstream(p) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// Loads `text` expecting a ConfigError; returns it.
ConfigError LoadError(const std::string& text) {
  try {
    LoadConfigString(text, "baton.toml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return ConfigError("", 0, "", "");
}

constexpr const char* kIssueExample = R"toml(
[server]
host = "127.0.0.1"
port = 4000
master_key = "os.environ/BATON_MASTER_KEY"   # optional; absent = open, local use only

[providers.mock]                  # the name used in "provider/model" ids
kind = "openai-compatible"
base_url = "http://127.0.0.1:9001/v1"
api_key = "os.environ/MOCK_KEY"   # optional; literal strings allowed too

[models.demo]                     # an alias clients can ask for
deployments = ["mock/mock-gpt"]   # priority order
)toml";

TEST(ConfigErrorTest, WhatNamesFileLineKey) {
  EXPECT_STREQ(ConfigError("baton.toml", 7, "providers.mock.kind", "bad").what(),
               "baton.toml:7: providers.mock.kind: bad");
  EXPECT_STREQ(ConfigError("baton.toml", 0, "server.port", "bad").what(),
               "baton.toml: server.port: bad");
  EXPECT_STREQ(ConfigError("baton.toml", 3, "", "bad").what(), "baton.toml:3: bad");
  ConfigError e("f", 2, "k", "m");
  EXPECT_EQ(e.file(), "f");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.key(), "k");
}

TEST(ConfigTest, IssueExampleLoads) {
  ScopedEnv master("BATON_MASTER_KEY", "sk-master-123");
  ScopedEnv mock("MOCK_KEY", "mock-secret");
  Config config = LoadConfigString(kIssueExample, "baton.toml");
  EXPECT_EQ(config.source, "baton.toml");
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.server.port, 4000);
  EXPECT_TRUE(config.server.master_key_configured);
  EXPECT_EQ(config.server.master_key, "sk-master-123");
  EXPECT_TRUE(config.server.master_key_unset_reason.empty());
  ASSERT_EQ(config.providers.size(), 1u);
  const ProviderConfig& mock_provider = config.providers[0];
  EXPECT_EQ(mock_provider.name, "mock");
  EXPECT_EQ(mock_provider.kind, "openai-compatible");
  EXPECT_EQ(mock_provider.dialect, "openai");
  EXPECT_EQ(mock_provider.base_url, "http://127.0.0.1:9001/v1");
  EXPECT_EQ(mock_provider.api_key, "mock-secret");
  EXPECT_EQ(mock_provider.api_key_ref, "os.environ/MOCK_KEY");
  EXPECT_TRUE(mock_provider.available);
  ASSERT_EQ(config.models.size(), 1u);
  EXPECT_EQ(config.models[0].name, "demo");
  ASSERT_EQ(config.models[0].deployments.size(), 1U);
  EXPECT_EQ(config.models[0].deployments[0].target, "mock/mock-gpt");
  EXPECT_EQ(config.FindProvider("mock"), &config.providers[0]);
  EXPECT_EQ(config.FindProvider("nope"), nullptr);
  EXPECT_EQ(config.FindAlias("demo"), &config.models[0]);
  EXPECT_EQ(config.FindAlias("mock/mock-gpt"), nullptr);
}

TEST(ConfigTest, UnsetKeysAreNotErrors) {
  ScopedEnv master("BATON_MASTER_KEY", nullptr);
  ScopedEnv mock("MOCK_KEY", nullptr);
  Config config = LoadConfigString(kIssueExample, "baton.toml");
  EXPECT_TRUE(config.server.master_key_configured);
  EXPECT_EQ(config.server.master_key, "");
  EXPECT_EQ(config.server.master_key_unset_reason, "BATON_MASTER_KEY is not set");
  EXPECT_FALSE(config.providers[0].available);
  EXPECT_EQ(config.providers[0].unavailable_reason, "MOCK_KEY is not set");
  EXPECT_EQ(config.providers[0].api_key, "");
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  Config config = LoadConfigString("", "empty.toml");
  ServerConfig defaults;
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.server.port, 4000);
  EXPECT_FALSE(config.server.master_key_configured);
  EXPECT_EQ(config.server.master_key, "");
  EXPECT_EQ(config.server.threads, 0);
  EXPECT_EQ(config.server.max_body_bytes, 32u << 20);
  EXPECT_EQ(config.server.max_header_bytes, 64u << 10);
  EXPECT_EQ(config.server.read_timeout, defaults.read_timeout);
  EXPECT_EQ(config.server.request_timeout, milliseconds(600'000));
  EXPECT_TRUE(config.providers.empty());
  EXPECT_TRUE(config.models.empty());
}

TEST(ConfigTest, ServerKeysAllForms) {
  Config config = LoadConfigString(R"toml(
[server]
host = "0.0.0.0"
port = 0
master_key = "literal-master"
threads = 3
max_body_bytes = "1MB"
max_header_bytes = 8192
read_timeout = "500ms"
idle_timeout = 2000
write_timeout = "2m"
drain_timeout = 0
request_timeout = "1m30s"
)toml",
                                   "baton.toml");
  EXPECT_EQ(config.server.host, "0.0.0.0");
  EXPECT_EQ(config.server.port, 0);
  EXPECT_EQ(config.server.master_key, "literal-master");
  EXPECT_TRUE(config.server.master_key_configured);
  EXPECT_EQ(config.server.threads, 3);
  EXPECT_EQ(config.server.max_body_bytes, 1'000'000u);
  EXPECT_EQ(config.server.max_header_bytes, 8192u);
  EXPECT_EQ(config.server.read_timeout, milliseconds(500));
  EXPECT_EQ(config.server.idle_timeout, milliseconds(2000));
  EXPECT_EQ(config.server.write_timeout, milliseconds(120'000));
  EXPECT_EQ(config.server.drain_timeout, milliseconds(0));
  EXPECT_EQ(config.server.request_timeout, milliseconds(90'000));
}

TEST(ConfigTest, ProvidersAndModelsKeepFileOrder) {
  Config config = LoadConfigString(R"toml(
[providers.zeta]
kind = "echo"
[providers.alpha]
kind = "echo"
[providers.mid]
kind = "echo"
[models.z]
deployments = ["zeta/a"]
[models.a]
deployments = ["alpha/b", "mid/c", "zeta/d"]
)toml",
                                   "baton.toml");
  ASSERT_EQ(config.providers.size(), 3u);
  EXPECT_EQ(config.providers[0].name, "zeta");
  EXPECT_EQ(config.providers[1].name, "alpha");
  EXPECT_EQ(config.providers[2].name, "mid");
  ASSERT_EQ(config.models.size(), 2u);
  EXPECT_EQ(config.models[0].name, "z");
  EXPECT_EQ(config.models[1].name, "a");
  ASSERT_EQ(config.models[1].deployments.size(), 3U);
  EXPECT_EQ(config.models[1].deployments[0].target, "alpha/b");
  EXPECT_EQ(config.models[1].deployments[1].target, "mid/c");
  EXPECT_EQ(config.models[1].deployments[2].target, "zeta/d");
}

TEST(ConfigTest, ProviderKeysAllForms) {
  ScopedEnv token("BATON_TEST_HEADER_TOKEN", "tok");
  TempDir dir;
  dir.Write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  Config config = LoadConfigString(R"toml(
[providers.mock]
kind = "openai-compatible"
base_url = "https://example.com:8443/v1//"
api_key = "sk-literal"
headers = { "X-Team" = "research", "X-Token" = "env:BATON_TEST_HEADER_TOKEN" }
ca_file = "ca.pem"
connect_timeout = "1s"
first_byte_timeout = 2500
idle_timeout = "1.5s"
models = ["a", "b/c"]

[models."gpt-4.1:cheap"]
deployments = ["mock/b/c"]
)toml",
                                   "baton.toml", dir.path());
  const ProviderConfig& p = config.providers.at(0);
  EXPECT_EQ(p.base_url, "https://example.com:8443/v1");
  EXPECT_EQ(p.api_key, "sk-literal");
  EXPECT_EQ(p.api_key_ref, "<literal>");
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers[0], (std::pair<std::string, std::string>{"X-Team", "research"}));
  EXPECT_EQ(p.headers[1], (std::pair<std::string, std::string>{"X-Token", "tok"}));
  EXPECT_EQ(p.ca_file, (std::filesystem::path(dir.path()) / "ca.pem").string());
  EXPECT_EQ(p.timeouts.connect, milliseconds(1000));
  EXPECT_EQ(p.timeouts.first_byte, milliseconds(2500));
  EXPECT_EQ(p.timeouts.idle, milliseconds(1500));
  EXPECT_EQ(p.models, (std::vector<std::string>{"a", "b/c"}));
  EXPECT_TRUE(p.available);
  ASSERT_NE(config.FindAlias("gpt-4.1:cheap"), nullptr);
  EXPECT_EQ(config.FindAlias("gpt-4.1:cheap")->deployments[0].target, "mock/b/c");
}

TEST(ConfigTest, ProviderDefaults) {
  Config config = LoadConfigString("[providers.e]\nkind = \"echo\"\n", "baton.toml");
  const ProviderConfig& p = config.providers.at(0);
  EXPECT_EQ(p.dialect, "echo");
  EXPECT_EQ(p.base_url, "");
  EXPECT_EQ(p.api_key, "");
  EXPECT_EQ(p.api_key_ref, "");
  EXPECT_TRUE(p.available);
  EXPECT_EQ(p.timeouts.connect, milliseconds(5000));
  EXPECT_EQ(p.timeouts.first_byte, milliseconds(120'000));
  EXPECT_EQ(p.timeouts.idle, milliseconds(60'000));
}

TEST(ConfigTest, UnsetHeaderVariableMakesProviderUnavailable) {
  ScopedEnv token("BATON_TEST_HEADER_TOKEN", nullptr);
  Config config = LoadConfigString(R"toml(
[providers.mock]
kind = "openai-compatible"
base_url = "http://h/v1"
headers = { "X-Token" = "os.environ/BATON_TEST_HEADER_TOKEN" }
)toml",
                                   "baton.toml");
  EXPECT_FALSE(config.providers[0].available);
  EXPECT_EQ(config.providers[0].unavailable_reason, "BATON_TEST_HEADER_TOKEN is not set");
}

// --- presets and kinds ---

TEST(ConfigTest, PresetTable) {
  struct Expected {
    const char* kind;
    const char* base_url;
    const char* key_env;
  };
  const Expected expected[] = {
      {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY"},
      {"groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"},
      {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"},
      {"mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"},
      {"together", "https://api.together.xyz/v1", "TOGETHER_API_KEY"},
      {"fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"},
      {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
      {"perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY"},
      {"xai", "https://api.x.ai/v1", "XAI_API_KEY"},
      {"cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"},
      {"lmstudio", "http://127.0.0.1:1234/v1", ""},
      {"vllm", "http://127.0.0.1:8000/v1", ""},
      {"ollama", "http://127.0.0.1:11434/v1", ""},
  };
  for (const Expected& e : expected) {
    const ProviderPreset* preset = FindPreset(e.kind);
    ASSERT_NE(preset, nullptr) << e.kind;
    EXPECT_EQ(preset->base_url, e.base_url);
    EXPECT_EQ(preset->key_env, e.key_env);
    const ProviderKind* kind = FindProviderKind(e.kind);
    ASSERT_NE(kind, nullptr) << e.kind;
    EXPECT_EQ(kind->dialect, "openai");
    EXPECT_EQ(kind->base_url, e.base_url);
  }
  EXPECT_EQ(FindPreset("openai-compatible"), nullptr);
  EXPECT_EQ(FindPreset("anthropic"), nullptr);
  EXPECT_EQ(FindPreset("echo"), nullptr);
  EXPECT_EQ(FindPreset("opnai"), nullptr);
  EXPECT_EQ(FindProviderKind("anthropic")->dialect, "anthropic");
  EXPECT_EQ(FindProviderKind("gemini")->dialect, "gemini");
  EXPECT_EQ(FindProviderKind("echo")->dialect, "echo");
  EXPECT_EQ(FindProviderKind("azure")->dialect, "openai");
  EXPECT_EQ(FindProviderKind("bedrock")->dialect, "bedrock");
}

TEST(ConfigTest, PresetNeedsOnlyAKey) {
  ScopedEnv groq("GROQ_API_KEY", "gsk-test");
  Config config = LoadConfigString("[providers.g]\nkind = \"groq\"\n", "baton.toml");
  const ProviderConfig& p = config.providers.at(0);
  EXPECT_EQ(p.dialect, "openai");
  EXPECT_EQ(p.base_url, "https://api.groq.com/openai/v1");
  EXPECT_EQ(p.api_key, "gsk-test");
  EXPECT_EQ(p.api_key_ref, "os.environ/GROQ_API_KEY");
  EXPECT_TRUE(p.available);
}

TEST(ConfigTest, PresetWithoutKeyIsUnavailable) {
  ScopedEnv groq("DEEPSEEK_API_KEY", nullptr);
  Config config = LoadConfigString("[providers.d]\nkind = \"deepseek\"\n", "baton.toml");
  EXPECT_FALSE(config.providers[0].available);
  EXPECT_EQ(config.providers[0].unavailable_reason, "DEEPSEEK_API_KEY is not set");
}

TEST(ConfigTest, PresetBaseUrlAndKeyOverridable) {
  ScopedEnv groq("GROQ_API_KEY", nullptr);
  Config config = LoadConfigString(R"toml(
[providers.g]
kind = "groq"
base_url = "http://proxy.local/groq/"
api_key = "literal"
[providers.l]
kind = "lmstudio"
)toml",
                                   "baton.toml");
  EXPECT_EQ(config.providers[0].base_url, "http://proxy.local/groq");
  EXPECT_EQ(config.providers[0].api_key, "literal");
  EXPECT_TRUE(config.providers[0].available);
  EXPECT_EQ(config.providers[1].base_url, "http://127.0.0.1:1234/v1");
  EXPECT_TRUE(config.providers[1].available);
  EXPECT_EQ(config.providers[1].api_key_ref, "");
}

TEST(ConfigTest, KindsDialectsAndDefaults) {
  ScopedEnv anthropic("ANTHROPIC_API_KEY", "ak");
  ScopedEnv gemini("GEMINI_API_KEY", nullptr);
  Config config = LoadConfigString(R"toml(
[providers.a]
kind = "anthropic"
[providers.g]
kind = "gemini"
[providers.o]
kind = "ollama"
[providers.oa]
kind = "openai"
)toml",
                                   "baton.toml");
  EXPECT_EQ(config.providers[0].dialect, "anthropic");
  EXPECT_EQ(config.providers[0].base_url, "https://api.anthropic.com/v1");
  EXPECT_EQ(config.providers[0].api_key, "ak");
  EXPECT_EQ(config.providers[1].dialect, "gemini");
  EXPECT_EQ(config.providers[1].base_url, "https://generativelanguage.googleapis.com/v1beta");
  EXPECT_FALSE(config.providers[1].available);
  EXPECT_EQ(config.providers[1].unavailable_reason, "GEMINI_API_KEY is not set");
  EXPECT_EQ(config.providers[2].dialect, "openai");
  EXPECT_EQ(config.providers[2].base_url, "http://127.0.0.1:11434/v1");
  EXPECT_TRUE(config.providers[2].available);
  EXPECT_EQ(config.providers[3].base_url, "https://api.openai.com/v1");
}

// --- errors ---

TEST(ConfigErrorsTest, BadTomlSyntaxHasLine) {
  ConfigError e = LoadError("[server]\nport = 4000\nhost = \"unterminated\n");
  EXPECT_EQ(e.file(), "baton.toml");
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("baton.toml:3: invalid TOML"), std::string::npos)
      << e.what();
}

TEST(ConfigErrorsTest, DuplicateKeyIsSyntaxError) {
  ConfigError e = LoadError("[server]\nport = 1\nport = 2\n");
  EXPECT_EQ(e.line(), 3);
}

TEST(ConfigErrorsTest, UnknownKeysNamed) {
  ConfigError top = LoadError("[sever]\nport = 1\n");
  EXPECT_EQ(top.key(), "sever");
  EXPECT_EQ(top.line(), 1);
  EXPECT_NE(std::string(top.what()).find("did you mean \"server\""), std::string::npos)
      << top.what();

  ConfigError server = LoadError("[server]\nport = 1\nthread = 2\n");
  EXPECT_EQ(server.key(), "server.thread");
  EXPECT_EQ(server.line(), 3);

  ConfigError provider = LoadError("[providers.p]\nkind = \"echo\"\n\nbse_url = \"http://x\"\n");
  EXPECT_EQ(provider.key(), "providers.p.bse_url");
  EXPECT_EQ(provider.line(), 4);
  EXPECT_NE(std::string(provider.what()).find("did you mean \"base_url\""), std::string::npos);

  ConfigError model = LoadError("[providers.p]\nkind = \"echo\"\n[models.m]\ndeployment = []\n");
  EXPECT_EQ(model.key(), "models.m.deployment");
  EXPECT_EQ(model.line(), 4);
  EXPECT_STREQ(model.what(),
               "baton.toml:4: models.m.deployment: unknown key; did you mean \"deployments\"?");
}

TEST(ConfigErrorsTest, UnquotedDottedModelNameHints) {
  ConfigError e = LoadError(
      "[providers.p]\nkind = \"echo\"\n[models.gpt-4.1]\ndeployments = [\"p/gpt-4.1\"]\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("[models.\"gpt-4.1\"]"), std::string::npos) << e.what();
}

TEST(ConfigErrorsTest, UnknownKind) {
  ConfigError e =
      LoadError("[server]\nport = 4000\n\n# a comment\n\n[providers.mock]\nkind = \"opnai\"\n");
  EXPECT_EQ(e.line(), 7);
  EXPECT_EQ(e.key(), "providers.mock.kind");
  EXPECT_EQ(std::string(e.what()).rfind(
                "baton.toml:7: providers.mock.kind: unknown provider kind \"opnai\" (known: "
                "openai, openai-compatible, groq, ",
                0),
            0u)
      << e.what();
}

TEST(ConfigErrorsTest, DialectSettingsBelongToTheirKind) {
  ConfigError e = LoadError("[providers.x]\nkind = \"openai\"\napi_version = \"2024-10-21\"\n");
  EXPECT_EQ(e.key(), "providers.x.api_version");
  EXPECT_NE(std::string(e.what()).find("only used by kind \"azure\""), std::string::npos)
      << e.what();
  e = LoadError("[providers.x]\nkind = \"ollama\"\napi = \"grpc\"\n");
  EXPECT_EQ(e.key(), "providers.x.api");
  e = LoadError("[providers.x]\nkind = \"azure\"\n");
  EXPECT_EQ(e.key(), "providers.x.base_url");
  e = LoadError("[providers.x]\nkind = \"bedrock\"\nregion = \"us east\"\n");
  EXPECT_EQ(e.key(), "providers.x.region");
}

TEST(ConfigTest, DialectSettings) {
  Config c = LoadConfigString(
      "[providers.az]\nkind = \"azure\"\nbase_url = \"https://r.openai.azure.com\"\n"
      "api_key = \"k\"\napi_version = \"2025-01-01-preview\"\n"
      "[providers.br]\nkind = \"bedrock\"\nregion = \"eu-west-1\"\n"
      "[providers.ol]\nkind = \"ollama\"\napi = \"native\"\n"
      "[providers.an]\nkind = \"anthropic\"\napi_key = \"k\"\n",
      "baton.toml");
  EXPECT_EQ(c.providers[0].api_version, "2025-01-01-preview");
  EXPECT_EQ(c.providers[0].dialect, "openai");
  EXPECT_EQ(c.providers[1].base_url, "https://bedrock-runtime.eu-west-1.amazonaws.com");
  EXPECT_EQ(c.providers[1].dialect, "bedrock");
  EXPECT_EQ(c.providers[2].dialect, "ollama");
  EXPECT_EQ(c.providers[2].base_url, "http://127.0.0.1:11434");
  EXPECT_EQ(c.providers[3].anthropic_version, "2023-06-01");
}

TEST(ConfigErrorsTest, MissingKind) {
  ConfigError e = LoadError("[providers.x]\nbase_url = \"http://h\"\n");
  EXPECT_EQ(e.key(), "providers.x.kind");
  EXPECT_EQ(e.line(), 1);
}

TEST(ConfigErrorsTest, MissingBaseUrl) {
  ConfigError e = LoadError("\n[providers.mock]\nkind = \"openai-compatible\"\n");
  EXPECT_EQ(e.key(), "providers.mock.base_url");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("is required"), std::string::npos);
}

TEST(ConfigErrorsTest, BadUrls) {
  for (const char* url :
       {"ftp://h/v1", "127.0.0.1:9001/v1", "http://", "http:///v1", "http://h:99999/v1",
        "http://h:/v1", "http://h/v1?x=1", "http://h/a b", "https://[::1/v1", "http://h:port/"}) {
    ConfigError e = LoadError(std::string("[providers.m]\nkind = \"openai-compatible\"\n"
                                          "base_url = \"") +
                              url + "\"\n");
    EXPECT_EQ(e.key(), "providers.m.base_url") << url;
    EXPECT_EQ(e.line(), 3) << url;
  }
  Config ok = LoadConfigString(
      "[providers.m]\nkind = \"openai-compatible\"\nbase_url = \"http://[::1]:8080/\"\n", "x");
  EXPECT_EQ(ok.providers[0].base_url, "http://[::1]:8080");
}

TEST(ConfigErrorsTest, UrlCredentialsNotEchoed) {
  ConfigError e = LoadError(
      "[providers.m]\nkind = \"openai-compatible\"\nbase_url = \"https://u:hunter2@h/v1\"\n");
  EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
}

TEST(ConfigErrorsTest, EchoTakesNoBaseUrl) {
  ConfigError e = LoadError("[providers.e]\nkind = \"echo\"\nbase_url = \"http://h\"\n");
  EXPECT_EQ(e.key(), "providers.e.base_url");
}

TEST(ConfigErrorsTest, BadProviderName) {
  ConfigError e = LoadError("[providers.\"a/b\"]\nkind = \"echo\"\n");
  EXPECT_EQ(e.key(), "providers.\"a/b\"");
  EXPECT_EQ(e.line(), 1);
}

TEST(ConfigErrorsTest, BadModelName) {
  ConfigError e =
      LoadError("[providers.p]\nkind = \"echo\"\n[models.\"a b\"]\ndeployments = [\"p/x\"]\n");
  EXPECT_EQ(e.key(), "models.\"a b\"");
  EXPECT_EQ(e.line(), 3);
}

TEST(ConfigErrorsTest, DeploymentNamesMissingProvider) {
  ConfigError e = LoadError(
      "[providers.mock]\nkind = \"echo\"\n[models.demo]\ndeployments = [\n  \"mock/a\",\n  "
      "\"mokc/b\",\n]\n");
  EXPECT_EQ(e.key(), "models.demo.deployments");
  EXPECT_EQ(e.line(), 6);
  EXPECT_NE(std::string(e.what()).find("\"mokc/b\""), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("provider \"mokc\""), std::string::npos) << e.what();
}

TEST(ConfigErrorsTest, BadDeployments) {
  const char* head = "[providers.p]\nkind = \"echo\"\n[models.m]\n";
  EXPECT_EQ(LoadError(std::string(head) + "deployments = []\n").key(), "models.m.deployments");
  EXPECT_EQ(LoadError(std::string(head) + "deployments = \"p/x\"\n").line(), 4);
  EXPECT_EQ(LoadError(std::string(head) + "deployments = [\"p\"]\n").line(), 4);
  EXPECT_EQ(LoadError(std::string(head) + "deployments = [\"p/\"]\n").line(), 4);
  EXPECT_EQ(LoadError(std::string(head) + "deployments = [\"/x\"]\n").line(), 4);
  EXPECT_EQ(LoadError(std::string(head) + "deployments = [1]\n").line(), 4);
  ConfigError missing = LoadError(head);
  EXPECT_EQ(missing.key(), "models.m.deployments");
  EXPECT_EQ(missing.line(), 3);
}

TEST(ConfigErrorsTest, BadPort) {
  EXPECT_EQ(LoadError("[server]\nport = 65536\n").key(), "server.port");
  EXPECT_EQ(LoadError("[server]\nport = -1\n").line(), 2);
  ConfigError e = LoadError("[server]\nport = \"4000\"\n");
  EXPECT_STREQ(e.what(), "baton.toml:2: server.port: must be an integer, not a string");
}

TEST(ConfigErrorsTest, BadScalars) {
  EXPECT_EQ(LoadError("[server]\nthreads = -1\n").key(), "server.threads");
  EXPECT_EQ(LoadError("[server]\nhost = \"\"\n").key(), "server.host");
  EXPECT_EQ(LoadError("[server]\nhost = 1\n").key(), "server.host");
  EXPECT_EQ(LoadError("server = 1\n").key(), "server");
  EXPECT_EQ(LoadError("[providers]\np = 1\n").key(), "providers.p");
  EXPECT_EQ(LoadError("[providers.p]\nkind = \"echo\"\nmodels = \"a\"\n").key(),
            "providers.p.models");
  EXPECT_EQ(
      LoadError("[providers.p]\nkind = \"openai\"\nheaders = { \"bad header\" = \"x\" }\n").key(),
      "providers.p.headers.\"bad header\"");
}

TEST(ConfigErrorsTest, BadDurations) {
  for (const char* value : {"\"30\"", "\"30x\"", "\"s\"", "-5", "1.5", "\"-1s\"", "0", "\"0s\"",
                            "\"1.0005s\"", "true"}) {
    ConfigError e = LoadError(std::string("[server]\nread_timeout = ") + value + "\n");
    EXPECT_EQ(e.key(), "server.read_timeout") << value;
    EXPECT_EQ(e.line(), 2) << value;
  }
  ConfigError e = LoadError("[providers.p]\nkind = \"echo\"\nconnect_timeout = \"5 sec\"\n");
  EXPECT_EQ(e.key(), "providers.p.connect_timeout");
  EXPECT_NE(std::string(e.what()).find("invalid duration \"5 sec\""), std::string::npos);
}

TEST(ConfigErrorsTest, BadSizes) {
  for (const char* value : {"\"32MB/s\"", "\"MiB\"", "\"1.5MiB\"", "-1", "0", "\"0B\"", "1.0",
                            "\"99999999999999999999\""}) {
    ConfigError e = LoadError(std::string("[server]\nmax_body_bytes = ") + value + "\n");
    EXPECT_EQ(e.key(), "server.max_body_bytes") << value;
    EXPECT_EQ(e.line(), 2) << value;
  }
}

TEST(ConfigErrorsTest, MissingCaFile) {
  ConfigError e =
      LoadError("[providers.p]\nkind = \"openai\"\nca_file = \"/nonexistent/baton-ca.pem\"\n");
  EXPECT_EQ(e.key(), "providers.p.ca_file");
  EXPECT_NE(std::string(e.what()).find("/nonexistent/baton-ca.pem"), std::string::npos);
}

// --- secrets ---

TEST(SecretTest, References) {
  ScopedEnv set("BATON_TEST_SECRET", "s3cret");
  ScopedEnv unset("BATON_TEST_UNSET", nullptr);
  ScopedEnv empty("BATON_TEST_EMPTY", "");
  EXPECT_EQ(ResolveSecret("os.environ/BATON_TEST_SECRET", "").value, "s3cret");
  EXPECT_EQ(ResolveSecret("os.environ/BATON_TEST_SECRET", "").ref, "os.environ/BATON_TEST_SECRET");
  EXPECT_EQ(ResolveSecret("env:BATON_TEST_SECRET", "").value, "s3cret");
  EXPECT_EQ(ResolveSecret("env:BATON_TEST_SECRET", "").ref, "env:BATON_TEST_SECRET");
  ResolvedSecret missing = ResolveSecret("env:BATON_TEST_UNSET", "");
  EXPECT_EQ(missing.value, "");
  EXPECT_EQ(missing.unset, "BATON_TEST_UNSET is not set");
  EXPECT_TRUE(missing.error.empty());
  EXPECT_EQ(ResolveSecret("os.environ/BATON_TEST_EMPTY", "").unset, "BATON_TEST_EMPTY is empty");
  ResolvedSecret literal = ResolveSecret("sk-abc", "");
  EXPECT_EQ(literal.value, "sk-abc");
  EXPECT_EQ(literal.ref, "<literal>");
  EXPECT_TRUE(literal.unset.empty());
  ResolvedSecret bad = ResolveSecret("env:sk-abc-123", "");
  EXPECT_FALSE(bad.error.empty());
  EXPECT_EQ(bad.error.find("sk-abc"), std::string::npos);
  EXPECT_EQ(bad.ref.find("sk-abc"), std::string::npos);
  EXPECT_FALSE(ResolveSecret("os.environ/", "").error.empty());
  EXPECT_FALSE(ResolveSecret("file:", "").error.empty());
}

TEST(SecretTest, Files) {
  TempDir dir;
  std::string abs = dir.Write("key.txt", "  file-secret\n\n");
  dir.Write("empty.txt", " \n");
  EXPECT_EQ(ResolveSecret("file:" + abs, "").value, "file-secret");
  EXPECT_EQ(ResolveSecret("file:" + abs, "").ref, "file:" + abs);
  EXPECT_EQ(ResolveSecret("file:key.txt", dir.path()).value, "file-secret");
  EXPECT_NE(ResolveSecret("file:empty.txt", dir.path()).unset, "");
  ResolvedSecret missing = ResolveSecret("file:absent.txt", dir.path());
  EXPECT_NE(missing.unset.find("does not exist"), std::string::npos);
  EXPECT_TRUE(missing.error.empty());
  EXPECT_NE(ResolveSecret("file:" + dir.path(), "").error, "");
}

TEST(SecretTest, FileSecretsInConfigAreRelativeToConfigFile) {
  TempDir dir;
  dir.Write("master.key", "mk-from-file\n");
  dir.Write("openai.key", "sk-from-file\n");
  std::string path = dir.Write("baton.toml", R"toml(
[server]
master_key = "file:master.key"
[providers.o]
kind = "openai"
api_key = "file:openai.key"
)toml");
  Config config = LoadConfigFile(path);
  EXPECT_EQ(config.source, path);
  EXPECT_EQ(config.server.master_key, "mk-from-file");
  EXPECT_EQ(config.providers[0].api_key, "sk-from-file");
  EXPECT_EQ(config.providers[0].api_key_ref, "file:openai.key");
}

TEST(SecretTest, NeverEchoedInErrors) {
  ScopedEnv set("BATON_TEST_SECRET", "s3cret-value");
  const std::string secrets[] = {"sk-live-abcdef", "s3cret-value"};
  const std::string configs[] = {
      // a literal api_key followed by an error on the same provider
      "[providers.p]\nkind = \"openai\"\napi_key = \"sk-live-abcdef\"\nbase_url = \"ftp://x\"\n",
      // a malformed reference that is really a pasted key
      "[providers.p]\nkind = \"openai\"\napi_key = \"env:sk-live-abcdef\"\n",
      "[server]\nmaster_key = \"os.environ/sk-live-abcdef\"\n",
      // a secret of the wrong type
      "[server]\nmaster_key = 123\n",
      // an env secret, then an error
      "[server]\nmaster_key = \"env:BATON_TEST_SECRET\"\nport = -1\n",
  };
  for (const std::string& text : configs) {
    ConfigError e = LoadError(text);
    for (const std::string& secret : secrets) {
      EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    }
  }
}

TEST(SecretTest, LiteralMasterKeyAndEmptyMasterKey) {
  Config literal = LoadConfigString("[server]\nmaster_key = \"mk\"\n", "x");
  EXPECT_EQ(literal.server.master_key, "mk");
  Config empty = LoadConfigString("[server]\nmaster_key = \"\"\n", "x");
  EXPECT_TRUE(empty.server.master_key_configured);
  EXPECT_EQ(empty.server.master_key, "");
  EXPECT_FALSE(empty.server.master_key_unset_reason.empty());
}

// --- values ---

TEST(ValuesTest, Durations) {
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("2m"), milliseconds(120'000));
  EXPECT_EQ(ParseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(ParseDuration("0.25m"), milliseconds(15'000));
  EXPECT_EQ(ParseDuration(" 10s "), milliseconds(10'000));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration(" 0 "), milliseconds(0));
  for (const char* bad : {"", "30", "00", "1", "s", "30x", "-1s", "1.5ms", "1 s", "1s2", ".s",
                          "1e3ms", "99999999999999999999s", "10000000h"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
}

TEST(ValuesTest, Sizes) {
  EXPECT_EQ(ParseByteSize("1024"), 1024u);
  EXPECT_EQ(ParseByteSize("100B"), 100u);
  EXPECT_EQ(ParseByteSize("512KiB"), 512u * 1024);
  EXPECT_EQ(ParseByteSize("32MiB"), 32u << 20);
  EXPECT_EQ(ParseByteSize("2GiB"), std::size_t{2} << 30);
  EXPECT_EQ(ParseByteSize("1MB"), 1'000'000u);
  EXPECT_EQ(ParseByteSize("64kb"), 64'000u);
  EXPECT_EQ(ParseByteSize("1 GB"), 1'000'000'000u);
  EXPECT_EQ(ParseByteSize("32 mib"), 32u << 20);
  for (const char* bad :
       {"", "MiB", "1.5MiB", "-1", "1TiB", "1 2", "32MB/s", "99999999999999999999"}) {
    EXPECT_EQ(ParseByteSize(bad), std::nullopt) << bad;
  }
}

// --- built-in default, example file, files ---

TEST(DefaultConfigTest, ParsesWithNoEnvironment) {
  ScopedEnv openai("OPENAI_API_KEY", nullptr);
  ScopedEnv anthropic("ANTHROPIC_API_KEY", nullptr);
  Config config = LoadConfigString(DefaultConfigToml(), "<built-in default>");
  EXPECT_EQ(config.server.host, "127.0.0.1");
  EXPECT_EQ(config.server.port, 4000);
  EXPECT_FALSE(config.server.master_key_configured);
  ASSERT_EQ(config.providers.size(), 4u);
  EXPECT_EQ(config.providers[0].name, "echo");
  EXPECT_EQ(config.providers[0].kind, "echo");
  EXPECT_TRUE(config.providers[0].available);
  const ProviderConfig* openai_provider = config.FindProvider("openai");
  ASSERT_NE(openai_provider, nullptr);
  EXPECT_FALSE(openai_provider->available);
  EXPECT_EQ(openai_provider->unavailable_reason, "OPENAI_API_KEY is not set");
  const ProviderConfig* anthropic_provider = config.FindProvider("anthropic");
  ASSERT_NE(anthropic_provider, nullptr);
  EXPECT_EQ(anthropic_provider->dialect, "anthropic");
  EXPECT_FALSE(anthropic_provider->available);
  EXPECT_EQ(anthropic_provider->unavailable_reason, "ANTHROPIC_API_KEY is not set");
  const ProviderConfig* ollama = config.FindProvider("ollama");
  ASSERT_NE(ollama, nullptr);
  EXPECT_TRUE(ollama->available);
  EXPECT_EQ(ollama->base_url, "http://127.0.0.1:11434/v1");
  const ModelAlias* demo = config.FindAlias("demo");
  ASSERT_NE(demo, nullptr);
  ASSERT_EQ(demo->deployments.size(), 1U);
  EXPECT_EQ(demo->deployments[0].target, "echo/demo");
}

TEST(DefaultConfigTest, KeysMakeProvidersAvailable) {
  ScopedEnv openai("OPENAI_API_KEY", "sk-o");
  ScopedEnv anthropic("ANTHROPIC_API_KEY", "sk-a");
  Config config = LoadConfigString(DefaultConfigToml(), "<built-in default>");
  EXPECT_TRUE(config.FindProvider("openai")->available);
  EXPECT_EQ(config.FindProvider("openai")->api_key, "sk-o");
  EXPECT_TRUE(config.FindProvider("anthropic")->available);
}

TEST(DefaultConfigTest, ExampleFileLoads) {
  std::string path = BATON_SOURCE_DIR "/src/config/baton.example.toml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  Config config = LoadConfigFile(path);
  EXPECT_EQ(config.server.port, 4000);
  EXPECT_TRUE(config.events.enabled);
  EXPECT_EQ(config.events.stream, "agent.events");
  EXPECT_EQ(config.events.subscriber_queue, 1024);
  EXPECT_TRUE(config.server.master_key_configured);
  EXPECT_EQ(config.server.max_body_bytes, 32u << 20);
  EXPECT_EQ(config.server.request_timeout, milliseconds(600'000));
  const ProviderConfig* mock = config.FindProvider("mock");
  ASSERT_NE(mock, nullptr);
  EXPECT_EQ(mock->headers.size(), 2u);
  EXPECT_EQ(mock->models.size(), 2u);
  ASSERT_NE(config.FindAlias("gpt-4.1:cheap"), nullptr);
  ASSERT_NE(config.FindAlias("demo"), nullptr);
  EXPECT_EQ(config.FindAlias("demo")->deployments[0].target, "mock/mock-gpt");
  // Routing: every section of the example is there and means what its comments say.
  EXPECT_EQ(config.router.strategy, RouteStrategy::kPriority);
  EXPECT_EQ(config.router.cooldown, milliseconds(30'000));
  EXPECT_EQ(config.router.priorities.size(), 3u);
  EXPECT_EQ(config.router.state_file,
            (std::filesystem::path(path).parent_path() / "router.json").string());
  EXPECT_EQ(config.store.path, "");  // commented out: the default location
  EXPECT_FALSE(config.store.url_configured);
  EXPECT_FALSE(config.signing.secret_configured);  // commented out: nothing is signed
  const ModelAlias* smart = config.FindAlias("smart");
  ASSERT_NE(smart, nullptr);
  EXPECT_EQ(smart->strategy, RouteStrategy::kWeighted);
  EXPECT_EQ(smart->max_retries, 1);
  EXPECT_EQ(smart->context_fallbacks, (std::vector<std::string>{"long"}));
  ASSERT_EQ(smart->deployments.size(), 3u);
  EXPECT_EQ(smart->deployments[1].weight, 2);
  EXPECT_EQ(smart->deployments[2].priority, 1);
  const ModelAlias* long_alias = config.FindAlias("long");
  ASSERT_NE(long_alias, nullptr);
  EXPECT_EQ(long_alias->strategy, RouteStrategy::kLowestCost);
  ASSERT_EQ(long_alias->deployments.size(), 2u);
  EXPECT_GT(long_alias->deployments[1].output_cost_per_token, 0);
  const ZoneConfig* clinic = config.FindZone("clinic");
  ASSERT_NE(clinic, nullptr);
  EXPECT_EQ(clinic->rpm, 120);
  EXPECT_EQ(clinic->allowed_providers.size(), 2u);
  ASSERT_NE(config.FindTask("vitals"), nullptr);
  EXPECT_EQ(config.FindTask("vitals")->model, "smart");
}

TEST(LoadConfigFileTest, MissingFile) {
  try {
    LoadConfigFile("/nonexistent/baton.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/baton.toml");
    EXPECT_NE(std::string(e.what()).find("cannot read config"), std::string::npos);
  }
}

TEST(LoadConfigFileTest, ErrorsNameThePath) {
  TempDir dir;
  std::string path = dir.Write("bad.toml", "[server]\nport = 70000\n");
  try {
    LoadConfigFile(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ":2: server.port: ", 0), 0u) << e.what();
  }
}

TEST(DefaultConfigPathTest, HonoursXdg) {
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
    EXPECT_EQ(DefaultConfigPath(), "/xdg/baton/baton.toml");
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultConfigPath(), "/home/u/.config/baton/baton.toml");
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "relative");  // invalid per the spec: ignored
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultConfigPath(), "/home/u/.config/baton/baton.toml");
  }
}

// --- routing: [router], per-alias keys, [zones], [defaults] ---

// Two echo providers on lines 1..4, so the lines of what follows start at 5.
constexpr const char* kTwoProviders =
    "[providers.p]\nkind = \"echo\"\n[providers.q]\nkind = \"echo\"\n";

// Loads kTwoProviders + `text`, expecting a ConfigError at `line` on `key` whose message contains
// `needle`.
void ExpectRoutingError(const std::string& text, const std::string& key, int line,
                        const std::string& needle) {
  SCOPED_TRACE(text);
  ConfigError e = LoadError(kTwoProviders + text);
  EXPECT_EQ(e.key(), key) << e.what();
  EXPECT_EQ(e.line(), line) << e.what();
  EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  EXPECT_EQ(
      std::string(e.what()).rfind("baton.toml:" + std::to_string(line) + ": " + key + ": ", 0), 0u)
      << e.what();
}

TEST(RoutingConfigTest, Defaults) {
  Config config = LoadConfigString(
      std::string(kTwoProviders) + "[models.m]\ndeployments = [\"p/x\"]\n", "baton.toml");
  const RouterConfig& r = config.router;
  EXPECT_EQ(r.strategy, RouteStrategy::kPriority);
  EXPECT_EQ(r.fallback, FallbackMode::kPriority);
  EXPECT_EQ(r.max_retries, 2);
  EXPECT_EQ(r.retry_backoff, milliseconds(200));
  EXPECT_EQ(r.max_retry_wait, milliseconds(10'000));
  EXPECT_EQ(r.allowed_fails, 3);
  EXPECT_EQ(r.fail_window, milliseconds(60'000));
  EXPECT_EQ(r.cooldown, milliseconds(30'000));
  EXPECT_TRUE(r.priorities.empty());
  EXPECT_EQ(r.discovery_ttl, milliseconds(300'000));
  EXPECT_EQ(r.state_file, "");
  EXPECT_TRUE(config.zones.empty());
  EXPECT_TRUE(config.defaults.empty());
  const ModelAlias& m = config.models.at(0);
  EXPECT_EQ(m.strategy, RouteStrategy::kPriority);
  EXPECT_EQ(m.fallback, FallbackMode::kPriority);
  EXPECT_EQ(m.max_retries, -1);
  EXPECT_TRUE(m.context_fallbacks.empty());
  const DeploymentConfig& d = m.deployments.at(0);
  EXPECT_EQ(d.target, "p/x");
  EXPECT_EQ(d.priority, 0);
  EXPECT_EQ(d.weight, 1);
  EXPECT_EQ(d.timeout, milliseconds(0));
  EXPECT_EQ(d.rpm, 0);
  EXPECT_EQ(d.tpm, 0);
  EXPECT_EQ(d.max_tokens, 0);
  EXPECT_EQ(d.context_window, 0);
  EXPECT_LT(d.input_cost_per_token, 0);
  EXPECT_LT(d.output_cost_per_token, 0);
}

TEST(RoutingConfigTest, RouterEveryKey) {
  Config config = LoadConfigString(std::string(kTwoProviders) + R"toml(
[router]
strategy = "lowest-latency"
fallback = "same-model"
max_retries = 5
retry_backoff = "50ms"
max_retry_wait = 3000
allowed_fails = 0
fail_window = "2m"
cooldown = "0"
priorities = ["q/big", "p/small"]
discovery_ttl = "1h"
state_file = "state/router.json"
)toml",
                                   "baton.toml", "/etc/baton");
  const RouterConfig& r = config.router;
  EXPECT_EQ(r.strategy, RouteStrategy::kLowestLatency);
  EXPECT_EQ(r.fallback, FallbackMode::kSameModel);
  EXPECT_EQ(r.max_retries, 5);
  EXPECT_EQ(r.retry_backoff, milliseconds(50));
  EXPECT_EQ(r.max_retry_wait, milliseconds(3000));
  EXPECT_EQ(r.allowed_fails, 0);
  EXPECT_EQ(r.fail_window, milliseconds(120'000));
  EXPECT_EQ(r.cooldown, milliseconds(0));
  EXPECT_EQ(r.priorities, (std::vector<std::string>{"q/big", "p/small"}));
  EXPECT_EQ(r.discovery_ttl, milliseconds(3'600'000));
  EXPECT_EQ(r.state_file, "/etc/baton/state/router.json");
}

TEST(RoutingConfigTest, StateFilePaths) {
  auto state_file = [](const std::string& value) {
    return LoadConfigString("[router]\nstate_file = \"" + value + "\"\n", "baton.toml", "/cfg")
        .router.state_file;
  };
  EXPECT_EQ(state_file("/var/lib/baton/r.json"), "/var/lib/baton/r.json");
  EXPECT_EQ(state_file("r.json"), "/cfg/r.json");
  EXPECT_EQ(state_file(""), "");  // the default location, resolved by the app

  TempDir dir;
  std::string path = dir.Write("baton.toml", "[router]\nstate_file = \"router.json\"\n");
  EXPECT_EQ(LoadConfigFile(path).router.state_file, dir.path() + "/router.json");
}

TEST(RoutingConfigTest, AliasesInheritRouterStrategyAndFallback) {
  // [router] after the aliases in the file: inheritance does not depend on file order.
  Config config = LoadConfigString(std::string(kTwoProviders) + R"toml(
[models.inherits]
deployments = ["p/a"]

[models.own]
deployments = ["p/a"]
strategy = "least-busy"
fallback = "none"
max_retries = 0

[models.half]
deployments = ["p/a"]
fallback = "priority"
max_retries = 10

[router]
strategy = "weighted"
fallback = "same-model"
max_retries = 4
)toml",
                                   "baton.toml");
  const ModelAlias* inherits = config.FindAlias("inherits");
  ASSERT_NE(inherits, nullptr);
  EXPECT_EQ(inherits->strategy, RouteStrategy::kWeighted);
  EXPECT_EQ(inherits->fallback, FallbackMode::kSameModel);
  EXPECT_EQ(inherits->max_retries, -1);  // the engine takes [router]'s
  const ModelAlias* own = config.FindAlias("own");
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->strategy, RouteStrategy::kLeastBusy);
  EXPECT_EQ(own->fallback, FallbackMode::kNone);
  EXPECT_EQ(own->max_retries, 0);
  const ModelAlias* half = config.FindAlias("half");
  ASSERT_NE(half, nullptr);
  EXPECT_EQ(half->strategy, RouteStrategy::kWeighted);
  EXPECT_EQ(half->fallback, FallbackMode::kPriority);
  EXPECT_EQ(half->max_retries, 10);
}

TEST(RoutingConfigTest, EveryStrategyAndFallbackName) {
  for (RouteStrategy s :
       {RouteStrategy::kPriority, RouteStrategy::kWeighted, RouteStrategy::kLeastBusy,
        RouteStrategy::kLowestLatency, RouteStrategy::kLowestCost}) {
    std::string name(RouteStrategyName(s));
    EXPECT_EQ(ParseRouteStrategy(name), s) << name;
    Config c =
        LoadConfigString(std::string(kTwoProviders) +
                             "[models.m]\ndeployments = [\"p/a\"]\nstrategy = \"" + name + "\"\n",
                         "baton.toml");
    EXPECT_EQ(c.models.at(0).strategy, s) << name;
  }
  for (FallbackMode m : {FallbackMode::kPriority, FallbackMode::kSameModel, FallbackMode::kNone}) {
    std::string name(FallbackModeName(m));
    EXPECT_EQ(ParseFallbackMode(name), m) << name;
    Config c = LoadConfigString("[router]\nfallback = \"" + name + "\"\n", "baton.toml");
    EXPECT_EQ(c.router.fallback, m) << name;
  }
  EXPECT_EQ(ParseRouteStrategy("Priority"), std::nullopt);
  EXPECT_EQ(ParseRouteStrategy("least_busy"), std::nullopt);
  EXPECT_EQ(ParseRouteStrategy(""), std::nullopt);
  EXPECT_EQ(ParseFallbackMode("same_model"), std::nullopt);
  EXPECT_EQ(ParseFallbackMode("weighted"), std::nullopt);
}

TEST(RoutingConfigTest, StringAndInlineTableDeploymentsMixed) {
  Config config = LoadConfigString(std::string(kTwoProviders) + R"toml(
[models.smart]
deployments = [
  "p/gpt-4o",
  { target = "q/gpt-4o", weight = 2, priority = 1, timeout = "20s", rpm = 60, tpm = 100000, max_tokens = 4096, context_window = 128000, input_cost_per_token = 2.5e-6, output_cost_per_token = 1e-5 },
  { target = "q/mini", priority = -3, weight = 0, timeout = 0, input_cost_per_token = 0, output_cost_per_token = 1 },
  "p/last",
]
)toml",
                                   "baton.toml");
  const ModelAlias& m = config.models.at(0);
  ASSERT_EQ(m.deployments.size(), 4u);  // file order; the engine sorts by priority
  EXPECT_EQ(m.deployments[0].target, "p/gpt-4o");
  EXPECT_EQ(m.deployments[0].weight, 1);
  EXPECT_EQ(m.deployments[0].priority, 0);
  const DeploymentConfig& d = m.deployments[1];
  EXPECT_EQ(d.target, "q/gpt-4o");
  EXPECT_EQ(d.weight, 2);
  EXPECT_EQ(d.priority, 1);
  EXPECT_EQ(d.timeout, milliseconds(20'000));
  EXPECT_EQ(d.rpm, 60);
  EXPECT_EQ(d.tpm, 100'000);
  EXPECT_EQ(d.max_tokens, 4096);
  EXPECT_EQ(d.context_window, 128'000);
  EXPECT_DOUBLE_EQ(d.input_cost_per_token, 2.5e-6);
  EXPECT_DOUBLE_EQ(d.output_cost_per_token, 1e-5);
  const DeploymentConfig& mini = m.deployments[2];
  EXPECT_EQ(mini.target, "q/mini");
  EXPECT_EQ(mini.priority, -3);
  EXPECT_EQ(mini.weight, 0);
  EXPECT_EQ(mini.timeout, milliseconds(0));
  EXPECT_EQ(mini.rpm, 0);
  EXPECT_DOUBLE_EQ(mini.input_cost_per_token, 0.0);  // integers are accepted as prices
  EXPECT_DOUBLE_EQ(mini.output_cost_per_token, 1.0);
  EXPECT_EQ(m.deployments[3].target, "p/last");
}

TEST(RoutingConfigTest, DeploymentsAsArrayOfTables) {
  Config config = LoadConfigString(std::string(kTwoProviders) + R"toml(
[models.long]
strategy = "lowest-cost"

[[models.long.deployments]]
target = "p/a"
priority = 1
input_cost_per_token = 1e-6

[[models.long.deployments]]
target = "q/b"
weight = 7
)toml",
                                   "baton.toml");
  const ModelAlias& m = config.models.at(0);
  EXPECT_EQ(m.strategy, RouteStrategy::kLowestCost);
  ASSERT_EQ(m.deployments.size(), 2u);
  EXPECT_EQ(m.deployments[0].target, "p/a");
  EXPECT_EQ(m.deployments[0].priority, 1);
  EXPECT_DOUBLE_EQ(m.deployments[0].input_cost_per_token, 1e-6);
  EXPECT_EQ(m.deployments[1].target, "q/b");
  EXPECT_EQ(m.deployments[1].weight, 7);

  ExpectRoutingError(
      "[[models.m.deployments]]\ntarget = \"p/a\"\n[[models.m.deployments]]\n"
      "weigth = 2\n",
      "models.m.deployments[1].weigth", 8, "did you mean \"weight\"?");
}

TEST(RoutingConfigErrorsTest, MultiLineInlineTableHints) {
  // TOML 1.0: an inline table may not span lines nor end with a comma.
  for (const char* body : {"deployments = [\n  { target = \"p/a\",\n    weight = 2 },\n]\n",
                           "deployments = [\n  { target = \"p/a\", weight = 2, },\n]\n"}) {
    ConfigError e = LoadError(std::string(kTwoProviders) + "[models.m]\n" + body);
    EXPECT_EQ(e.line(), 7) << e.what();
    EXPECT_NE(std::string(e.what()).find("[[models.NAME.deployments]]"), std::string::npos)
        << e.what();
  }
}

TEST(RoutingConfigTest, ContextFallbacksMayNameLaterAliases) {
  Config config = LoadConfigString(std::string(kTwoProviders) + R"toml(
[models.small]
deployments = ["p/small"]
context_fallbacks = ["big-context", "q/huge", "auto", "router-maestro"]

[models.big-context]
deployments = ["q/big"]
context_fallbacks = ["small"]
)toml",
                                   "baton.toml");
  EXPECT_EQ(config.FindAlias("small")->context_fallbacks,
            (std::vector<std::string>{"big-context", "q/huge", "auto", "router-maestro"}));
  EXPECT_EQ(config.FindAlias("big-context")->context_fallbacks,
            (std::vector<std::string>{"small"}));
}

TEST(RoutingConfigTest, ZonesAndDefaults) {
  Config config = LoadConfigString(std::string(kTwoProviders) + R"toml(
[zones.clinic]
default_model = "smart"
allowed_providers = ["q", "p"]
allowed_models = ["smart", "local-coding", "p/x", "auto"]
rpm = 120

[zones."eu.west"]
default_model = "q/model"

[zones.open]

[defaults]
vitals = "gpt-4o"
summary = "smart"
triage-v2 = "p/fast"
"notes.long" = "router-maestro"

[models.smart]
deployments = ["p/a"]
[models.local-coding]
deployments = ["q/coder"]
[models.gpt-4o]
deployments = ["q/gpt-4o"]
)toml",
                                   "baton.toml");
  ASSERT_EQ(config.zones.size(), 3u);
  const ZoneConfig& clinic = config.zones[0];
  EXPECT_EQ(clinic.name, "clinic");
  EXPECT_EQ(clinic.default_model, "smart");
  EXPECT_EQ(clinic.allowed_providers, (std::vector<std::string>{"q", "p"}));
  EXPECT_EQ(clinic.allowed_models,
            (std::vector<std::string>{"smart", "local-coding", "p/x", "auto"}));
  EXPECT_EQ(clinic.rpm, 120);
  EXPECT_EQ(config.zones[1].name, "eu.west");
  EXPECT_EQ(config.zones[1].default_model, "q/model");
  EXPECT_EQ(config.zones[1].rpm, 0);
  const ZoneConfig* open = config.FindZone("open");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->default_model, "");
  EXPECT_TRUE(open->allowed_providers.empty());
  EXPECT_TRUE(open->allowed_models.empty());
  EXPECT_EQ(config.FindZone("nope"), nullptr);

  ASSERT_EQ(config.defaults.size(), 4u);  // file order
  EXPECT_EQ(config.defaults[0].task, "vitals");
  EXPECT_EQ(config.defaults[0].model, "gpt-4o");
  EXPECT_EQ(config.defaults[1].task, "summary");
  EXPECT_EQ(config.defaults[2].task, "triage-v2");
  EXPECT_EQ(config.defaults[2].model, "p/fast");
  EXPECT_EQ(config.defaults[3].task, "notes.long");
  EXPECT_EQ(config.defaults[3].model, "router-maestro");
  ASSERT_NE(config.FindTask("summary"), nullptr);
  EXPECT_EQ(config.FindTask("summary")->model, "smart");
  EXPECT_EQ(config.FindTask("other"), nullptr);
}

TEST(RoutingConfigErrorsTest, UnknownKeys) {
  ConfigError top = LoadError("[zone.a]\nrpm = 1\n");
  EXPECT_EQ(top.key(), "zone");
  EXPECT_NE(std::string(top.what()).find("did you mean \"zones\""), std::string::npos);
  ExpectRoutingError("[router]\nstrategy = \"priority\"\ncooldwn = \"1s\"\n", "router.cooldwn", 7,
                     "unknown key; did you mean \"cooldown\"?");
  ExpectRoutingError("[models.m]\ndeployments = [\"p/a\"]\nfallbacks = \"none\"\n",
                     "models.m.fallbacks", 7, "did you mean \"fallback\"?");
  ExpectRoutingError(
      "[models.m]\ndeployments = [\n  \"p/a\",\n  { target = \"q/b\", wieght = 2 },\n]\n",
      "models.m.deployments[1].wieght", 8, "did you mean \"weight\"?");
  ExpectRoutingError("[zones.z]\nrpm = 1\nallowed_model = []\n", "zones.z.allowed_model", 7,
                     "did you mean \"allowed_models\"?");
  ExpectRoutingError("[zones.eu.west]\nrpm = 1\n", "zones.eu.west", 5, "[zones.\"eu.west\"]");
}

TEST(RoutingConfigErrorsTest, StrategyAndFallbackNames) {
  ExpectRoutingError("[router]\nstrategy = \"fastest\"\n", "router.strategy", 6,
                     "unknown strategy \"fastest\" (valid: priority, weighted, least-busy, "
                     "lowest-latency, lowest-cost)");
  ExpectRoutingError("[router]\nfallback = \"next\"\n", "router.fallback", 6,
                     "unknown fallback \"next\" (valid: priority, same-model, none)");
  ExpectRoutingError("[models.m]\ndeployments = [\"p/a\"]\nstrategy = \"least_busy\"\n",
                     "models.m.strategy", 7, "(valid: priority, weighted, least-busy");
  ExpectRoutingError("[models.m]\ndeployments = [\"p/a\"]\nfallback = 1\n", "models.m.fallback", 7,
                     "must be a string, not an integer");
}

TEST(RoutingConfigErrorsTest, RouterRanges) {
  ExpectRoutingError("[router]\nmax_retries = 11\n", "router.max_retries", 6,
                     "must be between 0 and 10, not 11");
  ExpectRoutingError("[router]\nmax_retries = -1\n", "router.max_retries", 6, "between 0 and 10");
  ExpectRoutingError("[router]\nallowed_fails = -1\n", "router.allowed_fails", 6, "between 0");
  ExpectRoutingError("[router]\nfail_window = \"0s\"\n", "router.fail_window", 6,
                     "must be greater than zero");
  ExpectRoutingError("[router]\ndiscovery_ttl = 0\n", "router.discovery_ttl", 6,
                     "must be greater than zero");
  ExpectRoutingError("[router]\ncooldown = \"30\"\n", "router.cooldown", 6, "invalid duration");
  ExpectRoutingError("[router]\nretry_backoff = -1\n", "router.retry_backoff", 6,
                     "must not be negative");
  ExpectRoutingError("[router]\nmax_retry_wait = true\n", "router.max_retry_wait", 6,
                     "must be a duration");
  ExpectRoutingError("[router]\nstate_file = 1\n", "router.state_file", 6, "must be a string");
  ConfigError not_table = LoadError("router = [1]\n");
  EXPECT_EQ(not_table.key(), "router");
  EXPECT_EQ(not_table.line(), 1);
  EXPECT_NE(std::string(not_table.what()).find("must be a table"), std::string::npos);
}

TEST(RoutingConfigErrorsTest, RouterPriorities) {
  ExpectRoutingError("[router]\npriorities = [\"p/a\",\n  \"gpt-4o\"]\n", "router.priorities", 7,
                     "\"gpt-4o\" must be \"provider/model\"");
  ExpectRoutingError("[router]\npriorities = [\"p/a\", \"openai/gpt-4o\"]\n", "router.priorities",
                     6, "names provider \"openai\", which is not defined in [providers]");
  ExpectRoutingError("[router]\npriorities = \"p/a\"\n", "router.priorities", 6,
                     "must be an array");
  ExpectRoutingError("[router]\npriorities = [\"\"]\n", "router.priorities", 6,
                     "must not be empty");
  ExpectRoutingError("[router]\npriorities = [1]\n", "router.priorities", 6, "an integer");
}

TEST(RoutingConfigErrorsTest, AliasMaxRetries) {
  ExpectRoutingError("[models.m]\ndeployments = [\"p/a\"]\nmax_retries = 11\n",
                     "models.m.max_retries", 7, "between 0 and 10");
  ExpectRoutingError("[models.m]\ndeployments = [\"p/a\"]\nmax_retries = -1\n",
                     "models.m.max_retries", 7, "between 0 and 10");
}

TEST(RoutingConfigErrorsTest, DeploymentFields) {
  auto field = [](const std::string& fields) {
    return "[models.m]\ndeployments = [\n  { target = \"p/a\", " + fields + " },\n]\n";
  };
  const std::string key = "models.m.deployments[0].";
  ExpectRoutingError(field("weight = -1"), key + "weight", 7, "between 0 and 1000000");
  ExpectRoutingError(field("weight = 1000001"), key + "weight", 7, "between 0 and 1000000");
  ExpectRoutingError(field("weight = 1.5"), key + "weight", 7, "must be an integer, not a float");
  ExpectRoutingError(field("priority = \"1\""), key + "priority", 7, "must be an integer");
  ExpectRoutingError(field("priority = 1000001"), key + "priority", 7, "between");
  ExpectRoutingError(field("rpm = -1"), key + "rpm", 7, "between 0 and");
  ExpectRoutingError(field("tpm = -5"), key + "tpm", 7, "between 0 and");
  ExpectRoutingError(field("max_tokens = -1"), key + "max_tokens", 7, "between 0 and");
  ExpectRoutingError(field("context_window = -1"), key + "context_window", 7, "between 0 and");
  ExpectRoutingError(field("timeout = \"20 s\""), key + "timeout", 7, "invalid duration");
  ExpectRoutingError(field("timeout = -1"), key + "timeout", 7, "must not be negative");
  ExpectRoutingError(field("input_cost_per_token = -1e-6"), key + "input_cost_per_token", 7,
                     "must not be negative");
  ExpectRoutingError(field("output_cost_per_token = nan"), key + "output_cost_per_token", 7,
                     "must be a finite number");
  ExpectRoutingError(field("output_cost_per_token = inf"), key + "output_cost_per_token", 7,
                     "must be a finite number");
  ExpectRoutingError(field("input_cost_per_token = \"0.1\""), key + "input_cost_per_token", 7,
                     "must be a number, not a string");
}

TEST(RoutingConfigErrorsTest, DeploymentTargets) {
  ExpectRoutingError("[models.m]\ndeployments = [\n  \"p/a\",\n  { weight = 2 },\n]\n",
                     "models.m.deployments[1].target", 8, "is required");
  ExpectRoutingError("[models.m]\ndeployments = [{ target = \"p\" }]\n",
                     "models.m.deployments[0].target", 6, "\"p\" must be \"provider/model\"");
  ExpectRoutingError("[models.m]\ndeployments = [\n  { target = \"x/a\", weight = 1 },\n]\n",
                     "models.m.deployments[0].target", 7,
                     "deployment \"x/a\" names provider \"x\", which is not defined");
  ExpectRoutingError("[models.m]\ndeployments = [{ target = 1 }]\n",
                     "models.m.deployments[0].target", 6, "must be a string");
  ExpectRoutingError("[models.m]\ndeployments = [\"p/a\",\n  true]\n", "models.m.deployments", 7,
                     "inline tables");
}

TEST(RoutingConfigErrorsTest, ContextFallbacks) {
  // Line 5 [models.a], 6 deployments, 7 context_fallbacks.
  const std::string head = "[models.a]\ndeployments = [\"p/a\"]\n";
  ExpectRoutingError(head +
                         "context_fallbacks = [\"big-contxt\"]\n[models.big-context]\n"
                         "deployments = [\"q/b\"]\n",
                     "models.a.context_fallbacks", 7,
                     "model \"big-contxt\" is not an alias defined in [models], \"auto\", or "
                     "\"provider/model\"; did you mean \"big-context\"?");
  ExpectRoutingError(head + "context_fallbacks = [\n  \"q/ok\",\n  \"a\",\n]\n",
                     "models.a.context_fallbacks", 9, "cannot be its own context fallback");
  ExpectRoutingError(head + "context_fallbacks = [\"zz/model\"]\n", "models.a.context_fallbacks", 7,
                     "names provider \"zz\", which is not defined in [providers]");
  ExpectRoutingError(head + "context_fallbacks = [\"p/\"]\n", "models.a.context_fallbacks", 7,
                     "must be \"provider/model\"");
  ExpectRoutingError(head + "context_fallbacks = \"q/b\"\n", "models.a.context_fallbacks", 7,
                     "must be an array");
  // A forward reference resolves, but an alias defined nowhere does not.
  ExpectRoutingError(head +
                         "context_fallbacks = [\"later\", \"never\"]\n[models.later]\n"
                         "deployments = [\"q/b\"]\n",
                     "models.a.context_fallbacks", 7, "model \"never\" is not an alias");
}

TEST(RoutingConfigErrorsTest, Zones) {
  ExpectRoutingError(
      "[zones.z]\ndefault_model = \"smrt\"\n[models.smart]\ndeployments = [\"p/a\"]\n",
      "zones.z.default_model", 6, "did you mean \"smart\"?");
  ExpectRoutingError("[zones.z]\ndefault_model = \"x/a\"\n", "zones.z.default_model", 6,
                     "names provider \"x\"");
  ExpectRoutingError("[zones.z]\nallowed_providers = [\"p\", \"ollama\"]\n",
                     "zones.z.allowed_providers", 6,
                     "provider \"ollama\" is not defined in [providers]");
  ExpectRoutingError("[zones.z]\nallowed_models = [\"auto\",\n  \"missing\"]\n",
                     "zones.z.allowed_models", 7, "model \"missing\" is not an alias");
  ExpectRoutingError("[zones.z]\nrpm = -1\n", "zones.z.rpm", 6, "between 0 and");
  ExpectRoutingError("[zones.\"a b\"]\nrpm = 1\n", "zones.\"a b\"", 5,
                     "zone names may contain only letters, digits");
  ExpectRoutingError("[zones.\"a:b\"]\nrpm = 1\n", "zones.\"a:b\"", 5, "zone names");
  ExpectRoutingError("[zones]\nz = 1\n", "zones.z", 6, "must be a table");
}

TEST(RoutingConfigErrorsTest, Defaults) {
  ExpectRoutingError("[defaults]\nvitals = \"gpt4o\"\n[models.gpt-4o]\ndeployments = [\"p/a\"]\n",
                     "defaults.vitals", 6, "did you mean \"gpt-4o\"?");
  ExpectRoutingError("[defaults]\nvitals = \"nothing-like-it\"\n", "defaults.vitals", 6,
                     "model \"nothing-like-it\" is not an alias");
  ExpectRoutingError("[defaults]\nvitals = \"\"\n", "defaults.vitals", 6, "must name a model");
  ExpectRoutingError("[defaults]\nvitals = 1\n", "defaults.vitals", 6, "must be a string");
  ExpectRoutingError("[defaults]\n\"a b\" = \"auto\"\n", "defaults.\"a b\"", 6, "task names");
  ExpectRoutingError("[defaults]\nvitals = \"x/y\"\n", "defaults.vitals", 6,
                     "names provider \"x\"");
}

// --- [store] ---

TEST(StoreConfigTest, DefaultsToSqliteAtTheDefaultPath) {
  Config config = LoadConfigString("", "baton.toml");
  EXPECT_EQ(config.store.path, "");  // resolved by the app: DefaultStorePath()
  EXPECT_FALSE(config.store.url_configured);
  EXPECT_EQ(config.store.url, "");
}

TEST(StoreConfigTest, PathIsRelativeToTheConfigFile) {
  auto path = [](const std::string& value) {
    return LoadConfigString("[store]\npath = \"" + value + "\"\n", "baton.toml", "/cfg").store.path;
  };
  EXPECT_EQ(path("/var/lib/baton/b.db"), "/var/lib/baton/b.db");
  EXPECT_EQ(path("b.db"), "/cfg/b.db");
  EXPECT_EQ(path(""), "");
}

TEST(StoreConfigTest, UrlIsASecretReference) {
  {
    ScopedEnv url("BATON_TEST_DB_URL", "postgresql://u:secret-pw@db:5432/baton");
    Config config =
        LoadConfigString("[store]\nurl = \"os.environ/BATON_TEST_DB_URL\"\n", "baton.toml");
    EXPECT_TRUE(config.store.url_configured);
    EXPECT_EQ(config.store.url, "postgresql://u:secret-pw@db:5432/baton");
  }
  {
    ScopedEnv url("BATON_TEST_DB_URL", nullptr);
    Config config =
        LoadConfigString("[store]\nurl = \"os.environ/BATON_TEST_DB_URL\"\n", "baton.toml");
    EXPECT_TRUE(config.store.url_configured);
    EXPECT_EQ(config.store.url, "");
    EXPECT_NE(config.store.url_unset_reason.find("BATON_TEST_DB_URL"), std::string::npos);
  }
  Config literal = LoadConfigString("[store]\nurl = \"postgres://h/db\"\n", "baton.toml");
  EXPECT_EQ(literal.store.url, "postgres://h/db");
}

TEST(StoreConfigTest, Errors) {
  ConfigError e = LoadError("[store]\nurl = \"mysql://u:hunter2@h/db\"\n");
  EXPECT_EQ(e.key(), "store.url");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("postgresql://"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  ConfigError both = LoadError("[store]\npath = \"a.db\"\nurl = \"postgresql://h/db\"\n");
  EXPECT_EQ(both.key(), "store");
  EXPECT_NE(std::string(both.what()).find("not both"), std::string::npos) << both.what();
  ConfigError unknown = LoadError("[store]\nfile = \"a.db\"\n");
  EXPECT_EQ(unknown.key(), "store.file");
  ConfigError type = LoadError("[store]\npath = 1\n");
  EXPECT_EQ(type.key(), "store.path");
}

// --- [cluster] ---

TEST(ClusterConfigTest, DefaultsToSingleInstance) {
  Config config = LoadConfigString("", "baton.toml");
  EXPECT_FALSE(config.cluster.redis_url_configured);
  EXPECT_EQ(config.cluster.redis_url, "");
  EXPECT_EQ(config.cluster.key_prefix, "baton:");
  EXPECT_EQ(config.cluster.on_redis_error, RedisErrorPolicy::kClosed);
  EXPECT_EQ(config.cluster.timeout, std::chrono::milliseconds(200));
}

TEST(ClusterConfigTest, ParsesEveryKey) {
  {
    ScopedEnv url("BATON_TEST_REDIS_URL", "redis://:pw-secret@cache:6380/1");
    Config config = LoadConfigString(
        "[cluster]\nredis_url = \"env:BATON_TEST_REDIS_URL\"\nkey_prefix = \"prod:\"\n"
        "on_redis_error = \"open\"\ntimeout = \"150ms\"\n",
        "baton.toml");
    EXPECT_TRUE(config.cluster.redis_url_configured);
    EXPECT_EQ(config.cluster.redis_url, "redis://:pw-secret@cache:6380/1");
    EXPECT_EQ(config.cluster.key_prefix, "prod:");
    EXPECT_EQ(config.cluster.on_redis_error, RedisErrorPolicy::kOpen);
    EXPECT_EQ(config.cluster.timeout, std::chrono::milliseconds(150));
  }
  {
    ScopedEnv url("BATON_TEST_REDIS_URL", nullptr);
    Config config =
        LoadConfigString("[cluster]\nredis_url = \"env:BATON_TEST_REDIS_URL\"\n", "baton.toml");
    EXPECT_TRUE(config.cluster.redis_url_configured);
    EXPECT_EQ(config.cluster.redis_url, "");
    EXPECT_NE(config.cluster.redis_url_unset_reason.find("BATON_TEST_REDIS_URL"),
              std::string::npos);
  }
}

TEST(ClusterConfigTest, Errors) {
  ConfigError url = LoadError("[cluster]\nredis_url = \"http://:hunter2@h\"\n");
  EXPECT_EQ(url.key(), "cluster.redis_url");
  EXPECT_EQ(url.line(), 2);
  EXPECT_EQ(std::string(url.what()).find("hunter2"), std::string::npos) << url.what();
  EXPECT_EQ(LoadError("[cluster]\non_redis_error = \"maybe\"\n").key(), "cluster.on_redis_error");
  EXPECT_EQ(LoadError("[cluster]\ntimeout = \"soon\"\n").key(), "cluster.timeout");
  EXPECT_EQ(LoadError("[cluster]\ntimeout = 0\n").key(), "cluster.timeout");
  EXPECT_EQ(LoadError("[cluster]\nkey_prefix = \"a b\"\n").key(), "cluster.key_prefix");
  EXPECT_EQ(LoadError("[cluster]\nredis = \"x\"\n").key(), "cluster.redis");
}

// --- [events] ---

TEST(EventsConfigTest, DefaultsAndKeys) {
  Config defaults = LoadConfigString("", "baton.toml");
  EXPECT_TRUE(defaults.events.enabled);
  EXPECT_EQ(defaults.events.stream, "agent.events");
  EXPECT_EQ(defaults.events.max_len, 10000);
  EXPECT_EQ(defaults.events.subscriber_queue, 1024);
  Config config = LoadConfigString(
      "[events]\nenabled = false\nstream = \"baton.ev\"\nmax_len = 500\n"
      "subscriber_queue = 64\n",
      "baton.toml");
  EXPECT_FALSE(config.events.enabled);
  EXPECT_EQ(config.events.stream, "baton.ev");
  EXPECT_EQ(config.events.max_len, 500);
  EXPECT_EQ(config.events.subscriber_queue, 64);
}

TEST(EventsConfigTest, Errors) {
  ConfigError stream = LoadError("[events]\nstream = \"a b\"\n");
  EXPECT_EQ(stream.key(), "events.stream");
  EXPECT_EQ(stream.line(), 2);
  EXPECT_EQ(LoadError("[events]\nmax_len = 0\n").key(), "events.max_len");
  EXPECT_EQ(LoadError("[events]\nsubscriber_queue = 1\n").key(), "events.subscriber_queue");
  EXPECT_EQ(LoadError("[events]\nenabled = \"yes\"\n").key(), "events.enabled");
  EXPECT_EQ(LoadError("[events]\nstreams = \"x\"\n").key(), "events.streams");
}

TEST(DefaultStorePathTest, HonoursXdg) {
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/data");
    EXPECT_EQ(DefaultStorePath(), "/data/baton/baton.db");
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", nullptr);
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultStorePath(), "/home/u/.local/share/baton/baton.db");
  }
  {
    ScopedEnv xdg("XDG_DATA_HOME", "relative");
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultStorePath(), "/home/u/.local/share/baton/baton.db");
  }
}

TEST(DefaultRouterStatePathTest, HonoursXdg) {
  {
    ScopedEnv xdg("XDG_STATE_HOME", "/state");
    EXPECT_EQ(DefaultRouterStatePath(), "/state/baton/router.json");
  }
  {
    ScopedEnv xdg("XDG_STATE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultRouterStatePath(), "/home/u/.local/state/baton/router.json");
  }
  {
    ScopedEnv xdg("XDG_STATE_HOME", "relative");  // invalid per the spec: ignored
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultRouterStatePath(), "/home/u/.local/state/baton/router.json");
  }
}

// --- [log] ---

TEST(LogConfigTest, Defaults) {
  Config config = LoadConfigString("", "baton.toml");
  EXPECT_EQ(config.log.dir, "");  // resolved by the app: DefaultLogDir()
  EXPECT_TRUE(config.log.enabled);
  EXPECT_EQ(config.log.max_size, 100'000'000U);
  EXPECT_TRUE(config.log.rotate_daily);
  EXPECT_FALSE(config.log.content);
  EXPECT_FALSE(config.log.encrypt_key_configured);
  EXPECT_EQ(config.log.queue, 65536U);
  EXPECT_EQ(config.log.on_failure, LogFailureMode::kRefuse);
  EXPECT_FALSE(config.log.fsync);
}

TEST(LogConfigTest, ParsesEveryKey) {
  const std::string key(64, 'a');
  ScopedEnv env("BATON_TEST_LOG_KEY", key.c_str());
  Config config = LoadConfigString(
      "[log]\ndir = \"logs\"\nenabled = false\nmax_size = \"1MiB\"\nrotate_daily = false\n"
      "content = true\nencrypt_key = \"env:BATON_TEST_LOG_KEY\"\nqueue = 10\n"
      "on_failure = \"serve\"\nfsync = true\n",
      "baton.toml", "/cfg");
  EXPECT_EQ(config.log.dir, "/cfg/logs");
  EXPECT_FALSE(config.log.enabled);
  EXPECT_EQ(config.log.max_size, 1U << 20);
  EXPECT_FALSE(config.log.rotate_daily);
  EXPECT_TRUE(config.log.content);
  EXPECT_TRUE(config.log.encrypt_key_configured);
  EXPECT_EQ(config.log.encrypt_key, key);
  EXPECT_EQ(config.log.encrypt_key_ref, "env:BATON_TEST_LOG_KEY");
  EXPECT_EQ(config.log.queue, 10U);
  EXPECT_EQ(config.log.on_failure, LogFailureMode::kServe);
  EXPECT_TRUE(config.log.fsync);
}

TEST(LogConfigTest, EncryptKeyForms) {
  EXPECT_TRUE(IsValidLogKeyText(std::string(64, 'F')));
  EXPECT_TRUE(IsValidLogKeyText("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  EXPECT_TRUE(IsValidLogKeyText("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_TRUE(IsValidLogKeyText("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="));
  EXPECT_FALSE(IsValidLogKeyText(std::string(63, 'a')));
  EXPECT_FALSE(IsValidLogKeyText(std::string(64, 'g')));
  EXPECT_FALSE(IsValidLogKeyText("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="));  // spare bits
  EXPECT_FALSE(IsValidLogKeyText("hunter2"));
  // Unset variable: configured, empty, with a reason (the app refuses to log in clear).
  ScopedEnv env("BATON_TEST_LOG_KEY", nullptr);
  Config unset = LoadConfigString("[log]\nencrypt_key = \"env:BATON_TEST_LOG_KEY\"\n", "b.toml");
  EXPECT_TRUE(unset.log.encrypt_key_configured);
  EXPECT_EQ(unset.log.encrypt_key, "");
  EXPECT_NE(unset.log.encrypt_key_unset_reason.find("BATON_TEST_LOG_KEY"), std::string::npos);
  Config none = LoadConfigString("[log]\nencrypt_key = \"\"\n", "b.toml");
  EXPECT_FALSE(none.log.encrypt_key_configured);
}

TEST(LogConfigTest, Errors) {
  ConfigError bad_key = LoadError("[log]\nencrypt_key = \"hunter2-not-a-key\"\n");
  EXPECT_EQ(bad_key.key(), "log.encrypt_key");
  EXPECT_EQ(bad_key.line(), 2);
  EXPECT_EQ(std::string(bad_key.what()).find("hunter2"), std::string::npos) << bad_key.what();
  ConfigError mode = LoadError("[log]\non_failure = \"ignore\"\n");
  EXPECT_EQ(mode.key(), "log.on_failure");
  EXPECT_NE(std::string(mode.what()).find("refuse, serve"), std::string::npos);
  EXPECT_EQ(LoadError("[log]\nmax_size = \"1KB\"\n").key(), "log.max_size");
  EXPECT_EQ(LoadError("[log]\nmax_size = \"lots\"\n").key(), "log.max_size");
  EXPECT_EQ(LoadError("[log]\nqueue = 0\n").key(), "log.queue");
  EXPECT_EQ(LoadError("[log]\nenabled = \"yes\"\n").key(), "log.enabled");
  ConfigError unknown = LoadError("[log]\nrotate = true\n");
  EXPECT_EQ(unknown.key(), "log.rotate");
  EXPECT_EQ(unknown.line(), 2);
}

TEST(DefaultLogDirTest, HonoursXdg) {
  {
    ScopedEnv xdg("XDG_STATE_HOME", "/state");
    EXPECT_EQ(DefaultLogDir(), "/state/baton/logs");
  }
  {
    ScopedEnv xdg("XDG_STATE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(DefaultLogDir(), "/home/u/.local/state/baton/logs");
  }
}

}  // namespace
}  // namespace baton

namespace baton {
namespace {

TEST(BudgetConfigTest, GlobalZoneAndAliasLimits) {
  Config config =
      LoadConfigString(std::string(kTwoProviders) +
                           "[models.m]\ndeployments = [\"p/x\"]\nrpm = 30\ntpm = 9000\n"
                           "[zones.clinic]\nmax_budget = 12.5\nbudget_duration = \"1mo\"\n"
                           "tpm = 100\nhard_stop = false\n"
                           "[budget]\ndaily = 50\nhard_stop = false\n"
                           "warning_threshold = 0.9\ndefault_max_tokens = 2048\n",
                       "baton.toml");
  EXPECT_EQ(config.models[0].rpm, 30);
  EXPECT_EQ(config.models[0].tpm, 9000);
  const ZoneConfig& zone = config.zones[0];
  EXPECT_DOUBLE_EQ(zone.max_budget, 12.5);
  EXPECT_EQ(zone.budget_duration, "1mo");
  EXPECT_EQ(zone.tpm, 100);
  EXPECT_FALSE(zone.hard_stop);
  EXPECT_DOUBLE_EQ(config.budget.daily, 50);
  EXPECT_FALSE(config.budget.hard_stop);
  EXPECT_DOUBLE_EQ(config.budget.warning_threshold, 0.9);
  EXPECT_EQ(config.budget.default_max_tokens, 2048);

  Config defaults = LoadConfigString(kTwoProviders, "baton.toml");
  EXPECT_LT(defaults.budget.daily, 0) << "no global budget unless configured";
  EXPECT_TRUE(defaults.budget.hard_stop);
  EXPECT_DOUBLE_EQ(defaults.budget.warning_threshold, 0.8);
}

TEST(BudgetConfigTest, Errors) {
  ExpectRoutingError("[budget]\ndaily = -1\n", "budget.daily", 6, "must not be negative");
  ExpectRoutingError("[budget]\nwarning_threshold = 1.5\n", "budget.warning_threshold", 6,
                     "between 0 and 1");
  ExpectRoutingError("[budget]\nhard_stop = \"yes\"\n", "budget.hard_stop", 6, "true or false");
  ExpectRoutingError("[budget]\nmonthly = 3\n", "budget.monthly", 6, "");
  ExpectRoutingError("[zones.z]\nbudget_duration = \"30\"\n", "zones.z.budget_duration", 6,
                     "\"1mo\"");
  ExpectRoutingError("[zones.z]\nbudget_duration = \"0d\"\n", "zones.z.budget_duration", 6,
                     "\"1mo\"");
}

// --- [signing] ---

TEST(SigningConfigTest, OffByDefault) {
  Config config = LoadConfigString("", "baton.toml");
  EXPECT_FALSE(config.signing.secret_configured);
  EXPECT_EQ(config.signing.secret, "");
  Config empty = LoadConfigString("[signing]\nsecret = \"\"\n", "baton.toml");
  EXPECT_FALSE(empty.signing.secret_configured);
}

TEST(SigningConfigTest, SecretReference) {
  {
    ScopedEnv env("BATON_TEST_SIGNING_SECRET", "0123456789abcdef-signing");
    Config config =
        LoadConfigString("[signing]\nsecret = \"env:BATON_TEST_SIGNING_SECRET\"\n", "b.toml");
    EXPECT_TRUE(config.signing.secret_configured);
    EXPECT_EQ(config.signing.secret, "0123456789abcdef-signing");
    EXPECT_EQ(config.signing.secret_ref, "env:BATON_TEST_SIGNING_SECRET");
  }
  {
    // Unset variable: configured, empty, with a reason (the app refuses to answer unsigned).
    ScopedEnv env("BATON_TEST_SIGNING_SECRET", nullptr);
    Config unset =
        LoadConfigString("[signing]\nsecret = \"env:BATON_TEST_SIGNING_SECRET\"\n", "b.toml");
    EXPECT_TRUE(unset.signing.secret_configured);
    EXPECT_EQ(unset.signing.secret, "");
    EXPECT_NE(unset.signing.secret_unset_reason.find("BATON_TEST_SIGNING_SECRET"),
              std::string::npos);
  }
}

TEST(SigningConfigTest, Errors) {
  ConfigError short_secret = LoadError("[signing]\nsecret = \"hunter2\"\n");
  EXPECT_EQ(short_secret.key(), "signing.secret");
  EXPECT_EQ(short_secret.line(), 2);
  EXPECT_EQ(std::string(short_secret.what()).find("hunter2"), std::string::npos)
      << short_secret.what();
  EXPECT_EQ(LoadError("[signing]\nsecret = 5\n").key(), "signing.secret");
  ConfigError unknown = LoadError("[signing]\nkey = \"x\"\n");
  EXPECT_EQ(unknown.key(), "signing.key");
  EXPECT_EQ(unknown.line(), 2);
}

TEST(MetricsConfigTest, OnByDefaultAndSwitchable) {
  EXPECT_TRUE(LoadConfigString("", "baton.toml").metrics.enabled);
  EXPECT_FALSE(LoadConfigString("[metrics]\nenabled = false\n", "baton.toml").metrics.enabled);
  EXPECT_EQ(LoadError("[metrics]\nenabled = \"no\"\n").key(), "metrics.enabled");
  ConfigError unknown = LoadError("[metrics]\npath = \"/m\"\n");
  EXPECT_EQ(unknown.key(), "metrics.path");
  EXPECT_EQ(unknown.line(), 2);
}

}  // namespace
}  // namespace baton

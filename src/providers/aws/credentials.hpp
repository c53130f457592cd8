// AWS credentials and region for SigV4-signed upstreams (Bedrock), found the way the AWS CLI and
// SDKs find them: environment variables first, then the shared credentials and config files.
//
//   Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else the profile
//   in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), then in
//   the config file (AWS_CONFIG_FILE or ~/.aws/config). An explicitly given profile name skips the
//   environment variables (as the SDKs do); otherwise the profile is AWS_PROFILE or "default".
//   Region: AWS_REGION, AWS_DEFAULT_REGION, then `region` of the profile in the config file
//   ("[profile name]" sections, "[default]").
//
// Files are INI: "[section]" headers, "key = value" lines, whole-line comments with '#' or ';'
// (and inline ones after whitespace). Error messages never contain a secret or a key id.
//
// Thread-safety: the loaders read the environment and files and keep no state; call them at
// startup or from one thread at a time (getenv is not safe against concurrent setenv).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace baton::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary (STS) credentials
};

// Where the loaders look things up; tests replace the environment.
struct CredentialEnv {
  // Returns the variable's value, or nullopt when it is unset. Default: the process environment.
  std::function<std::optional<std::string>(std::string_view)> getenv;
  static CredentialEnv Process();
};

// Credentials for `profile` ("" = from the environment or AWS_PROFILE / "default").
Result<Credentials> LoadCredentials(const CredentialEnv& env, std::string_view profile = {});
Result<Credentials> LoadCredentials(std::string_view profile = {});

// The region for `profile` ("" = AWS_PROFILE / "default").
Result<std::string> LoadRegion(const CredentialEnv& env, std::string_view profile = {});
Result<std::string> LoadRegion(std::string_view profile = {});

}  // namespace baton::aws

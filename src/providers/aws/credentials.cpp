// Credential and region lookup (see credentials.hpp for the order). Messages name the variables
// and files to fix, never their secret contents.
#include "providers/aws/credentials.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace baton::aws {

namespace {

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

std::string_view Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    return {};
  }
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Reads an INI file; nullopt when it cannot be opened. Section names are kept as written
// (trimmed, inner runs of blanks made one space); keys are lowercased.
std::optional<IniFile> ReadIni(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  IniFile file;
  Section* current = nullptr;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#' || l.front() == ';') {
      continue;
    }
    if (l.front() == '[') {
      std::size_t close = l.find(']');
      std::string_view name =
          Trim(l.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
      std::string normalized;
      for (char c : name) {
        if (c == ' ' || c == '\t') {
          if (!normalized.empty() && normalized.back() != ' ') {
            normalized.push_back(' ');
          }
        } else {
          normalized.push_back(c);
        }
      }
      current = &file[normalized];
      continue;
    }
    std::size_t eq = l.find('=');
    if (current == nullptr || eq == std::string_view::npos) {
      continue;  // a continuation line or junk outside any section: not a key we use
    }
    std::string_view value = Trim(l.substr(eq + 1));
    // Inline comments: '#' or ';' after whitespace (secrets have neither character after a blank).
    for (std::size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = Trim(value.substr(0, i));
        break;
      }
    }
    (*current)[Lower(Trim(l.substr(0, eq)))] = std::string(value);
  }
  return file;
}

std::optional<std::string> NonEmpty(const CredentialEnv& env, std::string_view name) {
  auto v = env.getenv(name);
  if (v && !v->empty()) {
    return v;
  }
  return std::nullopt;
}

std::optional<std::string> HomeFile(const CredentialEnv& env, std::string_view override_var,
                                    std::string_view name) {
  if (auto v = NonEmpty(env, override_var)) {
    return v;
  }
  auto home = NonEmpty(env, "HOME");
  if (!home) {
    return std::nullopt;
  }
  return *home + "/.aws/" + std::string(name);
}

std::string ProfileName(const CredentialEnv& env, std::string_view profile) {
  if (!profile.empty()) {
    return std::string(profile);
  }
  if (auto v = NonEmpty(env, "AWS_PROFILE")) {
    return *v;
  }
  return "default";
}

// The profile's section: "[name]" in the credentials file; "[profile name]" (or "[default]") in
// the config file.
const Section* FindSection(const IniFile& file, const std::string& profile, bool config_file) {
  if (config_file) {
    auto it = file.find("profile " + profile);
    if (it != file.end()) {
      return &it->second;
    }
    if (profile != "default") {
      return nullptr;
    }
  }
  auto it = file.find(profile);
  return it == file.end() ? nullptr : &it->second;
}

std::string Get(const Section& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? std::string() : it->second;
}

}  // namespace

CredentialEnv CredentialEnv::Process() {
  CredentialEnv env;
  env.getenv = [](std::string_view name) -> std::optional<std::string> {
    // Read at startup (see the header's thread-safety note).
    const char* v = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (v == nullptr) {
      return std::nullopt;
    }
    return std::string(v);
  };
  return env;
}

Result<Credentials> LoadCredentials(const CredentialEnv& env, std::string_view profile) {
  if (profile.empty()) {
    auto id = NonEmpty(env, "AWS_ACCESS_KEY_ID");
    auto secret = NonEmpty(env, "AWS_SECRET_ACCESS_KEY");
    if (id && secret) {
      Credentials c{*id, *secret, NonEmpty(env, "AWS_SESSION_TOKEN").value_or("")};
      return c;
    }
    if (id || secret) {
      return Error(ErrorKind::kUnavailable,
                   id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                      : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    }
  }
  std::string name = ProfileName(env, profile);
  for (bool config_file : {false, true}) {
    auto path = config_file ? HomeFile(env, "AWS_CONFIG_FILE", "config")
                            : HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    if (!path) {
      continue;
    }
    auto file = ReadIni(*path);
    if (!file) {
      continue;
    }
    const Section* section = FindSection(*file, name, config_file);
    if (section == nullptr) {
      continue;
    }
    Credentials c{Get(*section, "aws_access_key_id"), Get(*section, "aws_secret_access_key"),
                  Get(*section, "aws_session_token")};
    if (c.access_key_id.empty() && c.secret_access_key.empty()) {
      continue;  // e.g. a config profile with only a region
    }
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return Error(ErrorKind::kUnavailable,
                   "AWS profile '" + name + "' in the shared " +
                       (config_file ? "config" : "credentials") + " file lacks " +
                       (c.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    return c;
  }
  return Error(
      ErrorKind::kUnavailable,
      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile '" +
          name +
          "' to the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or "
          "~/.aws/credentials)");
}

Result<Credentials> LoadCredentials(std::string_view profile) {
  return LoadCredentials(CredentialEnv::Process(), profile);
}

Result<std::string> LoadRegion(const CredentialEnv& env, std::string_view profile) {
  if (auto v = NonEmpty(env, "AWS_REGION")) {
    return *v;
  }
  if (auto v = NonEmpty(env, "AWS_DEFAULT_REGION")) {
    return *v;
  }
  std::string name = ProfileName(env, profile);
  if (auto path = HomeFile(env, "AWS_CONFIG_FILE", "config")) {
    if (auto file = ReadIni(*path)) {
      if (const Section* s = FindSection(*file, name, true)) {
        std::string region = Get(*s, "region");
        if (!region.empty()) {
          return region;
        }
      }
    }
  }
  return Error(ErrorKind::kUnavailable,
               "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or `region` for profile '" +
                   name + "' in the AWS config file (AWS_CONFIG_FILE or ~/.aws/config)");
}

Result<std::string> LoadRegion(std::string_view profile) {
  return LoadRegion(CredentialEnv::Process(), profile);
}

}  // namespace baton::aws

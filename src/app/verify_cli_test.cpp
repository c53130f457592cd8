#include "app/verify_cli.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "api/signing.hpp"
#include "core/scoped_env_test_support.hpp"

namespace baton {
namespace {

constexpr const char* kSecret = "verify-cli-secret-0123456789";
constexpr const char* kEnv = "BATON_TEST_VERIFY_SECRET";

// A temp dir removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("baton-verify-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

struct Outcome {
  int code = 0;
  std::string out;
  std::string err;
};

Outcome Verify(const VerifyOptions& options) {
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Outcome r;
  r.code = RunVerify(options);
  r.out = testing::internal::GetCapturedStdout();
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

VerifyOptions WithSecretRef(std::string path) {
  VerifyOptions o;
  o.path = std::move(path);
  o.secret_ref = std::string("env:") + kEnv;
  return o;
}

TEST(VerifyCliTest, ExitCodes) {
  ScopedEnv env(kEnv, kSecret);
  TempDir dir;
  const std::string body = SignJsonBody(kSecret, "req_1", R"({"a":1})").body;
  Outcome ok = Verify(WithSecretRef(dir.Write("ok.json", body)));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "ok (1 events)\n");

  std::string edited = body;
  edited.replace(edited.find("\"a\":1"), 5, "\"a\":2");
  Outcome bad = Verify(WithSecretRef(dir.Write("bad.json", edited)));
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("bad.json: bad signature"), std::string::npos) << bad.err;

  Outcome garbage = Verify(WithSecretRef(dir.Write("garbage.txt", "not an answer\n")));
  EXPECT_EQ(garbage.code, 1);
  EXPECT_NE(garbage.err.find("missing terminal signature event"), std::string::npos) << garbage.err;

  Outcome empty = Verify(WithSecretRef(dir.Write("empty.txt", "")));
  EXPECT_EQ(empty.code, 1);

  Outcome missing = Verify(WithSecretRef(dir.Write("x", "") + ".does-not-exist"));
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
}

TEST(VerifyCliTest, WrongSecretFailsWithoutEchoingIt) {
  ScopedEnv env(kEnv, "a-wrong-secret-0123456789");
  TempDir dir;
  const std::string body = SignJsonBody(kSecret, "req_1", R"({"a":1})").body;
  Outcome r = Verify(WithSecretRef(dir.Write("ok.json", body)));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad signature"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("a-wrong-secret"), std::string::npos) << r.err;
}

TEST(VerifyCliTest, SecretSources) {
  TempDir dir;
  const std::string file = dir.Write("ok.json", SignJsonBody(kSecret, "req_1", "{}").body);
  {
    // --secret naming an unset variable: cannot check (2), the reference is named.
    ScopedEnv env(kEnv, nullptr);
    Outcome r = Verify(WithSecretRef(file));
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(kEnv), std::string::npos) << r.err;
  }
  {
    // From a config file's [signing] secret.
    ScopedEnv env(kEnv, kSecret);
    VerifyOptions o;
    o.path = file;
    o.config_path =
        dir.Write("baton.toml", std::string("[signing]\nsecret = \"env:") + kEnv + "\"\n");
    Outcome r = Verify(o);
    EXPECT_EQ(r.code, 0) << r.err;
  }
  {
    // A config whose [signing] secret is unset: 2, naming the variable, not a secret.
    ScopedEnv env(kEnv, nullptr);
    VerifyOptions o;
    o.path = file;
    o.config_path =
        dir.Write("baton2.toml", std::string("[signing]\nsecret = \"env:") + kEnv + "\"\n");
    Outcome r = Verify(o);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("signing.secret"), std::string::npos) << r.err;
  }
  {
    // A broken config: 2.
    VerifyOptions o;
    o.path = file;
    o.config_path = dir.Write("broken.toml", "[signing\n");
    EXPECT_EQ(Verify(o).code, 2);
  }
  {
    // A file: secret reference (trailing newline of the file ignored as for other secrets).
    VerifyOptions o;
    o.path = file;
    o.secret_ref = "file:" + dir.Write("secret.txt", std::string(kSecret) + "\n");
    Outcome r = Verify(o);
    EXPECT_EQ(r.code, 0) << r.err;
  }
}

}  // namespace
}  // namespace baton

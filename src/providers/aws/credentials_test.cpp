// Credential and region lookup against a fake environment and temporary files.
#include "providers/aws/credentials.hpp"

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <unistd.h>

namespace baton::aws {
namespace {

namespace fs = std::filesystem;

class AwsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("baton_aws_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / ".aws");
    vars_["HOME"] = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  CredentialEnv Env() {
    CredentialEnv env;
    env.getenv = [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars_.find(std::string(name));
      if (it == vars_.end()) {
        return std::nullopt;
      }
      return it->second;
    };
    return env;
  }
  void Write(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
  }

  fs::path dir_;
  std::map<std::string, std::string> vars_;
};

TEST_F(AwsCredentialsTest, FromEnvironment) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  vars_["AWS_SESSION_TOKEN"] = "envtoken";
  auto c = LoadCredentials(Env());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, "envsecret");
  EXPECT_EQ(c->session_token, "envtoken");
}

TEST_F(AwsCredentialsTest, HalfOfTheEnvironmentIsAnError) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  auto c = LoadCredentials(Env());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_EQ(c.error().message.find("AKIDENV"), std::string::npos);
}

TEST_F(AwsCredentialsTest, FromSharedFileDefaultProfile) {
  Write(dir_ / ".aws" / "credentials",
        "# comment\n"
        "; another\n"
        "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = othersecret\n\n"
        "[default]\r\n"
        "  aws_access_key_id=AKIDDEF  \r\n"
        "AWS_Secret_Access_Key = def/secret+key  ; inline comment\r\n");
  auto c = LoadCredentials(Env());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDDEF");
  EXPECT_EQ(c->secret_access_key, "def/secret+key");
  EXPECT_EQ(c->session_token, "");
}

TEST_F(AwsCredentialsTest, ProfileFromEnvironmentAndArgument) {
  fs::path file = dir_ / "creds.ini";
  Write(file,
        "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = s1\n"
        "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = s2\n"
        "aws_session_token = tok\n"
        "[named]\naws_access_key_id = AKIDNAMED\naws_secret_access_key = s3\n");
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = file.string();
  vars_["AWS_PROFILE"] = "work";
  auto c = LoadCredentials(Env());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDWORK");
  EXPECT_EQ(c->session_token, "tok");
  // An explicit profile wins over AWS_PROFILE, and over the environment's keys.
  vars_["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  vars_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  auto named = LoadCredentials(Env(), "named");
  ASSERT_TRUE(named.ok()) << named.error().message;
  EXPECT_EQ(named->access_key_id, "AKIDNAMED");
  auto env = LoadCredentials(Env());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->access_key_id, "AKIDENV");
}

TEST_F(AwsCredentialsTest, FromConfigFileProfileSection) {
  Write(dir_ / ".aws" / "config",
        "[profile  dev]\nregion = eu-west-1\naws_access_key_id = AKIDCFG\n"
        "aws_secret_access_key = cfgsecret\n");
  auto c = LoadCredentials(Env(), "dev");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDCFG");
}

TEST_F(AwsCredentialsTest, MissingProfileSaysWhatToSetWithoutSecrets) {
  Write(dir_ / ".aws" / "credentials",
        "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = topsecret\n");
  auto c = LoadCredentials(Env(), "nope");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(c.error().message.find("'nope'"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(c.error().message.find("topsecret"), std::string::npos);
  EXPECT_EQ(c.error().message.find(dir_.string()), std::string::npos);
}

TEST_F(AwsCredentialsTest, IncompleteProfileIsAnError) {
  Write(dir_ / ".aws" / "credentials", "[default]\naws_secret_access_key = topsecret\n");
  auto c = LoadCredentials(Env());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("aws_access_key_id"), std::string::npos);
  EXPECT_EQ(c.error().message.find("topsecret"), std::string::npos);
}

TEST_F(AwsCredentialsTest, NoHomeNoEnvironment) {
  vars_.clear();
  auto c = LoadCredentials(Env());
  ASSERT_FALSE(c.ok());
  auto r = LoadRegion(Env());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("AWS_REGION"), std::string::npos);
}

TEST_F(AwsCredentialsTest, RegionOrder) {
  Write(dir_ / ".aws" / "config",
        "[default]\nregion = us-west-2\n[profile dev]\nregion = eu-central-1\n");
  auto r = LoadRegion(Env());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "us-west-2");
  auto dev = LoadRegion(Env(), "dev");
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(*dev, "eu-central-1");
  vars_["AWS_PROFILE"] = "dev";
  EXPECT_EQ(LoadRegion(Env()).value(), "eu-central-1");
  vars_["AWS_DEFAULT_REGION"] = "ap-south-1";
  EXPECT_EQ(LoadRegion(Env()).value(), "ap-south-1");
  vars_["AWS_REGION"] = "us-east-2";
  EXPECT_EQ(LoadRegion(Env()).value(), "us-east-2");
}

}  // namespace
}  // namespace baton::aws

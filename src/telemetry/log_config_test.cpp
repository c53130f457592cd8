#include "telemetry/log_config.hpp"

#include <gtest/gtest.h>

namespace baton {
namespace {

TEST(LogConfigOptionsTest, MapsEverySetting) {
  Config config = LoadConfigString(
      "[log]\ndir = \"/var/log/baton\"\nmax_size = \"1MiB\"\nrotate_daily = false\n"
      "content = true\nqueue = 7\nfsync = true\nencrypt_key = \"" +
          std::string(64, 'b') + "\"\n",
      "baton.toml");
  auto o = RequestLogOptionsFromConfig(config.log);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->dir, "/var/log/baton");
  EXPECT_EQ(o->max_size, 1U << 20);
  EXPECT_FALSE(o->rotate_daily);
  EXPECT_TRUE(o->content);
  EXPECT_EQ(o->queue, 7U);
  EXPECT_TRUE(o->fsync);
  ASSERT_TRUE(o->encrypt_key.has_value());
  EXPECT_EQ(o->encrypt_key->bytes[0], 0xbb);
  SpendWriterOptions w = SpendWriterOptionsFor(*o);
  EXPECT_EQ(w.log_dir, "/var/log/baton");
  EXPECT_TRUE(w.key.has_value());
}

TEST(LogConfigOptionsTest, DefaultsAndAnUnsetKey) {
  auto o = RequestLogOptionsFromConfig(LoadConfigString("", "baton.toml").log);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->dir, DefaultLogDir());
  EXPECT_FALSE(o->encrypt_key.has_value());
  EXPECT_FALSE(o->content);
  ::unsetenv("BATON_TEST_UNSET_LOG_KEY");
  auto unset = RequestLogOptionsFromConfig(
      LoadConfigString("[log]\nencrypt_key = \"env:BATON_TEST_UNSET_LOG_KEY\"\n", "b.toml").log);
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().code, "bad_log_key");
  EXPECT_NE(unset.error().message.find("BATON_TEST_UNSET_LOG_KEY"), std::string::npos);
  EXPECT_NE(unset.error().message.find("in clear"), std::string::npos);
}

}  // namespace
}  // namespace baton

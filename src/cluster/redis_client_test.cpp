// RedisClient / RedisBlocking against a real redis-server started by the test (skipped when
// /usr/bin/redis-server is absent): URL parsing, pipelining order, one connection per io_context,
// passwords, fail-fast while down and reconnection after a restart.
#include "cluster/redis_client.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cluster/redis_test_server.hpp"

namespace baton {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(RedisUrl, Parses) {
  auto a = ParseRedisUrl("redis://10.0.0.5:6380/2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_TRUE(a->password.empty());
  auto b = ParseRedisUrl("redis://:s%40cret@cache.internal");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "cache.internal");
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->password, "s@cret");
  EXPECT_EQ(b->Printable(), "cache.internal:6379");
  auto c = ParseRedisUrl("redis://user:pw@[::1]:7000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  EXPECT_EQ(c->password, "pw");
}

TEST(RedisUrl, RejectsWithoutEchoingThePassword) {
  for (const char* url : {"http://:hunter2@h:1", "redis://:hunter2@h:99999", "redis://:hunter2@",
                          "redis://:hunter2@h:1/x"}) {
    auto r = ParseRedisUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  }
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveRedisServer()) {
      GTEST_SKIP() << "redis-server is not installed (/usr/bin/redis-server)";
    }
    ASSERT_EQ(server_.Start(), "");
  }
  testing::TestRedisServer server_;
  boost::asio::io_context ctx_;
};

Awaitable<Result<RedisReply>> Cmd(RedisClient* client, std::vector<std::string> args) {
  co_return co_await client->Command(std::move(args));
}

Awaitable<void> EchoInto(RedisClient* client, std::string value, std::string* got, int* done) {
  std::vector<std::string> args;
  args.emplace_back("ECHO");
  args.push_back(std::move(value));
  Result<RedisReply> r = co_await client->Command(std::move(args));
  *got = r.ok() ? r->str : "error: " + r.error().message;
  ++*done;
}

TEST_F(RedisClientTest, PipelinedRepliesCompleteInOrderOnOneConnection) {
  RedisClient client(server_.options());
  constexpr int kN = 300;
  std::vector<std::string> got(kN);
  int done = 0;
  for (int i = 0; i < kN; ++i) {
    boost::asio::co_spawn(ctx_, EchoInto(&client, "v" + std::to_string(i), &got[i], &done),
                          boost::asio::detached);
  }
  while (done < kN) {
    ctx_.run_one();
  }
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(got[i], "v" + std::to_string(i));
  }
  // All of them went over one connection (plus this blocking one).
  RedisBlocking admin(server_.options());
  auto info = admin.Command({"INFO", "clients"});
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->str.find("connected_clients:2"), std::string::npos) << info->str;
}

TEST_F(RedisClientTest, PasswordsAndErrors) {
  testing::TestRedisServer secured("t0p-secret");
  ASSERT_EQ(secured.Start(), "");
  RedisClient good(secured.options());
  auto r = testing::RunOn(ctx_, Cmd(&good, {"PING"}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->str, "PONG");
  RedisOptions wrong = secured.options();
  wrong.endpoint.password = "nope-wrong";
  RedisClient bad(wrong);
  auto refused = testing::RunOn(ctx_, Cmd(&bad, {"PING"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(refused.error().message.find("nope-wrong"), std::string::npos);
  RedisBlocking blocking_bad(wrong);
  auto b = blocking_bad.Command({"PING"});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message.find("nope-wrong"), std::string::npos);
  // A Redis error is a reply, not a transport failure.
  auto e = testing::RunOn(ctx_, Cmd(&good, {"NOSUCHCOMMAND"}));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_error());
}

TEST_F(RedisClientTest, FailsFastWhileDownAndReconnects) {
  RedisOptions options = server_.options();
  options.timeout = milliseconds(200);
  RedisClient client(options);
  ASSERT_TRUE(testing::RunOn(ctx_, Cmd(&client, {"SET", "k", "1"})).ok());
  server_.Stop();
  for (int i = 0; i < 5; ++i) {
    const auto start = steady_clock::now();
    auto r = testing::RunOn(ctx_, Cmd(&client, {"GET", "k"}));
    const auto took = steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
    EXPECT_LT(took, milliseconds(400)) << "a dead Redis must not hold a request";
  }
  ASSERT_EQ(server_.Start(), "");
  const auto until = steady_clock::now() + std::chrono::seconds(5);
  bool back = false;
  while (!back && steady_clock::now() < until) {
    auto r = testing::RunOn(ctx_, Cmd(&client, {"PING"}));
    back = r.ok() && r->str == "PONG";
    if (!back) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  EXPECT_TRUE(back) << "reconnected after the restart";
}

TEST_F(RedisClientTest, HungServerTimesOut) {
  RedisOptions options = server_.options();
  options.timeout = milliseconds(150);
  RedisClient client(options);
  ASSERT_TRUE(testing::RunOn(ctx_, Cmd(&client, {"PING"})).ok());
  RedisBlocking admin(server_.options());
  // DEBUG SLEEP blocks the server for 1 s: our command gets no reply in time.
  ASSERT_TRUE(admin.Send(std::vector<std::string>{"DEBUG", "SLEEP", "1"}).ok());
  std::this_thread::sleep_for(milliseconds(100));  // the server is asleep now
  const auto start = steady_clock::now();
  auto r = testing::RunOn(ctx_, Cmd(&client, {"PING"}));
  EXPECT_FALSE(r.ok());
  EXPECT_LT(steady_clock::now() - start, milliseconds(600));
}

}  // namespace
}  // namespace baton

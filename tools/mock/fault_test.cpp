// The run-time fault of baton-mock: parsing the /mock/fault body, its JSON view, and FaultState's
// counting and clearing across threads.
#include "mock/fault.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace baton::mock {
namespace {

Fault Parse(std::string_view body) {
  Fault f;
  std::string error;
  EXPECT_TRUE(ParseFault(body, &f, &error)) << body << ": " << error;
  return f;
}

std::string ParseError(std::string_view body) {
  Fault f;
  std::string error;
  EXPECT_FALSE(ParseFault(body, &f, &error)) << body;
  return error;
}

TEST(MockFault, ParsesEveryKey) {
  Fault f = Parse(R"({"status":429,"retry_after":2,"retry_after_ms":1500,"fail_rate":0.5,
                      "count":3})");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.retry_after_s, 2);
  EXPECT_EQ(f.retry_after_ms, 1500);
  EXPECT_DOUBLE_EQ(f.fail_rate, 0.5);
  EXPECT_EQ(f.count, 3);

  f = Parse(R"({"reset":true})");
  EXPECT_TRUE(f.reset);
  EXPECT_EQ(f.status, 0);
  EXPECT_EQ(f.count, -1);
  EXPECT_TRUE(Parse(R"({"hang":true})").hang);
  EXPECT_EQ(Parse(R"({"drop_after_chunks":0})").drop_after_chunks, 0);
  EXPECT_EQ(Parse(R"({"drop_after_chunks":1})").drop_after_chunks, 1);
  EXPECT_EQ(Parse(R"({"latency_ms":300})").latency_ms, 300);
  EXPECT_EQ(Parse(R"({"chunk_delay_ms":50})").chunk_delay_ms, 50);
  // null = absent; integers written as 2.0 are integers.
  f = Parse(R"({"status":500.0,"retry_after":null,"hang":false})");
  EXPECT_EQ(f.status, 500);
  EXPECT_EQ(f.retry_after_s, -1);
  EXPECT_FALSE(f.hang);
}

TEST(MockFault, EmptyBodiesClear) {
  for (std::string_view body : {"", " \n", "{}", R"({"hang":false})", R"({"count":2})"}) {
    Fault f = Parse(body);
    EXPECT_TRUE(f.Empty()) << body;
    EXPECT_EQ(f.count, -1) << body;
    EXPECT_EQ(FaultJson(f), "{}") << body;
  }
}

TEST(MockFault, RejectsBadBodies) {
  EXPECT_EQ(ParseError("{"), "the body must be a JSON object");
  EXPECT_EQ(ParseError("[1]"), "the body must be a JSON object");
  EXPECT_EQ(ParseError("500"), "the body must be a JSON object");
  EXPECT_NE(ParseError(R"({"statsu":500})").find("unknown key \"statsu\""), std::string::npos);
  EXPECT_EQ(ParseError(R"({"status":"500"})"), "status must be an integer from 100 to 599");
  EXPECT_EQ(ParseError(R"({"status":600})"), "status must be an integer from 100 to 599");
  EXPECT_EQ(ParseError(R"({"status":500.5})"), "status must be an integer from 100 to 599");
  EXPECT_EQ(ParseError(R"({"reset":1})"), "reset must be true or false");
  EXPECT_EQ(ParseError(R"({"hang":"yes"})"), "hang must be true or false");
  EXPECT_NE(ParseError(R"({"latency_ms":-1})").find("latency_ms must be"), std::string::npos);
  EXPECT_NE(ParseError(R"({"drop_after_chunks":-1})").find("drop_after_chunks"), std::string::npos);
  EXPECT_NE(ParseError(R"({"status":500,"count":0})").find("count must be"), std::string::npos);
  EXPECT_EQ(ParseError(R"({"status":500,"fail_rate":1.5})"),
            "fail_rate must be a number from 0 to 1");
  EXPECT_EQ(ParseError(R"({"retry_after":1})"), "fail_rate and retry_after need a status");
  EXPECT_EQ(ParseError(R"({"fail_rate":0.5})"), "fail_rate and retry_after need a status");
}

TEST(MockFault, JsonRoundTrips) {
  for (std::string_view body :
       {R"({"status":500})", R"({"status":429,"retry_after":1})",
        R"({"status":503,"fail_rate":0.25,"retry_after_ms":300,"count":2})", R"({"reset":true})",
        R"({"hang":true})", R"({"drop_after_chunks":1})", R"({"latency_ms":300})",
        R"({"chunk_delay_ms":50})", R"({"drop_after_chunks":3,"chunk_delay_ms":5,"count":1})"}) {
    Fault f = Parse(body);
    EXPECT_EQ(FaultJson(f), body);
    EXPECT_EQ(FaultJson(Parse(FaultJson(f))), body);
  }
}

TEST(MockFault, UncountedFaultReachesEveryRequest) {
  Fault f;
  f.latency_ms = 10;
  FaultState state(f);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(state.Take(true).latency_ms, 10);
    EXPECT_EQ(state.Take(false).latency_ms, 10);
  }
  EXPECT_EQ(state.Get().latency_ms, 10);
  state.Set(Fault{});
  EXPECT_TRUE(state.Take(true).Empty());
  EXPECT_EQ(FaultJson(state.Get()), "{}");
}

TEST(MockFault, CountedFaultClearsItself) {
  FaultState state;
  EXPECT_TRUE(state.Take(true).Empty());
  state.Set(Parse(R"({"status":500,"count":2})"));
  EXPECT_TRUE(state.Take(false).Empty());  // models, count_tokens: not counted, no fault
  EXPECT_EQ(FaultJson(state.Get()), R"({"status":500,"count":2})");
  EXPECT_EQ(state.Take(true).status, 500);
  EXPECT_EQ(FaultJson(state.Get()), R"({"status":500,"count":1})");
  EXPECT_EQ(state.Take(true).status, 500);
  EXPECT_EQ(state.Take(true).status, 0);
  EXPECT_EQ(FaultJson(state.Get()), "{}");
}

TEST(MockFault, CountIsExactAcrossThreads) {
  FaultState state;
  state.Set(Parse(R"({"status":503,"count":1000})"));
  std::atomic<int> faulted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (state.Take(true).status == 503) {
          faulted.fetch_add(1);
        }
        state.Take(false);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(faulted.load(), 1000);
  EXPECT_TRUE(state.Get().Empty());
}

}  // namespace
}  // namespace baton::mock

#include "telemetry/metrics.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace baton {
namespace {

RequestRecord Ok(std::string model, int64_t latency_ms) {
  RequestRecord r;
  r.model_asked = std::move(model);
  r.model_used = "openai/gpt-4o";
  r.provider = "openai";
  r.status = 200;
  r.latency_ms = latency_ms;
  r.prompt_tokens = 10;
  r.completion_tokens = 5;
  r.cached_tokens = 2;
  r.cost = 1'500'000'000;  // $0.0015
  return r;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, EmptyRegistryRendersEveryFamily) {
  Metrics m;
  const std::string text = m.Render();
  for (const char* family :
       {"baton_build_info", "baton_requests_in_flight", "baton_requests_total",
        "baton_request_duration_seconds", "baton_time_to_first_token_seconds", "baton_tokens_total",
        "baton_cost_usd_total", "baton_budget_refusals_total", "baton_budget_warnings_total",
        "baton_rate_limit_refusals_total", "baton_upstream_errors_total", "baton_fallbacks_total",
        "baton_cooldowns_total", "baton_deployment_up"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
  }
  EXPECT_TRUE(Has(text, "baton_build_info{version=\"" + std::string(kBatonVersion) + "\"} 1"));
  EXPECT_TRUE(Has(text, "baton_requests_in_flight 0"));
  EXPECT_TRUE(Has(text, "baton_rate_limit_refusals_total 0"));
}

TEST(MetricsTest, CountsRequestsTokensAndCost) {
  Metrics m;
  m.Observe(Ok("gpt", 40));
  m.Observe(Ok("gpt", 40));
  RequestRecord missing;
  missing.model_asked = "no-such-model";
  missing.status = 404;
  missing.error = "model_not_found";
  m.Observe(missing);
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, R"(baton_requests_total{model="gpt",provider="openai",status="200"} 2)"))
      << text;
  // A model the router did not know never becomes a label value of its own.
  EXPECT_TRUE(
      Has(text, R"(baton_requests_total{model="_unknown_",provider="none",status="404"} 1)"));
  EXPECT_EQ(text.find("no-such-model"), std::string::npos);
  EXPECT_TRUE(Has(text, R"(baton_tokens_total{model="gpt",type="prompt"} 20)"));
  EXPECT_TRUE(Has(text, R"(baton_tokens_total{model="gpt",type="completion"} 10)"));
  EXPECT_TRUE(Has(text, R"(baton_tokens_total{model="gpt",type="cached"} 4)"));
  EXPECT_TRUE(Has(text, R"(baton_cost_usd_total{model="gpt"} 0.003)"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Metrics m;
  m.Observe(Ok("gpt", 3));       // <= 5 ms
  m.Observe(Ok("gpt", 10));      // on the 10 ms bound: le="0.01"
  m.Observe(Ok("gpt", 700));     // <= 1 s
  m.Observe(Ok("gpt", 400000));  // past every bound: +Inf only
  const std::string text = m.Render();
  const std::string b = R"(baton_request_duration_seconds_bucket{model="gpt",le=")";
  EXPECT_TRUE(Has(text, b + R"(0.005"} 1)")) << text;
  EXPECT_TRUE(Has(text, b + R"(0.01"} 2)"));
  EXPECT_TRUE(Has(text, b + R"(0.025"} 2)"));
  EXPECT_TRUE(Has(text, b + R"(0.5"} 2)"));
  EXPECT_TRUE(Has(text, b + R"(1"} 3)"));
  EXPECT_TRUE(Has(text, b + R"(300"} 3)"));
  EXPECT_TRUE(Has(text, b + R"(+Inf"} 4)"));
  EXPECT_TRUE(Has(text, R"(baton_request_duration_seconds_sum{model="gpt"} 400.713)"));
  EXPECT_TRUE(Has(text, R"(baton_request_duration_seconds_count{model="gpt"} 4)"));
  // Not streams: no time-to-first-token series.
  EXPECT_EQ(text.find("baton_time_to_first_token_seconds_count"), std::string::npos);

  RequestRecord s = Ok("gpt", 900);
  s.stream = true;
  s.ttft_ms = 120;
  m.Observe(s);
  RequestRecord no_token = Ok("gpt", 900);
  no_token.stream = true;  // ttft_ms stays -1: not counted
  m.Observe(no_token);
  const std::string after = m.Render();
  EXPECT_TRUE(Has(after, R"(baton_time_to_first_token_seconds_bucket{model="gpt",le="0.1"} 0)"));
  EXPECT_TRUE(Has(after, R"(baton_time_to_first_token_seconds_bucket{model="gpt",le="0.25"} 1)"));
  EXPECT_TRUE(Has(after, R"(baton_time_to_first_token_seconds_count{model="gpt"} 1)"));
  EXPECT_TRUE(Has(after, R"(baton_time_to_first_token_seconds_sum{model="gpt"} 0.12)"));
}

TEST(MetricsTest, RefusalsErrorsFallbacksAndWarnings) {
  Metrics m;
  RequestRecord budget;
  budget.model_asked = "gpt";
  budget.status = 429;
  budget.error = "budget_exceeded";
  m.Observe(budget, "key");
  m.Observe(budget, "key");
  RequestRecord rate = budget;
  rate.error = "rate_limit_exceeded";
  m.Observe(rate);
  RequestRecord upstream = Ok("gpt", 5);
  upstream.status = 502;
  upstream.error = "upstream_error";
  upstream.fallbacks = 2;
  m.Observe(upstream);
  RequestRecord timeout = Ok("gpt", 5);
  timeout.status = 504;
  timeout.provider.clear();
  m.Observe(timeout);
  m.BudgetWarning("team");
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, R"(baton_budget_refusals_total{scope="key"} 2)")) << text;
  EXPECT_TRUE(Has(text, "baton_rate_limit_refusals_total 1"));
  EXPECT_TRUE(Has(text, R"(baton_upstream_errors_total{provider="openai"} 1)"));
  EXPECT_TRUE(Has(text, R"(baton_upstream_errors_total{provider="none"} 1)"));
  EXPECT_TRUE(Has(text, "baton_fallbacks_total 2"));
  EXPECT_TRUE(Has(text, R"(baton_budget_warnings_total{scope="team"} 1)"));
  EXPECT_EQ(text.find(R"(baton_budget_refusals_total{scope="team"})"), std::string::npos);
}

TEST(MetricsTest, DeploymentsAndInFlight) {
  Metrics m;
  {
    Metrics::InFlight a(&m);
    Metrics::InFlight b(&m);
    Metrics::InFlight none(nullptr);
    EXPECT_TRUE(Has(m.Render(), "baton_requests_in_flight 2"));
  }
  EXPECT_EQ(m.in_flight(), 0);
  const std::string text = m.Render({{"openai/gpt-4o", 3, false}, {"echo/echo", 0, true}});
  EXPECT_TRUE(Has(text, R"(baton_cooldowns_total{deployment="openai/gpt-4o"} 3)"));
  EXPECT_TRUE(Has(text, R"(baton_deployment_up{deployment="openai/gpt-4o"} 0)"));
  EXPECT_TRUE(Has(text, R"(baton_deployment_up{deployment="echo/echo"} 1)"));
  EXPECT_EQ(text.find("baton_upstream_pool_connections"), std::string::npos);
  const std::string pooled = m.Render({}, PoolSample{3, 1});
  EXPECT_TRUE(Has(pooled, R"(baton_upstream_pool_connections{state="idle"} 3)"));
  EXPECT_TRUE(Has(pooled, R"(baton_upstream_pool_connections{state="busy"} 1)"));
  // Sorted by id.
  EXPECT_LT(text.find(R"(deployment="echo/echo")"), text.find(R"(deployment="openai/gpt-4o")"));
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeLabelValue("caf\xC3\xA9"), "caf\xC3\xA9");  // valid UTF-8 kept
  EXPECT_EQ(EscapeLabelValue("x\xFFy"), "x\xEF\xBF\xBDy");    // invalid byte
  EXPECT_EQ(EscapeLabelValue("\xC3"), "\xEF\xBF\xBD");        // cut sequence
  EXPECT_EQ(EscapeLabelValue("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  Metrics m;
  m.Observe(Ok("we\"ird\\mo\ndel", 1));
  EXPECT_TRUE(
      Has(m.Render(),
          R"(baton_requests_total{model="we\"ird\\mo\ndel",provider="openai",status="200"} 1)"));
}

TEST(MetricsTest, LabelSetsAreBounded) {
  Metrics m;
  for (std::size_t i = 0; i < Metrics::kMaxSeries + 50; ++i) {
    m.Observe(Ok("openai/m" + std::to_string(i), 1));
  }
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, R"(baton_cost_usd_total{model="_other_"} 0.075)")) << text.substr(0, 300);
  // The requests family holds (model, provider, status): the overflow shares one label set.
  EXPECT_TRUE(
      Has(text, R"(baton_requests_total{model="_other_",provider="_other_",status="_other_"} 50)"));
  // Known label sets keep counting after the table is full.
  m.Observe(Ok("openai/m0", 1));
  EXPECT_TRUE(Has(m.Render(),
                  R"(baton_requests_total{model="openai/m0",provider="openai",status="200"} 2)"));
}

TEST(MetricsTest, ObserveFromManyThreads) {
  Metrics m;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // New label sets appear concurrently (inserts race lookups) as well as shared ones.
        m.Observe(Ok("model-" + std::to_string(i % 20), 1 + (t % 3)));
        m.Observe(Ok("shared", 7));
      }
    });
  }
  std::string scrape;
  for (int i = 0; i < 20; ++i) {
    scrape = m.Render();  // scrapes race the writers
  }
  for (auto& th : threads) {
    th.join();
  }
  const std::string text = m.Render();
  EXPECT_TRUE(Has(text, R"(baton_requests_total{model="shared",provider="openai",status="200"} )" +
                            std::to_string(kThreads * kPerThread)));
  EXPECT_TRUE(Has(text, R"(baton_request_duration_seconds_count{model="shared"} )" +
                            std::to_string(kThreads * kPerThread)));
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(Has(text, "baton_requests_total{model=\"model-" + std::to_string(i) +
                              "\",provider=\"openai\",status=\"200\"} " +
                              std::to_string(kThreads * kPerThread / 20)))
        << i;
  }
}

}  // namespace
}  // namespace baton

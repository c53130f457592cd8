// ModelCatalog::Refresh against a real baton-mock service (in process, on port 0): each dialect's
// list endpoint and parser, concurrent fetches, the bounded wait, failures kept apart.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "mock/mock_service.hpp"
#include "router/discovery.hpp"
#include "server/server.hpp"
#include "upstream/client.hpp"

namespace baton {
namespace {

using Names = std::vector<std::string>;

// A baton-mock on a thread of its own.
class MockUpstream {
 public:
  explicit MockUpstream(mock::MockOptions options = {}) : service_(std::move(options)) {
    ServerOptions so;
    so.threads = 1;
    so.handle_signals = false;
    so.drain_timeout = std::chrono::milliseconds(200);
    server_ = std::make_unique<Server>(so, [this](HttpRequest& request, ResponseWriter& writer) {
      return service_.Handle(request, writer);
    });
    server_->Bind();
    service_.AttachServer(server_.get());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~MockUpstream() {
    server_->Shutdown();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

 private:
  mock::MockService service_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

// Runs catalog.Refresh on an io_context of its own with an UpstreamClient; returns how long the
// call took.
std::chrono::milliseconds RunRefresh(ModelCatalog& catalog,
                                     std::shared_ptr<const Snapshot> snapshot, bool force,
                                     std::chrono::milliseconds wait) {
  boost::asio::io_context ioc;
  UpstreamClient client(ioc, ProxySettings{});
  UpstreamClient::SetForThisThread(&client);
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point end;
  boost::asio::co_spawn(ioc, catalog.Refresh(std::move(snapshot), force, wait),
                        [&](const std::exception_ptr&) {
                          end = std::chrono::steady_clock::now();
                          ioc.stop();
                        });
  ioc.run();
  client.Stop();
  UpstreamClient::SetForThisThread(nullptr);
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
}

TEST(ModelCatalogRefreshTest, FetchesEveryDialectsListConcurrently) {
  MockUpstream upstream;
  const std::string url = upstream.Url();
  auto snapshot = Snapshot::Build(LoadConfigString(R"toml(
[providers.oai]
kind = "openai-compatible"
base_url = ")toml" + url + R"toml(/v1"
[providers.ant]
kind = "anthropic"
base_url = ")toml" + url + R"toml(/v1"
api_key = "literal-test-key"
[providers.gem]
kind = "gemini"
base_url = ")toml" + url + R"toml(/v1beta"
api_key = "literal-test-key"
[providers.local]
kind = "ollama"
api = "native"
base_url = ")toml" + url + R"toml("
[providers.down]
kind = "openai-compatible"
base_url = "http://127.0.0.1:9/v1"
[providers.echo]
kind = "echo"
models = ["e1"]
)toml",
                                                   "test.toml"));
  ModelCatalog catalog;
  ASSERT_TRUE(catalog.NeedsRefresh(*snapshot));
  RunRefresh(catalog, snapshot, false, std::chrono::milliseconds(3000));
  EXPECT_EQ(catalog.DiscoveredIds(*snapshot),
            (Names{"oai/mock-gpt", "oai/mock-gpt-mini", "oai/mock-embed", "ant/claude-mock-sonnet",
                   "ant/claude-mock-haiku", "gem/gemini-mock-flash", "gem/gemini-mock-pro",
                   "local/llama3.2:latest", "local/qwen3:0.6b"}));
  auto status = catalog.Status(*snapshot);
  ASSERT_EQ(status.size(), 6U);
  EXPECT_EQ(status[4].provider, "down");
  EXPECT_TRUE(status[4].models.empty());
  EXPECT_FALSE(status[4].error.empty());
  EXPECT_FALSE(status[4].fetched_at.has_value());
  EXPECT_TRUE(status[0].error.empty()) << status[0].error;
  EXPECT_TRUE(status[0].fetched_at.has_value());
  EXPECT_FALSE(catalog.NeedsRefresh(*snapshot));  // fresh now; "down" waits for its retry
}

TEST(ModelCatalogRefreshTest, WaitsAtMostTheBoundForAHangingUpstream) {
  mock::MockOptions hang;
  hang.hang = true;
  MockUpstream stuck(hang);
  MockUpstream fine;
  auto snapshot = Snapshot::Build(LoadConfigString(R"toml(
[providers.stuck]
kind = "openai-compatible"
base_url = ")toml" + stuck.Url() + R"toml(/v1"
[providers.fine]
kind = "openai-compatible"
base_url = ")toml" + fine.Url() + R"toml(/v1"
)toml",
                                                   "test.toml"));
  ModelCatalog catalog;
  auto took = RunRefresh(catalog, snapshot, false, std::chrono::milliseconds(300));
  EXPECT_GE(took.count(), 250);
  EXPECT_LT(took.count(), 1500);
  EXPECT_EQ(catalog.DiscoveredIds(*snapshot),
            (Names{"fine/mock-gpt", "fine/mock-gpt-mini", "fine/mock-embed"}));
  auto status = catalog.Status(*snapshot);
  EXPECT_FALSE(status[0].error.empty());  // timed out by the deadline
}

TEST(ModelCatalogRefreshTest, AnUpstreamErrorStatusIsRecordedWithoutItsBody) {
  mock::MockOptions keyed;
  keyed.require_key = "the-right-key";
  MockUpstream upstream(keyed);
  auto snapshot = Snapshot::Build(LoadConfigString(R"toml(
[providers.oai]
kind = "openai-compatible"
base_url = ")toml" + upstream.Url() + R"toml(/v1"
api_key = "sk-wrong-key-5678"
)toml",
                                                   "test.toml"));
  ModelCatalog catalog;
  RunRefresh(catalog, snapshot, true, std::chrono::milliseconds(2000));
  auto status = catalog.Status(*snapshot);
  ASSERT_EQ(status.size(), 1U);
  EXPECT_EQ(status[0].error, "the upstream answered HTTP 401");
  EXPECT_TRUE(catalog.DiscoveredIds(*snapshot).empty());
}

}  // namespace
}  // namespace baton

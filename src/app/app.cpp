#include "app/app.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "api/api.hpp"
#include "app/runtime.hpp"
#include "config/config.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "router/route_table.hpp"
#include "server/server.hpp"
#include "upstream/client.hpp"

namespace baton {

namespace {

bool IsLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

// The config to serve, and the file it came from (empty for the built-in default), which a
// reload reads again.
std::pair<Config, std::string> LoadForServe(const ServeOptions& options) {
  if (!options.config_path.empty()) {
    return {LoadConfigFile(options.config_path), options.config_path};
  }
  std::string default_path = DefaultConfigPath();
  std::error_code ec;
  if (!default_path.empty() && std::filesystem::exists(default_path, ec)) {
    return {LoadConfigFile(default_path), default_path};
  }
  return {LoadConfigString(DefaultConfigToml(), "<built-in default>"), std::string()};
}

}  // namespace

int RunConfigCheck(const std::string& path) {
  try {
    Config config = LoadConfigFile(path);
    auto snapshot = Snapshot::Build(std::move(config));
    std::printf("%s: ok (%zu providers, %zu models)\n", path.c_str(),
                snapshot->config().providers.size(), snapshot->routes().model_ids().size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: %s\n", e.what());
    return 1;
  }
}

int RunServe(const ServeOptions& options) {
  std::unique_ptr<Runtime> runtime;
  try {
    auto [config, path] = LoadForServe(options);
    if (options.host) {
      config.server.host = *options.host;
    }
    if (options.port) {
      config.server.port = *options.port;
    }
    if (config.server.master_key_configured && config.server.master_key.empty()) {
      std::fprintf(stderr, "baton: %s: server.master_key: %s; refusing to start open\n",
                   config.source.c_str(), config.server.master_key_unset_reason.c_str());
      return 1;
    }
    RuntimeOptions runtime_options;
    runtime_options.config_path = path;
    runtime_options.host = options.host;
    runtime_options.port = options.port;
    runtime = std::make_unique<Runtime>(std::move(config), std::move(runtime_options));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: %s\n", e.what());
    return 1;
  }
  // The first snapshot's server settings are the running ones: a reload keeps them.
  // (A copy: the first snapshot need not outlive the first reload.)
  const ServerConfig sc = runtime->Current()->config().server;
  if (!IsLoopbackHost(sc.host) && !sc.master_key_configured) {
    std::fprintf(stderr,
                 "baton: warning: listening on %s without a master key: anyone who can reach "
                 "this address can use your providers. Set [server] master_key.\n",
                 sc.host.c_str());
  }

  ProxySettings proxy = ProxySettings::FromEnvironment();

  ServerOptions so;
  so.host = sc.host;
  so.port = sc.port;
  so.threads = sc.threads;
  so.max_body_bytes = sc.max_body_bytes;
  so.max_header_bytes = sc.max_header_bytes;
  so.read_timeout = sc.read_timeout;
  so.idle_timeout = sc.idle_timeout;
  so.write_timeout = sc.write_timeout;
  so.drain_timeout = sc.drain_timeout;
  // SIGHUP: re-read the config file. Runs on worker 0 between requests (a file read and a
  // snapshot build, milliseconds); the outcome is logged by Reload().
  so.on_sighup = [&runtime] { (void)runtime->Reload("SIGHUP"); };
  so.render_error = [](int status, std::string_view message) {
    ErrorKind kind = ErrorKind::kBadRequest;  // 400, 408, 431
    if (status == 413) {
      kind = ErrorKind::kPayloadTooLarge;
    } else if (status >= 500) {
      kind = ErrorKind::kInternal;
    }
    return std::pair<std::string, std::string>(
        "application/json", openai::RenderError(Error(kind, std::string(message))));
  };
  // One upstream client per worker thread; they outlive the server so that sessions destroyed
  // with their io_context can still return their connections.
  int threads = sc.threads > 0
                    ? sc.threads
                    : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<UpstreamClient>> clients(static_cast<std::size_t>(threads));
  so.on_thread_start = [&clients, &proxy](int index, boost::asio::io_context& ioc) {
    auto& slot = clients[static_cast<std::size_t>(index)];
    slot = std::make_unique<UpstreamClient>(ioc, proxy);
    UpstreamClient::SetForThisThread(slot.get());
  };
  so.on_thread_stop = [&clients](int index, boost::asio::io_context&) {
    clients[static_cast<std::size_t>(index)]->Stop();
  };
  so.threads = threads;

  std::unique_ptr<Server> server;
  ApiStatus api_status;
  api_status.draining = [&server] { return server && server->draining(); };
  Api api([&runtime] { return runtime->Current(); }, api_status, runtime.get());
  server = std::make_unique<Server>(so, [&api](HttpRequest& request, ResponseWriter& writer) {
    return api.Handle(request, writer);
  });
  try {
    server->Bind();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: %s\n", e.what());
    return 1;
  }
  auto initial = runtime->Current();
  std::printf("baton listening on http://%s:%u\n", sc.host.c_str(),
              static_cast<unsigned>(server->port()));
  std::printf("baton config: %s (%zu providers, %zu models), %d worker threads\n",
              initial->config().source.c_str(), initial->config().providers.size(),
              initial->routes().model_ids().size(), server->threads());
  std::fflush(stdout);
  initial.reset();
  server->Run();
  // Event feeds run on the event bus's own thread, each awaited by a connection coroutine of a
  // (now stopped) worker: end them while the workers' io_contexts still exist.
  runtime->StopEventDelivery();
  server.reset();
  std::fprintf(stderr, "baton: stopped\n");
  return 0;
}

}  // namespace baton

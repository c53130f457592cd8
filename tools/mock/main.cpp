// baton-mock: a fast, faithful stand-in for LLM providers in their own dialects (see
// tools/mock/README.md).
// Flags become MockOptions (the initial fault, replaceable at run time through /mock/fault); the
// Server from src/server does the HTTP, signals and drain.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "mock/mock_service.hpp"
#include "server/server.hpp"

namespace {

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "baton-mock: fake LLM provider (OpenAI, Azure, Anthropic, Gemini, Ollama, Bedrock) for tests "
      "and benchmarks"};
  baton::mock::MockOptions options;
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 1;
  double fail_rate = -1;
  app.add_option("--host", host, "address to listen on")->capture_default_str();
  app.add_option("--port", port, "port (0 = any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads (0 = one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--latency-ms", options.latency_ms, "wait before the response head")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--chunks", options.chunks, "words per generated answer (one stream chunk each)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--chunk-delay-ms", options.chunk_delay_ms,
                 "wait before each content chunk of a stream")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--fail-status", options.fail_status,
                 "answer chat/embedding requests with this HTTP status and an OpenAI error")
      ->check(CLI::Range(100, 599));
  app.add_option("--fail-rate", fail_rate,
                 "fraction of requests failing with --fail-status (default 1), deterministic")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--drop-after-chunks", options.drop_after_chunks,
                 "cut streams after N events (non-streaming: cut before answering)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--retry-after", options.retry_after_s,
                 "with --fail-status: send `retry-after: S` (seconds) on the injected errors")
      ->check(CLI::Range(0, 86400));
  app.add_option("--retry-after-ms", options.retry_after_ms,
                 "with --fail-status: send `retry-after-ms: MS` on the injected errors")
      ->check(CLI::Range(0, 86400000));
  app.add_flag("--reset", options.reset,
               "reset the connection (TCP RST) of generation/embedding requests before answering");
  app.add_flag("--hang", options.hang, "read requests and never answer");
  app.add_option("--fixtures", options.fixtures_dir,
                 "directory of recorded bodies: model <name> answers <name>.sse / <name>.json")
      ->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);

  if (fail_rate >= 0) {
    if (options.fail_status == 0) {
      std::cerr << "baton-mock: --fail-rate needs --fail-status\n";
      return 2;
    }
    options.fail_rate = fail_rate;
  }
  if ((options.retry_after_s >= 0 || options.retry_after_ms >= 0) && options.fail_status == 0) {
    std::cerr << "baton-mock: --retry-after needs --fail-status\n";
    return 2;
  }
  if (const char* key = std::getenv("MOCK_REQUIRE_KEY"); key != nullptr) {
    options.require_key = key;
  }
  if (const char* secret = std::getenv("MOCK_AWS_SECRET"); secret != nullptr) {
    options.aws_secret = secret;
  }

  try {
    baton::mock::MockService service(options);

    baton::ServerOptions server_options;
    server_options.host = host;
    server_options.port = static_cast<uint16_t>(port);
    server_options.threads = threads;
    server_options.handle_signals = true;
    server_options.drain_timeout = std::chrono::milliseconds(5'000);
    server_options.render_error = &baton::mock::MockService::RenderError;

    baton::HttpHandler handler = [&service](baton::HttpRequest& request,
                                            baton::ResponseWriter& writer) {
      return service.Handle(request, writer);
    };
    baton::Server server(std::move(server_options), std::move(handler));
    server.Bind();
    service.AttachServer(&server);
    std::printf("baton-mock listening on http://%s:%u\n", UrlHost(host).c_str(),
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    server.Run();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}

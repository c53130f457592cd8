// The HTTP/1.1 server: listeners, worker threads, connection loops, graceful drain.
//
// One io_context per worker thread, each with its own SO_REUSEPORT listener, so a connection and
// everything it does (handler, upstream calls from the handler) stays on one thread with no locks.
// Limits: header and body size, read timeout for a request once started, idle timeout between
// keep-alive requests, write timeout for slow readers. Every response carries `x-request-id`
// (the client's own when it sent a sane one). Server-level failures (413, 400 malformed HTTP,
// 408) are rendered by ServerOptions::render_error.
// Lifetime: the Server must outlive Run(); Shutdown() is thread-safe and may be called from any
// thread or from a signal handler installed by the Server itself (handle_signals).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/http.hpp"

namespace boost::asio {
class io_context;
}

namespace baton {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port; see Server::port()
  int threads = 0;    // 0 = one per core
  std::size_t max_header_bytes = 64U << 10;
  std::size_t max_body_bytes = 32U << 20;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{75'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds drain_timeout{15'000};
  // Install SIGINT/SIGTERM → Shutdown(), SIGHUP → on_sighup.
  bool handle_signals = true;
  std::function<void()> on_sighup;
  // Runs on each worker thread before it serves (thread-local setup, e.g. upstream pools).
  std::function<void(int worker_index, boost::asio::io_context& ioc)> on_thread_start;
  // Runs on each worker thread after its io_context stopped.
  std::function<void(int worker_index, boost::asio::io_context& ioc)> on_thread_stop;
  // Renders an error the server itself produces: returns {content-type, body}.
  std::function<std::pair<std::string, std::string>(int status, std::string_view message)>
      render_error;
};

class Server {
 public:
  Server(ServerOptions options, HttpHandler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every worker's listener and, with handle_signals, starts catching SIGINT/SIGTERM (and
  // SIGHUP): from here on they drain the server. Throws std::runtime_error with a clear message
  // on failure.
  void Bind();
  // The bound port (after Bind()).
  uint16_t port() const;
  // Serves until Shutdown() completes the drain. Blocks the calling thread, which becomes
  // worker 0.
  void Run();
  // Stops accepting, lets in-flight requests finish (keep-alive connections close after their
  // current response), and stops when none is left or drain_timeout passed. Idempotent.
  void Shutdown();

  bool draining() const;
  // Requests currently being handled, across all workers.
  std::size_t in_flight() const;
  int threads() const;

  struct Impl;

 private:
  void InstallSignals();
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton

// Test helper: a throwaway redis-server on 127.0.0.1 and a free port, started and stopped by pid
// (never by name). Used by the cluster unit tests; skip the test when redis-server is missing.
// Thread-safety: one owner. Lifetime: the destructor kills the server.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/redis_client.hpp"
#include "core/awaitable.hpp"

namespace baton::testing {

inline constexpr const char* kRedisServerBin = "/usr/bin/redis-server";

inline bool HaveRedisServer() {
  return std::filesystem::exists(kRedisServerBin);
}

inline uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class TestRedisServer {
 public:
  explicit TestRedisServer(std::string password = {}) : password_(std::move(password)) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "baton-redis-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) {
      dir_ = tmpl;
    }
  }
  ~TestRedisServer() {
    Stop();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  TestRedisServer(const TestRedisServer&) = delete;
  TestRedisServer& operator=(const TestRedisServer&) = delete;

  // Starts the server (on the same port as before when restarting). Empty on success.
  std::string Start() {
    if (port_ == 0) {
      port_ = FreePort();
    }
    std::vector<std::string> args = {kRedisServerBin,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--loglevel",
                                     "warning",
                                     "--logfile",
                                     "/dev/null",
                                     "--enable-debug-command",
                                     "local"};
    if (!dir_.empty()) {  // an explicit SAVE before Stop() survives a restart
      args.insert(args.end(), {"--dir", dir_, "--dbfilename", "dump.rdb"});
    }
    if (!password_.empty()) {
      args.emplace_back("--requirepass");
      args.push_back(password_);
    }
    std::vector<char*> argv;  // built before fork: the child only makes syscalls
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      // Not holding the test's stdout/stderr: a pipe reading them must end with the test.
      const int null_fd = ::open("/dev/null", O_RDWR);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    RedisOptions options;
    options.endpoint.port = port_;
    options.endpoint.password = password_;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      RedisBlocking c(options);
      auto r = c.Command({"PING"});
      if (r.ok() && !r->is_error()) {
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "redis-server did not answer PING on port " + std::to_string(port_);
  }

  // Kills the server (SIGKILL) and reaps it.
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  uint16_t port() const { return port_; }
  std::string url() const {
    return "redis://" + (password_.empty() ? std::string() : ":" + password_ + "@") +
           "127.0.0.1:" + std::to_string(port_);
  }
  RedisOptions options() const {
    RedisOptions o;
    o.endpoint.port = port_;
    o.endpoint.password = password_;
    return o;
  }

 private:
  std::string password_;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

template <typename T>
Awaitable<void> StoreResult(Awaitable<T> aw, std::optional<T>* out) {
  out->emplace(co_await std::move(aw));
}

// Runs `aw` on `ctx` (from the calling thread) until it completes. The io_context keeps other
// work (a connection's reader) pending, so this runs one handler at a time instead of run().
template <typename T>
T RunOn(boost::asio::io_context& ctx, Awaitable<T> aw) {
  std::optional<T> out;
  boost::asio::co_spawn(ctx, StoreResult(std::move(aw), &out), boost::asio::detached);
  while (!out) {
    if (ctx.run_one() == 0) {
      ctx.restart();
    }
  }
  return std::move(*out);
}

}  // namespace baton::testing

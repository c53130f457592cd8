// Redis clients for the cluster mode (docs/cluster.md): an asynchronous, pipelined client for the
// request path and a small blocking one for admin and background threads. Both speak RESP through
// hiredis (commands formatted with redisFormatCommandArgv, replies parsed with redisReader); the
// asynchronous one does its own I/O on Asio sockets.
//
// RedisClient keeps ONE connection per io_context (per io thread: Baton runs one io_context per
// thread): a coroutine's command goes on the connection of the executor it runs on, so the hot
// path takes no lock shared between threads (a thread-local cache finds the connection; only the
// first command of a thread takes a mutex). Several coroutines of one thread may have commands in
// flight on the connection at once (pipelining); replies complete them in FIFO order.
//
// Failure behaviour: a connection is opened on first use. A command issued while connecting waits
// for the connection; one issued while the connection is in its reconnect backoff (50 ms doubling
// to 2 s after each failure) fails at once with kUnavailable. Every command has a deadline
// (RedisOptions::timeout, default 200 ms): past it the command fails with kUnavailable and the
// connection is dropped (Redis that does not answer in time is treated as down; a command that
// timed out may still have been applied by Redis). A request therefore never waits longer than
// the timeout on a dead Redis. Passwords never appear in errors or logs.
//
// Thread-safety: RedisClient::Command may be called from coroutines on any number of io_contexts,
// each run by ONE thread. RedisBlocking is not thread-safe (one user at a time).
// Lifetime: a RedisClient must outlive every Command call. Its connections belong to their
// io_contexts (an Asio service) and are closed when the io_context is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/awaitable.hpp"
#include "core/error.hpp"

struct redisContext;  // NOLINT(readability-identifier-naming): hiredis's name

namespace baton {

// One RESP reply. Redis errors ("-NOSCRIPT ...", "-ERR ...") are replies of type kError (the
// command reached Redis); transport failures are Errors of the calling function instead.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
};

// redis://[:PASSWORD@]HOST[:PORT][/DB] (also redis://USER:PASSWORD@..., the user is ignored for
// Redis < 6 compatibility: AUTH PASSWORD).
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  int db = 0;
  std::string password;  // secret: never logged

  // "HOST:PORT[/DB]" without the password, for messages.
  std::string Printable() const;
};

// Parses a redis:// URL. kBadRequest with a message that never contains the password.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct RedisOptions {
  RedisEndpoint endpoint;
  std::chrono::milliseconds timeout{200};           // per command, connecting included
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect + AUTH/SELECT
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (e.g. {"GET", "k"}) on the calling executor's connection and waits for its
  // reply, at most options.timeout. kUnavailable when Redis cannot be reached in time.
  Awaitable<Result<RedisReply>> Command(std::vector<std::string> args);

  const RedisOptions& options() const { return *shared_; }

  struct Shared;  // options shared with the connections (which may outlive the client)
 private:
  std::shared_ptr<const RedisOptions> shared_;
  uint64_t id_;  // unique per client for the process's lifetime (thread-local cache key)
};

// A blocking connection (hiredis sync API) for admin threads and background work. Reconnects on
// the next call after an I/O error.
class RedisBlocking {
 public:
  explicit RedisBlocking(RedisOptions options);
  ~RedisBlocking();
  RedisBlocking(RedisBlocking&& other) noexcept;
  RedisBlocking& operator=(RedisBlocking&& other) noexcept;
  RedisBlocking(const RedisBlocking&) = delete;
  RedisBlocking& operator=(const RedisBlocking&) = delete;

  // Sends one command and waits for its reply (at most options.timeout once connected).
  Result<RedisReply> Command(std::span<const std::string> args);
  Result<RedisReply> Command(std::initializer_list<std::string> args);
  // Sends one command without reading a reply (SUBSCRIBE: replies are read with Receive).
  Status Send(std::span<const std::string> args);
  // The next reply or pushed message, waiting at most `wait`: nullopt-like kUnavailable "timeout"
  // is reported as an ok Result holding a kNil reply with `timed_out` set.
  struct Received {
    bool timed_out = false;
    RedisReply reply;
  };
  Result<Received> Receive(std::chrono::milliseconds wait);
  // Drops the connection (the next call reconnects).
  void Close();
  bool connected() const { return ctx_ != nullptr; }

 private:
  Status Connect();
  Error Fail(const char* what);

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
};

}  // namespace baton

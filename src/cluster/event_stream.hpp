// The Redis stream sink of the live events (docs/events.md): every event the bus publishes is
// appended to a Redis stream with `XADD <stream> MAXLEN ~ <max_len> * type <type> json <json>`.
//
// A background thread subscribes to the bus (like any subscriber, so it never slows Publish),
// takes what is pending in batches of up to 512 events and pipelines their XADDs on one blocking
// connection. When Redis is down the batch is dropped (the stream is a live feed, not the record:
// the request log is), a warning is logged at most every 10 s, and the thread retries with backoff
// (100 ms doubling to 2 s). Events published faster than Redis takes them are lost the same way
// as for a slow subscriber (counted in dropped()).
//
// Thread-safety: the public members may be called from any thread.
// Lifetime: the bus must outlive the sink; the destructor stops and joins the thread (~100 ms).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "telemetry/events.hpp"

namespace baton {

struct RedisEventStreamOptions {
  std::string url;  // redis://[:PASSWORD@]HOST[:PORT][/DB] (a secret: never logged)
  std::string stream = "agent.events";
  int64_t max_len = 10000;
  std::chrono::milliseconds timeout{1000};  // connect and each batch's replies
};

class RedisEventStream {
 public:
  // Parses the URL (kBadRequest when malformed, without the password), subscribes to `bus` and
  // starts the thread. Does not wait for Redis.
  static Result<std::unique_ptr<RedisEventStream>> Start(RedisEventStreamOptions options,
                                                         EventBus& bus);
  ~RedisEventStream();
  RedisEventStream(const RedisEventStream&) = delete;
  RedisEventStream& operator=(const RedisEventStream&) = delete;

  uint64_t written() const { return written_.load(); }  // events Redis acknowledged
  uint64_t dropped() const { return dropped_.load(); }  // lost (fell behind, or Redis down)

  struct Impl;

 private:
  RedisEventStream() = default;
  void Run(const std::stop_token& stop);

  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::jthread thread_;  // last: joined before the rest goes
};

}  // namespace baton

// One thread, one blocking connection, pipelined XADDs: the stream is fed off the request path
// entirely, and a batch costs one round trip whatever its size.
#include "cluster/event_stream.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <vector>

#include "cluster/redis_client.hpp"

namespace baton {

namespace {

constexpr std::size_t kBatch = 512;
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::seconds kWarnEvery{10};

}  // namespace

struct RedisEventStream::Impl {
  RedisEventStreamOptions options;
  RedisEndpoint endpoint;
  std::unique_ptr<EventSubscription> subscription;
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;  // guarded by mu
  std::chrono::steady_clock::time_point last_warning;
};

Result<std::unique_ptr<RedisEventStream>> RedisEventStream::Start(RedisEventStreamOptions options,
                                                                  EventBus& bus) {
  auto endpoint = ParseRedisUrl(options.url);
  if (!endpoint) {
    return endpoint.error();
  }
  std::unique_ptr<RedisEventStream> sink(new RedisEventStream());
  sink->impl_ = std::make_unique<Impl>();
  sink->impl_->options = std::move(options);
  sink->impl_->endpoint = std::move(endpoint).value();
  sink->impl_->subscription = bus.Subscribe();
  RedisEventStream* self = sink.get();
  sink->thread_ = std::jthread([self](const std::stop_token& stop) { self->Run(stop); });
  return sink;
}

RedisEventStream::~RedisEventStream() {
  if (thread_.joinable()) {
    thread_.request_stop();
    {
      std::lock_guard lock(impl_->mu);
      impl_->woken = true;
    }
    impl_->cv.notify_all();
    thread_.join();
  }
}

void RedisEventStream::Run(const std::stop_token& stop) {
  Impl& impl = *impl_;
  RedisOptions ro;
  ro.endpoint = impl.endpoint;
  ro.timeout = impl.options.timeout;
  ro.connect_timeout = impl.options.timeout;
  RedisBlocking redis(ro);
  const std::string max_len = std::to_string(impl.options.max_len);
  std::chrono::milliseconds backoff{0};
  std::vector<std::string> args;
  while (!stop.stop_requested()) {
    EventSubscription::Batch batch = impl.subscription->Take(kBatch);
    if (batch.dropped > 0) {
      dropped_.fetch_add(batch.dropped);
    }
    if (batch.events.empty()) {
      // Wait for the next Publish (or a second, to notice a stop request). The wake-up runs
      // under the bus mutex and takes impl.mu: ArmWake must not be called holding impl.mu.
      {
        std::lock_guard lock(impl.mu);
        impl.woken = false;
      }
      const bool armed = impl.subscription->ArmWake([&impl] {
        {
          std::lock_guard wake_lock(impl.mu);
          impl.woken = true;
        }
        impl.cv.notify_one();
      });
      if (armed) {
        {
          std::unique_lock lock(impl.mu);
          impl.cv.wait_for(lock, std::chrono::seconds(1), [&impl] { return impl.woken; });
        }
        impl.subscription->Disarm();
      }
      continue;
    }
    Status sent = OkStatus();
    std::size_t queued = 0;
    for (const auto& event : batch.events) {
      args = {"XADD",   impl.options.stream,
              "MAXLEN", "~",
              max_len,  "*",
              "type",   std::string(EventTypeName(event->type)),
              "json",   event->json};
      sent = redis.Send(args);
      if (!sent) {
        break;
      }
      ++queued;
    }
    uint64_t acked = 0;
    for (std::size_t i = 0; sent && i < queued; ++i) {
      auto reply = redis.Receive(impl.options.timeout);
      if (!reply) {
        sent = reply.error();
      } else if (reply->timed_out) {
        sent = Error(ErrorKind::kUnavailable, "redis: no reply in time", "redis_unavailable");
      } else if (!reply->reply.is_error()) {
        ++acked;
      }
    }
    written_.fetch_add(acked);
    if (sent) {
      backoff = std::chrono::milliseconds{0};
      continue;
    }
    redis.Close();
    dropped_.fetch_add(batch.events.size() - acked);
    const auto now = std::chrono::steady_clock::now();
    if (now - impl.last_warning >= kWarnEvery) {
      impl.last_warning = now;
      std::fprintf(stderr, "baton: events: cannot write to the Redis stream %s at %s: %s\n",
                   impl.options.stream.c_str(), impl.endpoint.Printable().c_str(),
                   sent.error().message.c_str());
    }
    backoff = std::clamp(backoff * 2, kMinBackoff, kMaxBackoff);
    std::unique_lock lock(impl.mu);
    impl.cv.wait_for(lock, backoff, [&stop] { return stop.stop_requested(); });
  }
}

}  // namespace baton

#include "cluster/change_bus.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/redis_client.hpp"

namespace baton {

namespace {
constexpr std::chrono::milliseconds kPoll{100};
constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
}  // namespace

struct ChangeBus::Impl {
  RedisOptions redis;
  std::string channel;

  std::mutex publish_mu;
  std::unique_ptr<RedisBlocking> publisher;

  std::mutex mu;  // guards callbacks, started, stop (with cv)
  std::condition_variable cv;
  std::vector<Callback> callbacks;
  bool started = false;
  bool stop = false;
  std::atomic<bool> is_subscribed{false};
  std::thread thread;

  void Deliver(std::string_view what) {
    std::vector<Callback> copy;
    {
      const std::scoped_lock lock(mu);
      copy = callbacks;
    }
    for (const Callback& cb : copy) {
      cb(what);
    }
  }

  // Sleeps `d` unless stopped first; returns false when stopping.
  bool Wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, d, [this] { return stop; });
  }

  bool Stopping() {
    const std::scoped_lock lock(mu);
    return stop;
  }

  void Run() {
    std::chrono::milliseconds backoff = kFirstBackoff;
    bool ever_subscribed = false;
    while (!Stopping()) {
      RedisBlocking conn(redis);
      const std::array<std::string, 2> subscribe = {"SUBSCRIBE", channel};
      const Status sent = conn.Send(subscribe);
      bool confirmed = false;
      while (sent.ok() && !Stopping()) {
        auto got = conn.Receive(kPoll);
        if (!got.ok()) {
          break;
        }
        if (got->timed_out) {
          continue;
        }
        const RedisReply& r = got->reply;
        if (r.type != RedisReply::Type::kArray || r.elements.size() < 3) {
          continue;
        }
        const std::string& kind = r.elements[0].str;
        if (kind == "subscribe" && !confirmed) {
          confirmed = true;
          backoff = kFirstBackoff;
          is_subscribed.store(true, std::memory_order_release);
          if (ever_subscribed) {
            Deliver("*");  // a change may have been published while we were not listening
          }
          ever_subscribed = true;
        } else if (kind == "message") {
          Deliver(r.elements[2].str);
        }
      }
      is_subscribed.store(false, std::memory_order_release);
      if (!Wait(backoff)) {
        break;
      }
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
};

Result<std::unique_ptr<ChangeBus>> ChangeBus::Create(ChangeBusOptions options) {
  auto endpoint = ParseRedisUrl(options.url);
  if (!endpoint.ok()) {
    return std::move(endpoint).error();
  }
  auto impl = std::make_unique<Impl>();
  impl->redis.endpoint = std::move(endpoint).value();
  impl->redis.timeout = options.timeout;
  impl->redis.connect_timeout = options.timeout;
  impl->channel = options.key_prefix + "changes";
  impl->publisher = std::make_unique<RedisBlocking>(impl->redis);
  return std::unique_ptr<ChangeBus>(new ChangeBus(std::move(impl)));
}

ChangeBus::ChangeBus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ChangeBus::~ChangeBus() {
  {
    const std::scoped_lock lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

Status ChangeBus::Publish(std::string_view what) {
  const std::scoped_lock lock(impl_->publish_mu);
  auto r = impl_->publisher->Command({"PUBLISH", impl_->channel, std::string(what)});
  if (!r.ok()) {
    return std::move(r).error();
  }
  if (r->is_error()) {
    return Error(ErrorKind::kUnavailable, "redis refused PUBLISH: " + r->str, "redis_error");
  }
  return OkStatus();
}

void ChangeBus::Subscribe(Callback callback) {
  const std::scoped_lock lock(impl_->mu);
  impl_->callbacks.push_back(std::move(callback));
  if (!impl_->started) {
    impl_->started = true;
    impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
  }
}

bool ChangeBus::subscribed() const {
  return impl_->is_subscribed.load(std::memory_order_acquire);
}

}  // namespace baton

// ChangeBus: tells every Baton instance sharing one Redis that shared data changed (virtual keys,
// teams, budgets), through Redis pub/sub on the channel "<key_prefix>changes" (docs/cluster.md).
//
// Publish("keys") sends a short message; every instance's subscribers (its own included) get
// the message's text on the bus's background thread, typically within milliseconds. The
// subscriber thread reconnects with backoff (100 ms doubling to 2 s) when Redis goes away; after
// it has subscribed again it calls every callback once with "*" (anything may have changed while
// it was deaf), so a change published during the outage is not lost, only late.
//
// Thread-safety: Publish and Subscribe may be called from any thread. Callbacks run on the bus
// thread, one at a time, and must not block for long (they delay the next message).
// Lifetime: owned by the App; the destructor stops the thread (within ~100 ms) and must not run
// on the bus thread (i.e. not from a callback).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace baton {

struct ChangeBusOptions {
  std::string url;  // redis://[:PASSWORD@]HOST[:PORT][/DB] (a secret: never logged)
  std::string key_prefix = "baton:";
  std::chrono::milliseconds timeout{1000};  // connect and Publish
};

class ChangeBus {
 public:
  using Callback = std::function<void(std::string_view what)>;

  // Parses the URL (kBadRequest when malformed, without echoing a password). Does not connect:
  // the first Subscribe starts the thread, the first Publish connects.
  static Result<std::unique_ptr<ChangeBus>> Create(ChangeBusOptions options);
  ~ChangeBus();
  ChangeBus(const ChangeBus&) = delete;
  ChangeBus& operator=(const ChangeBus&) = delete;

  // Publishes `what` (e.g. "keys") to every instance. Blocks for one round trip (at most the
  // timeout): call it from admin threads, not from an io thread. kUnavailable when Redis cannot
  // be reached.
  Status Publish(std::string_view what);
  // Adds a callback (all callbacks get every message) and starts the subscriber thread on the
  // first call.
  void Subscribe(Callback callback);
  // True once the subscriber thread is subscribed (tests wait for it before publishing).
  bool subscribed() const;

  struct Impl;

 private:
  explicit ChangeBus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton

// Coarse deadlines for sockets, one Watchdog per io_context (worker thread).
//
// Why not Beast's tcp_stream timeouts: they start and cancel a timer wait around every read and
// write, which costs a timer-queue update, a cancelled-handler dispatch and often a timerfd
// syscall per operation. Here arming a deadline is a plain store; one timer per io_context fires
// at the earliest deadline it knows of, cancels the sockets whose deadline has passed (marking
// them expired, so the failed operation can be reported as a timeout) and re-arms itself. Moving a
// deadline later never touches the timer; only a deadline earlier than the timer re-arms it.
//
// Thread-safety: everything runs on the io_context's own thread. Lifetime: entries remove
// themselves on destruction; Stop() must be called on that thread before the io_context is
// destroyed (it drops the timer but keeps the entry list valid for sessions destroyed later).
#pragma once

#include <chrono>
#include <optional>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace baton {

class Watchdog;

// One watched socket (or resolver). Not copyable; unregisters itself when destroyed.
class WatchEntry {
 public:
  using Clock = std::chrono::steady_clock;
  WatchEntry() = default;
  WatchEntry(const WatchEntry&) = delete;
  WatchEntry& operator=(const WatchEntry&) = delete;
  ~WatchEntry();

  // What to cancel at the deadline.
  boost::asio::ip::tcp::socket* socket = nullptr;
  boost::asio::ip::tcp::resolver* resolver = nullptr;
  // Emitted (terminal cancellation) when a probed peer turns out to have closed its end.
  boost::asio::cancellation_signal* on_peer_closed = nullptr;

  // True when the last armed deadline passed and the socket was cancelled because of it.
  bool expired() const { return expired_; }

 private:
  friend class Watchdog;
  Watchdog* owner_ = nullptr;
  WatchEntry* prev_ = nullptr;
  WatchEntry* next_ = nullptr;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::chrono::milliseconds probe_interval_{0};  // > 0: probing instead of a deadline
  bool expired_ = false;
};

class Watchdog {
 public:
  using Clock = WatchEntry::Clock;
  explicit Watchdog(boost::asio::io_context& ioc) : timer_(std::in_place, ioc) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog();

  void Add(WatchEntry& entry);
  void Remove(WatchEntry& entry);
  // Sets the entry's deadline to now + timeout and clears its expired flag.
  void Arm(WatchEntry& entry, std::chrono::milliseconds timeout);
  // No deadline and no probing (e.g. while the entry waits on something that has its own).
  static void Disarm(WatchEntry& entry) {
    entry.deadline_ = Clock::time_point::max();
    entry.probe_interval_ = std::chrono::milliseconds{0};
  }
  // Instead of a deadline: every `interval`, peek at the socket without reading; when the peer
  // has closed (EOF or reset), emit entry.on_peer_closed. Used while a request waits on its
  // upstream, so that a client that gives up cancels the upstream call within about `interval`.
  // Costs nothing until the interval first passes.
  void Probe(WatchEntry& entry, std::chrono::milliseconds interval);
  // Drops the timer (call on the io_context's thread before destroying it).
  void Stop();

 private:
  void Schedule(Clock::time_point at);
  void OnTimer();

  std::optional<boost::asio::steady_timer> timer_;
  WatchEntry* head_ = nullptr;
  Clock::time_point armed_at_ = Clock::time_point::max();
};

}  // namespace baton

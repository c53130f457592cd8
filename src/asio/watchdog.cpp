#include "asio/watchdog.hpp"

#include <cerrno>

#include <sys/socket.h>

namespace baton {

WatchEntry::~WatchEntry() {
  if (owner_ != nullptr) {
    owner_->Remove(*this);
  }
}

Watchdog::~Watchdog() {
  // Entries that outlive the watchdog must not reach back into it.
  for (WatchEntry* e = head_; e != nullptr;) {
    WatchEntry* next = e->next_;
    e->owner_ = nullptr;
    e->prev_ = e->next_ = nullptr;
    e = next;
  }
}

void Watchdog::Add(WatchEntry& entry) {
  if (entry.owner_ != nullptr) {
    return;
  }
  entry.owner_ = this;
  entry.prev_ = nullptr;
  entry.next_ = head_;
  if (head_ != nullptr) {
    head_->prev_ = &entry;
  }
  head_ = &entry;
}

void Watchdog::Remove(WatchEntry& entry) {
  if (entry.owner_ != this) {
    return;
  }
  if (entry.prev_ != nullptr) {
    entry.prev_->next_ = entry.next_;
  } else {
    head_ = entry.next_;
  }
  if (entry.next_ != nullptr) {
    entry.next_->prev_ = entry.prev_;
  }
  entry.owner_ = nullptr;
  entry.prev_ = entry.next_ = nullptr;
}

void Watchdog::Probe(WatchEntry& entry, std::chrono::milliseconds interval) {
  Arm(entry, interval);
  entry.probe_interval_ = interval;
}

namespace {

// True when the peer has closed its end: a peek finds EOF or an error other than "no data".
bool PeerClosed(boost::asio::ip::tcp::socket& socket) {
  char byte = 0;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace

void Watchdog::Arm(WatchEntry& entry, std::chrono::milliseconds timeout) {
  entry.probe_interval_ = std::chrono::milliseconds{0};
  entry.expired_ = false;
  entry.deadline_ = Clock::now() + timeout;
  if (entry.deadline_ < armed_at_) {
    Schedule(entry.deadline_);
  }
}

void Watchdog::Stop() {
  timer_.reset();
  armed_at_ = Clock::time_point::min();  // never schedule again
}

void Watchdog::Schedule(Clock::time_point at) {
  if (!timer_) {
    return;
  }
  armed_at_ = at;
  timer_->expires_at(at);  // cancels a pending wait, if any
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      OnTimer();
    }
  });
}

void Watchdog::OnTimer() {
  armed_at_ = Clock::time_point::max();
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  WatchEntry* next_entry = nullptr;
  for (WatchEntry* e = head_; e != nullptr; e = next_entry) {
    next_entry = e->next_;
    if (e->deadline_ <= now && e->probe_interval_.count() > 0) {
      if (e->socket != nullptr && PeerClosed(*e->socket)) {
        e->deadline_ = Clock::time_point::max();
        e->probe_interval_ = std::chrono::milliseconds{0};
        if (e->on_peer_closed != nullptr) {
          // Cancels the operation the owner is waiting on; its completion is posted, not run
          // here, so the list stays as it is during this scan.
          e->on_peer_closed->emit(boost::asio::cancellation_type::terminal);
        }
        continue;
      }
      e->deadline_ = now + e->probe_interval_;
      if (e->deadline_ < next) {
        next = e->deadline_;
      }
    } else if (e->deadline_ <= now) {
      e->deadline_ = Clock::time_point::max();
      e->expired_ = true;
      boost::system::error_code ignored;
      if (e->socket != nullptr) {
        e->socket->cancel(ignored);
      }
      if (e->resolver != nullptr) {
        e->resolver->cancel();
      }
    } else if (e->deadline_ < next) {
      next = e->deadline_;
    }
  }
  if (next != Clock::time_point::max()) {
    Schedule(next);
  }
}

}  // namespace baton

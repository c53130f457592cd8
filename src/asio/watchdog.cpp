#include "asio/watchdog.hpp"

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

void Watchdog::Arm(WatchEntry& entry, std::chrono::milliseconds timeout) {
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
  for (WatchEntry* e = head_; e != nullptr; e = e->next_) {
    if (e->deadline_ <= now) {
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

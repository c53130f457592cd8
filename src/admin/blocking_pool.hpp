// Runs blocking work (store I/O) off the io threads: a small dedicated thread pool, and a
// coroutine that hands a function to it and resumes on the caller's own executor afterwards.
//
//   BlockingPool pool(2);
//   AdminResponse answer;
//   co_await pool.Run([&] { answer = HandleKeyApi(store, ...); });   // io thread is free meanwhile
//
// Contract: `fn` runs exactly once on a pool thread; Run completes on the executor of the
// awaiting coroutine. An exception thrown by `fn` is rethrown from the co_await. References
// captured by `fn` must outlive the co_await (locals of the awaiting coroutine do).
// Thread-safety: Run may be called from any thread concurrently. Lifetime: the destructor waits
// for the functions already handed over, then joins the threads; destroy it only after every
// Run has completed (its owner, AdminApi, lives as long as the server).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "core/awaitable.hpp"

namespace baton {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads = 2);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  Awaitable<void> Run(std::function<void()> fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton

// Waiting on the current coroutine's executor without blocking its thread (retry backoff), behind
// a narrow header so callers do not compile Asio's timer templates.
// Thread-safety: each call uses its own timer on the calling coroutine's executor.
#pragma once

#include <chrono>

#include "core/awaitable.hpp"

namespace baton {

// Returns once `until` has passed (at once when it already has).
Awaitable<void> SleepUntil(std::chrono::steady_clock::time_point until);

}  // namespace baton

// baton-mock's injected fault: what generation and embedding requests suffer (an error status
// with an optional retry-after, a connection reset, a hang, a cut stream, latency, slow chunks),
// set from the command line at start and replaced at run time through POST /mock/fault.
// `Fault` is a plain value; ParseFault / FaultJson convert it from / to the JSON of /mock/fault.
// Thread-safety: FaultState is safe to use from every worker thread (a mutex guards the fault;
// an atomic flag keeps requests lock-free while no fault is set). The free functions are pure.
// Lifetime: FaultState is owned by MockService.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace baton::mock {

struct Fault {
  int status = 0;              // 0 = off; else generation/embedding requests get this status
  double fail_rate = 1.0;      // with status: the fraction of requests failing (ShouldFail rule)
  int retry_after_s = -1;      // with status: `retry-after: S` on the error (-1 = dialect default)
  int retry_after_ms = -1;     // with status: `retry-after-ms: MS` on the error (-1 = none)
  bool reset = false;          // reset the connection (TCP RST) before any response byte
  bool hang = false;           // read the request, never answer
  int drop_after_chunks = -1;  // -1 = off; else cut streams after N events
  int latency_ms = 0;          // wait before answering
  int chunk_delay_ms = 0;      // wait before each content chunk of a stream
  int64_t count = -1;  // -1 = until replaced; else only the next `count` generation requests

  // True when the fault changes nothing (count aside).
  bool Empty() const;
};

// Reads the body of POST /mock/fault: a JSON object with any of the keys "status", "fail_rate",
// "retry_after", "retry_after_ms", "reset", "hang", "drop_after_chunks", "latency_ms",
// "chunk_delay_ms", "count" (null = absent). An empty body or {} is the empty fault. On a bad
// body (not JSON, not an object, an unknown key, a wrong type or range, fail_rate / retry_after
// without status) returns false and sets *error to a message for the 400 answer.
bool ParseFault(std::string_view body, Fault* out, std::string* error);

// The fault as GET /mock/fault shows it: only the keys that are set, in ParseFault's names, so
// that the answer can be posted back; {} when nothing is set. `count` is what is left.
std::string FaultJson(const Fault& fault);

// The current fault of one mock.
class FaultState {
 public:
  explicit FaultState(Fault initial = {});

  // Replaces the fault (an empty one clears it).
  void Set(Fault fault);
  Fault Get() const;

  // The fault one request gets. `generation`: a generation or embedding request. A fault with a
  // count is only seen by generation requests, and each of them uses one; the fault clears
  // itself after the last one. A fault without a count is seen by every request (the caller
  // applies only latency and hang to the others, like the command-line flags).
  Fault Take(bool generation);

 private:
  mutable std::mutex mu_;
  Fault fault_;
  std::atomic<bool> active_{false};  // fault_ is not empty: requests need the lock
};

}  // namespace baton::mock

// The spend writer (DESIGN.md §6): feeds the Store's spend records from the request log, in
// batches, on its own thread — never on the io threads.
//
// Records arrive from RequestLog::OnWrittenBatch (already on disk), are converted with
// ToSpendRecord and stored with Store::AppendSpend in batches of up to max_batch records or
// max_delay. A failing store (any error) is retried every retry_interval without losing records.
// After each successful AppendSpend the checkpoint "<log dir>/spend.checkpoint" (file, offset and
// hash of the last stored line; log_file.hpp) is replaced atomically. Start() first replays the
// log from the checkpoint (or from the first file) into the store, so that after a crash (kill -9)
// the store holds every record the log holds; AppendSpend ignores request ids already stored, so
// replaying a stale checkpoint's tail counts nothing twice. Records carrying content ([log]
// content = true) also give their request text to Store::AppendContent (similarity search).
//
// Thread-safety: Attach before the log starts; the rest from any thread. Lifetime: owned by the
// App next to the log and the store; Close() (or the destructor) makes one last attempt to store
// what is pending and joins; what could not be stored stays in the log and is replayed at the
// next Start().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "store/store.hpp"
#include "telemetry/log_file.hpp"
#include "telemetry/request_log.hpp"

namespace baton {

struct SpendWriterOptions {
  std::string log_dir;        // where the log files and spend.checkpoint are
  std::optional<LogKey> key;  // to read encrypted log lines at replay
  std::size_t max_batch = 500;
  std::chrono::milliseconds max_delay{200};
  std::chrono::milliseconds retry_interval{1000};
  int replay_attempts = 10;  // Start() gives up after this many failed AppendSpend calls
  // Records held in memory while the store fails; past it they are dropped from memory and
  // replayed from the log (from the checkpoint) once the store works again.
  std::size_t max_pending = 1'000'000;
};

struct SpendWriterStats {
  uint64_t replayed = 0;  // records read from the log by Start()
  uint64_t received = 0;  // records handed over by the log
  uint64_t stored = 0;    // records passed to a successful AppendSpend (duplicates included)
  uint64_t inserted = 0;  // new rows
  uint64_t store_errors = 0;
  uint64_t content_errors = 0;  // failed AppendContent calls
  std::size_t pending = 0;
};

class SpendWriter {
 public:
  SpendWriter(Store& store, SpendWriterOptions options);
  ~SpendWriter();
  SpendWriter(const SpendWriter&) = delete;
  SpendWriter& operator=(const SpendWriter&) = delete;

  // Subscribes to the log's written batches. Before log.Start() and Start().
  void Attach(RequestLog& log);

  // Replays the log tail after the checkpoint into the store (blocking; before serving), then
  // starts the writer thread. Returns the number of records replayed; an error when the log
  // cannot be read (a wrong key, a bad line) or the store kept failing.
  Result<uint64_t> Start();

  // Blocks until every record handed over so far is stored (or Close() gave up).
  void Flush();
  SpendWriterStats Stats() const;
  void Close();

 private:
  struct Item {
    SpendRecord record;
    ContentRecord content;  // text empty unless [log] content = true
    LogPosition position;
    std::string hash;
  };
  void OnBatch(const WrittenBatch& batch);
  void Run();
  // Reads the log from the checkpoint into the store; a failing store is retried up to
  // `attempts` times per batch (0: until Close()).
  Result<uint64_t> Replay(int attempts);
  // Stores the spend records, then the request texts among `contents` (those with text; a
  // failure there is reported and counted, not retried: the texts only feed similarity search).
  Status StoreBatch(std::span<const SpendRecord> records, std::span<const ContentRecord> contents,
                    const LogPosition& last, const std::string& last_hash);

  Store& store_;
  SpendWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // items arrived / closing / flush
  std::condition_variable done_cv_;  // progress, for Flush
  std::deque<Item> pending_;         // guarded by mu_
  uint64_t handed_ = 0;              // guarded by mu_
  uint64_t settled_ = 0;             // stored or given up; guarded by mu_
  bool flush_ = false;               // guarded by mu_
  bool overflow_ = false;            // records were dropped from memory: replay the log
  uint64_t overflowed_ = 0;          // how many; guarded by mu_
  uint64_t generation_ = 0;          // bumped when an overflow lets go of pending_; guarded by mu_
  bool closing_ = false;             // guarded by mu_
  SpendWriterStats stats_;           // guarded by mu_
  std::thread thread_;
  bool started_ = false;
};

}  // namespace baton

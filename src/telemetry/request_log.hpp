// The request log (DESIGN.md §6, docs/request-log.md): every finished request's record appended
// to JSONL files with a hash chain, optional encryption at rest, rotation by size and UTC day,
// written by one writer thread in batches (group commit: one write(2) per batch and file).
//
// Request path: Append() only moves the record into a bounded in-memory queue (a mutex held for
// a push; never disk). Written(seq) lets a request wait, without blocking its thread, until its
// record is on disk before the client sees the answer.
// Failure (disk full, EIO, unwritable dir): Healthy() turns false; the writer keeps the records
// queued (up to the bound; Append fails past it and counts the drop) and retries every
// retry_interval until writing works again. A batch that failed half-way is cut back (ftruncate)
// to its start, so no partial line stays in a file.
//
// Thread-safety: Append, Written, Healthy, UnavailableError and stats may be called from any
// thread. OnWritten/OnWrittenBatch must be called before Start(). Subscribers run on the writer
// thread, in order, after each batch is written: they must be quick (hand work to another thread).
// Lifetime: the App owns the log; Close() (or the destructor) drains the queue and joins the
// writer. Coroutines waiting in Written() must not outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "telemetry/log_file.hpp"
#include "telemetry/request_record.hpp"

namespace baton {

struct RequestLogOptions {
  std::string dir;                    // created (mode 0700) when missing
  uint64_t max_size = 100'000'000;    // rotate before a file would pass this many bytes
  bool rotate_daily = true;           // new file when the UTC day changes
  std::optional<LogKey> encrypt_key;  // encrypt each line at rest
  // [log] content: false drops RequestRecord::content; true keeps it, passed through Redact()
  // (on the writer thread, so callers need not).
  bool content = false;
  std::size_t queue = 65536;  // records queued (not yet written) at most
  bool fsync = false;         // fdatasync after each batch before it counts as written
  std::chrono::milliseconds retry_interval{1000};  // between attempts while failing
  std::size_t max_batch = 4096;                    // records per write at most
  // Unix milliseconds now; injectable for rotation tests.
  std::function<int64_t()> now_ms;
};

// Where each record of a written batch ended up: positions[i] is the end of records[i]'s line,
// hashes[i] the SHA-256 hex of that stored line.
struct WrittenBatch {
  std::span<const RequestRecord> records;
  std::span<const LogPosition> positions;
  std::span<const std::string> hashes;
};

struct RequestLogStats {
  uint64_t appended = 0;      // records accepted by Append
  uint64_t written = 0;       // records on disk
  uint64_t dropped = 0;       // refused by Append (queue full / closed) or lost at Close
  uint64_t write_errors = 0;  // failed write attempts
  uint64_t batches = 0;
  uint64_t files_opened = 0;
  std::size_t queued = 0;
};

class RequestLog {
 public:
  explicit RequestLog(RequestLogOptions options);
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // Subscribers; before Start().
  void OnWritten(std::function<void(std::span<const RequestRecord>)> callback);
  void OnWrittenBatch(std::function<void(const WrittenBatch&)> callback);

  // Opens the newest file (cutting an incomplete last line left by a crash) and starts the
  // writer thread. An unusable directory is not an error here: the log starts unhealthy and
  // keeps trying (Healthy(), UnavailableError() say why).
  void Start();

  // Queues a record; returns its sequence number (1, 2, ...). kUnavailable
  // "request_log_unavailable" when the queue is full or the log is closed (the record is dropped
  // and counted). Never blocks on disk.
  Result<uint64_t> Append(RequestRecord record);

  // Completes on the calling coroutine's executor once record `seq` is written (and synced with
  // fsync = true): ok; or, when the log is failing (now or while waiting), the
  // request_log_unavailable error — the record stays queued and is written on recovery.
  // No suspension when the record is already written.
  Awaitable<Status> Written(uint64_t seq);

  // Whether the last write attempt worked (true before the first one when the dir is usable).
  bool Healthy() const { return healthy_.load(std::memory_order_acquire); }
  // The error to answer new requests with while !Healthy() and on_failure = refuse:
  // kUnavailable (503), code "request_log_unavailable", naming the cause (paths, no secrets).
  Error UnavailableError() const;

  // Sequence number of the last record written (0 = none).
  uint64_t WrittenSeq() const { return written_seq_.load(std::memory_order_acquire); }
  RequestLogStats Stats() const;
  const std::string& dir() const { return options_.dir; }

  // Stops accepting records, writes what is queued (when the disk works: one more attempt when
  // failing, then the rest is counted as dropped) and joins the writer. Idempotent.
  void Close();

  struct Waiter;  // a coroutine suspended in Written() (request_log.cpp)

 private:
  struct Entry {
    uint64_t seq = 0;
    RequestRecord record;
  };

  void Run();
  // Writes as many of backlog_ as possible; false on a failure (reason in last_error_).
  bool WriteBacklog();
  bool EnsureOpen(int64_t now_ms);
  bool OpenNewFile(int day);
  bool OpenExisting(const std::string& name, int day, int index);
  void CloseFile();
  void SetFailed(const std::string& why);
  void CompleteWaiters(uint64_t written_seq, bool failing);
  void RegisterWaiter(uint64_t seq, std::unique_ptr<Waiter> waiter);

  RequestLogOptions options_;
  std::vector<std::function<void(std::span<const RequestRecord>)>> on_written_;
  std::vector<std::function<void(const WrittenBatch&)>> on_written_batch_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> incoming_;                               // guarded by mu_
  std::size_t queued_ = 0;                                    // appended - written, guarded by mu_
  uint64_t next_seq_ = 1;                                     // guarded by mu_
  bool closing_ = false;                                      // guarded by mu_
  bool writer_done_ = false;                                  // guarded by mu_
  std::string last_error_;                                    // guarded by mu_
  std::multimap<uint64_t, std::unique_ptr<Waiter>> waiters_;  // guarded by mu_
  RequestLogStats stats_;                                     // guarded by mu_ (queued computed)

  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> written_seq_{0};
  std::thread writer_;
  bool started_ = false;
  bool closed_ = false;

  // Writer thread only.
  std::deque<Entry> backlog_;
  int fd_ = -1;
  std::string file_;  // base name of the open file
  int file_day_ = 0;
  int file_index_ = 0;
  uint64_t file_size_ = 0;
  std::string chain_;  // hash of the last stored line ("" until the dir was scanned)
};

}  // namespace baton

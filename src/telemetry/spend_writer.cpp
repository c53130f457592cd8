#include "telemetry/spend_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/background_thread.hpp"

namespace baton {

SpendWriter::SpendWriter(Store& store, SpendWriterOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.max_batch == 0) {
    options_.max_batch = 1;
  }
}

SpendWriter::~SpendWriter() {
  Close();
}

void SpendWriter::Attach(RequestLog& log) {
  log.OnWrittenBatch([this](const WrittenBatch& batch) { OnBatch(batch); });
}

void SpendWriter::OnBatch(const WrittenBatch& batch) {
  // On the log's writer thread: convert and queue, nothing more.
  std::vector<Item> items;
  items.reserve(batch.records.size());
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const RequestRecord& r = batch.records[i];
    items.push_back(Item{ToSpendRecord(r), r.content.empty() ? ContentRecord{} : ToContentRecord(r),
                         batch.positions[i], batch.hashes[i]});
  }
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    handed_ += items.size();
    stats_.received += items.size();
    // The writer waits for the first record of a batch, then for a full batch or max_delay: wake
    // it only when one of those changes, not for every handed batch of the log.
    const std::size_t before = pending_.size();
    wake =
        before == 0 || (before < options_.max_batch && before + items.size() >= options_.max_batch);
    if (overflow_ || pending_.size() + items.size() > options_.max_pending) {
      // The store has been failing for long: stop holding records in memory; they are in the
      // log, and the writer replays it from the checkpoint once the store works again.
      overflowed_ += pending_.size() + items.size();
      pending_.clear();
      ++generation_;
      overflow_ = true;
    } else {
      for (Item& item : items) {
        pending_.push_back(std::move(item));
      }
    }
    wake = wake || overflow_;
  }
  if (wake) {
    cv_.notify_one();
  }
}

Status SpendWriter::StoreBatch(std::span<const SpendRecord> records,
                               std::span<const ContentRecord> contents, const LogPosition& last,
                               const std::string& last_hash) {
  auto result = store_.AppendSpend(records);
  if (!result.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.store_errors;
    return result.error();
  }
  if (std::ranges::any_of(contents, [](const ContentRecord& c) { return !c.text.empty(); })) {
    if (Status st = store_.AppendContent(contents); !st) {
      std::lock_guard lock(mu_);
      if (stats_.content_errors++ == 0) {
        std::fprintf(stderr, "baton: spend writer: storing request texts: %s\n",
                     st.error().message.c_str());
      }
    }
  }
  Status cp = WriteCheckpoint(options_.log_dir, ChainAnchor{last, last_hash});
  if (!cp.ok()) {
    // Not fatal: the next checkpoint (or a replay from an older one) covers it.
    std::fprintf(stderr, "baton: spend writer: %s\n", cp.error().message.c_str());
  }
  std::lock_guard lock(mu_);
  stats_.stored += records.size();
  stats_.inserted += static_cast<uint64_t>(result->inserted);
  return OkStatus();
}

Result<uint64_t> SpendWriter::Replay(int attempts) {
  std::optional<ChainAnchor> checkpoint = ReadCheckpoint(options_.log_dir);
  LogPosition from = checkpoint ? checkpoint->position : LogPosition{};
  const LogKey* key = options_.key ? &*options_.key : nullptr;
  std::vector<SpendRecord> batch;
  std::vector<ContentRecord> contents;
  LogPosition last;
  std::string last_hash;
  uint64_t replayed = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) {
      return OkStatus();
    }
    for (int attempt = 1;; ++attempt) {
      Status s = StoreBatch(batch, contents, last, last_hash);
      if (s.ok()) {
        break;
      }
      bool closing = false;
      {
        std::unique_lock lock(mu_);
        closing = closing_;
      }
      if ((attempts > 0 && attempt >= attempts) || closing) {
        return Error(s.error().kind,
                     "replaying the request log into the store: " + s.error().message,
                     s.error().code);
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.retry_interval, [this] { return closing_; });
    }
    replayed += batch.size();
    batch.clear();
    contents.clear();
    return OkStatus();
  };
  Status s = ReadRequestLog(options_.log_dir, key, from, [&](const LogLine& line) -> Status {
    batch.push_back(ToSpendRecord(line.record));
    if (!line.record.content.empty()) {
      contents.push_back(ToContentRecord(line.record));
    }
    last = {line.file, line.end_offset};
    last_hash = Sha256Hex(line.stored);
    if (batch.size() >= options_.max_batch) {
      return flush();
    }
    return OkStatus();
  });
  if (s.ok()) {
    s = flush();
  }
  {
    std::lock_guard lock(mu_);
    stats_.replayed += replayed;
  }
  if (!s.ok()) {
    return s.error();
  }
  return replayed;
}

Result<uint64_t> SpendWriter::Start() {
  if (started_) {
    return uint64_t{0};
  }
  auto replayed = Replay(options_.replay_attempts);
  if (!replayed.ok()) {
    return replayed;
  }
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return replayed;
}

void SpendWriter::Run() {
  BecomeBackgroundThread("baton-spend");
  std::vector<SpendRecord> batch;
  std::vector<ContentRecord> contents;
  for (;;) {
    LogPosition last;
    std::string last_hash;
    bool closing = false;
    uint64_t generation = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !pending_.empty() || overflow_ || closing_; });
      if (overflow_) {
        uint64_t covered = overflowed_;
        lock.unlock();
        // Records arriving meanwhile queue again (or overflow again); the store ignores the
        // ones the replay stores twice.
        auto replayed = Replay(0);
        lock.lock();
        if (replayed.ok()) {
          overflowed_ -= covered;
          overflow_ = overflowed_ > 0;
          settled_ += covered;
          done_cv_.notify_all();
          continue;
        }
        if (closing_) {
          settled_ += overflowed_;
          done_cv_.notify_all();
          break;
        }
        // E.g. the log cannot be read right now: try again later, not in a tight loop.
        std::fprintf(stderr, "baton: spend writer: %s; retrying\n",
                     replayed.error().message.c_str());
        cv_.wait_for(lock, options_.retry_interval, [this] { return closing_; });
        continue;
      }
      if (pending_.empty()) {
        break;  // closing with nothing left
      }
      // Group: wait for a full batch or max_delay, unless flushing or closing.
      auto deadline = std::chrono::steady_clock::now() + options_.max_delay;
      cv_.wait_until(lock, deadline, [this] {
        return pending_.size() >= options_.max_batch || closing_ || flush_;
      });
      if (overflow_ || pending_.empty()) {
        continue;  // an overflow let go of pending_ while we waited: replay instead
      }
      std::size_t n = std::min(pending_.size(), options_.max_batch);
      batch.clear();
      contents.clear();
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(pending_[i].record);
        if (!pending_[i].content.text.empty()) {
          contents.push_back(pending_[i].content);
        }
      }
      last = pending_[n - 1].position;
      last_hash = pending_[n - 1].hash;
      closing = closing_;
      generation = generation_;
    }
    Status s = StoreBatch(batch, contents, last, last_hash);
    std::unique_lock lock(mu_);
    if (generation != generation_) {
      // An overflow let go of pending_ (this batch included) meanwhile: the replay covers it.
      continue;
    }
    if (s.ok()) {
      pending_.erase(pending_.begin(),
                     pending_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
      settled_ += batch.size();
      if (pending_.empty()) {
        flush_ = false;
      }
      done_cv_.notify_all();
      continue;
    }
    if (closing) {
      // The records stay in the log; the next Start() replays them from the checkpoint.
      std::fprintf(stderr,
                   "baton: spend writer: closing with %zu records not stored (%s); they are "
                   "replayed from the request log at the next start\n",
                   pending_.size(), s.error().message.c_str());
      settled_ += pending_.size() + overflowed_;
      pending_.clear();
      overflowed_ = 0;
      done_cv_.notify_all();
      break;
    }
    if (stats_.store_errors == 1) {
      std::fprintf(stderr, "baton: spend writer: %s; retrying\n", s.error().message.c_str());
    }
    cv_.wait_for(lock, options_.retry_interval, [this] { return closing_; });
  }
}

void SpendWriter::Flush() {
  std::unique_lock lock(mu_);
  if (!started_ || !thread_.joinable()) {
    return;
  }
  uint64_t target = handed_;
  flush_ = true;
  cv_.notify_one();
  done_cv_.wait(lock, [&] { return settled_ >= target || !thread_.joinable(); });
}

SpendWriterStats SpendWriter::Stats() const {
  std::lock_guard lock(mu_);
  SpendWriterStats s = stats_;
  s.pending = pending_.size();
  return s;
}

void SpendWriter::Close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  done_cv_.notify_all();
}

}  // namespace baton

#include "telemetry/request_log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ranges>
#include <system_error>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/background_thread.hpp"

namespace baton {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// A coroutine suspended in Written(): its completion handler and, while it waits, a tracked
// executor so that its io_context does not run out of work meanwhile.
struct RequestLog::Waiter {
  asio::any_completion_handler<void(Status)> handler;
  asio::any_io_executor work;
};

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// strerror is not thread-safe; the category's message is.
std::string Errno(int err) {
  return std::generic_category().message(err);
}

void Complete(std::unique_ptr<RequestLog::Waiter>& w, Status status);

}  // namespace

RequestLog::RequestLog(RequestLogOptions options) : options_(std::move(options)) {
  if (!options_.now_ms) {
    options_.now_ms = SystemNowMs;
  }
  if (options_.queue == 0) {
    options_.queue = 1;
  }
  if (options_.max_batch == 0) {
    options_.max_batch = 1;
  }
  incoming_.reserve(1024);  // Append rarely reallocates (the writer swaps the buffers)
}

RequestLog::~RequestLog() {
  try {
    Close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to report to
  }
}

void RequestLog::OnWritten(std::function<void(std::span<const RequestRecord>)> callback) {
  on_written_.push_back(std::move(callback));
}

void RequestLog::OnWrittenBatch(std::function<void(const WrittenBatch&)> callback) {
  on_written_batch_.push_back(std::move(callback));
}

void RequestLog::Start() {
  if (started_) {
    return;
  }
  started_ = true;
  // Open synchronously so that a usable log is healthy (and its chain known) before serving.
  if (!EnsureOpen(options_.now_ms())) {
    healthy_.store(false, std::memory_order_release);
  }
  writer_ = std::thread([this] { Run(); });
}

Result<uint64_t> RequestLog::Append(RequestRecord record) {
  std::unique_lock lock(mu_);
  if (closing_ || queued_ >= options_.queue) {
    ++stats_.dropped;
    std::string why = closing_ ? "the request log is closed"
                               : "the request log queue is full (" +
                                     std::to_string(options_.queue) + " records waiting)";
    return Error(ErrorKind::kUnavailable, why, "request_log_unavailable");
  }
  uint64_t seq = next_seq_++;
  incoming_.push_back(Entry{seq, std::move(record)});
  ++queued_;
  ++stats_.appended;
  bool wake = incoming_.size() == 1;
  lock.unlock();
  if (wake) {
    cv_.notify_one();
  }
  return seq;
}

Awaitable<Status> RequestLog::Written(uint64_t seq) {
  if (seq <= written_seq_.load(std::memory_order_acquire)) {
    co_return OkStatus();  // no suspension
  }
  co_return co_await asio::async_initiate<const asio::deferred_t&, void(Status)>(
      [this, seq](auto handler) {
        asio::any_io_executor work = asio::prefer(asio::get_associated_executor(handler),
                                                  asio::execution::outstanding_work_t::tracked);
        // Constructed in place: Boost 1.81's any_completion_handler move assignment recurses.
        std::unique_ptr<Waiter> w(new Waiter{
            asio::any_completion_handler<void(Status)>(std::move(handler)), std::move(work)});
        RegisterWaiter(seq, std::move(w));
      },
      asio::deferred);
}

void RequestLog::RegisterWaiter(uint64_t seq, std::unique_ptr<Waiter> waiter) {
  std::unique_lock lock(mu_);
  if (seq <= written_seq_.load(std::memory_order_acquire)) {
    lock.unlock();
    Complete(waiter, OkStatus());
    return;
  }
  if (!healthy_.load(std::memory_order_acquire) || writer_done_) {
    lock.unlock();
    Complete(waiter, UnavailableError());
    return;
  }
  waiters_.emplace(seq, std::move(waiter));
}

Error RequestLog::UnavailableError() const {
  std::string why;
  {
    std::lock_guard lock(mu_);
    why = last_error_;
  }
  return {ErrorKind::kUnavailable,
          "the request log cannot be written" + (why.empty() ? "" : " (" + why + ")") +
              ": requests are refused until it can",
          "request_log_unavailable"};
}

RequestLogStats RequestLog::Stats() const {
  std::lock_guard lock(mu_);
  RequestLogStats s = stats_;
  s.queued = queued_;
  return s;
}

void RequestLog::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return;
    }
    closed_ = true;
    closing_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  CloseFile();
  {
    // Never started: what was queued cannot be written; count it.
    std::lock_guard lock(mu_);
    stats_.dropped += incoming_.size();
    queued_ -= incoming_.size();
    incoming_.clear();
  }
  {
    std::lock_guard lock(mu_);
    writer_done_ = true;
  }
  CompleteWaiters(written_seq_.load(), true);
}

namespace {

void Complete(std::unique_ptr<RequestLog::Waiter>& w, Status status) {
  asio::any_io_executor ex = w->work;
  // The lambda owns the waiter through a unique_ptr: any_completion_handler looks copyable to
  // Asio (its converting constructor), which would recurse if the lambda held it by value.
  asio::post(ex, [w = std::move(w), s = std::move(status)]() mutable {
    std::move(w->handler)(std::move(s));
  });
}
}  // namespace

void RequestLog::CompleteWaiters(uint64_t written_seq, bool failing) {
  std::vector<std::unique_ptr<Waiter>> done;
  std::vector<std::unique_ptr<Waiter>> failed;
  {
    std::lock_guard lock(mu_);
    auto end = waiters_.upper_bound(written_seq);
    for (auto it = waiters_.begin(); it != end; ++it) {
      done.push_back(std::move(it->second));
    }
    waiters_.erase(waiters_.begin(), end);
    if (failing) {
      for (auto& [seq, w] : waiters_) {
        failed.push_back(std::move(w));
      }
      waiters_.clear();
    }
  }
  for (auto& w : done) {
    Complete(w, OkStatus());
  }
  if (!failed.empty()) {
    Error e = UnavailableError();
    for (auto& w : failed) {
      Complete(w, e);
    }
  }
}

void RequestLog::SetFailed(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    last_error_ = why;
    ++stats_.write_errors;
  }
  bool was_healthy = healthy_.exchange(false, std::memory_order_acq_rel);
  if (was_healthy) {
    std::fprintf(stderr, "baton: request log: %s; retrying every %lld ms\n", why.c_str(),
                 static_cast<long long>(options_.retry_interval.count()));  // NOLINT
  }
  CompleteWaiters(written_seq_.load(std::memory_order_acquire), true);
}

void RequestLog::Run() {
  BecomeBackgroundThread("baton-log");
  std::vector<Entry> taken;
  taken.reserve(1024);
  for (;;) {
    bool closing = false;
    {
      std::unique_lock lock(mu_);
      if (healthy_.load(std::memory_order_acquire)) {
        cv_.wait(lock, [this] { return !incoming_.empty() || closing_; });
      } else {
        cv_.wait_for(lock, options_.retry_interval, [this] { return closing_; });
      }
      // Swap, not move under the lock: Append waits on this mutex.
      taken.clear();
      taken.swap(incoming_);
      closing = closing_;
    }
    for (Entry& e : taken) {
      backlog_.push_back(std::move(e));
    }
    if (backlog_.empty()) {
      if (!healthy_.load(std::memory_order_acquire) && EnsureOpen(options_.now_ms())) {
        healthy_.store(true, std::memory_order_release);
      }
      if (closing) {
        break;
      }
      continue;
    }
    bool ok = WriteBacklog();
    if (ok && !healthy_.exchange(true, std::memory_order_acq_rel)) {
      std::fprintf(stderr, "baton: request log: writing works again\n");
    }
    if (!ok && closing) {
      std::size_t lost = backlog_.size();
      backlog_.clear();
      {
        std::lock_guard lock(mu_);
        stats_.dropped += lost;
        queued_ -= lost;
      }
      std::fprintf(stderr, "baton: request log: closing while failing: %zu records not written\n",
                   lost);
      break;
    }
  }
}

void RequestLog::CloseFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

namespace {

// Reads [offset, offset + len) of fd.
bool ReadAt(int fd, uint64_t offset, std::size_t len, std::string& out) {
  out.resize(len);
  std::size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, out.data() + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// The last complete line of a file (without "\n") and where complete lines end (a torn tail
// after it is cut by the caller). found = false when the file holds no complete line.
struct Tail {
  bool found = false;
  std::string last_line;
  uint64_t complete_size = 0;  // bytes up to and including the last "\n"
  uint64_t size = 0;
};

bool ReadTail(const std::string& path, Tail& tail, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = "cannot open " + path + ": " + Errno(errno);
    return false;
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    why = "cannot stat " + path + ": " + Errno(errno);
    ::close(fd);
    return false;
  }
  tail.size = static_cast<uint64_t>(st.st_size);
  std::size_t window = std::size_t{64} * 1024;
  std::string buf;
  for (;;) {
    uint64_t start = tail.size > window ? tail.size - window : 0;
    if (!ReadAt(fd, start, static_cast<std::size_t>(tail.size - start), buf)) {
      why = "cannot read " + path + ": " + Errno(errno);
      ::close(fd);
      return false;
    }
    std::size_t last_nl = buf.rfind('\n');
    if (last_nl == std::string::npos) {
      if (start == 0) {
        break;  // no complete line at all
      }
      window *= 4;
      continue;
    }
    std::size_t prev_nl = last_nl == 0 ? std::string::npos : buf.rfind('\n', last_nl - 1);
    if (prev_nl == std::string::npos && start > 0) {
      window *= 4;  // the last line is longer than the window
      continue;
    }
    std::size_t line_begin = prev_nl == std::string::npos ? 0 : prev_nl + 1;
    tail.found = true;
    tail.last_line = buf.substr(line_begin, last_nl - line_begin);
    tail.complete_size = start + last_nl + 1;
    break;
  }
  ::close(fd);
  return true;
}

}  // namespace

bool RequestLog::EnsureOpen(int64_t now_ms) {
  int today = UtcDay(now_ms);
  if (fd_ >= 0) {
    if (!options_.rotate_daily || today == file_day_) {
      return true;
    }
    CloseFile();
    return OpenNewFile(today);
  }
  std::error_code ec;
  if (!fs::exists(options_.dir, ec)) {
    fs::create_directories(options_.dir, ec);
    if (ec) {
      SetFailed("cannot create the request log directory " + options_.dir + ": " + ec.message());
      return false;
    }
    fs::permissions(options_.dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (chain_.empty()) {
    // First open: find where the chain stands (the last complete line of the newest file that
    // has one), cutting a torn tail a crash may have left.
    auto files = ListLogFiles(options_.dir);
    if (!files.ok()) {
      SetFailed(files.error().message);
      return false;
    }
    std::string chain(kChainGenesis);
    std::optional<std::pair<std::string, Tail>> newest;
    for (const std::string& name : std::ranges::reverse_view(*files)) {
      std::string path = options_.dir + "/" + name;
      Tail tail;
      std::string why;
      if (!ReadTail(path, tail, why)) {
        SetFailed(why);
        return false;
      }
      if (tail.complete_size != tail.size) {
        if (::truncate(path.c_str(), static_cast<off_t>(tail.complete_size)) != 0) {
          SetFailed("cannot cut the torn last line of " + path + ": " + Errno(errno));
          return false;
        }
        std::fprintf(stderr,
                     "baton: request log: cut an incomplete last line (%llu bytes) from %s\n",
                     static_cast<unsigned long long>(tail.size - tail.complete_size),  // NOLINT
                     path.c_str());
        tail.size = tail.complete_size;
      }
      if (!newest) {
        newest.emplace(name, tail);
      }
      if (tail.found) {
        chain = Sha256Hex(tail.last_line);
        break;
      }
    }
    chain_ = chain;
    if (newest) {
      auto parsed = ParseLogFileName(newest->first);  // listed files always parse
      bool same_day = parsed && (!options_.rotate_daily || parsed->first == today);
      if (parsed && same_day && newest->second.size < options_.max_size) {
        return OpenExisting(newest->first, parsed->first, parsed->second);
      }
    }
  }
  return OpenNewFile(today);
}

bool RequestLog::OpenExisting(const std::string& name, int day, int index) {
  std::string path = options_.dir + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    SetFailed("cannot open " + path + ": " + Errno(errno));
    return false;
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    SetFailed("cannot stat " + path + ": " + Errno(errno));
    ::close(fd);
    return false;
  }
  fd_ = fd;
  file_ = name;
  file_day_ = day;
  file_index_ = index;
  file_size_ = static_cast<uint64_t>(st.st_size);
  std::lock_guard lock(mu_);
  ++stats_.files_opened;
  return true;
}

bool RequestLog::OpenNewFile(int day) {
  auto files = ListLogFiles(options_.dir);
  if (!files.ok()) {
    SetFailed(files.error().message);
    return false;
  }
  int index = 0;
  for (const std::string& f : *files) {
    auto parsed = ParseLogFileName(f);
    if (parsed && parsed->first == day) {
      index = std::max(index, parsed->second + 1);
    }
  }
  for (int attempt = 0; attempt < 1000; ++attempt, ++index) {
    std::string name = LogFileName(day, index);
    std::string path = options_.dir + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
      continue;
    }
    if (fd < 0) {
      SetFailed("cannot create " + path + ": " + Errno(errno));
      return false;
    }
    if (options_.fsync) {
      int dir_fd = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
      }
    }
    fd_ = fd;
    file_ = name;
    file_day_ = day;
    file_index_ = index;
    file_size_ = 0;
    std::lock_guard lock(mu_);
    ++stats_.files_opened;
    return true;
  }
  SetFailed("cannot create a new file in " + options_.dir);
  return false;
}

bool RequestLog::WriteBacklog() {
  while (!backlog_.empty()) {
    int64_t now = options_.now_ms();
    if (!EnsureOpen(now)) {
      return false;
    }
    // A failed attempt may have left bytes behind when cutting them failed too: cut them first.
    struct stat st{};
    if (::fstat(fd_, &st) != 0) {
      SetFailed("cannot stat " + options_.dir + "/" + file_ + ": " + Errno(errno));
      return false;
    }
    if (static_cast<uint64_t>(st.st_size) != file_size_ &&
        ::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) {
      SetFailed("cannot cut a partly written batch from " + options_.dir + "/" + file_ + ": " +
                Errno(errno));
      return false;
    }

    std::string buf;
    std::vector<LogPosition> positions;
    std::vector<std::string> hashes;
    std::string chain = chain_;
    uint64_t size = file_size_;
    bool rotate = false;
    std::size_t n = 0;
    while (n < backlog_.size() && n < options_.max_batch) {
      RequestRecord& record = backlog_[n].record;
      if (!record.content.empty()) {
        record.content = options_.content ? Redact(record.content) : std::string();
      }
      std::string body = ToJsonLine(record);
      std::string json;
      json.reserve(body.size() + 80);
      json.append(R"({"prev":")").append(chain).append("\",").append(body, 1);
      std::string stored = options_.encrypt_key ? EncryptLine(*options_.encrypt_key, json) : json;
      if (size > 0 && size + stored.size() + 1 > options_.max_size) {
        rotate = true;
        break;
      }
      buf.append(stored).push_back('\n');
      size += stored.size() + 1;
      chain = Sha256Hex(stored);
      positions.push_back({file_, size});
      hashes.push_back(chain);
      ++n;
    }
    if (n > 0) {
      std::size_t done = 0;
      int err = 0;
      while (done < buf.size()) {
        ssize_t w = ::write(fd_, buf.data() + done, buf.size() - done);
        if (w < 0 && errno == EINTR) {
          continue;
        }
        if (w <= 0) {
          err = w < 0 ? errno : ENOSPC;
          break;
        }
        done += static_cast<std::size_t>(w);
      }
      if (err == 0 && options_.fsync && ::fdatasync(fd_) != 0) {
        err = errno;
      }
      if (err != 0) {
        (void)::ftruncate(fd_, static_cast<off_t>(file_size_));  // checked before the next try
        SetFailed("cannot write " + options_.dir + "/" + file_ + ": " + Errno(err));
        return false;
      }
      file_size_ = size;
      chain_ = chain;
      std::vector<RequestRecord> records;
      records.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        records.push_back(std::move(backlog_.front().record));
        uint64_t seq = backlog_.front().seq;
        backlog_.pop_front();
        if (i + 1 == n) {
          written_seq_.store(seq, std::memory_order_release);
        }
      }
      {
        std::lock_guard lock(mu_);
        queued_ -= n;
        stats_.written += n;
        ++stats_.batches;
        last_error_.clear();
      }
      healthy_.store(true, std::memory_order_release);
      CompleteWaiters(written_seq_.load(std::memory_order_acquire), false);
      for (auto& cb : on_written_) {
        cb(records);
      }
      if (!on_written_batch_.empty()) {
        WrittenBatch batch{records, positions, hashes};
        for (auto& cb : on_written_batch_) {
          cb(batch);
        }
      }
    }
    if (rotate) {
      CloseFile();
      if (!OpenNewFile(UtcDay(now))) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace baton

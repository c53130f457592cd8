// The request log against real files: chain, encryption, rotation, queue bound, disk failure on
// a real tiny tmpfs, Written() ordering.
#include "telemetry/request_log.hpp"

#include <atomic>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "telemetry/log_file.hpp"
#include "telemetry/test_support.hpp"

namespace baton {
namespace {

using testing::ReadLines;
using testing::SampleRecord;
using testing::TempDir;
using testing::WriteLines;

constexpr int64_t kDay1 = 1'780'000'000'000;  // 2026-05-28T20:26:40Z

RequestLogOptions Options(const std::string& dir) {
  RequestLogOptions o;
  o.dir = dir;
  o.retry_interval = std::chrono::milliseconds(20);
  return o;
}

// Writes n records (ids from `first`) through a fresh log and closes it.
void WriteRecords(RequestLogOptions options, int first, int n) {
  RequestLog log(std::move(options));
  log.Start();
  for (int i = first; i < first + n; ++i) {
    ASSERT_TRUE(log.Append(SampleRecord(i)).ok());
  }
  log.Close();
  EXPECT_EQ(log.Stats().written, static_cast<uint64_t>(n));
}

std::vector<RequestRecord> ReadAll(const std::string& dir, const LogKey* key = nullptr) {
  std::vector<RequestRecord> out;
  Status s = ReadRequestLog(dir, key, {}, [&](const LogLine& line) {
    out.push_back(line.record);
    return OkStatus();
  });
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return out;
}

VerifyResult Verify(const std::string& dir, const LogKey* key = nullptr,
                    const std::optional<ChainAnchor>& anchor = std::nullopt) {
  auto r = VerifyRequestLog(dir, key, anchor);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : VerifyResult{};
}

TEST(RequestLogTest, WritesChainedPrivateLinesAcrossRestarts) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  WriteRecords(Options(dir), 0, 5);
  WriteRecords(Options(dir), 5, 5);  // a restart continues the file and the chain
  auto files = ListLogFiles(dir);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1U);
  struct stat st{};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  std::string path = dir + "/" + files->front();
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 10U);
  EXPECT_TRUE(lines[0].starts_with(R"({"prev":")" + std::string(kChainGenesis) + "\",\"time_ms\""))
      << lines[0];
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_NE(lines[i].find(R"({"prev":")" + Sha256Hex(lines[i - 1]) + "\""), std::string::npos);
  }
  auto records = ReadAll(dir);
  ASSERT_EQ(records.size(), 10U);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(records[static_cast<std::size_t>(i)], SampleRecord(i));
  }
  VerifyResult v = Verify(dir);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.lines, 10);
}

class ChainTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.sub("logs");
    RequestLogOptions o = Options(dir_);
    o.max_size = 4096;  // several files
    WriteRecords(o, 0, 40);
    auto files = ListLogFiles(dir_);
    ASSERT_TRUE(files.ok());
    ASSERT_GE(files->size(), 3U);
    files_ = *files;
    first_ = dir_ + "/" + files_[0];
    ASSERT_TRUE(Verify(dir_).intact);
  }
  TempDir tmp_;
  std::string dir_;
  std::vector<std::string> files_;
  std::string first_;
};

TEST_F(ChainTamperTest, DetectsAnEditedLine) {
  auto lines = ReadLines(first_);
  std::string& l = lines[4];  // line 5
  l.replace(l.find("\"status\":200"), 12, "\"status\":201");
  WriteLines(first_, lines);
  VerifyResult v = Verify(dir_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.file, files_[0]);
  EXPECT_EQ(v.line_no, 6);
  EXPECT_NE(v.problem.find("line 5 was edited or removed"), std::string::npos) << v.problem;
}

TEST_F(ChainTamperTest, DetectsARemovedLine) {
  auto lines = ReadLines(first_);
  lines.erase(lines.begin() + 2);
  WriteLines(first_, lines);
  VerifyResult v = Verify(dir_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.line_no, 3);
  EXPECT_NE(v.problem.find("line 2 was edited or removed"), std::string::npos) << v.problem;
}

TEST_F(ChainTamperTest, DetectsReorderedLines) {
  auto lines = ReadLines(first_);
  std::swap(lines[3], lines[4]);
  WriteLines(first_, lines);
  VerifyResult v = Verify(dir_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.line_no, 4);
}

TEST_F(ChainTamperTest, DetectsTruncation) {
  // Whole lines cut from a file's end: the next file no longer follows it.
  auto lines = ReadLines(first_);
  lines.pop_back();
  WriteLines(first_, lines);
  VerifyResult v = Verify(dir_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.file, files_[1]);
  EXPECT_EQ(v.line_no, 1);
  EXPECT_NE(v.problem.find("does not follow the last line of " + files_[0]), std::string::npos)
      << v.problem;
}

TEST_F(ChainTamperTest, DetectsATruncatedTailAgainstTheCheckpoint) {
  std::string last = dir_ + "/" + files_.back();
  auto lines = ReadLines(last);
  ASSERT_GE(lines.size(), 2U);
  uint64_t end = 0;
  for (const auto& l : lines) {
    end += l.size() + 1;
  }
  ChainAnchor anchor{{files_.back(), end}, Sha256Hex(lines.back())};
  EXPECT_TRUE(Verify(dir_, nullptr, anchor).intact);
  lines.pop_back();
  WriteLines(last, lines);
  EXPECT_TRUE(Verify(dir_).intact);                // a chain alone cannot see its own tail cut ...
  VerifyResult v = Verify(dir_, nullptr, anchor);  // ... the checkpoint's anchor can
  EXPECT_FALSE(v.intact);
  EXPECT_NE(v.problem.find("ends before the line the spend checkpoint recorded"), std::string::npos)
      << v.problem;
  // A line cut in the middle.
  std::ofstream(last, std::ios::app) << R"({"prev":"00)";
  v = Verify(dir_);
  EXPECT_FALSE(v.intact);
  EXPECT_NE(v.problem.find("incomplete line"), std::string::npos) << v.problem;
}

TEST_F(ChainTamperTest, DetectsARemovedFirstFile) {
  std::filesystem::remove(first_);
  VerifyResult v = Verify(dir_);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.line_no, 1);
  EXPECT_NE(v.problem.find("does not start the chain"), std::string::npos) << v.problem;
}

TEST(RequestLogTest, EncryptsAtRest) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  auto key = ParseLogKey(std::string(64, '7'));
  ASSERT_TRUE(key.ok());
  RequestLogOptions o = Options(dir);
  o.encrypt_key = *key;
  WriteRecords(o, 0, 3);
  auto files = ListLogFiles(dir).value();
  auto lines = ReadLines(dir + "/" + files[0]);
  ASSERT_EQ(lines.size(), 3U);
  for (const auto& l : lines) {
    EXPECT_TRUE(IsEncryptedLine(l));
    EXPECT_EQ(l.find("req-"), std::string::npos);
  }
  auto records = ReadAll(dir, &*key);
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[2], SampleRecord(2));
  EXPECT_TRUE(Verify(dir, &*key).intact);

  // Wrong key / no key: clear errors naming the place.
  auto wrong = ParseLogKey(std::string(64, '8'));
  Status s = ReadRequestLog(dir, &*wrong, {}, [](const LogLine&) { return OkStatus(); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "log_decrypt_failed");
  EXPECT_NE(s.error().message.find(files[0] + ":1: cannot decrypt: wrong key"), std::string::npos)
      << s.error().message;
  s = ReadRequestLog(dir, nullptr, {}, [](const LogLine&) { return OkStatus(); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "log_key_required");
  EXPECT_FALSE(VerifyRequestLog(dir, nullptr, std::nullopt).ok());

  // A flipped byte in an encrypted line is caught (authentication), naming the line.
  lines[1][10] = lines[1][10] == 'A' ? 'B' : 'A';
  WriteLines(dir + "/" + files[0], lines);
  VerifyResult v = Verify(dir, &*key);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.line_no, 2);
}

TEST(LogKeyTest, ParsesHexAndBase64Only) {
  EXPECT_TRUE(ParseLogKey(std::string(64, 'a')).ok());
  EXPECT_TRUE(ParseLogKey("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=").ok());
  EXPECT_TRUE(ParseLogKey("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA").ok());
  EXPECT_EQ(ParseLogKey("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=")->bytes[0], 0xab);
  for (const char* bad : {"", "short", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ"}) {
    auto k = ParseLogKey(bad);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.error().code, "bad_log_key");
  }
}

TEST(RequestLogTest, RotatesBySizeUnderLoadWithoutLosingOrSplittingLines) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  RequestLogOptions o = Options(dir);
  o.max_size = 8192;
  o.max_batch = 64;
  RequestLog log(o);
  log.Start();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(log.Append(SampleRecord(t * kPerThread + i)).ok());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  log.Close();
  auto files = ListLogFiles(dir).value();
  EXPECT_GT(files.size(), 10U);
  for (const auto& f : files) {
    EXPECT_LE(std::filesystem::file_size(dir + "/" + f), 8192U) << f;
  }
  std::set<std::string> ids;
  for (const auto& r : ReadAll(dir)) {
    ids.insert(r.request_id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
  VerifyResult v = Verify(dir);
  EXPECT_TRUE(v.intact) << v.file << ":" << v.line_no << " " << v.problem;
  EXPECT_EQ(v.lines, kThreads * kPerThread);
}

TEST(RequestLogTest, RotatesAtUtcMidnight) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  std::atomic<int64_t> now{kDay1};
  RequestLogOptions o = Options(dir);
  o.now_ms = [&now] { return now.load(); };
  {
    RequestLog log(o);
    log.Start();
    ASSERT_TRUE(log.Append(SampleRecord(0)).ok());
    ASSERT_TRUE(log.Append(SampleRecord(1)).ok());
    while (log.WrittenSeq() < 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    now = kDay1 + 86'400'000;
    ASSERT_TRUE(log.Append(SampleRecord(2)).ok());
    log.Close();
  }
  // A restart on the same (new) day continues its file; rotate_daily = false never switches.
  o.rotate_daily = false;
  now = kDay1 + 3 * 86'400'000;
  WriteRecords(o, 3, 1);
  auto files = ListLogFiles(dir).value();
  ASSERT_EQ(files.size(), 2U);
  EXPECT_EQ(files[0], "requests-20260528-000.jsonl");
  EXPECT_EQ(files[1], "requests-20260529-000.jsonl");
  EXPECT_EQ(ReadLines(dir + "/" + files[1]).size(), 2U);
  VerifyResult v = Verify(dir);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.lines, 4);
}

TEST(RequestLogTest, FullQueueRefusesAndCounts) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  RequestLogOptions o = Options(dir);
  o.queue = 3;
  RequestLog log(o);  // not started: nothing drains the queue
  for (int i = 0; i < 3; ++i) {
    auto seq = log.Append(SampleRecord(i));
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, static_cast<uint64_t>(i + 1));
  }
  auto full = log.Append(SampleRecord(3));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(full.error().code, "request_log_unavailable");
  EXPECT_EQ(log.Stats().dropped, 1U);
  log.Start();
  log.Close();
  EXPECT_EQ(ReadAll(dir).size(), 3U);
  EXPECT_FALSE(log.Append(SampleRecord(4)).ok());  // closed
}

TEST(RequestLogTest, UnwritableDirectoryIsUnhealthyUntilFixed) {
  TempDir tmp;
  std::string blocker = tmp.sub("blocker");
  std::ofstream(blocker) << "a file where the log's parent folder should be";
  RequestLog log(Options(blocker + "/logs"));
  log.Start();
  EXPECT_FALSE(log.Healthy());
  Error e = log.UnavailableError();
  EXPECT_EQ(e.kind, ErrorKind::kUnavailable);
  EXPECT_EQ(e.code, "request_log_unavailable");
  EXPECT_NE(e.message.find("cannot create the request log directory"), std::string::npos)
      << e.message;
  ASSERT_TRUE(log.Append(SampleRecord(1)).ok());  // kept queued
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(log.WrittenSeq(), 0U);
  std::filesystem::remove(blocker);
  for (int i = 0; i < 500 && log.WrittenSeq() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(log.WrittenSeq(), 1U);
  EXPECT_TRUE(log.Healthy());
  log.Close();
  EXPECT_EQ(ReadAll(blocker + "/logs").size(), 1U);
}

// A real full disk: a 64 KiB tmpfs (needs root, as in CI; skipped otherwise).
TEST(RequestLogTest, DiskFullTurnsUnhealthyKeepsRecordsAndRecovers) {
  TempDir tmp;
  std::string dir = tmp.sub("tiny");
  std::filesystem::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs (not root?): " << std::strerror(errno);
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{dir};
  RequestLogOptions o = Options(dir + "/logs");
  o.content = true;  // big lines fill the disk quickly
  RequestLog log(o);
  log.Start();
  ASSERT_TRUE(log.Healthy());
  std::vector<int> got_batches;
  int n = 0;
  for (; n < 2000 && log.Healthy(); ++n) {
    RequestRecord r = SampleRecord(n);
    r.content = std::string(1000, 'x');
    ASSERT_TRUE(log.Append(r).ok());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  for (int i = 0; i < 200 && log.Healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(log.Healthy());
  EXPECT_NE(log.UnavailableError().message.find("No space left on device"), std::string::npos)
      << log.UnavailableError().message;
  RequestLogStats stalled = log.Stats();
  EXPECT_GT(stalled.queued, 0U);
  EXPECT_GT(stalled.write_errors, 0U);
  EXPECT_EQ(stalled.dropped, 0U);
  // No partial line is left behind by the failed batch.
  VerifyResult v = Verify(dir + "/logs");
  EXPECT_TRUE(v.intact) << v.problem;
  // Room again: the writer recovers on its own and writes everything that waited.
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, "size=8m"), 0)
      << std::strerror(errno);
  for (int i = 0; i < 400 && log.WrittenSeq() < static_cast<uint64_t>(n); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(log.Healthy());
  EXPECT_EQ(log.WrittenSeq(), static_cast<uint64_t>(n));
  log.Close();
  EXPECT_EQ(ReadAll(dir + "/logs").size(), static_cast<std::size_t>(n));
  v = Verify(dir + "/logs");
  EXPECT_TRUE(v.intact) << v.problem;
}

Awaitable<void> AppendAndWait(RequestLog& log, int n, std::vector<uint64_t>& order, bool& all_ok) {
  for (int i = 0; i < n; ++i) {
    auto seq = log.Append(SampleRecord(i));
    if (!seq.ok()) {
      all_ok = false;
      co_return;
    }
    Status s = co_await log.Written(*seq);
    // Once Written() returns, the record is on disk: the written sequence has reached it.
    if (!s.ok() || log.WrittenSeq() < *seq) {
      all_ok = false;
    }
    order.push_back(*seq);
    // Already written: completes at once.
    Status again = co_await log.Written(*seq);
    all_ok = all_ok && again.ok();
  }
}

TEST(RequestLogTest, WrittenCompletesInOrderOnTheCallersExecutor) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  RequestLog log(Options(dir));
  std::vector<std::size_t> seen_by_subscriber;
  log.OnWritten([&seen_by_subscriber](std::span<const RequestRecord> records) {
    seen_by_subscriber.push_back(records.size());
  });
  log.Start();
  boost::asio::io_context io;
  std::vector<uint64_t> order;
  bool all_ok = true;
  boost::asio::co_spawn(io, AppendAndWait(log, 50, order, all_ok), boost::asio::detached);
  io.run();  // returns only when the coroutine is done: the waits kept the context busy
  EXPECT_TRUE(all_ok);
  ASSERT_EQ(order.size(), 50U);
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(order[i], i + 1);
  }
  log.Close();
  std::size_t total = 0;
  for (std::size_t n : seen_by_subscriber) {
    total += n;
  }
  EXPECT_EQ(total, 50U);
}

Awaitable<void> WaitFor(RequestLog& log, uint64_t seq, std::optional<Status>& result) {
  result = co_await log.Written(seq);
}

TEST(RequestLogTest, WrittenFailsWhileTheLogIsFailing) {
  TempDir tmp;
  std::string blocker = tmp.sub("blocker");
  std::ofstream(blocker) << "x";
  RequestLog log(Options(blocker + "/logs"));
  log.Start();
  boost::asio::io_context io;
  std::optional<Status> result;
  auto seq = log.Append(SampleRecord(1));
  ASSERT_TRUE(seq.ok());
  boost::asio::co_spawn(io, WaitFor(log, *seq, result), boost::asio::detached);
  io.run();
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, "request_log_unavailable");
  log.Close();
}

// Appends from several io threads at once, before and while the writer runs: every record reaches
// the file exactly once. (What an Append costs is measured in bench/, never asserted here.)
void AppendFromThreads(int threads_n, bool writer);
TEST(RequestLogTest, ConcurrentAppendsAreAllWritten) {
  AppendFromThreads(1, false);
  AppendFromThreads(1, true);
  AppendFromThreads(4, true);
}

void AppendFromThreads(int threads_n, bool writer) {
  TempDir tmp;
  RequestLogOptions o = Options(tmp.sub("logs"));
  o.queue = 1'000'000;
  RequestLog log(o);
  if (writer) {
    log.Start();
  }
  constexpr int kPerThread = 25'000;
  std::vector<std::vector<RequestRecord>> records(static_cast<std::size_t>(threads_n));
  for (int t = 0; t < threads_n; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      records[static_cast<std::size_t>(t)].push_back(SampleRecord((t * kPerThread) + i));
    }
  }
  std::vector<int> refused(static_cast<std::size_t>(threads_n));
  std::vector<std::thread> threads;
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      for (RequestRecord& r : records[static_cast<std::size_t>(t)]) {
        if (!log.Append(std::move(r)).ok()) {
          ++refused[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  log.Start();
  log.Close();
  for (int n : refused) {
    EXPECT_EQ(n, 0);
  }
  EXPECT_EQ(log.Stats().written, static_cast<uint64_t>(threads_n * kPerThread));
}

TEST(RequestLogTest, ContentIsDroppedOrRedactedByConfig) {
  TempDir tmp;
  RequestRecord r = SampleRecord(1);
  r.content = "user: my key is sk-proj-abcdefghijklmnopqrstuv, mail me at a@b.example";
  RequestLogOptions off = Options(tmp.sub("off"));
  {
    RequestLog log(off);
    log.Start();
    ASSERT_TRUE(log.Append(r).ok());
    log.Close();
  }
  auto records = ReadAll(tmp.sub("off"));
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].content, "");
  RequestLogOptions on = Options(tmp.sub("on"));
  on.content = true;
  {
    RequestLog log(on);
    log.Start();
    ASSERT_TRUE(log.Append(r).ok());
    log.Close();
  }
  records = ReadAll(tmp.sub("on"));
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].content, "user: my key is sk-[REDACTED], mail me at [EMAIL]");
}

TEST(RequestLogTest, CutsATornLastLineAtStart) {
  TempDir tmp;
  std::string dir = tmp.sub("logs");
  WriteRecords(Options(dir), 0, 3);
  std::string file = dir + "/" + ListLogFiles(dir)->front();
  std::ofstream(file, std::ios::app) << R"({"prev":"abc","time)";  // a crash mid-write
  WriteRecords(Options(dir), 3, 2);
  VerifyResult v = Verify(dir);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.lines, 5);
}

}  // namespace
}  // namespace baton

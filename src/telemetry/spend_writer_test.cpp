// The spend writer against a real SQLite store on a temp file.
#include "telemetry/spend_writer.hpp"

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "store/sqlite_store.hpp"
#include "telemetry/test_support.hpp"

namespace baton {
namespace {

using testing::SampleRecord;
using testing::TempDir;

const std::string kKeyHash(64, 'a');  // SampleRecord's key

RequestLogOptions LogOptions(const std::string& dir) {
  RequestLogOptions o;
  o.dir = dir;
  o.max_size = 4096;  // the tail spans files
  o.retry_interval = std::chrono::milliseconds(20);
  return o;
}

SpendWriterOptions WriterOptions(const std::string& dir) {
  SpendWriterOptions o;
  o.log_dir = dir;
  o.max_batch = 7;
  o.max_delay = std::chrono::milliseconds(5);
  o.retry_interval = std::chrono::milliseconds(20);
  return o;
}

std::unique_ptr<SqliteStore> OpenStore(const std::string& path) {
  auto store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok());
  return store.ok() ? std::move(store).value() : nullptr;
}

int64_t StoredCount(Store& store) {
  SpendQuery q;
  q.with_total = true;
  q.page_size = 1;
  auto page = store.QuerySpend(q);
  EXPECT_TRUE(page.ok());
  return page.ok() ? page->total.value_or(-1) : -1;
}

int64_t KeySpend(Store& store) {
  auto key = store.GetKey(kKeyHash);
  EXPECT_TRUE(key.ok());
  return key.ok() ? key->spend : -1;
}

int64_t CostOfFirst(int n) {
  int64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += SampleRecord(i).cost;
  }
  return sum;
}

// One serving session: log + spend writer (or log alone), n records from `first`.
void Session(Store* store, const std::string& dir, int first, int n, std::size_t max_pending = 0,
             SpendWriterStats* stats = nullptr) {
  RequestLog log(LogOptions(dir));
  std::optional<SpendWriter> writer;
  if (store != nullptr) {
    SpendWriterOptions o = WriterOptions(dir);
    if (max_pending > 0) {
      o.max_pending = max_pending;
    }
    writer.emplace(*store, o);
    writer->Attach(log);
  }
  log.Start();
  if (writer) {
    ASSERT_TRUE(writer->Start().ok());
  }
  for (int i = first; i < first + n; ++i) {
    if (max_pending > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // many small batches
    }
    RequestRecord r = SampleRecord(i);
    if (i % 5 == 0) {
      r.status = 503;  // failed requests are stored too (spend rows carry the status)
      r.cost = 0;
    }
    ASSERT_TRUE(log.Append(r).ok());
  }
  log.Close();
  if (writer) {
    writer->Flush();
    writer->Close();
    if (stats != nullptr) {
      *stats = writer->Stats();
    }
  }
}

int64_t ExpectedCost(int n) {
  int64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += i % 5 == 0 ? 0 : SampleRecord(i).cost;
  }
  return sum;
}

class SpendWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.sub("logs");
    store_ = OpenStore(tmp_.sub("baton.db"));
    ASSERT_NE(store_, nullptr);
    KeyRecord key;
    key.key_hash = kKeyHash;
    key.key_prefix = "sk-...ab12";
    ASSERT_TRUE(store_->CreateKey(key).ok());
  }
  TempDir tmp_;
  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SpendWriterTest, StoresEveryWrittenRecordAndCheckpoints) {
  Session(store_.get(), dir_, 0, 60);
  EXPECT_EQ(StoredCount(*store_), 60);
  EXPECT_EQ(KeySpend(*store_), ExpectedCost(60));
  auto checkpoint = ReadCheckpoint(dir_);
  ASSERT_TRUE(checkpoint.has_value());
  auto files = ListLogFiles(dir_).value();
  EXPECT_EQ(checkpoint->position.file, files.back());
  EXPECT_EQ(checkpoint->position.offset, std::filesystem::file_size(dir_ + "/" + files.back()));
  // The checkpoint anchors verification of the whole log.
  auto v = VerifyRequestLog(dir_, nullptr, checkpoint);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact) << v->problem;
  EXPECT_EQ(v->lines, 60);
  (void)CostOfFirst;
}

TEST_F(SpendWriterTest, ReplaysTheLogAfterACrashExactlyOnce) {
  // Session 1 stores 10 records; keep its checkpoint to make it stale later.
  Session(store_.get(), dir_, 0, 10);
  std::string cp = dir_ + "/spend.checkpoint";
  std::string stale = tmp_.sub("stale.checkpoint");
  std::filesystem::copy_file(cp, stale);
  // Session 2 stores 20 more; then the checkpoint is put back 20 records behind.
  Session(store_.get(), dir_, 10, 20);
  EXPECT_EQ(StoredCount(*store_), 30);
  std::filesystem::copy_file(stale, cp, std::filesystem::copy_options::overwrite_existing);
  // Session 3 "crashes": its 15 records reach the log but never the store.
  Session(nullptr, dir_, 30, 15);
  EXPECT_EQ(StoredCount(*store_), 30);

  // Restart: replay from the stale checkpoint: 35 records read, 20 of them already stored.
  SpendWriter writer(*store_, WriterOptions(dir_));
  auto replayed = writer.Start();
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  EXPECT_EQ(*replayed, 35U);
  EXPECT_EQ(writer.Stats().inserted, 15U);
  EXPECT_EQ(StoredCount(*store_), 45);
  EXPECT_EQ(KeySpend(*store_), ExpectedCost(45));  // every record counted exactly once
  writer.Close();

  // Nothing new: a second replay reads nothing (the checkpoint moved to the end).
  SpendWriter again(*store_, WriterOptions(dir_));
  auto none = again.Start();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0U);
  again.Close();

  // No checkpoint at all: the whole log is replayed, and still counted once.
  std::filesystem::remove(cp);
  SpendWriter full(*store_, WriterOptions(dir_));
  auto all = full.Start();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 45U);
  EXPECT_EQ(full.Stats().inserted, 0U);
  EXPECT_EQ(KeySpend(*store_), ExpectedCost(45));
}

TEST_F(SpendWriterTest, ReplayReadsEncryptedLogs) {
  auto key = ParseLogKey(std::string(64, 'c'));
  ASSERT_TRUE(key.ok());
  {
    RequestLogOptions o = LogOptions(dir_);
    o.encrypt_key = *key;
    RequestLog log(o);
    log.Start();
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(log.Append(SampleRecord(i)).ok());
    }
    log.Close();
  }
  SpendWriter no_key(*store_, WriterOptions(dir_));
  auto failed = no_key.Start();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "log_key_required");
  SpendWriterOptions o = WriterOptions(dir_);
  o.key = *key;
  SpendWriter writer(*store_, o);
  auto replayed = writer.Start();
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 12U);
  EXPECT_EQ(StoredCount(*store_), 12);
}

// A store that fails its first AppendSpend calls (the real SQLite store behind it).
class FlakyStore final : public Store {
 public:
  FlakyStore(Store& inner, int failures) : inner_(inner), failures_(failures) {}
  Result<KeyRecord> CreateKey(const KeyRecord& k) override { return inner_.CreateKey(k); }
  Result<KeyRecord> UpdateKey(std::string_view h, const KeyPatch& p) override {
    return inner_.UpdateKey(h, p);
  }
  Status DeleteKey(std::string_view h) override { return inner_.DeleteKey(h); }
  Result<KeyRecord> GetKey(std::string_view h) override { return inner_.GetKey(h); }
  Result<KeyRecord> GetKeyByAlias(std::string_view a) override { return inner_.GetKeyByAlias(a); }
  Result<Page<KeyRecord>> ListKeys(const ListFilter& f) override { return inner_.ListKeys(f); }
  Result<TeamRecord> CreateTeam(const TeamRecord& t) override { return inner_.CreateTeam(t); }
  Result<TeamRecord> UpdateTeam(std::string_view id, const TeamPatch& p) override {
    return inner_.UpdateTeam(id, p);
  }
  Status DeleteTeam(std::string_view id) override { return inner_.DeleteTeam(id); }
  Result<TeamRecord> GetTeam(std::string_view id) override { return inner_.GetTeam(id); }
  Result<TeamRecord> GetTeamByAlias(std::string_view a) override {
    return inner_.GetTeamByAlias(a);
  }
  Result<Page<TeamRecord>> ListTeams(const ListFilter& f) override { return inner_.ListTeams(f); }
  Result<AppendResult> AppendSpend(std::span<const SpendRecord> records) override {
    if (failures_.fetch_sub(1) > 0) {
      return Error(ErrorKind::kUnavailable, "database busy", "store_busy");
    }
    return inner_.AppendSpend(records);
  }
  Result<SpendPage> QuerySpend(const SpendQuery& q) override { return inner_.QuerySpend(q); }
  Result<std::vector<SpendTotal>> SpendByKey(const SpendAggregateFilter& f) override {
    return inner_.SpendByKey(f);
  }
  Result<std::vector<SpendTotal>> SpendByTeam(const SpendAggregateFilter& f) override {
    return inner_.SpendByTeam(f);
  }
  Result<SpendTotal> SumSpend(const SpendSumFilter& f) override { return inner_.SumSpend(f); }
  Result<BudgetResetResult> ResetBudgets(int64_t now) override { return inner_.ResetBudgets(now); }
  Result<SchemaInfo> Schema() override { return inner_.Schema(); }

 private:
  Store& inner_;
  std::atomic<int> failures_;
};

TEST_F(SpendWriterTest, RetriesAFailingStoreWithoutLosingRecords) {
  FlakyStore flaky(*store_, 3);
  Session(&flaky, dir_, 0, 25);
  EXPECT_EQ(StoredCount(*store_), 25);
  EXPECT_EQ(KeySpend(*store_), ExpectedCost(25));
}

TEST_F(SpendWriterTest, ALongStoreOutageFallsBackToReplayingTheLog) {
  FlakyStore flaky(*store_, 8);  // ~160 ms of failures: more than max_pending records arrive
  SpendWriterStats stats;
  Session(&flaky, dir_, 0, 60, /*max_pending=*/5, &stats);
  EXPECT_GT(stats.replayed, 0U);  // the fallback did run
  EXPECT_EQ(StoredCount(*store_), 60);
  EXPECT_EQ(KeySpend(*store_), ExpectedCost(60));
}

TEST_F(SpendWriterTest, StoresTheRequestTextWhenContentIsLogged) {
  RequestLogOptions lo = LogOptions(dir_);
  lo.content = true;
  {
    RequestLog log(lo);
    SpendWriter writer(*store_, WriterOptions(dir_));
    writer.Attach(log);
    log.Start();
    ASSERT_TRUE(writer.Start().ok());
    RequestRecord r = SampleRecord(0);
    r.content = R"({"model":"m","messages":[{"role":"user","content":"tide pools of Brittany"}]})";
    ASSERT_TRUE(log.Append(r).ok());
    RequestRecord plain = SampleRecord(1);  // no content: no text stored
    ASSERT_TRUE(log.Append(plain).ok());
    log.Close();
    writer.Flush();
    writer.Close();
    EXPECT_EQ(writer.Stats().content_errors, 0U);
  }
  auto found = store_->SimilarRequests("brittany tide", 10);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ((*found)[0].request_id, SampleRecord(0).request_id);
  EXPECT_EQ((*found)[0].text, "tide pools of Brittany");  // string values, not the JSON

  // A replay from scratch (no checkpoint) stores the text once more: ignored, still one.
  std::filesystem::remove(dir_ + "/spend.checkpoint");
  SpendWriter replay(*store_, WriterOptions(dir_));
  ASSERT_TRUE(replay.Start().ok());
  replay.Close();
  found = store_->SimilarRequests("brittany", 10);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 1U);
}

TEST(ContentSearchTextTest, KeepsTheWordsOfAJsonBody) {
  EXPECT_EQ(
      ContentSearchText(R"({"model":"gpt","messages":[{"role":"system","content":"Be brief"},)"
                        R"({"role":"user","content":[{"type":"text","text":"hi there"}]}],)"
                        R"("max_tokens":5})"),
      "Be brief\nhi there");
  EXPECT_EQ(ContentSearchText("not json at all"), "not json at all");
  EXPECT_EQ(ContentSearchText(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(ContentSearchText(std::string(70'000, 'x')).size(), 64U * 1024U);
}

}  // namespace
}  // namespace baton

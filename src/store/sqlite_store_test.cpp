// SQLite-only behaviour, beyond the shared contract: file settings (WAL, mode 0600), refusing a
// newer schema, and the query plans the spend pages rely on.
#include "store/sqlite_store.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace baton {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("baton_sqlite_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "baton.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs one statement on a separate raw connection; returns the first column of the rows.
  std::vector<std::string> Raw(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::vector<std::string> rows;
    char* err = nullptr;
    int rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int n, char** values, char**) {
          std::string row;
          for (int i = 0; i < n; ++i) {
            row += (i > 0 ? "|" : "") + std::string(values[i] != nullptr ? values[i] : "NULL");
          }
          static_cast<std::vector<std::string>*>(out)->push_back(row);
          return 0;
        },
        &rows, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return rows;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, CreatesAPrivateWalFile) {
  auto s = SqliteStore::Open(path_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Raw("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  auto schema = (*s)->Schema();
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(schema->version, SqliteStore::LatestSchemaVersion());
}

TEST_F(SqliteStoreTest, RefusesASchemaNewerThanTheBinary) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  const int future = SqliteStore::LatestSchemaVersion() + 1;
  Raw("INSERT INTO schema_migrations(version, applied_at_ms) VALUES(" + std::to_string(future) +
      ", 0)");
  auto s = SqliteStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "store_schema_newer");
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(std::to_string(future)), std::string::npos);
}

TEST_F(SqliteStoreTest, RefusesWhatIsNotADatabase) {
  std::filesystem::create_directories(dir_);
  {
    FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a database, just text long enough to fill a header.....", f);
    std::fclose(f);
  }
  auto s = SqliteStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kInternal);
  EXPECT_FALSE(SqliteStore::Open(":memory:").ok());  // WAL needs a real file
}

TEST_F(SqliteStoreTest, SpendPagesUseTheIndexesWithoutSorting) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  const std::string select = "EXPLAIN QUERY PLAN SELECT id FROM spend_logs WHERE 1=1 ";
  const std::string order = " ORDER BY time DESC, id DESC LIMIT 101";
  struct Case {
    std::string where;
    std::string index;
  };
  for (const Case& c : {
           Case{"AND key_hash = 'k'", "spend_logs_key_time"},
           Case{"AND key_hash = 'k' AND time >= 1 AND time < 2", "spend_logs_key_time"},
           Case{"AND key_hash = 'k' AND time <= 5 AND (time < 5 OR id < 3)", "spend_logs_key_time"},
           Case{"AND team_id = 't'", "spend_logs_team_time"},
           Case{"", "spend_logs_time"},
       }) {
    auto plan = Raw(select + c.where + order);
    std::string all;
    for (const auto& row : plan) {
      all += row + "\n";
    }
    EXPECT_NE(all.find(c.index), std::string::npos) << c.where << "\n" << all;
    EXPECT_EQ(all.find("TEMP B-TREE"), std::string::npos) << c.where << "\n" << all;
  }
}

TEST_F(SqliteStoreTest, ReadOnlyOpenReadsButNeverWritesOrCreates) {
  SqliteOptions ro;
  ro.read_only = true;
  auto missing = SqliteStore::Open(path_, ro);
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(std::filesystem::exists(path_));  // nothing created
  {
    auto rw = SqliteStore::Open(path_);
    ASSERT_TRUE(rw.ok()) << rw.error().message;
    SpendRecord r;
    r.request_id = "r1";
    r.time = 1000;
    r.model_asked = "m";
    ASSERT_TRUE((*rw)->AppendSpend(std::span(&r, 1)).ok());
  }
  auto s = SqliteStore::Open(path_, ro);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto stats = (*s)->ModelInsights({0, 2000});
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  ASSERT_EQ(stats->size(), 1U);
  EXPECT_EQ((*stats)[0].requests, 1);
  SpendRecord again;
  again.request_id = "r2";
  EXPECT_FALSE((*s)->AppendSpend(std::span(&again, 1)).ok());
  // A store at an older schema version is refused (start `baton serve` to migrate it).
  s = Result<std::unique_ptr<SqliteStore>>(Error(ErrorKind::kInternal, "closed"));
  Raw("DELETE FROM schema_migrations WHERE version = " +
      std::to_string(SqliteStore::LatestSchemaVersion()));
  auto old = SqliteStore::Open(path_, ro);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, "store_schema_mismatch");
}

}  // namespace
}  // namespace baton

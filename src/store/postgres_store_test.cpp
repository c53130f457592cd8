// PostgreSQL-only behaviour, beyond the shared contract (store_contract_test.cpp): reconnecting
// after the server drops the connection, instances migrating one database at the same time,
// refusing a newer schema, never showing the password, and the index the spend pages use.
// Needs BATON_TEST_PG_URL (scripts/with-postgres.sh CMD sets it); skipped otherwise.
#include "store/postgres_store.hpp"

#include <atomic>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

namespace baton {
namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* admin = std::getenv("BATON_TEST_PG_URL");
    if (admin == nullptr || *admin == '\0') {
      GTEST_SKIP() << "BATON_TEST_PG_URL is not set (scripts/with-postgres.sh CMD sets it)";
    }
    admin_ = admin;
    static std::atomic<int> counter{0};
    db_ = "baton_pgtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    ASSERT_EQ(Admin("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)"), "");
    ASSERT_EQ(Admin("CREATE DATABASE " + db_), "");
    url_ = WithDatabase(admin_, db_);
  }
  void TearDown() override {
    if (!db_.empty()) {
      EXPECT_EQ(Admin("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)"), "");
    }
  }

  static std::string WithDatabase(const std::string& url, const std::string& db) {
    const size_t slash = url.find('/', url.find("://") + 3);
    const size_t query = url.find('?', slash);
    return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
  }

  // Runs `sql` on `url`; returns "" or the error, or with `rows` the first column of each row.
  static std::string Run(const std::string& url, const std::string& sql,
                         std::vector<std::string>* rows = nullptr) {
    PGconn* c = PQconnectdb(url.c_str());
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = PQresultErrorMessage(r);
      } else if (rows != nullptr) {
        for (int i = 0; i < PQntuples(r); ++i) {
          rows->emplace_back(PQgetvalue(r, i, 0));
        }
      }
      PQclear(r);
    }
    PQfinish(c);
    return err;
  }
  std::string Admin(const std::string& sql) { return Run(admin_, sql); }
  std::vector<std::string> Query(const std::string& sql) {
    std::vector<std::string> rows;
    EXPECT_EQ(Run(url_, sql, &rows), "");
    return rows;
  }

  std::string admin_;
  std::string db_;
  std::string url_;
};

TEST_F(PostgresStoreTest, ReconnectsOnceAfterTheServerDropsTheConnection) {
  auto s = PostgresStore::Open(url_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  KeyRecord k;
  k.key_hash = "aa11";
  ASSERT_TRUE((*s)->CreateKey(k).ok());

  // What a server restart or an idle-connection reaper does to the store's session.
  std::vector<std::string> killed;
  ASSERT_EQ(Run(admin_,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db_ +
                    "' AND pid <> pg_backend_pid()",
                &killed),
            "");
  ASSERT_EQ(killed, std::vector<std::string>{"t"});

  auto got = (*s)->GetKey("aa11");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->key_hash, "aa11");

  // A write transaction too: the whole call reruns on the new connection, counted once.
  ASSERT_EQ(Run(admin_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                            db_ + "' AND pid <> pg_backend_pid()"),
            "");
  SpendRecord r;
  r.request_id = "r1";
  r.key_hash = "aa11";
  r.cost = 5;
  auto a = (*s)->AppendSpend(std::vector{r});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->inserted, 1);
  EXPECT_EQ((*s)->GetKey("aa11")->spend, 5);
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailableAndRecovers) {
  auto s = PostgresStore::Open(url_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  // Refuse new connections to this database, then cut the store's: the reconnect fails.
  ASSERT_EQ(Admin("ALTER DATABASE " + db_ + " ALLOW_CONNECTIONS false"), "");
  ASSERT_EQ(Run(admin_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                            db_ + "' AND pid <> pg_backend_pid()"),
            "");
  auto down = (*s)->GetKey("x");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(down.error().code, "store_unavailable");
  ASSERT_EQ(Admin("ALTER DATABASE " + db_ + " ALLOW_CONNECTIONS true"), "");
  auto up = (*s)->GetKey("x");
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().kind, ErrorKind::kNotFound);  // connected again, the key just is not there
}

TEST_F(PostgresStoreTest, InstancesStartingTogetherMigrateOnce) {
  constexpr int kInstances = 6;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&] {
      auto s = PostgresStore::Open(url_);
      if (!s.ok()) {
        ADD_FAILURE() << s.error().message;
        ++failures;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(PostgresStore::LatestSchemaVersion())});
}

TEST_F(PostgresStoreTest, RefusesANewerSchema) {
  ASSERT_TRUE(PostgresStore::Open(url_).ok());
  Query("INSERT INTO schema_migrations VALUES (999, 0)");
  auto s = PostgresStore::Open(url_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "store_schema_newer");
  EXPECT_NE(s.error().message.find("999"), std::string::npos) << s.error().message;
}

TEST_F(PostgresStoreTest, ErrorsNeverShowThePassword) {
  // The admin URL with a wrong password, and one with the right password but a missing database.
  const std::string secret = "Sup3r-Secret-Pw";
  const size_t at = url_.find('@');
  const size_t colon = url_.rfind(':', at);
  ASSERT_NE(at, std::string::npos);
  const std::string wrong = url_.substr(0, colon + 1) + secret + url_.substr(at);
  auto s = PostgresStore::Open(wrong);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(s.error().message.find(secret), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("cannot connect"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("127.0.0.1"), std::string::npos) << s.error().message;

  const std::string real_password = url_.substr(colon + 1, at - colon - 1);
  auto missing = PostgresStore::Open(WithDatabase(admin_, "no_such_db_here"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message.find(real_password), std::string::npos)
      << missing.error().message;
  EXPECT_EQ(PostgresStore::RedactUrl(url_).find(real_password), std::string::npos);
  EXPECT_EQ(PostgresStore::RedactUrl("postgresql://u:pw@h:5/d"), "postgresql://u@h:5/d");

  auto bad = PostgresStore::Open("postgresql://u:pw@h:notaport%zz/d?bogus=1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("pw"), std::string::npos) << bad.error().message;
}

TEST_F(PostgresStoreTest, SpendPageForOneKeyUsesTheKeyTimeIndex) {
  auto s = PostgresStore::Open(url_);
  ASSERT_TRUE(s.ok());
  std::vector<SpendRecord> recs;
  // Enough rows per key that reading them all and sorting would cost more than walking the
  // index in order (the planner is free to sort a small key's few rows).
  for (int i = 0; i < 20000; ++i) {
    SpendRecord r;
    r.request_id = "r" + std::to_string(i);
    r.time = 1000 + i;
    r.key_hash = "k" + std::to_string(i % 4);
    recs.push_back(r);
  }
  ASSERT_TRUE((*s)->AppendSpend(recs).ok());
  Query("ANALYZE spend_logs");
  std::vector<std::string> plan;
  ASSERT_EQ(Run(url_,
                "EXPLAIN SELECT id FROM spend_logs WHERE key_hash = 'k3' AND time <= 20500 AND "
                "(time, id) < (20500, 19000) ORDER BY time DESC, id DESC LIMIT 101",
                &plan),
            "");
  std::string text;
  for (const auto& line : plan) {
    text += line + "\n";
  }
  EXPECT_NE(text.find("spend_logs_key_time"), std::string::npos) << text;
  EXPECT_EQ(text.find("Sort"), std::string::npos) << text;
}

}  // namespace
}  // namespace baton

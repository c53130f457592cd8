// The Store contract: every implementation (SQLite now, PostgreSQL later) runs these tests. A
// backend is a function that prepares an empty location (a temp file, a fresh database) and
// returns a factory opening it; calling the factory again reopens the same data. To add a backend,
// append it to Backends() below. PostgreSQL runs when BATON_TEST_PG_URL names a server where the
// user may create databases (scripts/with-postgres.sh starts one): each test gets its own
// database, dropped afterwards. Without it the PostgreSQL cases are skipped.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"

namespace baton {
namespace {

struct StoreLocation {
  StoreFactory open;
  std::function<void()> cleanup;
  std::string skip;   // set: the backend is not configured here; the test is skipped with this
  std::string error;  // set: preparing the location failed
};

struct StoreBackend {
  std::string name;
  std::function<StoreLocation()> fresh;
};

StoreLocation FreshSqlite() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::path(::testing::TempDir()) /
             ("baton_store_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "sub" / "baton.db").string();  // parent dir created by Open
  StoreLocation loc;
  loc.open = [path]() -> Result<std::unique_ptr<Store>> {
    auto s = SqliteStore::Open(path);
    if (!s) {
      return std::move(s).error();
    }
    return std::unique_ptr<Store>(std::move(s).value());
  };
  loc.cleanup = [dir] { std::filesystem::remove_all(dir); };
  return loc;
}

// Runs `sql` on the server at `url` on a connection of its own; empty on success, else the
// server's message (the URL's password never appears in it).
std::string PgRun(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      err = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(c);
  return err.empty() ? err : sql + ": " + err;
}

// `url` (postgresql://user:pass@host:port/db?params) naming database `db` instead.
std::string PgUrlWithDatabase(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || slash == std::string::npos) {
    return url + "/" + db;
  }
  const size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

StoreLocation FreshPostgres() {
  StoreLocation loc;
  const char* admin_env = std::getenv("BATON_TEST_PG_URL");
  if (admin_env == nullptr || *admin_env == '\0') {
    loc.skip = "BATON_TEST_PG_URL is not set (scripts/with-postgres.sh CMD sets it)";
    return loc;
  }
  static std::atomic<int> counter{0};
  const std::string admin = admin_env;
  const std::string db =
      "baton_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string drop = "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
  if (std::string err = PgRun(admin, drop); !err.empty()) {
    loc.error = err;
    return loc;
  }
  if (std::string err = PgRun(admin, "CREATE DATABASE " + db); !err.empty()) {
    loc.error = err;
    return loc;
  }
  const std::string url = PgUrlWithDatabase(admin, db);
  loc.open = [url]() -> Result<std::unique_ptr<Store>> {
    auto s = PostgresStore::Open(url);
    if (!s) {
      return std::move(s).error();
    }
    return std::unique_ptr<Store>(std::move(s).value());
  };
  loc.cleanup = [admin, drop] { EXPECT_EQ(PgRun(admin, drop), ""); };
  return loc;
}

void PrintTo(const StoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

// Both backends are always listed, so a run without PostgreSQL shows its cases as skipped
// rather than silently running fewer tests.
std::vector<StoreBackend> Backends() {
  return {StoreBackend{"Sqlite", FreshSqlite}, StoreBackend{"Postgres", FreshPostgres}};
}

class StoreContractTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    loc_ = GetParam().fresh();
    if (!loc_.skip.empty()) {
      GTEST_SKIP() << loc_.skip;
    }
    ASSERT_TRUE(loc_.error.empty()) << loc_.error;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    if (loc_.cleanup) {
      loc_.cleanup();
    }
  }
  void Reopen() {
    store_.reset();
    auto s = loc_.open();
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }

  static KeyRecord Key(const std::string& hash, const std::string& team = "") {
    KeyRecord k;
    k.key_hash = hash;
    k.key_prefix = "sk-..." + hash.substr(0, 4);
    k.team_id = team;
    return k;
  }
  static TeamRecord Team(const std::string& id, const std::string& alias = "") {
    TeamRecord t;
    t.team_id = id;
    t.alias = alias;
    return t;
  }
  static SpendRecord Spend(const std::string& id, int64_t time, const std::string& key,
                           const std::string& team, int64_t cost) {
    SpendRecord r;
    r.request_id = id;
    r.time = time;
    r.key_hash = key;
    r.team_id = team;
    r.cost = cost;
    r.prompt_tokens = 10;
    r.completion_tokens = 5;
    r.status = 200;
    return r;
  }

  StoreLocation loc_;
  std::unique_ptr<Store> store_;
};

// ---- keys ----

TEST_P(StoreContractTest, KeyRoundTripsEveryField) {
  ASSERT_TRUE(store_->CreateTeam(Team("t1", "Team One")).ok());
  KeyRecord k = Key("aa11");
  k.alias = "ci-bot";
  k.team_id = "t1";
  k.models = {"gpt-4o", "claude \"quoted\""};
  k.zone = "eu";
  k.expires_at = 2'000'000'000;
  k.metadata = R"({"owner":"ops"})";
  k.max_budget = 50'000'000'000'000;  // 50 USD
  k.budget_duration = "30d";
  k.budget_reset_at = 1'800'000'000;
  k.rpm = 60;
  k.tpm = 100000;
  k.blocked = true;
  k.spend = 123;
  k.created_at = 1'700'000'000;
  auto created = store_->CreateKey(k);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->created_at, 1'700'000'000);
  EXPECT_GT(created->updated_at, 1'700'000'000);
  EXPECT_EQ(created->budget_reset_at, 1'800'000'000);  // given, so not recomputed

  auto got = store_->GetKey("aa11");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *created);
  auto by_alias = store_->GetKeyByAlias("ci-bot");
  ASSERT_TRUE(by_alias.ok());
  EXPECT_EQ(*by_alias, *created);

  ASSERT_TRUE(store_->DeleteKey("aa11").ok());
  auto gone = store_->GetKey("aa11");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(gone.error().code, "key_not_found");
  auto again = store_->DeleteKey("aa11");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(store_->GetKeyByAlias("ci-bot").ok());
}

TEST_P(StoreContractTest, KeyDefaultsAndFirstResetSchedule) {
  KeyRecord k = Key("bb22");
  k.budget_duration = "1d";
  const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto created = store_->CreateKey(k);
  ASSERT_TRUE(created.ok());
  EXPECT_GE(created->created_at, before);
  ASSERT_TRUE(created->budget_reset_at.has_value());
  EXPECT_EQ(*created->budget_reset_at, created->created_at + 86400);
  auto got = store_->GetKey("bb22");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->alias.empty());
  EXPECT_TRUE(got->team_id.empty());
  EXPECT_TRUE(got->models.empty());
  EXPECT_FALSE(got->expires_at.has_value());
  EXPECT_FALSE(got->max_budget.has_value());
  EXPECT_EQ(got->metadata, "{}");

  KeyRecord bad = Key("cc33");
  bad.budget_duration = "30";  // bare numbers are rejected
  auto r = store_->CreateKey(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(r.error().code, "bad_budget_duration");
  EXPECT_FALSE(store_->GetKey("cc33").ok());
}

TEST_P(StoreContractTest, DuplicateHashAndAliasConflicts) {
  KeyRecord a = Key("aa11");
  a.alias = "shared";
  ASSERT_TRUE(store_->CreateKey(a).ok());

  auto dup = store_->CreateKey(Key("aa11"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(dup.error().code, "key_exists");

  KeyRecord b = Key("bb22");
  b.alias = "shared";
  auto conflict = store_->CreateKey(b);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(conflict.error().code, "alias_exists");
  EXPECT_FALSE(store_->GetKey("bb22").ok());

  // Keys without an alias never conflict with each other.
  ASSERT_TRUE(store_->CreateKey(Key("cc33")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("dd44")).ok());

  KeyPatch take;
  take.alias = "shared";
  auto upd = store_->UpdateKey("cc33", take);
  ASSERT_FALSE(upd.ok());
  EXPECT_EQ(upd.error().code, "alias_exists");
  EXPECT_TRUE(store_->GetKey("cc33")->alias.empty());  // unchanged

  // Releasing the alias makes it available again.
  KeyPatch release;
  release.alias = "";
  ASSERT_TRUE(store_->UpdateKey("aa11", release).ok());
  ASSERT_TRUE(store_->UpdateKey("cc33", take).ok());
  EXPECT_EQ(store_->GetKeyByAlias("shared")->key_hash, "cc33");

  ASSERT_TRUE(store_->CreateTeam(Team("t1", "alpha")).ok());
  auto team_dup = store_->CreateTeam(Team("t1"));
  ASSERT_FALSE(team_dup.ok());
  EXPECT_EQ(team_dup.error().code, "team_exists");
  auto team_alias = store_->CreateTeam(Team("t2", "alpha"));
  ASSERT_FALSE(team_alias.ok());
  EXPECT_EQ(team_alias.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(team_alias.error().code, "alias_exists");
}

TEST_P(StoreContractTest, KeyMustNameAnExistingTeam) {
  auto r = store_->CreateKey(Key("aa11", "nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(r.error().code, "team_not_found");
  ASSERT_TRUE(store_->CreateKey(Key("aa11")).ok());
  KeyPatch p;
  p.team_id = "nope";
  auto u = store_->UpdateKey("aa11", p);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, "team_not_found");
}

TEST_P(StoreContractTest, PartialUpdateChangesOnlyPatchedFields) {
  ASSERT_TRUE(store_->CreateTeam(Team("t1")).ok());
  KeyRecord k = Key("aa11", "t1");
  k.alias = "bot";
  k.models = {"m1"};
  k.expires_at = 2'000'000'000;
  k.max_budget = 1000;
  k.rpm = 10;
  k.metadata = R"({"a":1})";
  k.created_at = 1'700'000'000;
  auto created = store_->CreateKey(k);
  ASSERT_TRUE(created.ok());

  KeyPatch p;
  p.rpm = 99;
  auto u = store_->UpdateKey("aa11", p);
  ASSERT_TRUE(u.ok());
  KeyRecord expect = *created;
  expect.rpm = 99;
  expect.updated_at = u->updated_at;
  EXPECT_EQ(*u, expect);
  EXPECT_EQ(store_->GetKey("aa11").value(), expect);

  KeyPatch clear;
  clear.expires_at = std::optional<int64_t>{};  // set: to "never"
  clear.max_budget = std::optional<int64_t>{};
  clear.team_id = "";
  clear.models = std::vector<std::string>{};
  clear.blocked = true;
  clear.metadata = "{}";
  u = store_->UpdateKey("aa11", clear);
  ASSERT_TRUE(u.ok());
  auto got = store_->GetKey("aa11");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->expires_at.has_value());
  EXPECT_FALSE(got->max_budget.has_value());
  EXPECT_TRUE(got->team_id.empty());
  EXPECT_TRUE(got->models.empty());
  EXPECT_TRUE(got->blocked);
  EXPECT_EQ(got->alias, "bot");
  EXPECT_EQ(got->rpm, 99);
  EXPECT_EQ(got->created_at, 1'700'000'000);

  // A new budget period is scheduled from now.
  KeyPatch dur;
  dur.budget_duration = "2h";
  u = store_->UpdateKey("aa11", dur);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(u->budget_reset_at.has_value());
  EXPECT_NEAR(static_cast<double>(*u->budget_reset_at), static_cast<double>(u->updated_at + 7200),
              2.0);
  KeyPatch nodur;
  nodur.budget_duration = "";
  u = store_->UpdateKey("aa11", nodur);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->budget_reset_at.has_value());

  KeyPatch bad;
  bad.budget_duration = "7 days";
  bad.rpm = 1;
  auto b = store_->UpdateKey("aa11", bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(store_->GetKey("aa11")->rpm, 99);  // nothing applied

  KeyPatch spend;
  spend.spend = 5;
  ASSERT_TRUE(store_->UpdateKey("aa11", spend).ok());
  EXPECT_EQ(store_->GetKey("aa11")->spend, 5);

  auto missing = store_->UpdateKey("zz99", p);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_P(StoreContractTest, ListKeysPaginatesStablyAndFiltersByTeam) {
  ASSERT_TRUE(store_->CreateTeam(Team("t1")).ok());
  ASSERT_TRUE(store_->CreateTeam(Team("t2")).ok());
  std::vector<std::string> all;
  for (int i = 0; i < 25; ++i) {
    char hash[16];
    std::snprintf(hash, sizeof hash, "k%02d", 24 - i);  // hash order opposite to creation order
    KeyRecord k = Key(hash, i % 3 == 0 ? "t1" : "t2");
    k.created_at = 1'000'000 + i / 2;  // pairs share created_at: the hash breaks the tie
    ASSERT_TRUE(store_->CreateKey(k).ok());
  }
  ListFilter f;
  f.page_size = 10;
  std::vector<std::string> seen;
  for (int page = 1; page <= 4; ++page) {
    f.page = page;
    auto r = store_->ListKeys(f);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->total, 25);
    EXPECT_EQ(r->items.size(), page <= 2 ? 10u : page == 3 ? 5u : 0u);
    for (const auto& k : r->items) {
      seen.push_back(k.key_hash);
    }
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);
  // Ordered by (created_at, key_hash): within a pair the smaller hash comes first.
  EXPECT_EQ(seen[0], "k23");
  EXPECT_EQ(seen[1], "k24");
  EXPECT_EQ(seen[24], "k00");

  f.team_id = "t1";
  f.page = 1;
  f.page_size = 100;
  auto t1 = store_->ListKeys(f);
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->total, 9);
  ASSERT_EQ(t1->items.size(), 9u);
  for (const auto& k : t1->items) {
    EXPECT_EQ(k.team_id, "t1");
  }

  for (int64_t bad : {0, -1, 1001}) {
    ListFilter b;
    b.page_size = bad;
    auto r = store_->ListKeys(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
  }
  ListFilter b;
  b.page = 0;
  EXPECT_FALSE(store_->ListKeys(b).ok());
}

// ---- teams ----

TEST_P(StoreContractTest, TeamCrudAndListOrder) {
  TeamRecord t = Team("core", "Core Infra");
  t.models = {"a", "b"};
  t.max_budget = 7;
  t.budget_duration = "1mo";
  t.rpm = 5;
  t.tpm = 6;
  t.metadata = R"({"x":true})";
  t.created_at = 1'735'603'200;  // 2024-12-31T00:00:00Z
  auto created = store_->CreateTeam(t);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->budget_reset_at, 1'738'281'600);  // 2025-01-31T00:00:00Z
  EXPECT_EQ(store_->GetTeam("core").value(), *created);
  EXPECT_EQ(store_->GetTeamByAlias("Core Infra").value(), *created);

  TeamPatch p;
  p.blocked = true;
  p.alias = "core-infra";
  auto u = store_->UpdateTeam("core", p);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->blocked);
  EXPECT_EQ(u->models, t.models);
  EXPECT_EQ(u->max_budget, 7);
  EXPECT_FALSE(store_->GetTeamByAlias("Core Infra").ok());
  EXPECT_TRUE(store_->GetTeamByAlias("core-infra").ok());
  EXPECT_EQ(store_->UpdateTeam("nope", p).error().kind, ErrorKind::kNotFound);

  ASSERT_TRUE(store_->CreateTeam(Team("b-team", "beta")).ok());
  ASSERT_TRUE(store_->CreateTeam(Team("a-team")).ok());  // no alias: sorts first
  ListFilter f;
  auto list = store_->ListTeams(f);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->total, 3);
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[0].team_id, "a-team");
  EXPECT_EQ(list->items[1].team_id, "b-team");
  EXPECT_EQ(list->items[2].team_id, "core");
  f.page_size = 2;
  f.page = 2;
  list = store_->ListTeams(f);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].team_id, "core");

  // Deleting a team deletes its keys, not the others'.
  ASSERT_TRUE(store_->CreateKey(Key("k1", "core")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("k2", "b-team")).ok());
  ASSERT_TRUE(store_->DeleteTeam("core").ok());
  EXPECT_EQ(store_->GetTeam("core").error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(store_->GetKey("k1").error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(store_->GetKey("k2").ok());
  EXPECT_EQ(store_->DeleteTeam("core").error().kind, ErrorKind::kNotFound);
}

// ---- spend ----

TEST_P(StoreContractTest, AppendSpendAddsTotalsOnceAndKeepsOrphans) {
  ASSERT_TRUE(store_->CreateTeam(Team("t1")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("k1", "t1")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("k2", "t1")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("k3")).ok());
  std::vector<SpendRecord> batch = {
      Spend("r1", 1000, "k1", "t1", 1'000'000),  // 1 micro-USD
      Spend("r2", 1001, "k1", "t1", 2),
      Spend("r3", 1002, "k2", "t1", 30),
      Spend("r4", 1003, "k3", "", 400),
      Spend("r5", 1004, "gone", "gone-team", 5000),  // deleted key: record kept
  };
  auto r = store_->AppendSpend(batch);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->inserted, 5);
  EXPECT_EQ(r->duplicates, 0);
  EXPECT_EQ(store_->GetKey("k1")->spend, 1'000'002);
  EXPECT_EQ(store_->GetKey("k2")->spend, 30);
  EXPECT_EQ(store_->GetKey("k3")->spend, 400);
  EXPECT_EQ(store_->GetTeam("t1")->spend, 1'000'032);

  // A replay of the tail (after a crash) with one new record adds only the new one.
  std::vector<SpendRecord> replay = {batch[0], batch[2], Spend("r6", 1005, "k2", "t1", 7)};
  r = store_->AppendSpend(replay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inserted, 1);
  EXPECT_EQ(r->duplicates, 2);
  EXPECT_EQ(store_->GetKey("k1")->spend, 1'000'002);
  EXPECT_EQ(store_->GetKey("k2")->spend, 37);
  EXPECT_EQ(store_->GetTeam("t1")->spend, 1'000'039);

  SpendQuery q;
  q.key_hash = "gone";
  auto orphan = store_->QuerySpend(q);
  ASSERT_TRUE(orphan.ok());
  ASSERT_EQ(orphan->records.size(), 1u);
  EXPECT_EQ(orphan->records[0], batch[4]);

  EXPECT_EQ(store_->AppendSpend({})->inserted, 0);
}

TEST_P(StoreContractTest, QuerySpendFiltersNewestFirst) {
  std::vector<SpendRecord> recs;
  for (int i = 0; i < 40; ++i) {
    SpendRecord r = Spend("q" + std::to_string(i), 10'000 + (i / 2) * 100,  // pairs share a time
                          i % 2 == 0 ? "ka" : "kb", i % 4 < 2 ? "ta" : "tb", i);
    r.zone = "z";
    r.session = "s" + std::to_string(i);
    r.model_asked = "gpt";
    r.deployment = "openai/gpt";
    r.cached_tokens = 3;
    r.latency_ms = 12;
    r.status = i == 7 ? 502 : 200;
    recs.push_back(r);
  }
  ASSERT_TRUE(store_->AppendSpend(recs).ok());

  auto ids = [](const SpendPage& p) {
    std::vector<std::string> v;
    for (const auto& r : p.records) {
      v.push_back(r.request_id);
    }
    return v;
  };
  SpendQuery q;
  q.page_size = 1000;
  auto all = store_->QuerySpend(q);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->records.size(), 40u);
  EXPECT_TRUE(all->next_cursor.empty());
  EXPECT_FALSE(all->total.has_value());
  // Newest first; on equal time the later insert first.
  EXPECT_EQ(all->records[0].request_id, "q39");
  EXPECT_EQ(all->records[1].request_id, "q38");
  EXPECT_EQ(all->records[39].request_id, "q0");
  EXPECT_EQ(all->records[32], recs[7]);  // every field round-trips
  for (size_t i = 1; i < all->records.size(); ++i) {
    EXPECT_GE(all->records[i - 1].time, all->records[i].time);
  }

  q.key_hash = "ka";
  auto ka = store_->QuerySpend(q);
  ASSERT_TRUE(ka.ok());
  ASSERT_EQ(ka->records.size(), 20u);
  for (const auto& r : ka->records) {
    EXPECT_EQ(r.key_hash, "ka");
  }
  EXPECT_EQ(ka->records[0].request_id, "q38");

  q.key_hash.clear();
  q.team_id = "tb";
  auto tb = store_->QuerySpend(q);
  ASSERT_TRUE(tb.ok());
  ASSERT_EQ(tb->records.size(), 20u);
  for (const auto& r : tb->records) {
    EXPECT_EQ(r.team_id, "tb");
  }

  // [from, to): times 10'500..10'900 cover records 10..19; to is exclusive.
  q.team_id.clear();
  q.from_ms = 10'500;
  q.to_ms = 11'000;
  q.with_total = true;
  auto range = store_->QuerySpend(q);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(ids(*range), (std::vector<std::string>{"q19", "q18", "q17", "q16", "q15", "q14", "q13",
                                                   "q12", "q11", "q10"}));
  EXPECT_EQ(range->total, 10);

  q.key_hash = "kb";
  q.team_id = "ta";
  auto both = store_->QuerySpend(q);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(ids(*both), (std::vector<std::string>{"q17", "q13"}));
  EXPECT_EQ(both->total, 2);

  q = SpendQuery{};
  q.key_hash = "nobody";
  auto none = store_->QuerySpend(q);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->records.empty());
  EXPECT_TRUE(none->next_cursor.empty());
}

TEST_P(StoreContractTest, QuerySpendPagesByCursorAndOffset) {
  std::vector<SpendRecord> recs;
  for (int i = 0; i < 53; ++i) {
    recs.push_back(Spend("p" + std::to_string(i), 5'000 + (i / 3), "k", "t", 1));
  }
  ASSERT_TRUE(store_->AppendSpend(recs).ok());

  SpendQuery q;
  q.key_hash = "k";
  q.page_size = 10;
  std::vector<std::string> by_cursor;
  int pages = 0;
  do {
    auto p = store_->QuerySpend(q);
    ASSERT_TRUE(p.ok()) << p.error().message;
    ++pages;
    for (const auto& r : p->records) {
      by_cursor.push_back(r.request_id);
    }
    q.cursor = p->next_cursor;
    if (pages == 2) {
      // Newer records arriving while paging do not shift the pages that follow.
      ASSERT_TRUE(store_->AppendSpend(std::vector{Spend("late", 9'999, "k", "t", 1)}).ok());
    }
  } while (!q.cursor.empty() && pages < 20);
  EXPECT_EQ(pages, 6);
  ASSERT_EQ(by_cursor.size(), 53u);
  for (int i = 0; i < 53; ++i) {
    EXPECT_EQ(by_cursor[static_cast<size_t>(i)], "p" + std::to_string(52 - i));
  }

  // Offset paging sees the same order (now including the late record first).
  SpendQuery o;
  o.key_hash = "k";
  o.page_size = 7;
  o.offset = 1;
  auto op = store_->QuerySpend(o);
  ASSERT_TRUE(op.ok());
  ASSERT_EQ(op->records.size(), 7u);
  EXPECT_EQ(op->records[0].request_id, "p52");
  EXPECT_EQ(op->records[6].request_id, "p46");
  EXPECT_FALSE(op->next_cursor.empty());

  // Exactly a full last page: no next cursor.
  SpendQuery exact;
  exact.key_hash = "k";
  exact.page_size = 54;
  auto ep = store_->QuerySpend(exact);
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->records.size(), 54u);
  EXPECT_TRUE(ep->next_cursor.empty());

  SpendQuery bad;
  bad.cursor = "garbage";
  EXPECT_EQ(store_->QuerySpend(bad).error().kind, ErrorKind::kBadRequest);
  bad.cursor = "5000.3";
  bad.offset = 4;
  EXPECT_EQ(store_->QuerySpend(bad).error().kind, ErrorKind::kBadRequest);
  SpendQuery big;
  big.page_size = 1001;
  EXPECT_EQ(store_->QuerySpend(big).error().kind, ErrorKind::kBadRequest);
}

TEST_P(StoreContractTest, SpendAggregatesByKeyAndTeam) {
  std::vector<SpendRecord> recs = {
      Spend("a1", 100, "k1", "t1", 10),  Spend("a2", 200, "k1", "t1", 20),
      Spend("a3", 300, "k2", "t1", 100), Spend("a4", 400, "k3", "t2", 50),
      Spend("a5", 500, "", "t2", 1),  // no key: only in the team aggregate
  };
  recs[2].cached_tokens = 4;
  ASSERT_TRUE(store_->AppendSpend(recs).ok());

  auto keys = store_->SpendByKey({});
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0], (SpendTotal{"k2", 1, 10, 5, 4, 100}));
  EXPECT_EQ((*keys)[1], (SpendTotal{"k3", 1, 10, 5, 0, 50}));
  EXPECT_EQ((*keys)[2], (SpendTotal{"k1", 2, 20, 10, 0, 30}));

  SpendAggregateFilter f;
  f.team_id = "t1";
  f.from_ms = 200;
  keys = store_->SpendByKey(f);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].id, "k2");
  EXPECT_EQ((*keys)[1], (SpendTotal{"k1", 1, 10, 5, 0, 20}));

  auto teams = store_->SpendByTeam({});
  ASSERT_TRUE(teams.ok());
  ASSERT_EQ(teams->size(), 2u);
  EXPECT_EQ((*teams)[0], (SpendTotal{"t1", 3, 30, 15, 4, 130}));
  EXPECT_EQ((*teams)[1], (SpendTotal{"t2", 2, 20, 10, 0, 51}));

  SpendAggregateFilter window;
  window.to_ms = 400;
  window.limit = 1;
  teams = store_->SpendByTeam(window);
  ASSERT_TRUE(teams.ok());
  ASSERT_EQ(teams->size(), 1u);
  EXPECT_EQ((*teams)[0], (SpendTotal{"t1", 3, 30, 15, 4, 130}));
}

TEST_P(StoreContractTest, SumSpendTotalsMatchingRecords) {
  std::vector<SpendRecord> recs = {
      Spend("s1", 100, "k1", "t1", 10),   Spend("s2", 200, "k1", "t1", 20),
      Spend("s3", 300, "k2", "t2", 100),  Spend("s4", 400, "", "", 7),
      Spend("s5", 500, "k2", "t2", 1000),
  };
  recs[0].zone = "eu";
  recs[1].zone = "eu";
  recs[2].zone = "us";
  recs[3].zone = "eu";
  recs[3].cached_tokens = 3;
  ASSERT_TRUE(store_->AppendSpend(recs).ok());

  auto all = store_->SumSpend({});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, (SpendTotal{"", 5, 50, 25, 3, 1137}));

  SpendSumFilter eu;
  eu.zone = "eu";
  auto zone = store_->SumSpend(eu);
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ(*zone, (SpendTotal{"", 3, 30, 15, 3, 37}));

  eu.from_ms = 200;  // inclusive
  eu.to_ms = 400;    // exclusive
  zone = store_->SumSpend(eu);
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ(*zone, (SpendTotal{"", 1, 10, 5, 0, 20}));

  SpendSumFilter key;
  key.key_hash = "k2";
  key.to_ms = 500;
  auto by_key = store_->SumSpend(key);
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(by_key->cost, 100);
  EXPECT_EQ(by_key->requests, 1);

  SpendSumFilter team;
  team.team_id = "t1";
  team.zone = "eu";
  auto by_team = store_->SumSpend(team);
  ASSERT_TRUE(by_team.ok());
  EXPECT_EQ(by_team->cost, 30);

  SpendSumFilter none;
  none.zone = "ap";
  auto empty = store_->SumSpend(none);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, SpendTotal{});
}

// ---- budgets ----

TEST_P(StoreContractTest, ResetBudgetsOnSchedule) {
  const int64_t t0 = 1'750'000'000;
  TeamRecord team = Team("t1");
  team.budget_duration = "7d";
  team.created_at = t0;
  ASSERT_TRUE(store_->CreateTeam(team).ok());
  KeyRecord daily = Key("daily", "t1");
  daily.budget_duration = "1d";
  daily.created_at = t0;
  ASSERT_TRUE(store_->CreateKey(daily).ok());
  KeyRecord never = Key("never");  // no duration: never reset
  ASSERT_TRUE(store_->CreateKey(never).ok());
  KeyRecord once = Key("once");  // a reset time but no duration: reset once, then cleared
  once.budget_reset_at = t0 + 10;
  ASSERT_TRUE(store_->CreateKey(once).ok());
  ASSERT_TRUE(store_
                  ->AppendSpend(std::vector{Spend("s1", 1, "daily", "t1", 70),
                                            Spend("s2", 2, "never", "", 80),
                                            Spend("s3", 3, "once", "", 90)})
                  .ok());
  EXPECT_EQ(store_->GetKey("daily")->budget_reset_at, t0 + 86400);

  auto r = store_->ResetBudgets(t0 + 9);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->key_hashes.empty());
  EXPECT_TRUE(r->team_ids.empty());
  EXPECT_EQ(store_->GetKey("daily")->spend, 70);

  // Three and a bit days later: the daily key resets and moves to the next day boundary of its
  // schedule (not now + 1d); the weekly team is not due yet.
  const int64_t now = t0 + 3 * 86400 + 5;
  r = store_->ResetBudgets(now);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->key_hashes, (std::vector<std::string>{"daily", "once"}));
  EXPECT_TRUE(r->team_ids.empty());
  auto d = store_->GetKey("daily");
  EXPECT_EQ(d->spend, 0);
  EXPECT_EQ(d->budget_reset_at, t0 + 4 * 86400);
  auto o = store_->GetKey("once");
  EXPECT_EQ(o->spend, 0);
  EXPECT_FALSE(o->budget_reset_at.has_value());
  EXPECT_EQ(store_->GetKey("never")->spend, 80);
  EXPECT_EQ(store_->GetTeam("t1")->spend, 70);

  // Running again at the same time changes nothing.
  r = store_->ResetBudgets(now);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->key_hashes.empty());

  r = store_->ResetBudgets(t0 + 7 * 86400);  // exactly due counts (<=)
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->team_ids, std::vector<std::string>{"t1"});
  EXPECT_EQ(store_->GetTeam("t1")->spend, 0);
  EXPECT_EQ(store_->GetTeam("t1")->budget_reset_at, t0 + 14 * 86400);
  EXPECT_EQ(store_->GetKey("daily")->budget_reset_at, t0 + 8 * 86400);
}

// ---- durability, schema, concurrency ----

TEST_P(StoreContractTest, ReopenKeepsDataAndDoesNotRerunMigrations) {
  auto before = store_->Schema();
  ASSERT_TRUE(before.ok());
  EXPECT_GE(before->version, 1);
  EXPECT_EQ(before->version, before->latest_known);
  ASSERT_EQ(before->applied.size(), static_cast<size_t>(before->version));
  for (size_t i = 0; i < before->applied.size(); ++i) {
    EXPECT_EQ(before->applied[i].version, static_cast<int>(i) + 1);
  }

  ASSERT_TRUE(store_->CreateTeam(Team("t1", "one")).ok());
  auto key = store_->CreateKey(Key("k1", "t1"));
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(store_->AppendSpend(std::vector{Spend("r1", 1, "k1", "t1", 42)}).ok());

  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a re-run would get a new time
  Reopen();
  Reopen();

  auto after = store_->Schema();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->version, before->version);
  ASSERT_EQ(after->applied.size(), before->applied.size());
  for (size_t i = 0; i < after->applied.size(); ++i) {
    EXPECT_EQ(after->applied[i].version, before->applied[i].version);
    EXPECT_EQ(after->applied[i].applied_at_ms, before->applied[i].applied_at_ms);
  }
  auto k = store_->GetKey("k1");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->spend, 42);
  EXPECT_EQ(store_->GetTeam("t1")->spend, 42);
  EXPECT_EQ(store_->QuerySpend({})->records.size(), 1u);
}

TEST_P(StoreContractTest, ConcurrentWritersKeepExactTotals) {
  ASSERT_TRUE(store_->CreateTeam(Team("t1")).ok());
  ASSERT_TRUE(store_->CreateKey(Key("k1", "t1")).ok());
  constexpr int kThreads = 4;
  constexpr int kBatches = 25;
  constexpr int kPerBatch = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<SpendRecord> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(
              Spend("c" + std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(i), b,
                    "k1", "t1", 1 + t));
        }
        if (!store_->AppendSpend(batch).ok()) {
          ++failures;
        }
        KeyPatch p;  // admin updates interleaved with the spend writer
        p.rpm = b;
        if (!store_->UpdateKey("k1", p).ok() || !store_->GetKey("k1").ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  const int64_t expected = kBatches * kPerBatch * (1 + 2 + 3 + 4);
  EXPECT_EQ(store_->GetKey("k1")->spend, expected);
  EXPECT_EQ(store_->GetTeam("t1")->spend, expected);
  SpendQuery q;
  q.with_total = true;
  EXPECT_EQ(store_->QuerySpend(q)->total, kThreads * kBatches * kPerBatch);
}

// ---- insights ----

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;

// Records of two models over two hours (and one outside the window), with latencies and errors.
std::vector<SpendRecord> InsightRecords() {
  const int64_t t0 = 100 * kDay;  // a day start, an hour start
  auto rec = [](const std::string& id, int64_t time, const std::string& model,
                const std::string& deployment, int64_t latency, int status) {
    SpendRecord r;
    r.request_id = id;
    r.time = time;
    r.model_asked = model;
    r.deployment = deployment;
    r.latency_ms = latency;
    r.status = status;
    r.prompt_tokens = 10;
    r.completion_tokens = status >= 400 ? 0 : 5;
    r.cost = status >= 400 ? 0 : 1000;
    return r;
  };
  return {
      rec("a1", t0 + 1, "gpt", "openai/gpt-4o", 100, 200),
      rec("a2", t0 + 2, "gpt", "openai/gpt-4o", 400, 200),
      rec("a3", t0 + kHour + 3, "gpt", "azure/gpt-4o", 300, 502),
      rec("a4", t0 + kHour + 4, "gpt", "openai/gpt-4o", 200, 200),
      rec("b1", t0 + 5, "claude", "anthropic/claude-3", 50, 200),
      rec("b2", t0 + kDay + 6, "claude", "anthropic/claude-3", 70, 429),
      rec("x1", t0 - 1, "gpt", "openai/gpt-4o", 9999, 200),  // before the window
  };
}

TEST_P(StoreContractTest, ModelInsightsAggregatePerModel) {
  const auto recs = InsightRecords();
  ASSERT_TRUE(store_->AppendSpend(recs).ok());
  const int64_t t0 = 100 * kDay;
  auto got = store_->ModelInsights({t0, t0 + (2 * kDay)});
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 2U);
  const ModelInsight& gpt = (*got)[0];  // more requests first
  EXPECT_EQ(gpt.model, "gpt");
  EXPECT_EQ(gpt.deployment, "openai/gpt-4o");
  EXPECT_EQ(gpt.requests, 4);
  EXPECT_EQ(gpt.prompt_tokens, 40);
  EXPECT_EQ(gpt.completion_tokens, 15);
  EXPECT_EQ(gpt.cost, 3000);
  EXPECT_EQ(gpt.errors, 1);
  // percentile_cont over 100, 200, 300, 400.
  EXPECT_NEAR(gpt.p50_latency_ms, 250.0, 1e-9);
  EXPECT_NEAR(gpt.p95_latency_ms, 385.0, 1e-9);
  ASSERT_EQ(gpt.hourly.size(), 2U);
  EXPECT_EQ(gpt.hourly[0], (InsightBucket{t0, 2, 20, 10, 2000, 0}));
  EXPECT_EQ(gpt.hourly[1], (InsightBucket{t0 + kHour, 2, 20, 5, 1000, 1}));
  const ModelInsight& claude = (*got)[1];
  EXPECT_EQ(claude.model, "claude");
  EXPECT_EQ(claude.requests, 2);
  EXPECT_EQ(claude.errors, 1);
  EXPECT_NEAR(claude.p50_latency_ms, 60.0, 1e-9);
  EXPECT_NEAR(claude.p95_latency_ms, 69.0, 1e-9);

  // The window bounds: [from, to).
  auto first_hour = store_->ModelInsights({t0, t0 + kHour});
  ASSERT_TRUE(first_hour.ok());
  ASSERT_EQ(first_hour->size(), 2U);
  EXPECT_EQ((*first_hour)[0].requests, 2);
  EXPECT_EQ((*first_hour)[1].requests, 1);
  auto empty = store_->ModelInsights({0, 10});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto bad = store_->ModelInsights({10, 10});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kBadRequest);
}

TEST_P(StoreContractTest, DailyTotalsPerUtcDay) {
  ASSERT_TRUE(store_->AppendSpend(InsightRecords()).ok());
  const int64_t t0 = 100 * kDay;
  auto got = store_->DailyTotals({t0 - kDay, t0 + (3 * kDay)});
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 3U);
  EXPECT_EQ((*got)[0], (InsightBucket{t0 - kDay, 1, 10, 5, 1000, 0}));
  EXPECT_EQ((*got)[1], (InsightBucket{t0, 5, 50, 20, 4000, 1}));
  EXPECT_EQ((*got)[2], (InsightBucket{t0 + kDay, 1, 10, 0, 0, 1}));
}

TEST_P(StoreContractTest, SummarizeGroupsByModelProviderKeyZone) {
  ASSERT_TRUE(store_->CreateTeam(Team("t1")).ok());
  KeyRecord k = Key("k1hash", "t1");
  k.alias = "ci-bot";
  ASSERT_TRUE(store_->CreateKey(k).ok());
  ASSERT_TRUE(store_->CreateKey(Key("k2hash")).ok());
  std::vector<SpendRecord> recs = {
      Spend("s1", 100, "k1hash", "t1", 10), Spend("s2", 200, "k1hash", "t1", 20),
      Spend("s3", 300, "k2hash", "", 100),  Spend("s4", 400, "gone", "", 7),
      Spend("s5", 500, "", "", 1),
  };
  const char* models[] = {"gpt", "gpt", "claude", "gpt", "llama"};
  const char* deployments[] = {"openai/gpt-4o", "azure/gpt-4o", "anthropic/claude-3",
                               "openai/gpt-4o", "ollama/llama3"};
  const char* zones[] = {"eu", "eu", "us", "", "eu"};
  for (std::size_t i = 0; i < recs.size(); ++i) {
    recs[i].model_asked = models[i];
    recs[i].deployment = deployments[i];
    recs[i].zone = zones[i];
  }
  recs[4].status = 500;
  ASSERT_TRUE(store_->AppendSpend(recs).ok());
  auto s = store_->Summarize({0, 1000});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->total, (SummaryRow{"", "", 5, 50, 25, 138, 1}));
  ASSERT_EQ(s->by_model.size(), 3U);
  EXPECT_EQ(s->by_model[0], (SummaryRow{"claude", "", 1, 10, 5, 100, 0}));
  EXPECT_EQ(s->by_model[1], (SummaryRow{"gpt", "", 3, 30, 15, 37, 0}));
  EXPECT_EQ(s->by_model[2], (SummaryRow{"llama", "", 1, 10, 5, 1, 1}));
  ASSERT_EQ(s->by_provider.size(), 4U);
  EXPECT_EQ(s->by_provider[0], (SummaryRow{"anthropic", "", 1, 10, 5, 100, 0}));
  EXPECT_EQ(s->by_provider[1], (SummaryRow{"azure", "", 1, 10, 5, 20, 0}));
  EXPECT_EQ(s->by_provider[2], (SummaryRow{"openai", "", 2, 20, 10, 17, 0}));
  EXPECT_EQ(s->by_provider[3], (SummaryRow{"ollama", "", 1, 10, 5, 1, 1}));
  ASSERT_EQ(s->by_key.size(), 4U);
  EXPECT_EQ(s->by_key[0], (SummaryRow{"k2hash", "sk-...k2ha", 1, 10, 5, 100, 0}));
  EXPECT_EQ(s->by_key[1], (SummaryRow{"k1hash", "ci-bot", 2, 20, 10, 30, 0}));
  EXPECT_EQ(s->by_key[2], (SummaryRow{"gone", "", 1, 10, 5, 7, 0}));
  EXPECT_EQ(s->by_key[3], (SummaryRow{"", "", 1, 10, 5, 1, 1}));
  ASSERT_EQ(s->by_zone.size(), 3U);
  EXPECT_EQ(s->by_zone[0], (SummaryRow{"us", "", 1, 10, 5, 100, 0}));
  EXPECT_EQ(s->by_zone[1], (SummaryRow{"eu", "", 3, 30, 15, 31, 1}));
  EXPECT_EQ(s->by_zone[2], (SummaryRow{"", "", 1, 10, 5, 7, 0}));
}

TEST_P(StoreContractTest, SimilarRequestsRankTheClosestText) {
  std::vector<ContentRecord> recs = {
      {"c1", 1000, "gpt", "How do I bake sourdough bread at home with a starter?"},
      {"c2", 2000, "gpt", "Write a Python function that reverses a linked list"},
      {"c3", 3000, "claude", "What is the capital of France?"},
      {"c4", 4000, "gpt", "Explain how a linked list differs from an array"},
  };
  ASSERT_TRUE(store_->AppendContent(recs).ok());
  // Stored again (a replay): ignored.
  ASSERT_TRUE(store_->AppendContent(std::span(recs).subspan(0, 1)).ok());

  auto found = store_->SimilarRequests("bake sourdough bread", 10);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_FALSE(found->empty());
  EXPECT_EQ((*found)[0].request_id, "c1");
  EXPECT_EQ((*found)[0].model, "gpt");
  EXPECT_EQ((*found)[0].time, 1000);
  EXPECT_EQ((*found)[0].text, recs[0].text);
  EXPECT_GT((*found)[0].score, 0);
  EXPECT_EQ(std::count_if(found->begin(), found->end(),
                          [](const SimilarRequest& r) { return r.request_id == "c1"; }),
            1);

  found = store_->SimilarRequests("python function to reverse a linked list", 1);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ((*found)[0].request_id, "c2");

  auto none = store_->SimilarRequests("  ?! ", 10);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "bad_query");
  EXPECT_FALSE(store_->SimilarRequests("bread", 0).ok());

  Reopen();
  found = store_->SimilarRequests("sourdough", 10);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_FALSE(found->empty());
  EXPECT_EQ((*found)[0].request_id, "c1");
}

TEST_P(StoreContractTest, JudgeVerdictsTally) {
  auto empty = store_->JudgeTallies({0, 1000});
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());

  auto verdict = [](const std::string& id, int64_t time, const std::string& type,
                    const std::string& winner) {
    JudgeVerdict v;
    v.request_id = id;
    v.time = time;
    v.query_type = type;
    v.winner = winner;
    v.candidates = R"(["a/x","b/y"])";
    v.scores = R"({"a/x":0.9,"b/y":0.4})";
    v.judge_model = "judge/m";
    return v;
  };
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict("v1", 100, "code", "a/x")).ok());
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict("v2", 200, "code", "b/y")).ok());
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict("v3", 300, "code", "a/x")).ok());
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict("v4", 400, "math", "b/y")).ok());
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict("v4", 500, "math", "a/x")).ok());   // duplicate
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict("v5", 5000, "math", "a/x")).ok());  // outside

  auto tallies = store_->JudgeTallies({0, 1000});
  ASSERT_TRUE(tallies.ok()) << tallies.error().message;
  EXPECT_EQ(*tallies,
            (std::vector<JudgeTally>{{"code", "a/x", 2}, {"code", "b/y", 1}, {"math", "b/y", 1}}));
  auto verdicts = store_->JudgeVerdicts({0, 1000}, 2);
  ASSERT_TRUE(verdicts.ok()) << verdicts.error().message;
  ASSERT_EQ(verdicts->size(), 2U);
  EXPECT_EQ((*verdicts)[0], verdict("v4", 400, "math", "b/y"));
  EXPECT_EQ((*verdicts)[1].request_id, "v3");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace baton

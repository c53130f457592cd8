// PostgreSQL implementation of the Store (DESIGN.md §4), over libpq: what several Baton instances
// behind a load balancer share. Same contract as SqliteStore (store_contract_test.cpp runs against
// both): versioned migrations in schema_migrations applied at Open in one transaction, serialized
// across instances by pg_advisory_xact_lock; spend deduplicated by request_id; totals updated in
// the AppendSpend transaction; keyset-paged spend queries on (time DESC, id DESC) indexes.
//
// Thread-safety: one connection guarded by one mutex; every method may be called from any thread
// and they run one at a time (admin traffic plus one batched spend writer per instance). Several
// instances on one database are safe: read-modify-writes lock their rows (SELECT ... FOR UPDATE)
// and every writer locks key rows before team rows, each in id order, so they cannot deadlock.
// Connection loss: when a call fails because the connection broke (server restart, idle cut),
// the store reconnects once and reruns the whole call. A write whose commit reached the server
// but whose answer was lost is then seen again: AppendSpend deduplicates it; CreateKey/CreateTeam
// may answer key_exists/team_exists, Delete* may answer not found. When reconnecting fails the
// call fails with kUnavailable, code "store_unavailable"; the next call tries again.
// Errors: the same kinds and codes as SqliteStore; lock waits beyond lock_timeout, deadlocks and
// serialization failures are kUnavailable "store_busy". Messages carry the operation and the
// SQLSTATE class, never a value, and never the password (Open's messages show the URL without it).
// Similarity search (SimilarRequests) uses the pg_trgm extension (Debian's postgresql-15 ships it;
// trusted, so the database owner may create it): Open creates it and a GIN trigram index when it
// can; when it cannot, everything else works and SimilarRequests answers kUnavailable
// "similarity_unavailable" saying what to install or run.
// Lifetime: the object owns the connection; destroy it after its last user.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/store.hpp"

struct pg_conn;

namespace baton {

struct PostgresOptions {
  int lock_timeout_ms = 5000;  // like SQLite's busy_timeout: then kUnavailable "store_busy"
  int connect_timeout_s = 10;  // used when the URL does not set connect_timeout
};

class PostgresStore final : public Store {
 public:
  // Connects to `url` (postgresql://user:pass@host:port/db?param=...; any libpq connection
  // string works) and migrates the database to the latest schema. Errors: kInternal when the URL
  // is malformed, the server cannot be reached or refuses the login, a migration fails, or the
  // schema is newer than this binary ("store_schema_newer").
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                     PostgresOptions options = {});

  // The schema version this binary migrates to.
  static int LatestSchemaVersion();

  // `url` with its password removed, for messages: "postgresql://user@host:port/db".
  static std::string RedactUrl(const std::string& url);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Result<KeyRecord> CreateKey(const KeyRecord& key) override;
  Result<KeyRecord> UpdateKey(std::string_view key_hash, const KeyPatch& patch) override;
  Status DeleteKey(std::string_view key_hash) override;
  Result<KeyRecord> GetKey(std::string_view key_hash) override;
  Result<KeyRecord> GetKeyByAlias(std::string_view alias) override;
  Result<Page<KeyRecord>> ListKeys(const ListFilter& filter) override;

  Result<TeamRecord> CreateTeam(const TeamRecord& team) override;
  Result<TeamRecord> UpdateTeam(std::string_view team_id, const TeamPatch& patch) override;
  Status DeleteTeam(std::string_view team_id) override;
  Result<TeamRecord> GetTeam(std::string_view team_id) override;
  Result<TeamRecord> GetTeamByAlias(std::string_view alias) override;
  Result<Page<TeamRecord>> ListTeams(const ListFilter& filter) override;

  Result<AppendResult> AppendSpend(std::span<const SpendRecord> records) override;
  Result<SpendPage> QuerySpend(const SpendQuery& query) override;
  Result<std::vector<SpendTotal>> SpendByKey(const SpendAggregateFilter& filter) override;
  Result<std::vector<SpendTotal>> SpendByTeam(const SpendAggregateFilter& filter) override;
  Result<SpendTotal> SumSpend(const SpendSumFilter& filter) override;

  Result<BudgetResetResult> ResetBudgets(int64_t now) override;
  Result<SchemaInfo> Schema() override;

  Result<std::vector<ModelInsight>> ModelInsights(const InsightWindow& window) override;
  Result<std::vector<InsightBucket>> DailyTotals(const InsightWindow& window) override;
  Result<SpendSummary> Summarize(const InsightWindow& window) override;
  Status AppendContent(std::span<const ContentRecord> records) override;
  Result<std::vector<SimilarRequest>> SimilarRequests(std::string_view query,
                                                      int64_t limit) override;
  Status AddJudgeVerdict(const JudgeVerdict& verdict) override;
  Result<std::vector<JudgeTally>> JudgeTallies(const InsightWindow& window) override;
  Result<std::vector<JudgeVerdict>> JudgeVerdicts(const InsightWindow& window,
                                                  int64_t limit) override;

  class Conn;  // the connection and its statement helpers (postgres_store.cpp)

 private:
  PostgresStore(std::unique_ptr<Conn> conn, std::string url, PostgresOptions options);

  // Runs `op` on the connection under mu_; reconnects and reruns it once when the connection
  // broke. `op` returns a Result<T> or a Status.
  template <typename Op>
  auto Run(Op op) -> decltype(op(std::declval<Conn&>()));

  std::mutex mu_;
  std::unique_ptr<Conn> conn_;
  std::string url_;  // holds the password: never put it in a message
  PostgresOptions options_;
};

}  // namespace baton

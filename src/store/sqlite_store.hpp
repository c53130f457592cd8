// SQLite implementation of the Store (DESIGN.md §4): one database file (the App passes
// $XDG_DATA_HOME/baton/baton.db), WAL journal, synchronous=NORMAL (a committed transaction
// survives a process crash; a power cut may lose the last few, which the request-log replay
// restores), busy_timeout, foreign keys on. Versioned migrations run at Open in one transaction;
// a database written by a newer Baton (a migration this binary does not know) is refused.
//
// Thread-safety: one connection guarded by one mutex; every method may be called from any
// thread and they run one at a time. (The design's single writer thread can replace the mutex
// later without changing the interface.) Statements are prepared once and cached.
// Similarity search (SimilarRequests) uses an FTS5 index over request_content (bm25 ranking).
// Lifetime: the object owns the connection; destroy it after its last user. The file is created
// with mode 0600 (it holds key hashes and spend); its parent directory is created if missing.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace baton {

struct SqliteOptions {
  int busy_timeout_ms = 5000;
  // Read-only (`baton stats --local`): the file must exist and be at this binary's schema
  // version; nothing is created, migrated or written (writes fail with kInternal).
  bool read_only = false;
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` and migrates it to the latest schema. Errors:
  // kInternal when the file cannot be opened or migrated, or its schema is newer than this
  // binary (the message says which versions).
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   SqliteOptions options = {});

  // The schema version this binary migrates to.
  static int LatestSchemaVersion();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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

  class Stmt;  // a cached prepared statement in use (sqlite_store.cpp)

 private:
  explicit SqliteStore(sqlite3* db);
  static Result<std::unique_ptr<SqliteStore>> OpenReadOnly(const std::string& path,
                                                           SqliteOptions options);

  // The cached statement for `sql`, prepared on first use. Caller holds mu_.
  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  Status Exec(const char* sql, const char* what);
  Status Migrate();
  Result<KeyRecord> LoadKey(const char* column, std::string_view value);
  Result<TeamRecord> LoadTeam(const char* column, std::string_view value);
  Result<std::vector<SpendTotal>> Aggregate(const char* column, const SpendAggregateFilter& f);
  // Runs one statement of insights_sql.hpp ($N parameters); rows as text. Caller holds mu_.
  Result<std::vector<std::vector<std::string>>> RunRows(
      const std::string& sql, const std::vector<std::variant<int64_t, std::string>>& args,
      std::string_view what);

  std::mutex mu_;
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

}  // namespace baton

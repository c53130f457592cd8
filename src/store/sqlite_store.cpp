// SQLite Store. Why it looks the way it does:
// - One connection behind a mutex: SQLite allows one writer at a time anyway, and admin traffic
//   plus one batched spend writer are far below what a single connection does. Readers in WAL
//   mode would allow a read pool later without changing the interface.
// - Statements are prepared once (SQLITE_PREPARE_PERSISTENT) and reset after each use; the
//   handful of QuerySpend variants (which filters are present) are cached by their SQL text.
// - Spend pages are keyset-paginated on (time, id) with indexes (key_hash|team_id, time, id), so
//   a page for one key over millions of rows reads ~page_size index entries.
// - SQL here is kept to what PostgreSQL also speaks (ON CONFLICT DO NOTHING, COALESCE, LIMIT/
//   OFFSET) so the libpq implementation can reuse the statements nearly verbatim.
#include "store/sqlite_store.hpp"

#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <utility>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store/insights_sql.hpp"

namespace baton {

namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Migrations, in order; entry i brings the schema to version i + 1. Never edit a shipped entry:
// append a new one. Each runs inside the Open transaction together with its schema_migrations row.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> list = {
      // 1: keys, teams, spend records.
      R"sql(
CREATE TABLE teams (
  team_id         TEXT PRIMARY KEY,
  alias           TEXT UNIQUE,
  models          TEXT NOT NULL DEFAULT '[]',
  max_budget      INTEGER,
  budget_duration TEXT NOT NULL DEFAULT '',
  budget_reset_at INTEGER,
  rpm             INTEGER NOT NULL DEFAULT 0,
  tpm             INTEGER NOT NULL DEFAULT 0,
  blocked         INTEGER NOT NULL DEFAULT 0,
  metadata        TEXT NOT NULL DEFAULT '{}',
  spend           INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX teams_budget_reset ON teams(budget_reset_at) WHERE budget_reset_at IS NOT NULL;
CREATE TABLE keys (
  key_hash        TEXT PRIMARY KEY,
  key_prefix      TEXT NOT NULL DEFAULT '',
  alias           TEXT UNIQUE,
  team_id         TEXT REFERENCES teams(team_id) ON DELETE CASCADE,
  models          TEXT NOT NULL DEFAULT '[]',
  zone            TEXT NOT NULL DEFAULT '',
  expires_at      INTEGER,
  metadata        TEXT NOT NULL DEFAULT '{}',
  max_budget      INTEGER,
  budget_duration TEXT NOT NULL DEFAULT '',
  budget_reset_at INTEGER,
  rpm             INTEGER NOT NULL DEFAULT 0,
  tpm             INTEGER NOT NULL DEFAULT 0,
  blocked         INTEGER NOT NULL DEFAULT 0,
  spend           INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX keys_team ON keys(team_id, created_at, key_hash);
CREATE INDEX keys_created ON keys(created_at, key_hash);
CREATE INDEX keys_budget_reset ON keys(budget_reset_at) WHERE budget_reset_at IS NOT NULL;
CREATE TABLE spend_logs (
  id                INTEGER PRIMARY KEY,
  request_id        TEXT UNIQUE,
  time              INTEGER NOT NULL,
  key_hash          TEXT NOT NULL DEFAULT '',
  team_id           TEXT NOT NULL DEFAULT '',
  zone              TEXT NOT NULL DEFAULT '',
  session           TEXT NOT NULL DEFAULT '',
  model_asked       TEXT NOT NULL DEFAULT '',
  deployment        TEXT NOT NULL DEFAULT '',
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens     INTEGER NOT NULL DEFAULT 0,
  cost              INTEGER NOT NULL DEFAULT 0,
  latency_ms        INTEGER NOT NULL DEFAULT 0,
  status            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX spend_logs_key_time ON spend_logs(key_hash, time DESC, id DESC);
CREATE INDEX spend_logs_team_time ON spend_logs(team_id, time DESC, id DESC);
CREATE INDEX spend_logs_time ON spend_logs(time DESC, id DESC);
)sql",
      // 2: SumSpend by zone over a time range (the zone budgets' startup total).
      R"sql(
CREATE INDEX spend_logs_zone_time ON spend_logs(zone, time);
)sql",
      // 3: insights (docs/insights.md): request texts for similarity search (an FTS5 index over
      // an external-content table, kept in step by triggers) and judge verdicts.
      R"sql(
CREATE TABLE request_content (
  id         INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL UNIQUE,
  time       INTEGER NOT NULL,
  model      TEXT NOT NULL DEFAULT '',
  text       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX request_content_time ON request_content(time);
CREATE VIRTUAL TABLE request_content_fts USING fts5(text, content='request_content',
                                                    content_rowid='id');
CREATE TRIGGER request_content_ai AFTER INSERT ON request_content BEGIN
  INSERT INTO request_content_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER request_content_ad AFTER DELETE ON request_content BEGIN
  INSERT INTO request_content_fts(request_content_fts, rowid, text)
    VALUES ('delete', old.id, old.text);
END;
CREATE TABLE judge_verdicts (
  request_id  TEXT PRIMARY KEY,
  time        INTEGER NOT NULL,
  query_type  TEXT NOT NULL DEFAULT '',
  winner      TEXT NOT NULL DEFAULT '',
  candidates  TEXT NOT NULL DEFAULT '[]',
  scores      TEXT NOT NULL DEFAULT '{}',
  judge_model TEXT NOT NULL DEFAULT ''
);
CREATE INDEX judge_verdicts_time ON judge_verdicts(time);
)sql",
  };
  return list;
}

bool IsBusy(int rc) {
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

// sqlite3_errstr gives the generic text of a result code ("database is locked", "disk I/O
// error"): useful in logs, and it never carries a path or a value the way sqlite3_errmsg can.
Error DbError(int rc, std::string_view what) {
  if (IsBusy(rc)) {
    return {ErrorKind::kUnavailable, "store busy: " + std::string(what), "store_busy"};
  }
  return {ErrorKind::kInternal, "store: " + std::string(what) + " failed: " + sqlite3_errstr(rc),
          "store_error"};
}

Error NotFound(const char* what, const char* code) {
  return {ErrorKind::kNotFound, std::string(what) + " not found", code};
}

// Page math with an upper bound so page * page_size cannot overflow.
Result<int64_t> PageOffset(const ListFilter& f) {
  if (auto st = ValidatePageSize(f.page_size); !st) {
    return std::move(st).error();
  }
  if (f.page < 1 || f.page > 1'000'000'000) {
    return Error(ErrorKind::kBadRequest, "page must be at least 1", "bad_page", "page");
  }
  return (f.page - 1) * f.page_size;
}

constexpr const char* kKeyColumns =
    "key_hash, key_prefix, alias, team_id, models, zone, expires_at, metadata, max_budget, "
    "budget_duration, budget_reset_at, rpm, tpm, blocked, spend, created_at, updated_at";
constexpr const char* kTeamColumns =
    "team_id, alias, models, max_budget, budget_duration, budget_reset_at, rpm, tpm, blocked, "
    "metadata, spend, created_at, updated_at";
constexpr const char* kSpendColumns =
    "id, request_id, time, key_hash, team_id, zone, session, model_asked, deployment, "
    "prompt_tokens, completion_tokens, cached_tokens, cost, latency_ms, status";

}  // namespace

// A cached statement in use: binds, steps, reads columns; resets on scope exit so the next user
// finds it clean (and so an open read statement never pins a WAL snapshot).
class SqliteStore::Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Text(int i, std::string_view v) {
    // A null data pointer would bind SQL NULL; an empty view must bind ''.
    sqlite3_bind_text(s_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
  }
  void TextOrNull(int i, std::string_view v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, i);
    } else {
      Text(i, v);
    }
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void OptInt(int i, const std::optional<int64_t>& v) {
    if (v) {
      Int(i, *v);
    } else {
      sqlite3_bind_null(s_, i);
    }
  }
  // Named parameters; a name absent from this statement variant is skipped.
  void Text(const char* name, std::string_view v) {
    if (int i = sqlite3_bind_parameter_index(s_, name); i > 0) {
      Text(i, v);
    }
  }
  void Int(const char* name, int64_t v) {
    if (int i = sqlite3_bind_parameter_index(s_, name); i > 0) {
      Int(i, v);
    }
  }

  int Step() { return sqlite3_step(s_); }
  int Columns() const { return sqlite3_column_count(s_); }

  int64_t ColInt(int c) const { return sqlite3_column_int64(s_, c); }
  std::optional<int64_t> ColOptInt(int c) const {
    if (sqlite3_column_type(s_, c) == SQLITE_NULL) {
      return std::nullopt;
    }
    return ColInt(c);
  }
  std::string ColText(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    if (p == nullptr) {
      return {};
    }
    return {p, static_cast<size_t>(sqlite3_column_bytes(s_, c))};
  }

 private:
  sqlite3_stmt* s_;
};

namespace {

// A write transaction. BEGIN IMMEDIATE takes the write lock up front, so a read-modify-write
// (UpdateKey) cannot fail half-way with SQLITE_BUSY on the upgrade.
class Tx {
 public:
  explicit Tx(sqlite3* db) : db_(db) {}
  ~Tx() {
    if (open_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  Status Begin() {
    if (int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
      return DbError(rc, "begin transaction");
    }
    open_ = true;
    return OkStatus();
  }
  Status Commit() {
    int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return DbError(rc, "commit");  // the destructor rolls back
    }
    open_ = false;
    return OkStatus();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

void BindKey(SqliteStore::Stmt& s, const KeyRecord& k) {
  s.Text(1, k.key_hash);
  s.Text(2, k.key_prefix);
  s.TextOrNull(3, k.alias);
  s.TextOrNull(4, k.team_id);
  s.Text(5, ModelsToJson(k.models));
  s.Text(6, k.zone);
  s.OptInt(7, k.expires_at);
  s.Text(8, k.metadata);
  s.OptInt(9, k.max_budget);
  s.Text(10, k.budget_duration);
  s.OptInt(11, k.budget_reset_at);
  s.Int(12, k.rpm);
  s.Int(13, k.tpm);
  s.Int(14, k.blocked ? 1 : 0);
  s.Int(15, k.spend);
  s.Int(16, k.created_at);
  s.Int(17, k.updated_at);
}

KeyRecord ReadKey(const SqliteStore::Stmt& s) {
  KeyRecord k;
  k.key_hash = s.ColText(0);
  k.key_prefix = s.ColText(1);
  k.alias = s.ColText(2);
  k.team_id = s.ColText(3);
  k.models = ModelsFromJson(s.ColText(4)).value_or(std::vector<std::string>{});
  k.zone = s.ColText(5);
  k.expires_at = s.ColOptInt(6);
  k.metadata = s.ColText(7);
  k.max_budget = s.ColOptInt(8);
  k.budget_duration = s.ColText(9);
  k.budget_reset_at = s.ColOptInt(10);
  k.rpm = s.ColInt(11);
  k.tpm = s.ColInt(12);
  k.blocked = s.ColInt(13) != 0;
  k.spend = s.ColInt(14);
  k.created_at = s.ColInt(15);
  k.updated_at = s.ColInt(16);
  return k;
}

void BindTeam(SqliteStore::Stmt& s, const TeamRecord& t) {
  s.Text(1, t.team_id);
  s.TextOrNull(2, t.alias);
  s.Text(3, ModelsToJson(t.models));
  s.OptInt(4, t.max_budget);
  s.Text(5, t.budget_duration);
  s.OptInt(6, t.budget_reset_at);
  s.Int(7, t.rpm);
  s.Int(8, t.tpm);
  s.Int(9, t.blocked ? 1 : 0);
  s.Text(10, t.metadata);
  s.Int(11, t.spend);
  s.Int(12, t.created_at);
  s.Int(13, t.updated_at);
}

TeamRecord ReadTeam(const SqliteStore::Stmt& s) {
  TeamRecord t;
  t.team_id = s.ColText(0);
  t.alias = s.ColText(1);
  t.models = ModelsFromJson(s.ColText(2)).value_or(std::vector<std::string>{});
  t.max_budget = s.ColOptInt(3);
  t.budget_duration = s.ColText(4);
  t.budget_reset_at = s.ColOptInt(5);
  t.rpm = s.ColInt(6);
  t.tpm = s.ColInt(7);
  t.blocked = s.ColInt(8) != 0;
  t.metadata = s.ColText(9);
  t.spend = s.ColInt(10);
  t.created_at = s.ColInt(11);
  t.updated_at = s.ColInt(12);
  return t;
}

// Column 0 is the row id (for cursors), the rest follow kSpendColumns.
SpendRecord ReadSpend(const SqliteStore::Stmt& s) {
  SpendRecord r;
  r.request_id = s.ColText(1);
  r.time = s.ColInt(2);
  r.key_hash = s.ColText(3);
  r.team_id = s.ColText(4);
  r.zone = s.ColText(5);
  r.session = s.ColText(6);
  r.model_asked = s.ColText(7);
  r.deployment = s.ColText(8);
  r.prompt_tokens = s.ColInt(9);
  r.completion_tokens = s.ColInt(10);
  r.cached_tokens = s.ColInt(11);
  r.cost = s.ColInt(12);
  r.latency_ms = s.ColInt(13);
  r.status = static_cast<int>(s.ColInt(14));
  return r;
}

// Maps a failed INSERT/UPDATE of a key or team to the contract's error kinds.
Error WriteError(int rc, bool is_key) {
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return is_key
                 ? Error(ErrorKind::kBadRequest, "a key with this hash already exists",
                         "key_exists")
                 : Error(ErrorKind::kBadRequest, "team already exists", "team_exists", "team_id");
    case SQLITE_CONSTRAINT_UNIQUE:  // the only UNIQUE column besides the primary key
      return {ErrorKind::kBadRequest,
              is_key ? "key alias already exists" : "team alias already exists", "alias_exists",
              is_key ? "key_alias" : "team_alias"};
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return {ErrorKind::kBadRequest, "team not found", "team_not_found", "team_id"};
    default:
      return DbError(rc, is_key ? "write key" : "write team");
  }
}

}  // namespace

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : stmts_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

int SqliteStore::LatestSchemaVersion() {
  return static_cast<int>(Migrations().size());
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenReadOnly(const std::string& path,
                                                               SqliteOptions options) {
  auto fail = [&path](std::string why, std::string code = "store_error") {
    return Error(ErrorKind::kInternal, "store " + path + ": " + std::move(why), std::move(code));
  };
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail("cannot open read-only: " + why);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  auto schema = store->Schema();
  if (!schema) {
    return fail("not a Baton store: " + schema.error().message);
  }
  if (schema->version != LatestSchemaVersion()) {
    return fail(
        "schema version " + std::to_string(schema->version) + " but this Baton uses " +
            std::to_string(LatestSchemaVersion()) +
            (schema->version < LatestSchemaVersion() ? ": start `baton serve` once to migrate it"
                                                     : ": run a newer Baton"),
        "store_schema_mismatch");
  }
  return store;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       SqliteOptions options) {
  // Open's errors are for the operator at startup, so they name the file.
  auto fail = [&path](std::string why, std::string code = "store_error") {
    return Error(ErrorKind::kInternal, "store " + path + ": " + std::move(why), std::move(code));
  };
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) {
    return fail("a file path is required (WAL needs a real file)");
  }
  if (options.read_only) {
    return OpenReadOnly(path, options);
  }
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return fail("cannot create its directory: " + ec.message());
    }
  }
  // Create the file ourselves so it is 0600 from the start; SQLite gives the -wal and -shm
  // files the database file's mode.
  if (int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return fail("cannot open: " + why);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);

  // journal_mode answers with the mode in effect; anything but "wal" (a read-only directory, an
  // unsupported VFS) would silently lose the concurrency and durability we rely on.
  std::string mode;
  rc = sqlite3_exec(
      db, "PRAGMA journal_mode=WAL",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0] != nullptr ? values[0] : "";
        return 0;
      },
      &mode, nullptr);
  if (rc != SQLITE_OK) {
    return fail(std::string("not a usable SQLite database: ") + sqlite3_errstr(rc));
  }
  if (mode != "wal") {
    return fail("cannot switch to WAL mode (got \"" + mode + "\")");
  }
  for (const char* pragma : {"PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (rc = sqlite3_exec(db, pragma, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
      return fail(std::string(pragma) + ": " + sqlite3_errstr(rc));
    }
  }
  if (auto st = store->Migrate(); !st) {
    return fail(st.error().message, st.error().code);
  }
  return store;
}

Status SqliteStore::Exec(const char* sql, const char* what) {
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return DbError(rc, what);
  }
  return OkStatus();
}

Status SqliteStore::Migrate() {
  std::lock_guard lock(mu_);
  // IMMEDIATE: two processes opening the same new file migrate one after the other; the second
  // then sees the versions the first recorded and applies nothing.
  Tx tx(db_);
  if (auto st = tx.Begin(); !st) {
    return st;
  }
  if (auto st = Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
                     "create schema_migrations");
      !st) {
    return st;
  }
  auto sel = Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!sel) {
    return std::move(sel).error();
  }
  int current = 0;
  {
    Stmt s(*sel);
    if (int rc = s.Step(); rc != SQLITE_ROW) {
      return DbError(rc, "read schema version");
    }
    current = static_cast<int>(s.ColInt(0));
  }
  const int latest = LatestSchemaVersion();
  if (current > latest) {
    return Error(ErrorKind::kInternal,
                 "schema version " + std::to_string(current) + " is newer than this Baton knows (" +
                     std::to_string(latest) + "); run a newer Baton or restore a backup",
                 "store_schema_newer");
  }
  for (int v = current + 1; v <= latest; ++v) {
    if (auto st = Exec(Migrations()[static_cast<size_t>(v - 1)], "apply migration"); !st) {
      return Error(st.error().kind, "migration " + std::to_string(v) + ": " + st.error().message,
                   st.error().code);
    }
    auto ins = Prepare("INSERT INTO schema_migrations(version, applied_at_ms) VALUES(?1, ?2)");
    if (!ins) {
      return std::move(ins).error();
    }
    Stmt s(*ins);
    s.Int(1, v);
    s.Int(2, NowMillis());
    if (int rc = s.Step(); rc != SQLITE_DONE) {
      return DbError(rc, "record migration");
    }
  }
  return tx.Commit();
}

Result<sqlite3_stmt*> SqliteStore::Prepare(const std::string& sql) {
  if (auto it = stmts_.find(sql); it != stmts_.end()) {
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return DbError(rc, "prepare statement");
  }
  stmts_.emplace(sql, stmt);
  return stmt;
}

// ---- keys ----

Result<KeyRecord> SqliteStore::LoadKey(const char* column, std::string_view value) {
  auto p = Prepare(std::string("SELECT ") + kKeyColumns + " FROM keys WHERE " + column + " = ?1");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(1, value);
  int rc = s.Step();
  if (rc == SQLITE_ROW) {
    return ReadKey(s);
  }
  if (rc == SQLITE_DONE) {
    return NotFound("key", "key_not_found");
  }
  return DbError(rc, "read key");
}

Result<KeyRecord> SqliteStore::CreateKey(const KeyRecord& key) {
  if (key.key_hash.empty()) {
    return Error(ErrorKind::kBadRequest, "key hash is required", "bad_request", "key_hash");
  }
  KeyRecord k = key;
  const int64_t now = NowSeconds();
  if (k.created_at == 0) {
    k.created_at = now;
  }
  k.updated_at = now;
  if (auto st = ScheduleFirstReset(k.budget_duration, k.created_at, k.budget_reset_at); !st) {
    return std::move(st).error();
  }
  std::lock_guard lock(mu_);
  auto p = Prepare(std::string("INSERT INTO keys(") + kKeyColumns +
                   ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  BindKey(s, k);
  if (int rc = s.Step(); rc != SQLITE_DONE) {
    return WriteError(rc, true);
  }
  return k;
}

Result<KeyRecord> SqliteStore::UpdateKey(std::string_view key_hash, const KeyPatch& patch) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (auto st = tx.Begin(); !st) {
    return std::move(st).error();
  }
  auto loaded = LoadKey("key_hash", key_hash);
  if (!loaded) {
    return loaded;
  }
  KeyRecord k = std::move(loaded).value();
  const int64_t now = NowSeconds();
  if (auto st = ApplyKeyPatch(k, patch, now); !st) {
    return std::move(st).error();
  }
  k.updated_at = now;
  // Every column but key_hash and created_at: the row was read inside this transaction, so
  // nothing else changed it in between (spend included: AppendSpend needs the same lock).
  auto p = Prepare(
      "UPDATE keys SET key_prefix=?2, alias=?3, team_id=?4, models=?5, zone=?6, expires_at=?7, "
      "metadata=?8, max_budget=?9, budget_duration=?10, budget_reset_at=?11, rpm=?12, tpm=?13, "
      "blocked=?14, spend=?15, updated_at=?17 WHERE key_hash=?1");
  if (!p) {
    return std::move(p).error();
  }
  {
    Stmt s(*p);
    BindKey(s, k);
    if (int rc = s.Step(); rc != SQLITE_DONE) {
      return WriteError(rc, true);
    }
  }
  if (auto st = tx.Commit(); !st) {
    return std::move(st).error();
  }
  return k;
}

Status SqliteStore::DeleteKey(std::string_view key_hash) {
  std::lock_guard lock(mu_);
  auto p = Prepare("DELETE FROM keys WHERE key_hash = ?1");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(1, key_hash);
  if (int rc = s.Step(); rc != SQLITE_DONE) {
    return DbError(rc, "delete key");
  }
  if (sqlite3_changes(db_) == 0) {
    return NotFound("key", "key_not_found");
  }
  return OkStatus();
}

Result<KeyRecord> SqliteStore::GetKey(std::string_view key_hash) {
  std::lock_guard lock(mu_);
  return LoadKey("key_hash", key_hash);
}

Result<KeyRecord> SqliteStore::GetKeyByAlias(std::string_view alias) {
  if (alias.empty()) {
    return NotFound("key", "key_not_found");
  }
  std::lock_guard lock(mu_);
  return LoadKey("alias", alias);
}

Result<Page<KeyRecord>> SqliteStore::ListKeys(const ListFilter& filter) {
  auto offset = PageOffset(filter);
  if (!offset) {
    return std::move(offset).error();
  }
  const bool by_team = !filter.team_id.empty();
  const std::string where = by_team ? " WHERE team_id = :team" : "";
  std::lock_guard lock(mu_);
  Page<KeyRecord> page;
  {
    auto p = Prepare("SELECT COUNT(*) FROM keys" + where);
    if (!p) {
      return std::move(p).error();
    }
    Stmt s(*p);
    s.Text(":team", filter.team_id);
    if (int rc = s.Step(); rc != SQLITE_ROW) {
      return DbError(rc, "count keys");
    }
    page.total = s.ColInt(0);
  }
  auto p = Prepare(std::string("SELECT ") + kKeyColumns + " FROM keys" + where +
                   " ORDER BY created_at, key_hash LIMIT :limit OFFSET :offset");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(":team", filter.team_id);
  s.Int(":limit", filter.page_size);
  s.Int(":offset", *offset);
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    page.items.push_back(ReadKey(s));
  }
  if (rc != SQLITE_DONE) {
    return DbError(rc, "list keys");
  }
  return page;
}

// ---- teams ----

Result<TeamRecord> SqliteStore::LoadTeam(const char* column, std::string_view value) {
  auto p = Prepare(std::string("SELECT ") + kTeamColumns + " FROM teams WHERE " + column + " = ?1");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(1, value);
  int rc = s.Step();
  if (rc == SQLITE_ROW) {
    return ReadTeam(s);
  }
  if (rc == SQLITE_DONE) {
    return NotFound("team", "team_not_found");
  }
  return DbError(rc, "read team");
}

Result<TeamRecord> SqliteStore::CreateTeam(const TeamRecord& team) {
  if (team.team_id.empty()) {
    return Error(ErrorKind::kBadRequest, "team_id is required", "bad_request", "team_id");
  }
  TeamRecord t = team;
  const int64_t now = NowSeconds();
  if (t.created_at == 0) {
    t.created_at = now;
  }
  t.updated_at = now;
  if (auto st = ScheduleFirstReset(t.budget_duration, t.created_at, t.budget_reset_at); !st) {
    return std::move(st).error();
  }
  std::lock_guard lock(mu_);
  auto p = Prepare(std::string("INSERT INTO teams(") + kTeamColumns +
                   ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  BindTeam(s, t);
  if (int rc = s.Step(); rc != SQLITE_DONE) {
    return WriteError(rc, false);
  }
  return t;
}

Result<TeamRecord> SqliteStore::UpdateTeam(std::string_view team_id, const TeamPatch& patch) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (auto st = tx.Begin(); !st) {
    return std::move(st).error();
  }
  auto loaded = LoadTeam("team_id", team_id);
  if (!loaded) {
    return loaded;
  }
  TeamRecord t = std::move(loaded).value();
  const int64_t now = NowSeconds();
  if (auto st = ApplyTeamPatch(t, patch, now); !st) {
    return std::move(st).error();
  }
  t.updated_at = now;
  auto p = Prepare(
      "UPDATE teams SET alias=?2, models=?3, max_budget=?4, budget_duration=?5, "
      "budget_reset_at=?6, rpm=?7, tpm=?8, blocked=?9, metadata=?10, spend=?11, updated_at=?13 "
      "WHERE team_id=?1");
  if (!p) {
    return std::move(p).error();
  }
  {
    Stmt s(*p);
    BindTeam(s, t);
    if (int rc = s.Step(); rc != SQLITE_DONE) {
      return WriteError(rc, false);
    }
  }
  if (auto st = tx.Commit(); !st) {
    return std::move(st).error();
  }
  return t;
}

Status SqliteStore::DeleteTeam(std::string_view team_id) {
  std::lock_guard lock(mu_);
  auto p = Prepare("DELETE FROM teams WHERE team_id = ?1");  // keys go with it (ON DELETE CASCADE)
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(1, team_id);
  if (int rc = s.Step(); rc != SQLITE_DONE) {
    return DbError(rc, "delete team");
  }
  if (sqlite3_changes(db_) == 0) {
    return NotFound("team", "team_not_found");
  }
  return OkStatus();
}

Result<TeamRecord> SqliteStore::GetTeam(std::string_view team_id) {
  std::lock_guard lock(mu_);
  return LoadTeam("team_id", team_id);
}

Result<TeamRecord> SqliteStore::GetTeamByAlias(std::string_view alias) {
  if (alias.empty()) {
    return NotFound("team", "team_not_found");
  }
  std::lock_guard lock(mu_);
  return LoadTeam("alias", alias);
}

Result<Page<TeamRecord>> SqliteStore::ListTeams(const ListFilter& filter) {
  auto offset = PageOffset(filter);
  if (!offset) {
    return std::move(offset).error();
  }
  std::lock_guard lock(mu_);
  Page<TeamRecord> page;
  {
    auto p = Prepare("SELECT COUNT(*) FROM teams");
    if (!p) {
      return std::move(p).error();
    }
    Stmt s(*p);
    if (int rc = s.Step(); rc != SQLITE_ROW) {
      return DbError(rc, "count teams");
    }
    page.total = s.ColInt(0);
  }
  // COALESCE: SQLite sorts NULL first and PostgreSQL last; '' sorts first in both.
  auto p = Prepare(std::string("SELECT ") + kTeamColumns +
                   " FROM teams ORDER BY COALESCE(alias, ''), team_id LIMIT ?1 OFFSET ?2");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Int(1, filter.page_size);
  s.Int(2, *offset);
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    page.items.push_back(ReadTeam(s));
  }
  if (rc != SQLITE_DONE) {
    return DbError(rc, "list teams");
  }
  return page;
}

// ---- spend ----

Result<AppendResult> SqliteStore::AppendSpend(std::span<const SpendRecord> records) {
  AppendResult result;
  if (records.empty()) {
    return result;
  }
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (auto st = tx.Begin(); !st) {
    return std::move(st).error();
  }
  auto ins = Prepare(
      "INSERT INTO spend_logs(request_id, time, key_hash, team_id, zone, session, model_asked, "
      "deployment, prompt_tokens, completion_tokens, cached_tokens, cost, latency_ms, status) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) "
      "ON CONFLICT(request_id) DO NOTHING");
  if (!ins) {
    return std::move(ins).error();
  }
  // Totals are summed here and applied once per key/team: a batch of 10k records from a few
  // busy keys costs a few UPDATEs, not 10k.
  std::map<std::string_view, int64_t> key_cost;
  std::map<std::string_view, int64_t> team_cost;
  for (const SpendRecord& r : records) {
    Stmt s(*ins);
    s.TextOrNull(1, r.request_id);  // NULL: no id, never deduplicated
    s.Int(2, r.time);
    s.Text(3, r.key_hash);
    s.Text(4, r.team_id);
    s.Text(5, r.zone);
    s.Text(6, r.session);
    s.Text(7, r.model_asked);
    s.Text(8, r.deployment);
    s.Int(9, r.prompt_tokens);
    s.Int(10, r.completion_tokens);
    s.Int(11, r.cached_tokens);
    s.Int(12, r.cost);
    s.Int(13, r.latency_ms);
    s.Int(14, r.status);
    if (int rc = s.Step(); rc != SQLITE_DONE) {
      return DbError(rc, "append spend");
    }
    if (sqlite3_changes(db_) == 0) {
      ++result.duplicates;
      continue;
    }
    ++result.inserted;
    if (r.cost != 0 && !r.key_hash.empty()) {
      key_cost[r.key_hash] += r.cost;
    }
    if (r.cost != 0 && !r.team_id.empty()) {
      team_cost[r.team_id] += r.cost;
    }
  }
  auto add_to = [this](const char* sql, const std::map<std::string_view, int64_t>& costs,
                       const char* what) -> Status {
    auto p = Prepare(sql);
    if (!p) {
      return std::move(p).error();
    }
    for (const auto& [id, cost] : costs) {
      Stmt s(*p);
      s.Int(1, cost);
      s.Text(2, id);
      if (int rc = s.Step(); rc != SQLITE_DONE) {
        return DbError(rc, what);
      }
    }
    return OkStatus();
  };
  if (auto st = add_to("UPDATE keys SET spend = spend + ?1 WHERE key_hash = ?2", key_cost,
                       "add key spend");
      !st) {
    return std::move(st).error();
  }
  if (auto st = add_to("UPDATE teams SET spend = spend + ?1 WHERE team_id = ?2", team_cost,
                       "add team spend");
      !st) {
    return std::move(st).error();
  }
  if (auto st = tx.Commit(); !st) {
    return std::move(st).error();
  }
  return result;
}

Result<SpendPage> SqliteStore::QuerySpend(const SpendQuery& q) {
  if (auto st = ValidatePageSize(q.page_size); !st) {
    return std::move(st).error();
  }
  std::optional<std::pair<int64_t, int64_t>> cursor;
  if (!q.cursor.empty()) {
    cursor = DecodeSpendCursor(q.cursor);
    if (!cursor || q.offset != 0) {
      return Error(ErrorKind::kBadRequest,
                   cursor ? "use either a cursor or an offset, not both" : "invalid cursor",
                   "bad_page", "cursor");
    }
  }
  if (q.offset < 0 || q.offset > std::numeric_limits<int32_t>::max()) {
    return Error(ErrorKind::kBadRequest, "invalid offset", "bad_page", "offset");
  }
  std::string where = " WHERE 1=1";
  if (!q.key_hash.empty()) {
    where += " AND key_hash = :key";
  }
  if (!q.team_id.empty()) {
    where += " AND team_id = :team";
  }
  if (q.from_ms) {
    where += " AND time >= :from";
  }
  if (q.to_ms) {
    where += " AND time < :to";
  }
  auto bind = [&](Stmt& s) {
    s.Text(":key", q.key_hash);
    s.Text(":team", q.team_id);
    s.Int(":from", q.from_ms.value_or(0));
    s.Int(":to", q.to_ms.value_or(0));
  };

  std::lock_guard lock(mu_);
  SpendPage page;
  if (q.with_total) {
    auto p = Prepare("SELECT COUNT(*) FROM spend_logs" + where);
    if (!p) {
      return std::move(p).error();
    }
    Stmt s(*p);
    bind(s);
    if (int rc = s.Step(); rc != SQLITE_ROW) {
      return DbError(rc, "count spend");
    }
    page.total = s.ColInt(0);
  }
  std::string sql = std::string("SELECT ") + kSpendColumns + " FROM spend_logs" + where;
  if (cursor) {
    // `time <= :ct` alone bounds the index range; the OR picks up ties on time by row id.
    sql += " AND time <= :ct AND (time < :ct OR id < :cid)";
  }
  sql += " ORDER BY time DESC, id DESC LIMIT :limit OFFSET :offset";
  auto p = Prepare(sql);
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  bind(s);
  if (cursor) {
    s.Int(":ct", cursor->first);
    s.Int(":cid", cursor->second);
  }
  s.Int(":limit", q.page_size + 1);  // one extra row tells whether a next page exists
  s.Int(":offset", q.offset);
  int rc = 0;
  int64_t last_time = 0;
  int64_t last_id = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    if (static_cast<int64_t>(page.records.size()) == q.page_size) {
      page.next_cursor = EncodeSpendCursor(last_time, last_id);
      break;
    }
    page.records.push_back(ReadSpend(s));
    last_time = page.records.back().time;
    last_id = s.ColInt(0);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return DbError(rc, "query spend");
  }
  return page;
}

Result<std::vector<SpendTotal>> SqliteStore::Aggregate(const char* column,
                                                       const SpendAggregateFilter& f) {
  if (auto st = ValidatePageSize(f.limit); !st) {
    return std::move(st).error();
  }
  const std::string col = column;
  std::string sql = "SELECT " + col +
                    ", COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens),"
                    " SUM(cost) FROM spend_logs WHERE " +
                    col + " <> ''";
  if (!f.team_id.empty() && col == "key_hash") {
    sql += " AND team_id = :team";
  }
  if (f.from_ms) {
    sql += " AND time >= :from";
  }
  if (f.to_ms) {
    sql += " AND time < :to";
  }
  sql += " GROUP BY " + col + " ORDER BY SUM(cost) DESC, " + col + " LIMIT :limit";
  std::lock_guard lock(mu_);
  auto p = Prepare(sql);
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(":team", f.team_id);
  s.Int(":from", f.from_ms.value_or(0));
  s.Int(":to", f.to_ms.value_or(0));
  s.Int(":limit", f.limit);
  std::vector<SpendTotal> out;
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    SpendTotal t;
    t.id = s.ColText(0);
    t.requests = s.ColInt(1);
    t.prompt_tokens = s.ColInt(2);
    t.completion_tokens = s.ColInt(3);
    t.cached_tokens = s.ColInt(4);
    t.cost = s.ColInt(5);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) {
    return DbError(rc, "aggregate spend");
  }
  return out;
}

Result<std::vector<SpendTotal>> SqliteStore::SpendByKey(const SpendAggregateFilter& filter) {
  return Aggregate("key_hash", filter);
}

Result<std::vector<SpendTotal>> SqliteStore::SpendByTeam(const SpendAggregateFilter& filter) {
  return Aggregate("team_id", filter);
}

Result<SpendTotal> SqliteStore::SumSpend(const SpendSumFilter& f) {
  std::string sql =
      "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),"
      " COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(cost), 0) FROM spend_logs WHERE 1=1";
  if (!f.zone.empty()) {
    sql += " AND zone = :zone";
  }
  if (!f.key_hash.empty()) {
    sql += " AND key_hash = :key";
  }
  if (!f.team_id.empty()) {
    sql += " AND team_id = :team";
  }
  if (f.from_ms) {
    sql += " AND time >= :from";
  }
  if (f.to_ms) {
    sql += " AND time < :to";
  }
  std::lock_guard lock(mu_);
  auto p = Prepare(sql);
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Text(":zone", f.zone);
  s.Text(":key", f.key_hash);
  s.Text(":team", f.team_id);
  s.Int(":from", f.from_ms.value_or(0));
  s.Int(":to", f.to_ms.value_or(0));
  if (int rc = s.Step(); rc != SQLITE_ROW) {
    return DbError(rc, "sum spend");
  }
  SpendTotal t;
  t.requests = s.ColInt(0);
  t.prompt_tokens = s.ColInt(1);
  t.completion_tokens = s.ColInt(2);
  t.cached_tokens = s.ColInt(3);
  t.cost = s.ColInt(4);
  return t;
}

// ---- budgets, schema ----

Result<BudgetResetResult> SqliteStore::ResetBudgets(int64_t now) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (auto st = tx.Begin(); !st) {
    return std::move(st).error();
  }
  BudgetResetResult result;
  // The schedule is computed here, not in SQL, so SQLite and PostgreSQL agree on month math.
  auto reset_table = [&](const char* table, const char* id_col,
                         std::vector<std::string>& ids) -> Status {
    struct Due {
      std::string id;
      std::string duration;
      int64_t reset_at;
    };
    std::vector<Due> due;
    {
      auto p =
          Prepare(std::string("SELECT ") + id_col + ", budget_duration, budget_reset_at FROM " +
                  table + " WHERE budget_reset_at <= ?1 ORDER BY " + id_col);
      if (!p) {
        return std::move(p).error();
      }
      Stmt s(*p);
      s.Int(1, now);
      int rc = 0;
      while ((rc = s.Step()) == SQLITE_ROW) {
        due.push_back(Due{s.ColText(0), s.ColText(1), s.ColInt(2)});
      }
      if (rc != SQLITE_DONE) {
        return DbError(rc, "read due budgets");
      }
    }
    auto p = Prepare(std::string("UPDATE ") + table +
                     " SET spend = 0, budget_reset_at = ?2 WHERE " + id_col + " = ?1");
    if (!p) {
      return std::move(p).error();
    }
    for (Due& d : due) {
      Stmt s(*p);
      s.Text(1, d.id);
      if (auto parsed = ParseBudgetDuration(d.duration)) {
        s.Int(2, NextBudgetReset(d.reset_at, *parsed, now));
      } else {
        s.OptInt(2, std::nullopt);  // no (valid) period: reset once, then never again
      }
      if (int rc = s.Step(); rc != SQLITE_DONE) {
        return DbError(rc, "reset budget");
      }
      ids.push_back(std::move(d.id));
    }
    return OkStatus();
  };
  if (auto st = reset_table("keys", "key_hash", result.key_hashes); !st) {
    return std::move(st).error();
  }
  if (auto st = reset_table("teams", "team_id", result.team_ids); !st) {
    return std::move(st).error();
  }
  if (auto st = tx.Commit(); !st) {
    return std::move(st).error();
  }
  return result;
}

Result<SchemaInfo> SqliteStore::Schema() {
  std::lock_guard lock(mu_);
  auto p = Prepare("SELECT version, applied_at_ms FROM schema_migrations ORDER BY version");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  SchemaInfo info;
  info.latest_known = LatestSchemaVersion();
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    info.applied.push_back(AppliedMigration{static_cast<int>(s.ColInt(0)), s.ColInt(1)});
    info.version = info.applied.back().version;
  }
  if (rc != SQLITE_DONE) {
    return DbError(rc, "read schema");
  }
  return info;
}

// ---- insights ----

Result<std::vector<std::vector<std::string>>> SqliteStore::RunRows(
    const std::string& sql, const std::vector<std::variant<int64_t, std::string>>& args,
    std::string_view what) {
  auto p = Prepare(sql);
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string name = "$" + std::to_string(i + 1);
    if (const auto* v = std::get_if<int64_t>(&args[i])) {
      s.Int(name.c_str(), *v);
    } else {
      s.Text(name.c_str(), std::get<std::string>(args[i]));
    }
  }
  std::vector<std::vector<std::string>> rows;
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    std::vector<std::string> row;
    const int n = s.Columns();
    row.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
      row.push_back(s.ColText(c));
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    return DbError(rc, what);
  }
  return rows;
}

namespace {

insights_sql::SqlRunner RunnerOf(SqliteStore& store,
                                 Result<std::vector<std::vector<std::string>>> (SqliteStore::*fn)(
                                     const std::string&, const std::vector<insights_sql::SqlArg>&,
                                     std::string_view)) {
  return [&store, fn](const std::string& sql, const std::vector<insights_sql::SqlArg>& args,
                      std::string_view what) { return (store.*fn)(sql, args, what); };
}

}  // namespace

Result<std::vector<ModelInsight>> SqliteStore::ModelInsights(const InsightWindow& window) {
  std::lock_guard lock(mu_);
  auto models = insights_sql::ModelInsights(RunnerOf(*this, &SqliteStore::RunRows),
                                            insights_sql::Dialect::kSqlite, window);
  if (!models) {
    return models;
  }
  // Percentiles: the window's latencies sorted per model, streamed (one model's latencies held
  // at a time, 8 bytes each), then PercentileCont like PostgreSQL's percentile_cont.
  std::map<std::string, ModelInsight*, std::less<>> by_name;
  for (ModelInsight& m : *models) {
    by_name[m.model] = &m;
  }
  auto p = Prepare(
      "SELECT model_asked, latency_ms FROM spend_logs WHERE time >= ?1 AND time < ?2"
      " ORDER BY model_asked, latency_ms");
  if (!p) {
    return std::move(p).error();
  }
  Stmt s(*p);
  s.Int(1, window.from_ms);
  s.Int(2, window.to_ms);
  std::string model;
  std::vector<int64_t> latencies;
  auto finish = [&] {
    if (auto it = by_name.find(model); it != by_name.end()) {
      it->second->p50_latency_ms = PercentileCont(latencies, 0.5);
      it->second->p95_latency_ms = PercentileCont(latencies, 0.95);
    }
    latencies.clear();
  };
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    std::string name = s.ColText(0);
    if (name != model) {
      finish();
      model = std::move(name);
    }
    latencies.push_back(s.ColInt(1));
  }
  if (rc != SQLITE_DONE) {
    return DbError(rc, "model latency percentiles");
  }
  finish();
  return models;
}

Result<std::vector<InsightBucket>> SqliteStore::DailyTotals(const InsightWindow& window) {
  std::lock_guard lock(mu_);
  return insights_sql::DailyTotals(RunnerOf(*this, &SqliteStore::RunRows), window);
}

Result<SpendSummary> SqliteStore::Summarize(const InsightWindow& window) {
  std::lock_guard lock(mu_);
  return insights_sql::Summarize(RunnerOf(*this, &SqliteStore::RunRows), window);
}

Status SqliteStore::AppendContent(std::span<const ContentRecord> records) {
  if (records.empty()) {
    return OkStatus();
  }
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (auto st = tx.Begin(); !st) {
    return st;
  }
  auto ins = Prepare(
      "INSERT INTO request_content(request_id, time, model, text) VALUES(?1, ?2, ?3, ?4)"
      " ON CONFLICT(request_id) DO NOTHING");
  if (!ins) {
    return std::move(ins).error();
  }
  for (const ContentRecord& r : records) {
    if (r.request_id.empty() || r.text.empty()) {
      continue;
    }
    Stmt s(*ins);
    s.Text(1, r.request_id);
    s.Int(2, r.time);
    s.Text(3, r.model);
    s.Text(4, r.text);
    if (int rc = s.Step(); rc != SQLITE_DONE) {
      return DbError(rc, "append content");
    }
  }
  return tx.Commit();
}

Result<std::vector<SimilarRequest>> SqliteStore::SimilarRequests(std::string_view query,
                                                                 int64_t limit) {
  if (auto st = insights_sql::ValidateSimilarLimit(limit); !st) {
    return std::move(st).error();
  }
  const std::vector<std::string> words = QueryWords(query);
  if (words.empty()) {
    return Error(ErrorKind::kBadRequest, "the query has no word to search for", "bad_query",
                 "query");
  }
  // Every word quoted (no FTS5 syntax from the caller), any of them matching; bm25 ranks the
  // documents sharing more (and rarer) words first.
  std::string match;
  for (const std::string& w : words) {
    if (!match.empty()) {
      match += " OR ";
    }
    match += '"' + w + '"';
  }
  std::lock_guard lock(mu_);
  auto rows = RunRows(
      "SELECT c.request_id, c.time, c.model, c.text, -bm25(request_content_fts)"
      " FROM request_content_fts JOIN request_content c ON c.id = request_content_fts.rowid"
      " WHERE request_content_fts MATCH $1"
      " ORDER BY bm25(request_content_fts), c.time DESC, c.id DESC LIMIT $2",
      {match, limit}, "similar requests");
  if (!rows) {
    return std::move(rows).error();
  }
  std::vector<SimilarRequest> out;
  for (auto& row : *rows) {
    out.push_back(SimilarRequest{std::move(row[0]), insights_sql::ToInt(row[1]), std::move(row[2]),
                                 std::move(row[3]), insights_sql::ToDouble(row[4])});
  }
  return out;
}

Status SqliteStore::AddJudgeVerdict(const JudgeVerdict& verdict) {
  std::lock_guard lock(mu_);
  return insights_sql::AddJudgeVerdict(RunnerOf(*this, &SqliteStore::RunRows), verdict);
}

Result<std::vector<JudgeTally>> SqliteStore::JudgeTallies(const InsightWindow& window) {
  std::lock_guard lock(mu_);
  return insights_sql::JudgeTallies(RunnerOf(*this, &SqliteStore::RunRows), window);
}

Result<std::vector<JudgeVerdict>> SqliteStore::JudgeVerdicts(const InsightWindow& window,
                                                             int64_t limit) {
  std::lock_guard lock(mu_);
  return insights_sql::JudgeVerdicts(RunnerOf(*this, &SqliteStore::RunRows), window, limit);
}

}  // namespace baton

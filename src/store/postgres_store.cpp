// PostgreSQL Store. Why it looks the way it does:
// - One connection behind a mutex, like SqliteStore: admin traffic plus one batched spend writer
//   per instance are far below what one connection does, and it keeps transactions simple. Each
//   instance has its own connection; the database arbitrates between instances with row locks.
// - Statements go through PQexecParams (unnamed, planned with the actual values) rather than
//   server-side prepared statements: nothing to re-prepare after a reconnect, and a generic plan
//   can never pick a bad index for a skewed key. Parameters are sent as text.
// - AppendSpend inserts a whole batch in one statement (unnest of one array per column, WITH
//   ORDINALITY so ids follow the batch order), RETURNING the rows actually inserted, so the
//   totals come from what was stored, not from what was sent, and a 10k batch is one round trip.
// - Text columns that are ids or sort keys are COLLATE "C": byte order, like SQLite, whatever the
//   database's locale; it also makes the indexes usable for the equality lookups.
// - Lock order for writers is keys before teams, each in id order (ORDER BY ... FOR UPDATE), so
//   AppendSpend and ResetBudgets on several instances cannot deadlock each other.
// - Budget schedules are computed in C++ (store.cpp), so both backends agree on month math.
#include "store/postgres_store.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <libpq-fe.h>

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

// Taken for the migration transaction by every instance: "baton" in ASCII, then 1 (schema).
constexpr int64_t kMigrationLockId = 0x626174'6f6e'0001;

// Migrations, in order; entry i brings the schema to version i + 1. Never edit a shipped entry:
// append a new one. Each runs inside the Open transaction together with its schema_migrations row.
// The schema mirrors SQLite's (sqlite_store.cpp) column for column.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> list = {
      // 1: keys, teams, spend records.
      R"sql(
CREATE TABLE teams (
  team_id         TEXT COLLATE "C" NOT NULL,
  alias           TEXT COLLATE "C",
  models          TEXT NOT NULL DEFAULT '[]',
  max_budget      BIGINT,
  budget_duration TEXT NOT NULL DEFAULT '',
  budget_reset_at BIGINT,
  rpm             BIGINT NOT NULL DEFAULT 0,
  tpm             BIGINT NOT NULL DEFAULT 0,
  blocked         BOOLEAN NOT NULL DEFAULT FALSE,
  metadata        TEXT NOT NULL DEFAULT '{}',
  spend           BIGINT NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  CONSTRAINT teams_pkey PRIMARY KEY (team_id),
  CONSTRAINT teams_alias_key UNIQUE (alias)
);
CREATE INDEX teams_budget_reset ON teams(budget_reset_at) WHERE budget_reset_at IS NOT NULL;
CREATE TABLE keys (
  key_hash        TEXT COLLATE "C" NOT NULL,
  key_prefix      TEXT NOT NULL DEFAULT '',
  alias           TEXT COLLATE "C",
  team_id         TEXT COLLATE "C",
  models          TEXT NOT NULL DEFAULT '[]',
  zone            TEXT NOT NULL DEFAULT '',
  expires_at      BIGINT,
  metadata        TEXT NOT NULL DEFAULT '{}',
  max_budget      BIGINT,
  budget_duration TEXT NOT NULL DEFAULT '',
  budget_reset_at BIGINT,
  rpm             BIGINT NOT NULL DEFAULT 0,
  tpm             BIGINT NOT NULL DEFAULT 0,
  blocked         BOOLEAN NOT NULL DEFAULT FALSE,
  spend           BIGINT NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  CONSTRAINT keys_pkey PRIMARY KEY (key_hash),
  CONSTRAINT keys_alias_key UNIQUE (alias),
  CONSTRAINT keys_team_fkey FOREIGN KEY (team_id) REFERENCES teams(team_id) ON DELETE CASCADE
);
CREATE INDEX keys_team ON keys(team_id, created_at, key_hash);
CREATE INDEX keys_created ON keys(created_at, key_hash);
CREATE INDEX keys_budget_reset ON keys(budget_reset_at) WHERE budget_reset_at IS NOT NULL;
CREATE TABLE spend_logs (
  id                BIGINT GENERATED ALWAYS AS IDENTITY,
  request_id        TEXT COLLATE "C",
  time              BIGINT NOT NULL,
  key_hash          TEXT COLLATE "C" NOT NULL DEFAULT '',
  team_id           TEXT COLLATE "C" NOT NULL DEFAULT '',
  zone              TEXT NOT NULL DEFAULT '',
  session           TEXT NOT NULL DEFAULT '',
  model_asked       TEXT NOT NULL DEFAULT '',
  deployment        TEXT NOT NULL DEFAULT '',
  prompt_tokens     BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  cached_tokens     BIGINT NOT NULL DEFAULT 0,
  cost              BIGINT NOT NULL DEFAULT 0,
  latency_ms        BIGINT NOT NULL DEFAULT 0,
  status            INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT spend_logs_pkey PRIMARY KEY (id),
  CONSTRAINT spend_logs_request_id_key UNIQUE (request_id)
);
CREATE INDEX spend_logs_key_time ON spend_logs(key_hash, time DESC, id DESC);
CREATE INDEX spend_logs_team_time ON spend_logs(team_id, time DESC, id DESC);
CREATE INDEX spend_logs_time ON spend_logs(time DESC, id DESC);
)sql",
      // 2: SumSpend by zone over a time range (the zone budgets' startup total).
      R"sql(
CREATE INDEX spend_logs_zone_time ON spend_logs(zone, time);
)sql",
      // 3: insights (docs/insights.md): request texts for similarity search and judge verdicts.
      // The pg_trgm extension and the trigram index are not part of the migration (the
      // extension may be missing or need a privilege): EnsureTrigramIndex adds them.
      R"sql(
CREATE TABLE request_content (
  id         BIGINT GENERATED ALWAYS AS IDENTITY,
  request_id TEXT COLLATE "C" NOT NULL,
  time       BIGINT NOT NULL,
  model      TEXT NOT NULL DEFAULT '',
  text       TEXT NOT NULL DEFAULT '',
  CONSTRAINT request_content_pkey PRIMARY KEY (id),
  CONSTRAINT request_content_request_id_key UNIQUE (request_id)
);
CREATE INDEX request_content_time ON request_content(time);
CREATE TABLE judge_verdicts (
  request_id  TEXT COLLATE "C" NOT NULL,
  time        BIGINT NOT NULL,
  query_type  TEXT COLLATE "C" NOT NULL DEFAULT '',
  winner      TEXT COLLATE "C" NOT NULL DEFAULT '',
  candidates  TEXT NOT NULL DEFAULT '[]',
  scores      TEXT NOT NULL DEFAULT '{}',
  judge_model TEXT NOT NULL DEFAULT '',
  CONSTRAINT judge_verdicts_pkey PRIMARY KEY (request_id)
);
CREATE INDEX judge_verdicts_time ON judge_verdicts(time);
)sql",
  };
  return list;
}

// Parameters of one statement, sent as text; Add* return the placeholder ("$3") to splice into
// the SQL, so optional filters number themselves.
class Params {
 public:
  std::string Add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return Placeholder();
  }
  std::string AddOrNull(std::string_view v) {  // "" is NULL (no alias, no team)
    if (v.empty()) {
      values_.emplace_back(std::nullopt);
      return Placeholder();
    }
    return Add(v);
  }
  std::string Add(int64_t v) { return Add(std::to_string(v)); }
  std::string Add(const std::optional<int64_t>& v) {
    if (!v) {
      values_.emplace_back(std::nullopt);
      return Placeholder();
    }
    return Add(*v);
  }
  std::string AddBool(bool v) { return Add(v ? "true" : "false"); }

  int Size() const { return static_cast<int>(values_.size()); }
  // Pointers into values_: valid until the next Add.
  std::vector<const char*> Pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) {
      out.push_back(v ? v->c_str() : nullptr);
    }
    return out;
  }

 private:
  std::string Placeholder() const { return "$" + std::to_string(values_.size()); }
  std::vector<std::optional<std::string>> values_;
};

// A PostgreSQL array literal in text form: {"a","b\"c",NULL}. Every element is quoted, so no
// content (commas, braces, spaces, the word NULL) can change the array's shape.
class ArrayText {
 public:
  void Add(std::string_view s) {
    Sep();
    out_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
      }
      out_ += c;
    }
    out_ += '"';
  }
  void AddNull() {
    Sep();
    out_ += "NULL";
  }
  void Add(int64_t v) {
    Sep();
    out_ += std::to_string(v);
  }
  std::string Take() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void Sep() {
    if (out_.size() > 1) {
      out_ += ',';
    }
  }
  std::string out_ = "{";
};

// One query result; empty rows on a command.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}

  int Rows() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  int64_t Int(int row, int col) const {
    const char* p = PQgetvalue(r_.get(), row, col);
    const char* end = p + PQgetlength(r_.get(), row, col);
    int64_t v = 0;
    std::from_chars(p, end, v);  // the column is an integer type: the text is a valid number
    return v;
  }
  std::optional<int64_t> OptInt(int row, int col) const {
    if (IsNull(row, col)) {
      return std::nullopt;
    }
    return Int(row, col);
  }
  bool Bool(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  const PGresult* Raw() const { return r_.get(); }
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t Affected() const {
    const char* n = PQcmdTuples(r_.get());
    int64_t v = 0;
    std::from_chars(n, n + std::char_traits<char>::length(n), v);
    return v;
  }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

Error Unavailable(std::string_view what) {
  return {ErrorKind::kUnavailable, "store unavailable: " + std::string(what) + " (no connection)",
          "store_unavailable"};
}

// The SQLSTATE class as words: the server's message text can quote values (a duplicate key, a
// bad number), so only the code and its class go into a message.
const char* SqlStateClass(std::string_view state) {
  static const std::map<std::string_view, const char*> classes = {
      {"08", "connection exception"},
      {"22", "data exception"},
      {"23", "constraint violation"},
      {"25", "invalid transaction state"},
      {"28", "authorization failed"},
      {"40", "transaction rollback"},
      {"42", "syntax error or access rule violation"},
      {"53", "insufficient resources"},
      {"54", "program limit exceeded"},
      {"55", "object not in prerequisite state"},
      {"57", "operator intervention"},
      {"58", "system error"},
      {"XX", "internal error"},
  };
  if (state.size() == 5) {
    if (auto it = classes.find(state.substr(0, 2)); it != classes.end()) {
      return it->second;
    }
  }
  return "database error";
}

// Maps a failed statement to the contract's kinds. `res` may be null (out of memory).
Error DbError(const PGresult* res, PGconn* conn, std::string_view what) {
  const char* field = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view state = field != nullptr ? field : "";
  // Connection lost or refused (class 08 but 08P01, a protocol violation: a bug of ours), or the
  // server shutting down.
  if (PQstatus(conn) == CONNECTION_BAD || (state.starts_with("08") && state != "08P01") ||
      state == "57P01" || state == "57P02" || state == "57P03") {
    return Unavailable(what);
  }
  // Lock wait beyond lock_timeout, deadlock victim, serialization failure, statement timeout:
  // another writer held the rows too long, as SQLITE_BUSY does for SqliteStore.
  if (state == "55P03" || state == "40P01" || state == "40001" || state == "57014") {
    return {ErrorKind::kUnavailable, "store busy: " + std::string(what), "store_busy"};
  }
  std::string msg = "store: " + std::string(what) + " failed: ";
  msg += state.empty()
             ? "no answer from the database"
             : std::string(SqlStateClass(state)) + " (SQLSTATE " + std::string(state) + ")";
  return {ErrorKind::kInternal, std::move(msg), "store_error"};
}

// A failed INSERT/UPDATE of a key or team, mapped by constraint (named in the migration).
Error WriteError(const PGresult* res, PGconn* conn, bool is_key) {
  const char* s = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* c = res != nullptr ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  const std::string_view state = s != nullptr ? s : "";
  const std::string_view constraint = c != nullptr ? c : "";
  if (state == "23505" && constraint.ends_with("_pkey")) {
    return is_key
               ? Error(ErrorKind::kBadRequest, "a key with this hash already exists", "key_exists")
               : Error(ErrorKind::kBadRequest, "team already exists", "team_exists", "team_id");
  }
  if (state == "23505" && constraint.ends_with("_alias_key")) {
    return {ErrorKind::kBadRequest,
            is_key ? "key alias already exists" : "team alias already exists", "alias_exists",
            is_key ? "key_alias" : "team_alias"};
  }
  if (state == "23503") {
    return {ErrorKind::kBadRequest, "team not found", "team_not_found", "team_id"};
  }
  return DbError(res, conn, is_key ? "write key" : "write team");
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

// Parameters $1..$17 in kKeyColumns order.
Params KeyParams(const KeyRecord& k) {
  Params p;
  p.Add(k.key_hash);
  p.Add(k.key_prefix);
  p.AddOrNull(k.alias);
  p.AddOrNull(k.team_id);
  p.Add(ModelsToJson(k.models));
  p.Add(k.zone);
  p.Add(k.expires_at);
  p.Add(k.metadata);
  p.Add(k.max_budget);
  p.Add(k.budget_duration);
  p.Add(k.budget_reset_at);
  p.Add(k.rpm);
  p.Add(k.tpm);
  p.AddBool(k.blocked);
  p.Add(k.spend);
  p.Add(k.created_at);
  p.Add(k.updated_at);
  return p;
}

KeyRecord ReadKey(const PgResult& r, int row) {
  KeyRecord k;
  k.key_hash = r.Text(row, 0);
  k.key_prefix = r.Text(row, 1);
  k.alias = r.Text(row, 2);  // NULL reads as ""
  k.team_id = r.Text(row, 3);
  k.models = ModelsFromJson(r.Text(row, 4)).value_or(std::vector<std::string>{});
  k.zone = r.Text(row, 5);
  k.expires_at = r.OptInt(row, 6);
  k.metadata = r.Text(row, 7);
  k.max_budget = r.OptInt(row, 8);
  k.budget_duration = r.Text(row, 9);
  k.budget_reset_at = r.OptInt(row, 10);
  k.rpm = r.Int(row, 11);
  k.tpm = r.Int(row, 12);
  k.blocked = r.Bool(row, 13);
  k.spend = r.Int(row, 14);
  k.created_at = r.Int(row, 15);
  k.updated_at = r.Int(row, 16);
  return k;
}

// Parameters $1..$13 in kTeamColumns order.
Params TeamParams(const TeamRecord& t) {
  Params p;
  p.Add(t.team_id);
  p.AddOrNull(t.alias);
  p.Add(ModelsToJson(t.models));
  p.Add(t.max_budget);
  p.Add(t.budget_duration);
  p.Add(t.budget_reset_at);
  p.Add(t.rpm);
  p.Add(t.tpm);
  p.AddBool(t.blocked);
  p.Add(t.metadata);
  p.Add(t.spend);
  p.Add(t.created_at);
  p.Add(t.updated_at);
  return p;
}

TeamRecord ReadTeam(const PgResult& r, int row) {
  TeamRecord t;
  t.team_id = r.Text(row, 0);
  t.alias = r.Text(row, 1);
  t.models = ModelsFromJson(r.Text(row, 2)).value_or(std::vector<std::string>{});
  t.max_budget = r.OptInt(row, 3);
  t.budget_duration = r.Text(row, 4);
  t.budget_reset_at = r.OptInt(row, 5);
  t.rpm = r.Int(row, 6);
  t.tpm = r.Int(row, 7);
  t.blocked = r.Bool(row, 8);
  t.metadata = r.Text(row, 9);
  t.spend = r.Int(row, 10);
  t.created_at = r.Int(row, 11);
  t.updated_at = r.Int(row, 12);
  return t;
}

// Column 0 is the row id (for cursors), the rest follow kSpendColumns.
SpendRecord ReadSpend(const PgResult& r, int row) {
  SpendRecord s;
  s.request_id = r.Text(row, 1);
  s.time = r.Int(row, 2);
  s.key_hash = r.Text(row, 3);
  s.team_id = r.Text(row, 4);
  s.zone = r.Text(row, 5);
  s.session = r.Text(row, 6);
  s.model_asked = r.Text(row, 7);
  s.deployment = r.Text(row, 8);
  s.prompt_tokens = r.Int(row, 9);
  s.completion_tokens = r.Int(row, 10);
  s.cached_tokens = r.Int(row, 11);
  s.cost = r.Int(row, 12);
  s.latency_ms = r.Int(row, 13);
  s.status = static_cast<int>(r.Int(row, 14));
  return s;
}

// libpq's parse of a connection string; null when it does not parse.
using ConnInfo = std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)>;
ConnInfo ParseConnInfo(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  PQfreemem(err);  // its text may quote a piece of the URL (the password): never shown
  return {opts, &PQconninfoFree};
}

std::string ConnInfoValue(const ConnInfo& info, std::string_view keyword) {
  for (const PQconninfoOption* o = info.get(); o != nullptr && o->keyword != nullptr; ++o) {
    if (keyword == o->keyword) {
      return o->val != nullptr ? o->val : "";
    }
  }
  return {};
}

// Removes every occurrence of `secret` from `text` (libpq's messages should not echo the
// password, but a message is no place to find out that one does).
std::string Scrub(std::string text, const std::string& secret) {
  if (!secret.empty()) {
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "***");
      at += 3;
    }
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\n') {
      c = ' ';
    }
  }
  return text;
}

}  // namespace

// The connection: runs statements and maps their failures. Used under PostgresStore::mu_.
class PostgresStore::Conn {
 public:
  explicit Conn(PGconn* pg) : pg_(pg) {}
  ~Conn() { PQfinish(pg_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Connects and prepares the session. On failure `why` gets libpq's reason, password removed.
  static std::unique_ptr<Conn> Connect(const std::string& url, const PostgresOptions& options,
                                       std::string& why) {
    // Keywords before "dbname" are defaults: the URL's own settings (expanded from dbname)
    // override them.
    const std::string timeout = std::to_string(options.connect_timeout_s);
    const std::array<const char*, 4> keywords = {"connect_timeout", "fallback_application_name",
                                                 "dbname", nullptr};
    const std::array<const char*, 4> values = {timeout.c_str(), "baton", url.c_str(), nullptr};
    auto conn = std::make_unique<Conn>(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (conn->pg_ == nullptr) {
      why = "out of memory";
      return nullptr;
    }
    const std::string password = ConnInfoValue(ParseConnInfo(url), "password");
    if (PQstatus(conn->pg_) != CONNECTION_OK) {
      why = Scrub(PQerrorMessage(conn->pg_), password);
      return nullptr;
    }
    // Notices ("relation already exists, skipping") would go to stderr by default.
    PQsetNoticeProcessor(conn->pg_, [](void*, const char*) {}, nullptr);
    const std::string setup = "SET lock_timeout = " + std::to_string(options.lock_timeout_ms) +
                              "; SET client_min_messages = warning";
    if (auto st = conn->Command(setup.c_str(), "set up the session"); !st) {
      why = st.error().message;
      return nullptr;
    }
    return conn;
  }

  bool Broken() const { return PQstatus(pg_) != CONNECTION_OK; }

  // Runs one statement; an error unless it succeeded. `write` maps constraint violations to the
  // key (true) or team (false) codes instead of the generic ones.
  Result<PgResult> Exec(const std::string& sql, const Params& params, std::string_view what,
                        std::optional<bool> write = std::nullopt) {
    const auto values = params.Pointers();
    PgResult r(
        PQexecParams(pg_, sql.c_str(), params.Size(), nullptr, values.data(), nullptr, nullptr, 0));
    return Check(std::move(r), what, write);
  }

  // One or more statements without parameters (migrations, BEGIN/COMMIT).
  Status Command(const char* sql, std::string_view what) {
    auto r = Check(PgResult(PQexec(pg_, sql)), what, std::nullopt);
    if (!r) {
      return std::move(r).error();
    }
    return OkStatus();
  }

 private:
  Result<PgResult> Check(PgResult r, std::string_view what, std::optional<bool> write) {
    const PGresult* raw = r.Raw();
    const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      return r;
    }
    if (write) {
      return WriteError(raw, pg_, *write);
    }
    return DbError(raw, pg_, what);
  }
  PGconn* pg_;
};

namespace {

// A transaction on the connection; rolled back unless committed. After an error inside it the
// caller returns at once, so the rollback also clears PostgreSQL's "aborted transaction" state.
class Tx {
 public:
  explicit Tx(PostgresStore::Conn& c) : c_(c) {}
  ~Tx() {
    if (open_ && !c_.Broken()) {
      (void)c_.Command("ROLLBACK", "roll back");
    }
  }
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  Status Begin() {
    if (auto st = c_.Command("BEGIN", "begin transaction"); !st) {
      return st;
    }
    open_ = true;
    return OkStatus();
  }
  Status Commit() {
    if (auto st = c_.Command("COMMIT", "commit"); !st) {
      return st;  // the destructor rolls back (if the connection survived)
    }
    open_ = false;
    return OkStatus();
  }

 private:
  PostgresStore::Conn& c_;
  bool open_ = false;
};

}  // namespace

namespace {

// pg_trgm (Debian's postgresql-15 ships it in contrib; trusted since PostgreSQL 13, so a database
// owner may create it) and the trigram index over request_content. kUnavailable
// "similarity_unavailable" when the extension cannot be created.
Status EnsureTrigramIndex(PostgresStore::Conn& c) {
  auto have = c.Exec("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'", {}, "check pg_trgm");
  if (!have) {
    return std::move(have).error();
  }
  if (have->Rows() == 0) {
    if (auto st = c.Command("CREATE EXTENSION IF NOT EXISTS pg_trgm", "create extension pg_trgm");
        !st) {
      return Error(ErrorKind::kUnavailable,
                   "similarity search needs the PostgreSQL extension pg_trgm, which could not be "
                   "created (" +
                       st.error().message +
                       "): install postgresql-contrib and run CREATE EXTENSION pg_trgm as the "
                       "database owner or a superuser",
                   "similarity_unavailable");
    }
  }
  return c.Command(
      "CREATE INDEX IF NOT EXISTS request_content_trgm ON request_content"
      " USING gin (text gin_trgm_ops)",
      "create trigram index");
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Conn> conn, std::string url, PostgresOptions options)
    : conn_(std::move(conn)), url_(std::move(url)), options_(options) {}

PostgresStore::~PostgresStore() = default;

int PostgresStore::LatestSchemaVersion() {
  return static_cast<int>(Migrations().size());
}

std::string PostgresStore::RedactUrl(const std::string& url) {
  auto info = ParseConnInfo(url);
  if (!info) {
    return "(unparsable PostgreSQL URL)";
  }
  std::string out = "postgresql://";
  if (auto user = ConnInfoValue(info, "user"); !user.empty()) {
    out += user + "@";
  }
  out += ConnInfoValue(info, "host");
  if (auto port = ConnInfoValue(info, "port"); !port.empty()) {
    out += ":" + port;
  }
  out += "/" + ConnInfoValue(info, "dbname");
  return out;
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           PostgresOptions options) {
  // Open's errors are for the operator at startup, so they name the server (not the password).
  const std::string shown = RedactUrl(url);
  auto fail = [&shown](const std::string& why, std::string code = "store_error") {
    return Error(ErrorKind::kInternal, "store " + shown + ": " + why, std::move(code));
  };
  if (!ParseConnInfo(url)) {
    return fail("not a valid PostgreSQL URL (postgresql://user:password@host:port/database)");
  }
  std::string why;
  auto conn = Conn::Connect(url, options, why);
  if (!conn) {
    return fail("cannot connect: " + why);
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(conn), url, options));
  // Migrate under the store's lock like any call (nothing else can hold the object yet).
  std::lock_guard lock(store->mu_);
  Conn& c = *store->conn_;
  Tx tx(c);
  if (auto st = tx.Begin(); !st) {
    return fail(st.error().message, st.error().code);
  }
  // Instances starting together queue here; the first migrates, the others then find the
  // versions it recorded and apply nothing. The lock goes with the transaction.
  auto migrate = [&]() -> Status {
    Params lock_param;
    lock_param.Add(kMigrationLockId);
    if (auto r = c.Exec("SELECT pg_advisory_xact_lock(" + std::string("$1::bigint") + ")",
                        lock_param, "lock for migration");
        !r) {
      return std::move(r).error();
    }
    if (auto st = c.Command("CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
                            "create schema_migrations");
        !st) {
      return st;
    }
    auto cur = c.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
                      "read schema version");
    if (!cur) {
      return std::move(cur).error();
    }
    const int current = static_cast<int>(cur->Int(0, 0));
    const int latest = LatestSchemaVersion();
    if (current > latest) {
      return Error(ErrorKind::kInternal,
                   "schema version " + std::to_string(current) +
                       " is newer than this Baton knows (" + std::to_string(latest) +
                       "); run a newer Baton or restore a backup",
                   "store_schema_newer");
    }
    for (int v = current + 1; v <= latest; ++v) {
      if (auto st = c.Command(Migrations()[static_cast<size_t>(v - 1)], "apply migration"); !st) {
        return Error(st.error().kind, "migration " + std::to_string(v) + ": " + st.error().message,
                     st.error().code);
      }
      Params p;
      p.Add(int64_t{v});
      p.Add(NowMillis());
      if (auto r = c.Exec("INSERT INTO schema_migrations(version, applied_at_ms) VALUES($1, $2)", p,
                          "record migration");
          !r) {
        return std::move(r).error();
      }
    }
    return tx.Commit();
  };
  if (auto st = migrate(); !st) {
    return fail(st.error().message, st.error().code);
  }
  // Similarity search wants pg_trgm; without it everything else works and /insights/similar
  // says what is missing.
  (void)EnsureTrigramIndex(c);
  // A spend table filled in bulk (a restore, an import) and not yet seen by autovacuum has no
  // planner statistics: PostgreSQL then pages a key's date range with a bitmap scan and a sort
  // over every row of the key instead of the ordered index scan. Analyze it once, here.
  auto stale = c.Exec(
      "SELECT 1 FROM pg_stat_user_tables WHERE relid = 'spend_logs'::regclass"
      " AND last_analyze IS NULL AND last_autoanalyze IS NULL AND n_mod_since_analyze > 10000",
      {}, "check spend_logs statistics");
  if (stale && stale->Rows() > 0) {
    (void)c.Command("ANALYZE spend_logs", "analyze spend_logs");  // only a plan hint if it fails
  }
  return store;
}

template <typename Op>
auto PostgresStore::Run(Op op) -> decltype(op(std::declval<Conn&>())) {
  std::lock_guard lock(mu_);
  auto reconnect = [this]() -> Status {
    std::string why;  // not shown to clients: it names the server
    auto fresh = Conn::Connect(url_, options_, why);
    if (!fresh) {
      return Unavailable("reconnect");
    }
    conn_ = std::move(fresh);
    return OkStatus();
  };
  bool reconnected = false;
  if (conn_->Broken()) {  // the last reconnect failed: try again now
    if (auto st = reconnect(); !st) {
      return std::move(st).error();
    }
    reconnected = true;
  }
  auto result = op(*conn_);
  if (!result.ok() && !reconnected && conn_->Broken()) {
    // The connection broke during the call (server restart, idle cut). The transaction, if any,
    // is gone with it: rerun the whole call once on a new connection.
    if (auto st = reconnect(); !st) {
      return std::move(st).error();
    }
    result = op(*conn_);
  }
  return result;
}

// ---- keys ----

namespace {

Result<KeyRecord> LoadKey(PostgresStore::Conn& c, const char* column, std::string_view value,
                          bool for_update = false) {
  Params p;
  p.Add(value);
  auto r = c.Exec(std::string("SELECT ") + kKeyColumns + " FROM keys WHERE " + column + " = $1" +
                      (for_update ? " FOR UPDATE" : ""),
                  p, "read key");
  if (!r) {
    return std::move(r).error();
  }
  if (r->Rows() == 0) {
    return NotFound("key", "key_not_found");
  }
  return ReadKey(*r, 0);
}

Result<TeamRecord> LoadTeam(PostgresStore::Conn& c, const char* column, std::string_view value,
                            bool for_update = false) {
  Params p;
  p.Add(value);
  auto r = c.Exec(std::string("SELECT ") + kTeamColumns + " FROM teams WHERE " + column + " = $1" +
                      (for_update ? " FOR UPDATE" : ""),
                  p, "read team");
  if (!r) {
    return std::move(r).error();
  }
  if (r->Rows() == 0) {
    return NotFound("team", "team_not_found");
  }
  return ReadTeam(*r, 0);
}

}  // namespace

Result<KeyRecord> PostgresStore::CreateKey(const KeyRecord& key) {
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
  return Run([&](Conn& c) -> Result<KeyRecord> {
    auto r = c.Exec(std::string("INSERT INTO keys(") + kKeyColumns +
                        ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
                    KeyParams(k), "write key", true);
    if (!r) {
      return std::move(r).error();
    }
    return k;
  });
}

Result<KeyRecord> PostgresStore::UpdateKey(std::string_view key_hash, const KeyPatch& patch) {
  return Run([&](Conn& c) -> Result<KeyRecord> {
    Tx tx(c);
    if (auto st = tx.Begin(); !st) {
      return std::move(st).error();
    }
    // Every column is written back (created_at unchanged: PostgreSQL wants every parameter
    // used). FOR UPDATE: another instance's AppendSpend or UpdateKey waits until this commits, so
    // the spend read here is still current when the row is written back.
    auto loaded = LoadKey(c, "key_hash", key_hash, true);
    if (!loaded) {
      return loaded;
    }
    KeyRecord k = std::move(loaded).value();
    const int64_t now = NowSeconds();
    if (auto st = ApplyKeyPatch(k, patch, now); !st) {
      return std::move(st).error();
    }
    k.updated_at = now;
    auto r = c.Exec(
        "UPDATE keys SET key_prefix=$2, alias=$3, team_id=$4, models=$5, zone=$6, expires_at=$7, "
        "metadata=$8, max_budget=$9, budget_duration=$10, budget_reset_at=$11, rpm=$12, tpm=$13, "
        "blocked=$14, spend=$15, created_at=$16, updated_at=$17 WHERE key_hash=$1",
        KeyParams(k), "write key", true);
    if (!r) {
      return std::move(r).error();
    }
    if (auto st = tx.Commit(); !st) {
      return std::move(st).error();
    }
    return k;
  });
}

Status PostgresStore::DeleteKey(std::string_view key_hash) {
  return Run([&](Conn& c) -> Status {
    Params p;
    p.Add(key_hash);
    auto r = c.Exec("DELETE FROM keys WHERE key_hash = $1", p, "delete key");
    if (!r) {
      return std::move(r).error();
    }
    if (r->Affected() == 0) {
      return NotFound("key", "key_not_found");
    }
    return OkStatus();
  });
}

Result<KeyRecord> PostgresStore::GetKey(std::string_view key_hash) {
  return Run([&](Conn& c) { return LoadKey(c, "key_hash", key_hash); });
}

Result<KeyRecord> PostgresStore::GetKeyByAlias(std::string_view alias) {
  if (alias.empty()) {
    return NotFound("key", "key_not_found");
  }
  return Run([&](Conn& c) { return LoadKey(c, "alias", alias); });
}

Result<Page<KeyRecord>> PostgresStore::ListKeys(const ListFilter& filter) {
  auto offset = PageOffset(filter);
  if (!offset) {
    return std::move(offset).error();
  }
  return Run([&](Conn& c) -> Result<Page<KeyRecord>> {
    Params p;
    std::string where;
    if (!filter.team_id.empty()) {
      where = " WHERE team_id = " + p.Add(filter.team_id);
    }
    Page<KeyRecord> page;
    auto count = c.Exec("SELECT COUNT(*) FROM keys" + where, p, "count keys");
    if (!count) {
      return std::move(count).error();
    }
    page.total = count->Int(0, 0);
    const std::string limit = p.Add(filter.page_size);
    const std::string off = p.Add(*offset);
    auto r = c.Exec(std::string("SELECT ") + kKeyColumns + " FROM keys" + where +
                        " ORDER BY created_at, key_hash LIMIT " + limit + " OFFSET " + off,
                    p, "list keys");
    if (!r) {
      return std::move(r).error();
    }
    for (int i = 0; i < r->Rows(); ++i) {
      page.items.push_back(ReadKey(*r, i));
    }
    return page;
  });
}

// ---- teams ----

Result<TeamRecord> PostgresStore::CreateTeam(const TeamRecord& team) {
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
  return Run([&](Conn& c) -> Result<TeamRecord> {
    auto r = c.Exec(std::string("INSERT INTO teams(") + kTeamColumns +
                        ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
                    TeamParams(t), "write team", false);
    if (!r) {
      return std::move(r).error();
    }
    return t;
  });
}

Result<TeamRecord> PostgresStore::UpdateTeam(std::string_view team_id, const TeamPatch& patch) {
  return Run([&](Conn& c) -> Result<TeamRecord> {
    Tx tx(c);
    if (auto st = tx.Begin(); !st) {
      return std::move(st).error();
    }
    auto loaded = LoadTeam(c, "team_id", team_id, true);
    if (!loaded) {
      return loaded;
    }
    TeamRecord t = std::move(loaded).value();
    const int64_t now = NowSeconds();
    if (auto st = ApplyTeamPatch(t, patch, now); !st) {
      return std::move(st).error();
    }
    t.updated_at = now;
    auto r = c.Exec(
        "UPDATE teams SET alias=$2, models=$3, max_budget=$4, budget_duration=$5, "
        "budget_reset_at=$6, rpm=$7, tpm=$8, blocked=$9, metadata=$10, spend=$11, created_at=$12, "
        "updated_at=$13 WHERE team_id=$1",
        TeamParams(t), "write team", false);
    if (!r) {
      return std::move(r).error();
    }
    if (auto st = tx.Commit(); !st) {
      return std::move(st).error();
    }
    return t;
  });
}

Status PostgresStore::DeleteTeam(std::string_view team_id) {
  return Run([&](Conn& c) -> Status {
    Params p;
    p.Add(team_id);
    // Keys go with it (ON DELETE CASCADE).
    auto r = c.Exec("DELETE FROM teams WHERE team_id = $1", p, "delete team");
    if (!r) {
      return std::move(r).error();
    }
    if (r->Affected() == 0) {
      return NotFound("team", "team_not_found");
    }
    return OkStatus();
  });
}

Result<TeamRecord> PostgresStore::GetTeam(std::string_view team_id) {
  return Run([&](Conn& c) { return LoadTeam(c, "team_id", team_id); });
}

Result<TeamRecord> PostgresStore::GetTeamByAlias(std::string_view alias) {
  if (alias.empty()) {
    return NotFound("team", "team_not_found");
  }
  return Run([&](Conn& c) { return LoadTeam(c, "alias", alias); });
}

Result<Page<TeamRecord>> PostgresStore::ListTeams(const ListFilter& filter) {
  auto offset = PageOffset(filter);
  if (!offset) {
    return std::move(offset).error();
  }
  return Run([&](Conn& c) -> Result<Page<TeamRecord>> {
    Page<TeamRecord> page;
    auto count = c.Exec("SELECT COUNT(*) FROM teams", {}, "count teams");
    if (!count) {
      return std::move(count).error();
    }
    page.total = count->Int(0, 0);
    Params p;
    p.Add(filter.page_size);
    p.Add(*offset);
    // COALESCE: PostgreSQL sorts NULL last and SQLite first; '' sorts first in both.
    auto r = c.Exec(std::string("SELECT ") + kTeamColumns +
                        " FROM teams ORDER BY COALESCE(alias, ''), team_id LIMIT $1 OFFSET $2",
                    p, "list teams");
    if (!r) {
      return std::move(r).error();
    }
    for (int i = 0; i < r->Rows(); ++i) {
      page.items.push_back(ReadTeam(*r, i));
    }
    return page;
  });
}

// ---- spend ----

namespace {

// Adds each id's cost to its row's spend. The rows are locked first in id order (the order every
// writer uses), then updated in one statement.
Status AddSpend(PostgresStore::Conn& c, const char* table, const char* id_col,
                const std::map<std::string, int64_t>& costs) {
  if (costs.empty()) {
    return OkStatus();
  }
  ArrayText ids;
  ArrayText amounts;
  for (const auto& [id, cost] : costs) {
    ids.Add(id);
    amounts.Add(cost);
  }
  Params lock;
  lock.Add(ids.Take());
  Params p = lock;
  p.Add(amounts.Take());
  const std::string t = table;
  const std::string col = id_col;
  if (auto r = c.Exec("SELECT 1 FROM " + t + " WHERE " + col + " = ANY($1::text[]) ORDER BY " +
                          col + " FOR NO KEY UPDATE",
                      lock, "lock spend totals");
      !r) {
    return std::move(r).error();
  }
  if (auto r = c.Exec("UPDATE " + t + " SET spend = " + t +
                          ".spend + d.cost FROM unnest($1::text[], $2::bigint[]) AS d(id, cost) "
                          "WHERE " +
                          t + "." + col + " = d.id",
                      p, "add spend");
      !r) {
    return std::move(r).error();
  }
  return OkStatus();
}

// The batch insert. ORDER BY ord: ids are drawn in batch order, so "newest first" breaks ties on
// time the way the records were sent. RETURNING lists only the rows stored (not the duplicates).
constexpr const char* kInsertSpend =
    "INSERT INTO spend_logs(request_id, time, key_hash, team_id, zone, session, model_asked, "
    "deployment, prompt_tokens, completion_tokens, cached_tokens, cost, latency_ms, status) "
    "SELECT u.* FROM (SELECT r, t, k, tm, z, s, m, d, pt, ct, cat, c, l, st FROM "
    "unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], "
    "$7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], "
    "$13::bigint[], $14::integer[]) WITH ORDINALITY "
    "AS x(r, t, k, tm, z, s, m, d, pt, ct, cat, c, l, st, ord) ORDER BY ord) AS u "
    "ON CONFLICT (request_id) DO NOTHING RETURNING key_hash, team_id, cost";

}  // namespace

Result<AppendResult> PostgresStore::AppendSpend(std::span<const SpendRecord> records) {
  AppendResult empty;
  if (records.empty()) {
    return empty;
  }
  // One array per column, built once; a rerun after a reconnect reuses them.
  Params p;
  {
    ArrayText request_id;
    ArrayText time;
    ArrayText key_hash;
    ArrayText team_id;
    ArrayText zone;
    ArrayText session;
    ArrayText model_asked;
    ArrayText deployment;
    ArrayText prompt_tokens;
    ArrayText completion_tokens;
    ArrayText cached_tokens;
    ArrayText cost;
    ArrayText latency_ms;
    ArrayText status;
    for (const SpendRecord& r : records) {
      if (r.request_id.empty()) {
        request_id.AddNull();  // no id: never deduplicated
      } else {
        request_id.Add(r.request_id);
      }
      time.Add(r.time);
      key_hash.Add(r.key_hash);
      team_id.Add(r.team_id);
      zone.Add(r.zone);
      session.Add(r.session);
      model_asked.Add(r.model_asked);
      deployment.Add(r.deployment);
      prompt_tokens.Add(r.prompt_tokens);
      completion_tokens.Add(r.completion_tokens);
      cached_tokens.Add(r.cached_tokens);
      cost.Add(r.cost);
      latency_ms.Add(r.latency_ms);
      status.Add(int64_t{r.status});
    }
    for (ArrayText* a :
         {&request_id, &time, &key_hash, &team_id, &zone, &session, &model_asked, &deployment,
          &prompt_tokens, &completion_tokens, &cached_tokens, &cost, &latency_ms, &status}) {
      p.Add(a->Take());
    }
  }
  return Run([&](Conn& c) -> Result<AppendResult> {
    Tx tx(c);
    if (auto st = tx.Begin(); !st) {
      return std::move(st).error();
    }
    auto ins = c.Exec(kInsertSpend, p, "append spend");
    if (!ins) {
      return std::move(ins).error();
    }
    AppendResult result;
    result.inserted = ins->Rows();
    result.duplicates = static_cast<int64_t>(records.size()) - result.inserted;
    // Totals are summed here and applied once per key/team: a batch of 10k records from a few
    // busy keys costs a few row updates, not 10k.
    std::map<std::string, int64_t> key_cost;
    std::map<std::string, int64_t> team_cost;
    for (int i = 0; i < ins->Rows(); ++i) {
      const int64_t amount = ins->Int(i, 2);
      if (amount == 0) {
        continue;
      }
      if (std::string k = ins->Text(i, 0); !k.empty()) {
        key_cost[std::move(k)] += amount;
      }
      if (std::string t = ins->Text(i, 1); !t.empty()) {
        team_cost[std::move(t)] += amount;
      }
    }
    if (auto st = AddSpend(c, "keys", "key_hash", key_cost); !st) {
      return std::move(st).error();
    }
    if (auto st = AddSpend(c, "teams", "team_id", team_cost); !st) {
      return std::move(st).error();
    }
    if (auto st = tx.Commit(); !st) {
      return std::move(st).error();
    }
    return result;
  });
}

Result<SpendPage> PostgresStore::QuerySpend(const SpendQuery& q) {
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
  Params p;
  std::string where = " WHERE TRUE";
  if (!q.key_hash.empty()) {
    where += " AND key_hash = " + p.Add(q.key_hash);
  }
  if (!q.team_id.empty()) {
    where += " AND team_id = " + p.Add(q.team_id);
  }
  if (q.from_ms) {
    where += " AND time >= " + p.Add(*q.from_ms);
  }
  if (q.to_ms) {
    where += " AND time < " + p.Add(*q.to_ms);
  }
  const Params filter_params = p;
  std::string sql = std::string("SELECT ") + kSpendColumns + " FROM spend_logs" + where;
  if (cursor) {
    // `time <= ct` bounds the index range on its own; the row comparison settles ties on time
    // by row id.
    const std::string ct = p.Add(cursor->first);
    const std::string cid = p.Add(cursor->second);
    sql += " AND time <= " + ct + " AND (time, id) < (" + ct + ", " + cid + ")";
  }
  // One extra row tells whether a next page exists.
  sql += " ORDER BY time DESC, id DESC LIMIT " + p.Add(q.page_size + 1);
  sql += " OFFSET " + p.Add(q.offset);

  return Run([&](Conn& c) -> Result<SpendPage> {
    SpendPage page;
    if (q.with_total) {
      auto count = c.Exec("SELECT COUNT(*) FROM spend_logs" + where, filter_params, "count spend");
      if (!count) {
        return std::move(count).error();
      }
      page.total = count->Int(0, 0);
    }
    auto r = c.Exec(sql, p, "query spend");
    if (!r) {
      return std::move(r).error();
    }
    const int rows = std::min<int>(r->Rows(), static_cast<int>(q.page_size));
    page.records.reserve(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      page.records.push_back(ReadSpend(*r, i));
    }
    if (r->Rows() > rows) {
      page.next_cursor = EncodeSpendCursor(page.records.back().time, r->Int(rows - 1, 0));
    }
    return page;
  });
}

namespace {

Result<std::vector<SpendTotal>> Aggregate(PostgresStore::Conn& c, const std::string& sql,
                                          const Params& p) {
  auto r = c.Exec(sql, p, "aggregate spend");
  if (!r) {
    return std::move(r).error();
  }
  std::vector<SpendTotal> out;
  out.reserve(static_cast<size_t>(r->Rows()));
  for (int i = 0; i < r->Rows(); ++i) {
    SpendTotal t;
    t.id = r->Text(i, 0);
    t.requests = r->Int(i, 1);
    t.prompt_tokens = r->Int(i, 2);
    t.completion_tokens = r->Int(i, 3);
    t.cached_tokens = r->Int(i, 4);
    t.cost = r->Int(i, 5);
    out.push_back(std::move(t));
  }
  return out;
}

// SUM over BIGINT is NUMERIC in PostgreSQL; the cast back fails loudly on overflow instead of
// wrapping.
Result<std::pair<std::string, Params>> AggregateSql(const std::string& col,
                                                    const SpendAggregateFilter& f) {
  if (auto st = ValidatePageSize(f.limit); !st) {
    return std::move(st).error();
  }
  Params p;
  std::string sql = "SELECT " + col +
                    ", COUNT(*), SUM(prompt_tokens)::bigint, SUM(completion_tokens)::bigint, "
                    "SUM(cached_tokens)::bigint, SUM(cost)::bigint FROM spend_logs WHERE " +
                    col + " <> ''";
  if (!f.team_id.empty() && col == "key_hash") {
    sql += " AND team_id = " + p.Add(f.team_id);
  }
  if (f.from_ms) {
    sql += " AND time >= " + p.Add(*f.from_ms);
  }
  if (f.to_ms) {
    sql += " AND time < " + p.Add(*f.to_ms);
  }
  sql += " GROUP BY " + col + " ORDER BY SUM(cost) DESC, " + col + " LIMIT " + p.Add(f.limit);
  return std::pair{std::move(sql), std::move(p)};
}

}  // namespace

Result<std::vector<SpendTotal>> PostgresStore::SpendByKey(const SpendAggregateFilter& filter) {
  auto q = AggregateSql("key_hash", filter);
  if (!q) {
    return std::move(q).error();
  }
  return Run([&](Conn& c) { return Aggregate(c, q->first, q->second); });
}

Result<std::vector<SpendTotal>> PostgresStore::SpendByTeam(const SpendAggregateFilter& filter) {
  auto q = AggregateSql("team_id", filter);
  if (!q) {
    return std::move(q).error();
  }
  return Run([&](Conn& c) { return Aggregate(c, q->first, q->second); });
}

Result<SpendTotal> PostgresStore::SumSpend(const SpendSumFilter& f) {
  Params p;
  std::string sql =
      "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0)::bigint,"
      " COALESCE(SUM(completion_tokens), 0)::bigint, COALESCE(SUM(cached_tokens), 0)::bigint,"
      " COALESCE(SUM(cost), 0)::bigint FROM spend_logs WHERE TRUE";
  if (!f.zone.empty()) {
    sql += " AND zone = " + p.Add(f.zone);
  }
  if (!f.key_hash.empty()) {
    sql += " AND key_hash = " + p.Add(f.key_hash);
  }
  if (!f.team_id.empty()) {
    sql += " AND team_id = " + p.Add(f.team_id);
  }
  if (f.from_ms) {
    sql += " AND time >= " + p.Add(*f.from_ms);
  }
  if (f.to_ms) {
    sql += " AND time < " + p.Add(*f.to_ms);
  }
  return Run([&](Conn& c) -> Result<SpendTotal> {
    auto r = c.Exec(sql, p, "sum spend");
    if (!r) {
      return std::move(r).error();
    }
    SpendTotal t;
    t.requests = r->Int(0, 0);
    t.prompt_tokens = r->Int(0, 1);
    t.completion_tokens = r->Int(0, 2);
    t.cached_tokens = r->Int(0, 3);
    t.cost = r->Int(0, 4);
    return t;
  });
}

// ---- budgets, schema ----

Result<BudgetResetResult> PostgresStore::ResetBudgets(int64_t now) {
  return Run([&](Conn& c) -> Result<BudgetResetResult> {
    Tx tx(c);
    if (auto st = tx.Begin(); !st) {
      return std::move(st).error();
    }
    BudgetResetResult result;
    // Keys before teams, each locked in id order: the order AppendSpend uses.
    auto reset_table = [&](const std::string& table, const std::string& id_col,
                           std::vector<std::string>& ids) -> Status {
      Params p;
      p.Add(now);
      auto due = c.Exec("SELECT " + id_col + ", budget_duration, budget_reset_at FROM " + table +
                            " WHERE budget_reset_at <= $1 ORDER BY " + id_col + " FOR UPDATE",
                        p, "read due budgets");
      if (!due) {
        return std::move(due).error();
      }
      for (int i = 0; i < due->Rows(); ++i) {
        Params u;
        u.Add(due->Text(i, 0));
        if (auto parsed = ParseBudgetDuration(due->Text(i, 1))) {
          u.Add(NextBudgetReset(due->Int(i, 2), *parsed, now));
        } else {
          u.Add(std::optional<int64_t>{});  // no (valid) period: reset once, then never again
        }
        std::string sql = "UPDATE " + table;
        sql += " SET spend = 0, budget_reset_at = $2 WHERE " + id_col + " = $1";
        auto r = c.Exec(sql, u, "reset budget");
        if (!r) {
          return std::move(r).error();
        }
        ids.push_back(due->Text(i, 0));
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
  });
}

Result<SchemaInfo> PostgresStore::Schema() {
  return Run([&](Conn& c) -> Result<SchemaInfo> {
    auto r = c.Exec("SELECT version, applied_at_ms FROM schema_migrations ORDER BY version", {},
                    "read schema");
    if (!r) {
      return std::move(r).error();
    }
    SchemaInfo info;
    info.latest_known = LatestSchemaVersion();
    for (int i = 0; i < r->Rows(); ++i) {
      info.applied.push_back(AppliedMigration{static_cast<int>(r->Int(i, 0)), r->Int(i, 1)});
      info.version = info.applied.back().version;
    }
    return info;
  });
}

// ---- insights ----

namespace {

Result<insights_sql::SqlRows> RunRows(PostgresStore::Conn& c, const std::string& sql,
                                      const std::vector<insights_sql::SqlArg>& args,
                                      std::string_view what) {
  Params p;
  for (const auto& a : args) {
    if (const auto* v = std::get_if<int64_t>(&a)) {
      p.Add(*v);
    } else {
      p.Add(std::string_view(std::get<std::string>(a)));
    }
  }
  auto r = c.Exec(sql, p, what);
  if (!r) {
    return std::move(r).error();
  }
  const int cols = PQnfields(r->Raw());
  insights_sql::SqlRows rows;
  rows.reserve(static_cast<std::size_t>(r->Rows()));
  for (int i = 0; i < r->Rows(); ++i) {
    std::vector<std::string> row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int col = 0; col < cols; ++col) {
      row.push_back(r->Text(i, col));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

insights_sql::SqlRunner RunnerOn(PostgresStore::Conn& c) {
  return [&c](const std::string& sql, const std::vector<insights_sql::SqlArg>& args,
              std::string_view what) { return RunRows(c, sql, args, what); };
}

}  // namespace

Result<std::vector<ModelInsight>> PostgresStore::ModelInsights(const InsightWindow& window) {
  return Run([&](Conn& c) {
    return insights_sql::ModelInsights(RunnerOn(c), insights_sql::Dialect::kPostgres, window);
  });
}

Result<std::vector<InsightBucket>> PostgresStore::DailyTotals(const InsightWindow& window) {
  return Run([&](Conn& c) { return insights_sql::DailyTotals(RunnerOn(c), window); });
}

Result<SpendSummary> PostgresStore::Summarize(const InsightWindow& window) {
  return Run([&](Conn& c) { return insights_sql::Summarize(RunnerOn(c), window); });
}

Status PostgresStore::AppendContent(std::span<const ContentRecord> records) {
  ArrayText ids;
  ArrayText times;
  ArrayText models;
  ArrayText texts;
  bool any = false;
  for (const ContentRecord& r : records) {
    if (r.request_id.empty() || r.text.empty()) {
      continue;
    }
    any = true;
    ids.Add(r.request_id);
    times.Add(r.time);
    models.Add(r.model);
    texts.Add(r.text);
  }
  if (!any) {
    return OkStatus();
  }
  Params p;
  p.Add(ids.Take());
  p.Add(times.Take());
  p.Add(models.Take());
  p.Add(texts.Take());
  // One statement: atomic, one round trip.
  return Run([&](Conn& c) -> Status {
    auto r = c.Exec(
        "INSERT INTO request_content(request_id, time, model, text)"
        " SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[])"
        " ON CONFLICT (request_id) DO NOTHING",
        p, "append content");
    if (!r) {
      return std::move(r).error();
    }
    return OkStatus();
  });
}

Result<std::vector<SimilarRequest>> PostgresStore::SimilarRequests(std::string_view query,
                                                                   int64_t limit) {
  if (auto st = insights_sql::ValidateSimilarLimit(limit); !st) {
    return std::move(st).error();
  }
  const std::vector<std::string> words = QueryWords(query);
  if (words.empty()) {
    return Error(ErrorKind::kBadRequest, "the query has no word to search for", "bad_query",
                 "query");
  }
  std::string text;
  for (const std::string& w : words) {
    text += (text.empty() ? "" : " ") + w;
  }
  return Run([&](Conn& c) -> Result<std::vector<SimilarRequest>> {
    if (auto st = EnsureTrigramIndex(c); !st) {
      return std::move(st).error();
    }
    // <% (the query's trigrams found in some extent of the text) uses the GIN index; its
    // threshold (default 0.6) is lowered so that a few shared words count.
    if (auto st = c.Command("SET pg_trgm.word_similarity_threshold = 0.3", "set threshold"); !st) {
      return std::move(st).error();
    }
    Params p;
    const std::string q = p.Add(std::string_view(text));
    const std::string lim = p.Add(limit);
    auto r = c.Exec("SELECT request_id, time, model, text, word_similarity(" + q +
                        ", text) AS score FROM request_content WHERE " + q +
                        " <% text ORDER BY score DESC, time DESC, id DESC LIMIT " + lim,
                    p, "similar requests");
    if (!r) {
      return std::move(r).error();
    }
    std::vector<SimilarRequest> out;
    out.reserve(static_cast<std::size_t>(r->Rows()));
    for (int i = 0; i < r->Rows(); ++i) {
      out.push_back(SimilarRequest{r->Text(i, 0), r->Int(i, 1), r->Text(i, 2), r->Text(i, 3),
                                   insights_sql::ToDouble(r->Text(i, 4))});
    }
    return out;
  });
}

Status PostgresStore::AddJudgeVerdict(const JudgeVerdict& verdict) {
  return Run([&](Conn& c) { return insights_sql::AddJudgeVerdict(RunnerOn(c), verdict); });
}

Result<std::vector<JudgeTally>> PostgresStore::JudgeTallies(const InsightWindow& window) {
  return Run([&](Conn& c) { return insights_sql::JudgeTallies(RunnerOn(c), window); });
}

Result<std::vector<JudgeVerdict>> PostgresStore::JudgeVerdicts(const InsightWindow& window,
                                                               int64_t limit) {
  return Run([&](Conn& c) { return insights_sql::JudgeVerdicts(RunnerOn(c), window, limit); });
}

}  // namespace baton

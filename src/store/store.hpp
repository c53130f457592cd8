// The Store seam (DESIGN.md §4): durable virtual keys, teams, their budgets and spend totals, and
// the per-request spend records. SQLite (sqlite_store.hpp) is the default implementation; a
// PostgreSQL one (libpq) plugs in behind the same interface and must pass the same contract suite
// (store_contract_test.cpp).
//
// Money: every amount (spend, max_budget, cost) is an int64_t of pico-USD (1e-12 USD), exact.
// Secrets: a virtual key is never stored; records carry key_hash, the lowercase hex SHA-256 of the
// key, and key_prefix, a display form such as "sk-...ab12". Error messages never contain a key.
// Times: key/team timestamps are unix seconds; spend record times are unix milliseconds.
//
// Errors are values: Result<T> / Status (core/error.hpp). Kinds used:
//   kNotFound    unknown key, team (codes "key_not_found", "team_not_found");
//   kBadRequest  invalid input or conflict: duplicate key hash ("key_exists") or team id
//                ("team_exists"), alias taken ("alias_exists"), key pointing at an unknown team
//                ("team_not_found"), bad budget_duration ("bad_budget_duration"), bad page
//                size / cursor ("bad_page");
//   kUnavailable the database stayed busy/locked beyond its timeout ("store_busy");
//   kUnavailable the database is unreachable and reconnecting failed ("store_unavailable");
//   kInternal    anything else the database reports ("store_error"); the message names the
//                operation and the database's generic error text, never a path or a value.
//
// Thread-safety: every method may be called concurrently from any thread; an implementation
// serializes or isolates internally. Every method blocks on disk or network I/O: never call one
// on an io_context thread in the request path — the request path reads keys from a cache and
// hands spend records to the batched writer, which calls AppendSpend from its own thread.
// Lifetime: the App owns the Store; it outlives every user. Destroying it closes the database.
// Records returned are plain values (copies), valid independently of the Store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace baton {

struct KeyRecord {
  std::string key_hash;                    // hex SHA-256 of the key; primary key
  std::string key_prefix;                  // display form, e.g. "sk-...ab12"
  std::string alias;                       // unique when non-empty; empty = none
  std::string team_id;                     // empty = no team; else must name an existing team
  std::vector<std::string> models;         // allowed models; empty = all
  std::string zone;                        // empty = none
  std::optional<int64_t> expires_at;       // unix seconds; nullopt = never
  std::string metadata = "{}";             // JSON object text, stored verbatim
  std::optional<int64_t> max_budget;       // pico-USD; nullopt = unlimited
  std::string budget_duration;             // "30s", "30m", "30h", "30d", "1mo"; empty = never reset
  std::optional<int64_t> budget_reset_at;  // unix seconds of the next reset
  int64_t rpm = 0;                         // requests per minute; 0 = no limit
  int64_t tpm = 0;                         // tokens per minute; 0 = no limit
  bool blocked = false;
  int64_t spend = 0;       // pico-USD since the last budget reset
  int64_t created_at = 0;  // unix seconds; 0 on create = now
  int64_t updated_at = 0;  // unix seconds; set by the store

  bool operator==(const KeyRecord&) const = default;
};

struct TeamRecord {
  std::string team_id;  // primary key
  std::string alias;    // unique when non-empty
  std::vector<std::string> models;
  std::optional<int64_t> max_budget;
  std::string budget_duration;
  std::optional<int64_t> budget_reset_at;
  int64_t rpm = 0;
  int64_t tpm = 0;
  bool blocked = false;
  std::string metadata = "{}";
  int64_t spend = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool operator==(const TeamRecord&) const = default;
};

// One finished request (or, later, one fan-out leg: it gets its own request_id).
struct SpendRecord {
  std::string request_id;  // unique; a record whose request_id is already stored is ignored
  int64_t time = 0;        // unix milliseconds (request end)
  std::string key_hash;    // empty = no key (open gateway)
  std::string team_id;
  std::string zone;
  std::string session;
  std::string model_asked;
  std::string deployment;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t cost = 0;  // pico-USD
  int64_t latency_ms = 0;
  int status = 0;  // HTTP status returned to the client

  bool operator==(const SpendRecord&) const = default;
};

// Partial updates: a field left nullopt keeps its stored value. For nullable columns the inner
// optional is the new value (nullopt clears it). Strings set to "" clear alias / team / zone /
// budget_duration. Changing budget_duration without setting budget_reset_at reschedules the next
// reset to now + the new duration (or clears it when the duration is cleared).
struct KeyPatch {
  std::optional<std::string> key_prefix;
  std::optional<std::string> alias;
  std::optional<std::string> team_id;
  std::optional<std::vector<std::string>> models;
  std::optional<std::string> zone;
  std::optional<std::optional<int64_t>> expires_at;
  std::optional<std::string> metadata;
  std::optional<std::optional<int64_t>> max_budget;
  std::optional<std::string> budget_duration;
  std::optional<std::optional<int64_t>> budget_reset_at;
  std::optional<int64_t> rpm;
  std::optional<int64_t> tpm;
  std::optional<bool> blocked;
  std::optional<int64_t> spend;  // overwrite (admin correction); AppendSpend adds
};

struct TeamPatch {
  std::optional<std::string> alias;
  std::optional<std::vector<std::string>> models;
  std::optional<std::optional<int64_t>> max_budget;
  std::optional<std::string> budget_duration;
  std::optional<std::optional<int64_t>> budget_reset_at;
  std::optional<int64_t> rpm;
  std::optional<int64_t> tpm;
  std::optional<bool> blocked;
  std::optional<std::string> metadata;
  std::optional<int64_t> spend;
};

inline constexpr int kMaxPageSize = 1000;

// Key and team listings: 1-based page of page_size (1..kMaxPageSize) rows. Keys are ordered by
// (created_at, key_hash), teams by (alias, team_id) — stable across pages.
struct ListFilter {
  std::string team_id;  // keys only: restrict to this team; empty = all
  int64_t page = 1;
  int64_t page_size = 100;
};

template <typename T>
struct Page {
  std::vector<T> items;
  int64_t total = 0;  // rows matching the filter, all pages
};

// Spend records, newest first (time DESC, then insertion order DESC). Either a cursor (from a
// previous page's next_cursor) or an offset; not both. The cursor is opaque and stable while rows
// are appended, so it is the way to page through millions of rows.
struct SpendQuery {
  std::string key_hash;            // empty = any
  std::string team_id;             // empty = any
  std::optional<int64_t> from_ms;  // inclusive
  std::optional<int64_t> to_ms;    // exclusive
  std::string cursor;
  int64_t offset = 0;
  int64_t page_size = 100;  // 1..kMaxPageSize
  bool with_total = false;  // also count every matching row (costs a scan of the matches)
};

struct SpendPage {
  std::vector<SpendRecord> records;
  std::string next_cursor;       // empty when this is the last page
  std::optional<int64_t> total;  // set when with_total
};

// Aggregates over spend records in [from_ms, to_ms), one row per key (or team), ordered by cost
// descending then id. Records without a key (or team) are left out.
struct SpendAggregateFilter {
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
  std::string team_id;   // SpendByKey only: keys of this team; empty = all
  int64_t limit = 1000;  // 1..kMaxPageSize
};

// The total over every spend record matching all the set fields, in [from_ms, to_ms): what the
// zone and global daily budgets start from. Empty strings match any value.
struct SpendSumFilter {
  std::string zone;
  std::string key_hash;
  std::string team_id;
  std::optional<int64_t> from_ms;  // inclusive
  std::optional<int64_t> to_ms;    // exclusive
};

struct SpendTotal {
  std::string id;  // key_hash or team_id
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t cost = 0;  // pico-USD

  bool operator==(const SpendTotal&) const = default;
};

struct AppendResult {
  int64_t inserted = 0;    // new records
  int64_t duplicates = 0;  // request_id already stored: ignored, not added to totals again
};

struct BudgetResetResult {
  std::vector<std::string> key_hashes;  // keys whose spend was reset
  std::vector<std::string> team_ids;
};

struct AppliedMigration {
  int version = 0;
  int64_t applied_at_ms = 0;
};

struct SchemaInfo {
  int version = 0;                        // highest applied migration
  int latest_known = 0;                   // highest migration this binary carries
  std::vector<AppliedMigration> applied;  // ascending version
};

// ---- Insights (docs/insights.md) ----
// Aggregates over spend records in [from_ms, to_ms) (unix ms). Both backends return the same
// numbers for the same rows (the contract suite checks it); percentiles are percentile_cont
// (linear interpolation between the two nearest ranks) over latency_ms.

struct InsightWindow {
  int64_t from_ms = 0;  // inclusive
  int64_t to_ms = 0;    // exclusive
};

// One hour (or day) of one model.
struct InsightBucket {
  int64_t start_ms = 0;  // start of the UTC hour (day)
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost = 0;    // pico-USD
  int64_t errors = 0;  // status >= 400

  bool operator==(const InsightBucket&) const = default;
};

// Per model asked, ordered by requests descending then model.
struct ModelInsight {
  std::string model;       // model_asked
  std::string deployment;  // the deployment that served most of its requests ("" when none)
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost = 0;
  int64_t errors = 0;  // status >= 400
  double p50_latency_ms = 0;
  double p95_latency_ms = 0;
  std::vector<InsightBucket> hourly;  // ascending; only hours with requests
};

// A grouped total for `baton stats summary`.
struct SummaryRow {
  std::string id;     // model, provider, key hash, zone ("" = none)
  std::string label;  // keys: alias, else display prefix, else "" (callers show a hash prefix)
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost = 0;
  int64_t errors = 0;

  bool operator==(const SummaryRow&) const = default;
};

// Every group ordered by cost descending, then requests descending, then id.
struct SpendSummary {
  SummaryRow total;
  std::vector<SummaryRow> by_model;     // model_asked
  std::vector<SummaryRow> by_provider;  // deployment up to its first '/'
  std::vector<SummaryRow> by_key;       // key_hash (records without a key: id "")
  std::vector<SummaryRow> by_zone;
};

// Request text kept for similarity search when [log] content = true (already redacted).
struct ContentRecord {
  std::string request_id;  // unique; a record whose request_id is stored is ignored
  int64_t time = 0;        // unix ms
  std::string model;
  std::string text;
};

struct SimilarRequest {
  std::string request_id;
  int64_t time = 0;
  std::string model;
  std::string text;
  double score = 0;  // higher = more similar (bm25 negated on SQLite, word_similarity on PG)
};

// One judge decision between fan-out candidates (written by the fan-out work, later).
struct JudgeVerdict {
  std::string request_id;         // unique
  int64_t time = 0;               // unix ms
  std::string query_type;         // "code", "math", ... ("" = unclassified)
  std::string winner;             // the winning candidate's model
  std::string candidates = "[]";  // JSON array text, stored verbatim
  std::string scores = "{}";      // JSON object text, stored verbatim
  std::string judge_model;

  bool operator==(const JudgeVerdict&) const = default;
};

// Wins per (query_type, winner), ordered by query_type, then wins descending, then winner.
struct JudgeTally {
  std::string query_type;
  std::string winner;
  int64_t wins = 0;

  bool operator==(const JudgeTally&) const = default;
};

inline constexpr int kMaxSimilarResults = 100;

class Store {
 public:
  virtual ~Store() = default;

  // Keys. CreateKey fills created_at (when 0), updated_at and, when budget_duration is set and
  // budget_reset_at is not, the first reset (created_at + duration); returns the stored record.
  virtual Result<KeyRecord> CreateKey(const KeyRecord& key) = 0;
  virtual Result<KeyRecord> UpdateKey(std::string_view key_hash, const KeyPatch& patch) = 0;
  virtual Status DeleteKey(std::string_view key_hash) = 0;
  virtual Result<KeyRecord> GetKey(std::string_view key_hash) = 0;
  virtual Result<KeyRecord> GetKeyByAlias(std::string_view alias) = 0;
  virtual Result<Page<KeyRecord>> ListKeys(const ListFilter& filter) = 0;

  // Teams. DeleteTeam also deletes the team's keys (LiteLLM's /team/delete does the same);
  // callers that cache keys list them first.
  virtual Result<TeamRecord> CreateTeam(const TeamRecord& team) = 0;
  virtual Result<TeamRecord> UpdateTeam(std::string_view team_id, const TeamPatch& patch) = 0;
  virtual Status DeleteTeam(std::string_view team_id) = 0;
  virtual Result<TeamRecord> GetTeam(std::string_view team_id) = 0;
  virtual Result<TeamRecord> GetTeamByAlias(std::string_view alias) = 0;
  virtual Result<Page<TeamRecord>> ListTeams(const ListFilter& filter) = 0;

  // Stores a batch of spend records and adds each new record's cost to its key's and team's
  // spend, all in one transaction: either all of it is durable or none. Records whose
  // request_id is already stored are skipped (so replaying the request log after a crash does
  // not count twice). Records naming a deleted key or team are still stored.
  virtual Result<AppendResult> AppendSpend(std::span<const SpendRecord> records) = 0;
  virtual Result<SpendPage> QuerySpend(const SpendQuery& query) = 0;
  virtual Result<std::vector<SpendTotal>> SpendByKey(const SpendAggregateFilter& filter) = 0;
  virtual Result<std::vector<SpendTotal>> SpendByTeam(const SpendAggregateFilter& filter) = 0;
  // One total (id empty; zeros when nothing matches) over the records SpendSumFilter selects.
  virtual Result<SpendTotal> SumSpend(const SpendSumFilter& filter) = 0;

  // For every key and team whose budget_reset_at <= now (unix seconds): spend = 0 and the next
  // reset is the first time after now on the schedule budget_reset_at + k * budget_duration (a
  // row with no duration gets its reset cleared). One transaction.
  virtual Result<BudgetResetResult> ResetBudgets(int64_t now) = 0;

  virtual Result<SchemaInfo> Schema() = 0;

  // ---- insights (docs/insights.md). The defaults answer kUnavailable "insights_unsupported"
  // (test doubles need not implement them); SqliteStore and PostgresStore implement all. ----

  // Per model asked over the window, with hourly buckets.
  virtual Result<std::vector<ModelInsight>> ModelInsights(const InsightWindow& window);
  // One bucket per UTC day with records, ascending (InsightBucket::start_ms = day start).
  virtual Result<std::vector<InsightBucket>> DailyTotals(const InsightWindow& window);
  virtual Result<SpendSummary> Summarize(const InsightWindow& window);

  // Stores request texts (ignoring request ids already stored); one transaction.
  virtual Status AppendContent(std::span<const ContentRecord> records);
  // The stored requests most similar to `query`, best first, at most `limit` (1..
  // kMaxSimilarResults). kBadRequest "bad_query" for a query without a word; kUnavailable
  // "similarity_unavailable" when the database lacks the search extension (PostgreSQL pg_trgm).
  virtual Result<std::vector<SimilarRequest>> SimilarRequests(std::string_view query,
                                                              int64_t limit);

  // Stores a verdict (a request_id already stored is ignored).
  virtual Status AddJudgeVerdict(const JudgeVerdict& verdict);
  virtual Result<std::vector<JudgeTally>> JudgeTallies(const InsightWindow& window);
  // The verdicts in the window, newest first, at most `limit` (1..kMaxPageSize).
  virtual Result<std::vector<JudgeVerdict>> JudgeVerdicts(const InsightWindow& window,
                                                          int64_t limit);
};

// Opens (or reopens) one store location. Contract tests and the App take one of these.
using StoreFactory = std::function<Result<std::unique_ptr<Store>>()>;

// ---- Helpers shared by every implementation (store.cpp) ----

// Seconds of a fixed duration ("30s", "15m", "12h", "30d"), or months for "<n>mo". Bare numbers,
// zero, negative and unknown units are rejected (LiteLLM's duration syntax).
struct BudgetDuration {
  int64_t seconds = 0;  // set for s/m/h/d
  int64_t months = 0;   // set for mo
};
std::optional<BudgetDuration> ParseBudgetDuration(std::string_view text);

// `from` advanced by one duration (calendar months in UTC, clamped to the month's last day).
int64_t AddBudgetDuration(int64_t from, const BudgetDuration& d);

// The first time strictly after `now` on the schedule anchor + k * d (k >= 1).
int64_t NextBudgetReset(int64_t anchor, const BudgetDuration& d, int64_t now);

// Applies a patch to a record (updated_at untouched). Fails on an invalid budget_duration.
// `now` is used to reschedule budget_reset_at when budget_duration changes.
Status ApplyKeyPatch(KeyRecord& key, const KeyPatch& patch, int64_t now);
Status ApplyTeamPatch(TeamRecord& team, const TeamPatch& patch, int64_t now);

// Fills the first budget_reset_at (created_at + duration) when a duration is set without one;
// fails on an invalid duration.
Status ScheduleFirstReset(std::string_view duration, int64_t created_at,
                          std::optional<int64_t>& budget_reset_at);

// percentile_cont(p) over ascending `sorted` (0 when empty): PostgreSQL's definition.
double PercentileCont(std::span<const int64_t> sorted, double p);
// The words of a similarity query (letters/digits runs, lowercased, at most 32), for FTS5.
std::vector<std::string> QueryWords(std::string_view query);

// Page/cursor validation shared by implementations.
Status ValidatePageSize(int64_t page_size);
// Spend cursor: "<time_ms>.<row id>". Empty on a parse failure.
std::string EncodeSpendCursor(int64_t time_ms, int64_t id);
std::optional<std::pair<int64_t, int64_t>> DecodeSpendCursor(std::string_view cursor);

// Models lists are stored as JSON arrays of strings.
std::string ModelsToJson(const std::vector<std::string>& models);
std::optional<std::vector<std::string>> ModelsFromJson(std::string_view json);

}  // namespace baton

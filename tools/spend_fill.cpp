// baton-spend-fill: fills a Baton store with synthetic spend records, for benchmarking the spend
// endpoints at scale (bench/spend_logs.sh, issue 5: /spend/logs in < 50 ms with 1,000,000 rows).
//
// Opens the store through the same SqliteStore / PostgresStore classes the gateway uses (so the
// schema and migrations are the gateway's), creates `--teams` teams and `--keys` virtual keys
// (key i is "sk-spendfill-<i>", stored as its SHA-256 like /key/generate does; key i belongs to
// team i % teams), then appends `--rows` spend records through Store::AppendSpend in batches of
// `--batch`. Key 0 is hot (10 % of the rows); the others share the rest evenly. Record times are
// spread evenly over the `--days` days ending now, newest last. Fields are realistic (a few
// models and deployments, varied token counts, costs from per-token prices, latencies, the odd
// 429).
//
// Output (stdout, one "name=value" per line, for scripts): the hashes and keys of a typical key
// and of the hot key, the typical key's team, row counts and the time taken. Progress and errors
// go to stderr. Exit status 1 on any store error. Re-running on a filled store reuses the existing
// keys and teams; records get the same request ids ("fill-<row>"), so they are skipped as
// duplicates and nothing is added twice.
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/keys.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"

namespace {

using baton::KeyRecord;
using baton::SpendRecord;
using baton::Store;
using baton::TeamRecord;

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int64_t kPicoPerMicroUsd = 1'000'000;

struct Model {
  const char* asked;
  const char* deployment;
  int64_t input_price;   // per token, in 1e-8 USD
  int64_t output_price;  // ditto
};

// Per-token prices in 1e-8 USD (15 = $0.15 / 1M tokens).
constexpr std::array<Model, 4> kModels = {{
    {"gpt-4o-mini", "openai/gpt-4o-mini", 15, 60},
    {"gpt-4o", "openai/gpt-4o", 250, 1000},
    {"claude-sonnet-4", "anthropic/claude-sonnet-4-20250514", 300, 1500},
    {"gemini-2.5-flash", "gemini/gemini-2.5-flash", 30, 250},
}};

// SplitMix64: a deterministic, fast source of varied field values.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

std::string KeyOf(int i) {
  return "sk-spendfill-" + std::to_string(i);
}
std::string TeamOf(int key_index, int teams) {
  return "team-" + std::to_string(key_index % teams);
}

// Key 0 is hot (every 10th row); the rest share the remaining rows evenly.
int KeyIndexOfRow(int64_t row, int keys) {
  if (keys == 1 || row % 10 == 0) {
    return 0;
  }
  return 1 + static_cast<int>(row % (keys - 1));
}

bool CreateTeamsAndKeys(Store& store, int keys, int teams, int64_t now_s) {
  for (int t = 0; t < teams; ++t) {
    TeamRecord team;
    team.team_id = "team-" + std::to_string(t);
    team.alias = "Team " + std::to_string(t);
    team.max_budget = 1'000'000 * kPicoPerMicroUsd * 1000;  // $1000
    team.budget_duration = "30d";
    team.created_at = now_s;
    auto made = store.CreateTeam(team);
    if (!made && made.error().code != "team_exists") {
      std::fprintf(stderr, "baton-spend-fill: team %d: %s\n", t, made.error().message.c_str());
      return false;
    }
  }
  for (int k = 0; k < keys; ++k) {
    const std::string key = KeyOf(k);
    KeyRecord rec;
    rec.key_hash = baton::HashKey(key);
    rec.key_prefix = "sk-..." + key.substr(key.size() - 4);
    rec.alias = "fill-key-" + std::to_string(k);
    rec.team_id = TeamOf(k, teams);
    rec.zone = k % 3 == 0 ? "eu" : "";
    rec.max_budget = 100 * kPicoPerMicroUsd * 1'000'000;  // $100
    rec.budget_duration = "30d";
    rec.rpm = 600;
    rec.tpm = 1'000'000;
    rec.created_at = now_s - (keys - k);
    auto made = store.CreateKey(rec);
    if (!made && made.error().code != "key_exists") {
      std::fprintf(stderr, "baton-spend-fill: key %d: %s\n", k, made.error().message.c_str());
      return false;
    }
  }
  return true;
}

SpendRecord RecordOf(int64_t row, int64_t time_ms, const std::vector<std::string>& hashes,
                     int teams) {
  const uint64_t r = Mix(static_cast<uint64_t>(row));
  const int k = KeyIndexOfRow(row, static_cast<int>(hashes.size()));
  const Model& m = kModels[r % kModels.size()];
  SpendRecord s;
  s.request_id = "fill-" + std::to_string(row);
  s.time = time_ms;
  s.key_hash = hashes[k];
  s.team_id = TeamOf(k, teams);
  s.zone = k % 3 == 0 ? "eu" : "";
  s.session = (r >> 8U) % 4 == 0 ? "sess-" + std::to_string((r >> 16U) % 5000) : "";
  s.model_asked = m.asked;
  s.deployment = m.deployment;
  s.prompt_tokens = 20 + static_cast<int64_t>((r >> 20U) % 4000);
  s.completion_tokens = 5 + static_cast<int64_t>((r >> 32U) % 1200);
  s.cached_tokens = (r >> 44U) % 5 == 0 ? s.prompt_tokens / 2 : 0;
  // 1e-8 USD = 10,000 pico-USD.
  s.cost = (s.prompt_tokens * m.input_price + s.completion_tokens * m.output_price) * 10'000;
  s.latency_ms = 150 + static_cast<int64_t>((r >> 48U) % 6000);
  s.status = (r >> 56U) % 50 == 0 ? 429 : 200;
  if (s.status != 200) {
    s.completion_tokens = 0;
    s.prompt_tokens = 0;
    s.cached_tokens = 0;
    s.cost = 0;
  }
  return s;
}

int Run(int argc, char** argv) {
  CLI::App app{"baton-spend-fill: append synthetic spend records to a Baton store (benchmarks)"};
  std::string sqlite_path;
  std::string postgres_url;
  int64_t rows = 1'000'000;
  int keys = 1000;
  int teams = 50;
  int batch = 10'000;
  int days = 30;
  auto* sqlite_opt = app.add_option("--sqlite", sqlite_path, "SQLite file (created if missing)");
  app.add_option("--postgres", postgres_url, "PostgreSQL URL (postgresql://user:pass@host/db)")
      ->excludes(sqlite_opt);
  app.add_option("--rows", rows, "spend records to append")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--keys", keys, "virtual keys (key 0 gets 10 % of the rows)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--teams", teams, "teams (key i is in team i % teams)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--batch", batch, "records per AppendSpend call (one transaction)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--days", days, "the records span this many days, ending now")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (sqlite_path.empty() == postgres_url.empty()) {
    std::fprintf(stderr, "baton-spend-fill: give exactly one of --sqlite PATH, --postgres URL\n");
    return 2;
  }

  std::unique_ptr<Store> store;
  if (!sqlite_path.empty()) {
    auto opened = baton::SqliteStore::Open(sqlite_path);
    if (!opened) {
      std::fprintf(stderr, "baton-spend-fill: %s\n", opened.error().message.c_str());
      return 1;
    }
    store = std::move(opened).value();
  } else {
    auto opened = baton::PostgresStore::Open(postgres_url);
    if (!opened) {
      std::fprintf(stderr, "baton-spend-fill: %s\n", opened.error().message.c_str());
      return 1;
    }
    store = std::move(opened).value();
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  if (!CreateTeamsAndKeys(*store, keys, teams, now_ms / 1000)) {
    return 1;
  }
  std::vector<std::string> hashes;
  hashes.reserve(static_cast<std::size_t>(keys));
  for (int k = 0; k < keys; ++k) {
    hashes.push_back(baton::HashKey(KeyOf(k)));
  }

  const int64_t span_ms = days * kMsPerDay;
  const int64_t first_ms = now_ms - span_ms;
  std::vector<SpendRecord> records;
  records.reserve(static_cast<std::size_t>(batch));
  int64_t inserted = 0;
  int64_t duplicates = 0;
  for (int64_t row = 0; row < rows; ++row) {
    // Evenly spaced over the span (integer maths: exact for any row count).
    const int64_t time_ms = first_ms + ((span_ms * row) / rows);
    records.push_back(RecordOf(row, time_ms, hashes, teams));
    if (static_cast<int>(records.size()) == batch || row + 1 == rows) {
      auto appended = store->AppendSpend(records);
      if (!appended) {
        std::fprintf(stderr, "baton-spend-fill: append: %s\n", appended.error().message.c_str());
        return 1;
      }
      inserted += appended->inserted;
      duplicates += appended->duplicates;
      records.clear();
      if ((row + 1) % (static_cast<int64_t>(batch) * 10) == 0) {
        std::fprintf(stderr, "baton-spend-fill: %" PRId64 " / %" PRId64 " rows\n", row + 1, rows);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const int typical = keys > 1 ? 1 : 0;
  const std::string typical_team = TeamOf(typical, teams);
  int64_t typical_rows = 0;
  int64_t hot_rows = 0;
  int64_t team_rows = 0;
  for (int64_t row = 0; row < rows; ++row) {
    const int k = KeyIndexOfRow(row, keys);
    typical_rows += k == typical ? 1 : 0;
    hot_rows += k == 0 ? 1 : 0;
    team_rows += k % teams == typical % teams ? 1 : 0;
  }
  std::printf("typical_key=%s\n", KeyOf(typical).c_str());
  std::printf("typical_key_hash=%s\n", hashes[typical].c_str());
  std::printf("typical_key_rows=%" PRId64 "\n", typical_rows);
  std::printf("typical_team=%s\n", typical_team.c_str());
  std::printf("typical_team_rows=%" PRId64 "\n", team_rows);
  std::printf("hot_key=%s\n", KeyOf(0).c_str());
  std::printf("hot_key_hash=%s\n", hashes[0].c_str());
  std::printf("hot_key_rows=%" PRId64 "\n", hot_rows);
  std::printf("inserted=%" PRId64 "\n", inserted);
  std::printf("duplicates=%" PRId64 "\n", duplicates);
  std::printf("first_ms=%" PRId64 "\n", first_ms);
  std::printf("last_ms=%" PRId64 "\n", now_ms);
  std::printf("seconds=%.1f\n", seconds);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton-spend-fill: %s\n", e.what());
    return 1;
  }
}

// Why it looks like this: the aggregates are GROUP BYs over the time-indexed spend_logs window,
// which both databases plan the same way; everything dialect-specific (percentiles: PostgreSQL's
// percentile_cont, SQLite's sorted latencies; provider = deployment up to '/') is either one
// branch here or done in C++ on the grouped rows, which are few.
#include "store/insights_sql.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <utility>

namespace baton::insights_sql {

namespace {

constexpr int64_t kMsPerHour = 3'600'000;
constexpr int64_t kMsPerDay = 86'400'000;

// The totals every grouped query selects after its group columns.
constexpr const char* kTotals =
    "COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost),"
    " SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END)";
constexpr const char* kWindow = " FROM spend_logs WHERE time >= $1 AND time < $2";

std::vector<SqlArg> WindowArgs(const InsightWindow& w) {
  return {w.from_ms, w.to_ms};
}

// Reads the five kTotals columns starting at `col`.
template <typename T>
void ReadTotals(const std::vector<std::string>& row, std::size_t col, T& out) {
  out.requests = ToInt(row[col]);
  out.prompt_tokens = ToInt(row[col + 1]);
  out.completion_tokens = ToInt(row[col + 2]);
  out.cost = ToInt(row[col + 3]);
  out.errors = ToInt(row[col + 4]);
}

void AddTotals(SummaryRow& into, const SummaryRow& r) {
  into.requests += r.requests;
  into.prompt_tokens += r.prompt_tokens;
  into.completion_tokens += r.completion_tokens;
  into.cost += r.cost;
  into.errors += r.errors;
}

void SortRows(std::vector<SummaryRow>& rows) {
  std::ranges::sort(rows, [](const SummaryRow& a, const SummaryRow& b) {
    if (a.cost != b.cost) {
      return a.cost > b.cost;
    }
    if (a.requests != b.requests) {
      return a.requests > b.requests;
    }
    return a.id < b.id;
  });
}

Result<std::vector<SummaryRow>> Grouped(const SqlRunner& run, const InsightWindow& w,
                                        const char* column) {
  auto rows =
      run(std::string("SELECT ") + column + ", " + kTotals + kWindow + " GROUP BY " + column,
          WindowArgs(w), "summarize spend");
  if (!rows) {
    return std::move(rows).error();
  }
  std::vector<SummaryRow> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) {
    SummaryRow r;
    r.id = row[0];
    ReadTotals(row, 1, r);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

int64_t ToInt(const std::string& cell) {
  int64_t v = 0;
  std::from_chars(cell.data(), cell.data() + cell.size(), v);
  return v;
}

double ToDouble(const std::string& cell) {
  return cell.empty() ? 0.0 : std::strtod(cell.c_str(), nullptr);
}

Status ValidateWindow(const InsightWindow& window) {
  if (window.from_ms >= window.to_ms) {
    return Error(ErrorKind::kBadRequest, "the time window is empty", "bad_window");
  }
  return OkStatus();
}

Status ValidateSimilarLimit(int64_t limit) {
  if (limit < 1 || limit > kMaxSimilarResults) {
    return Error(ErrorKind::kBadRequest, "limit must be 1.." + std::to_string(kMaxSimilarResults),
                 "bad_page", "limit");
  }
  return OkStatus();
}

Result<std::vector<ModelInsight>> ModelInsights(const SqlRunner& run, Dialect dialect,
                                                const InsightWindow& w) {
  if (auto st = ValidateWindow(w); !st) {
    return std::move(st).error();
  }
  std::map<std::string, ModelInsight> models;
  {
    auto rows =
        run(std::string("SELECT model_asked, ") + kTotals + kWindow + " GROUP BY model_asked",
            WindowArgs(w), "model insights");
    if (!rows) {
      return std::move(rows).error();
    }
    for (const auto& row : *rows) {
      ModelInsight& m = models[row[0]];
      m.model = row[0];
      ReadTotals(row, 1, m);
    }
  }
  {
    auto rows = run(std::string("SELECT model_asked, time / 3600000, ") + kTotals + kWindow +
                        " GROUP BY model_asked, time / 3600000",
                    WindowArgs(w), "model insights by hour");
    if (!rows) {
      return std::move(rows).error();
    }
    for (const auto& row : *rows) {
      InsightBucket b;
      b.start_ms = ToInt(row[1]) * kMsPerHour;
      ReadTotals(row, 2, b);
      models[row[0]].hourly.push_back(b);
    }
  }
  {
    // The deployment that served most of each model's requests (ties: the smallest id).
    auto rows = run(std::string("SELECT model_asked, deployment, COUNT(*)") + kWindow +
                        " GROUP BY model_asked, deployment",
                    WindowArgs(w), "model insights by deployment");
    if (!rows) {
      return std::move(rows).error();
    }
    std::map<std::string, std::pair<int64_t, std::string>> best;
    for (const auto& row : *rows) {
      const int64_t n = ToInt(row[2]);
      auto [it, fresh] = best.try_emplace(row[0], n, row[1]);
      if (!fresh &&
          (n > it->second.first || (n == it->second.first && row[1] < it->second.second))) {
        it->second = {n, row[1]};
      }
    }
    for (auto& [model, b] : best) {
      models[model].deployment = b.second;
    }
  }
  if (dialect == Dialect::kPostgres) {
    auto rows = run(std::string("SELECT model_asked,"
                                " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),"
                                " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)") +
                        kWindow + " GROUP BY model_asked",
                    WindowArgs(w), "model latency percentiles");
    if (!rows) {
      return std::move(rows).error();
    }
    for (const auto& row : *rows) {
      ModelInsight& m = models[row[0]];
      m.p50_latency_ms = ToDouble(row[1]);
      m.p95_latency_ms = ToDouble(row[2]);
    }
  }
  // SQLite has no percentile aggregate: SqliteStore fills p50/p95 from the sorted latencies.
  std::vector<ModelInsight> out;
  out.reserve(models.size());
  for (auto& [name, m] : models) {
    std::ranges::sort(m.hourly, {}, &InsightBucket::start_ms);
    out.push_back(std::move(m));
  }
  std::ranges::stable_sort(out, [](const ModelInsight& a, const ModelInsight& b) {
    return a.requests > b.requests;  // ties keep the map's model order
  });
  return out;
}

Result<std::vector<InsightBucket>> DailyTotals(const SqlRunner& run, const InsightWindow& w) {
  if (auto st = ValidateWindow(w); !st) {
    return std::move(st).error();
  }
  auto rows =
      run(std::string("SELECT time / 86400000, ") + kTotals + kWindow + " GROUP BY time / 86400000",
          WindowArgs(w), "daily totals");
  if (!rows) {
    return std::move(rows).error();
  }
  std::vector<InsightBucket> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) {
    InsightBucket b;
    b.start_ms = ToInt(row[0]) * kMsPerDay;
    ReadTotals(row, 1, b);
    out.push_back(b);
  }
  std::ranges::sort(out, {}, &InsightBucket::start_ms);
  return out;
}

Result<SpendSummary> Summarize(const SqlRunner& run, const InsightWindow& w) {
  if (auto st = ValidateWindow(w); !st) {
    return std::move(st).error();
  }
  SpendSummary s;
  auto models = Grouped(run, w, "model_asked");
  if (!models) {
    return std::move(models).error();
  }
  s.by_model = std::move(models).value();
  for (const SummaryRow& r : s.by_model) {
    AddTotals(s.total, r);
  }
  auto deployments = Grouped(run, w, "deployment");
  if (!deployments) {
    return std::move(deployments).error();
  }
  std::map<std::string, SummaryRow> providers;
  for (const SummaryRow& r : *deployments) {
    std::string provider = r.id.substr(0, r.id.find('/'));
    SummaryRow& p = providers[provider];
    p.id = provider;
    AddTotals(p, r);
  }
  for (auto& [id, r] : providers) {
    s.by_provider.push_back(std::move(r));
  }
  auto zones = Grouped(run, w, "zone");
  if (!zones) {
    return std::move(zones).error();
  }
  s.by_zone = std::move(zones).value();
  {
    // Grouped first, then joined: one keys lookup per key, not per record.
    auto rows =
        run(std::string("SELECT g.key_hash, COALESCE(k.alias, ''), COALESCE(k.key_prefix,"
                        " ''), g.n, g.p, g.c, g.cost, g.e FROM (SELECT key_hash,"
                        " COUNT(*) AS n, SUM(prompt_tokens) AS p, SUM(completion_tokens)"
                        " AS c, SUM(cost) AS cost, SUM(CASE WHEN status >= 400 THEN 1"
                        " ELSE 0 END) AS e") +
                kWindow + " GROUP BY key_hash) g LEFT JOIN keys k ON k.key_hash = g.key_hash",
            WindowArgs(w), "summarize spend by key");
    if (!rows) {
      return std::move(rows).error();
    }
    for (const auto& row : *rows) {
      SummaryRow r;
      r.id = row[0];
      r.label = !row[1].empty() ? row[1] : row[2];
      ReadTotals(row, 3, r);
      s.by_key.push_back(std::move(r));
    }
  }
  SortRows(s.by_model);
  SortRows(s.by_provider);
  SortRows(s.by_key);
  SortRows(s.by_zone);
  return s;
}

Status AddJudgeVerdict(const SqlRunner& run, const JudgeVerdict& v) {
  if (v.request_id.empty()) {
    return Error(ErrorKind::kBadRequest, "request_id is required", "bad_request", "request_id");
  }
  auto r =
      run("INSERT INTO judge_verdicts(request_id, time, query_type, winner, candidates, scores,"
          " judge_model) VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(request_id) DO NOTHING",
          {v.request_id, v.time, v.query_type, v.winner, v.candidates, v.scores, v.judge_model},
          "add judge verdict");
  if (!r) {
    return std::move(r).error();
  }
  return OkStatus();
}

Result<std::vector<JudgeTally>> JudgeTallies(const SqlRunner& run, const InsightWindow& w) {
  if (auto st = ValidateWindow(w); !st) {
    return std::move(st).error();
  }
  auto rows =
      run("SELECT query_type, winner, COUNT(*) FROM judge_verdicts WHERE time >= $1 AND time < $2"
          " GROUP BY query_type, winner",
          WindowArgs(w), "judge tallies");
  if (!rows) {
    return std::move(rows).error();
  }
  std::vector<JudgeTally> out;
  for (const auto& row : *rows) {
    out.push_back(JudgeTally{row[0], row[1], ToInt(row[2])});
  }
  std::ranges::sort(out, [](const JudgeTally& a, const JudgeTally& b) {
    if (a.query_type != b.query_type) {
      return a.query_type < b.query_type;
    }
    if (a.wins != b.wins) {
      return a.wins > b.wins;
    }
    return a.winner < b.winner;
  });
  return out;
}

Result<std::vector<JudgeVerdict>> JudgeVerdicts(const SqlRunner& run, const InsightWindow& w,
                                                int64_t limit) {
  if (auto st = ValidateWindow(w); !st) {
    return std::move(st).error();
  }
  if (auto st = ValidatePageSize(limit); !st) {
    return std::move(st).error();
  }
  auto rows =
      run("SELECT request_id, time, query_type, winner, candidates, scores, judge_model"
          " FROM judge_verdicts WHERE time >= $1 AND time < $2 ORDER BY time DESC, request_id DESC"
          " LIMIT $3",
          {w.from_ms, w.to_ms, limit}, "judge verdicts");
  if (!rows) {
    return std::move(rows).error();
  }
  std::vector<JudgeVerdict> out;
  for (auto& row : *rows) {
    JudgeVerdict v;
    v.request_id = std::move(row[0]);
    v.time = ToInt(row[1]);
    v.query_type = std::move(row[2]);
    v.winner = std::move(row[3]);
    v.candidates = std::move(row[4]);
    v.scores = std::move(row[5]);
    v.judge_model = std::move(row[6]);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace baton::insights_sql

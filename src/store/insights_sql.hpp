// The insight queries (store.hpp, "Insights") shared by SqliteStore and PostgresStore: the SQL is
// written once in the dialect both speak ($N placeholders, which SQLite reads as named
// parameters "$1", "$2", ...), each backend runs it through a SqlRunner, and the rows are folded
// here in C++ (ordering, provider from deployment, percentiles), so both backends return the same
// values for the same rows.
//
// Thread-safety: pure functions; the runner is called on the caller's thread, under the store's
// lock. Internal to src/store.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/store.hpp"

namespace baton::insights_sql {

using SqlArg = std::variant<int64_t, std::string>;
// Result rows, every cell as text (SQL NULL = "").
using SqlRows = std::vector<std::vector<std::string>>;
// Runs one statement with $1..$N bound to args; `what` names the operation for errors.
using SqlRunner = std::function<Result<SqlRows>(
    const std::string& sql, const std::vector<SqlArg>& args, std::string_view what)>;

enum class Dialect { kSqlite, kPostgres };

// With Dialect::kSqlite the latency percentiles are left at 0 for the caller to fill (SQLite has
// no percentile aggregate; SqliteStore streams the sorted latencies instead).
Result<std::vector<ModelInsight>> ModelInsights(const SqlRunner& run, Dialect dialect,
                                                const InsightWindow& window);
Result<std::vector<InsightBucket>> DailyTotals(const SqlRunner& run, const InsightWindow& window);
Result<SpendSummary> Summarize(const SqlRunner& run, const InsightWindow& window);
Status AddJudgeVerdict(const SqlRunner& run, const JudgeVerdict& verdict);
Result<std::vector<JudgeTally>> JudgeTallies(const SqlRunner& run, const InsightWindow& window);
Result<std::vector<JudgeVerdict>> JudgeVerdicts(const SqlRunner& run, const InsightWindow& window,
                                                int64_t limit);

// Checks a window (from < to) and a similar-search limit; kBadRequest otherwise.
Status ValidateWindow(const InsightWindow& window);
Status ValidateSimilarLimit(int64_t limit);

int64_t ToInt(const std::string& cell);
double ToDouble(const std::string& cell);

}  // namespace baton::insights_sql

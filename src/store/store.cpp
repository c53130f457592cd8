// Helpers every Store implementation shares, so SQLite and PostgreSQL agree on patches, budget
// schedules, cursors and the stored form of model lists by construction rather than by copy.
#include "store/store.hpp"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>

#include <boost/json.hpp>

#include "core/json_text.hpp"

namespace baton {

namespace {

bool ParseInt64(std::string_view s, int64_t& out) {
  if (s.empty()) {
    return false;
  }
  // from_chars takes a [first, last) range: no terminator needed.
  const char* first = s.data();  // NOLINT(bugprone-suspicious-stringview-data-usage)
  const char* end = first + s.size();
  auto [p, ec] = std::from_chars(first, end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

std::optional<BudgetDuration> ParseBudgetDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  int64_t n = 0;
  // Bounded to 6 digits: a budget period beyond ~2700 years is a typo, and it keeps every
  // product below int64 overflow.
  if (digits == 0 || digits > 6 || !ParseInt64(text.substr(0, digits), n) || n <= 0) {
    return std::nullopt;
  }
  std::string_view unit = text.substr(digits);
  BudgetDuration d;
  if (unit == "s") {
    d.seconds = n;
  } else if (unit == "m") {
    d.seconds = n * 60;
  } else if (unit == "h") {
    d.seconds = n * 3600;
  } else if (unit == "d") {
    d.seconds = n * 86400;
  } else if (unit == "mo") {
    d.months = n;
  } else {
    return std::nullopt;
  }
  return d;
}

int64_t AddBudgetDuration(int64_t from, const BudgetDuration& d) {
  if (d.months == 0) {
    return from + d.seconds;
  }
  using std::chrono::days;
  using std::chrono::last;
  using std::chrono::months;
  using std::chrono::seconds;
  using std::chrono::sys_days;
  using std::chrono::sys_seconds;
  using std::chrono::year_month_day;
  const sys_seconds t{seconds{from}};
  const sys_days day = std::chrono::floor<days>(t);
  const seconds time_of_day = t - day;
  year_month_day ymd{day};
  ymd += months{d.months};
  if (!ymd.ok()) {  // Jan 31 + 1mo: clamp to the month's last day
    ymd = ymd.year() / ymd.month() / last;
  }
  return (sys_days{ymd} + time_of_day).time_since_epoch().count();
}

int64_t NextBudgetReset(int64_t anchor, const BudgetDuration& d, int64_t now) {
  if (d.months == 0) {
    if (anchor > now) {
      return anchor + d.seconds;
    }
    // Arithmetic rather than a loop: a "1s" budget after a month of downtime is fine too.
    const int64_t steps = ((now - anchor) / d.seconds) + 1;
    return anchor + (steps * d.seconds);
  }
  // Months differ in length, so step; at most 12 steps per year of downtime. Each step starts
  // from the anchor (not the previous clamped date), so Jan 31 stays the 31st where it exists.
  int64_t k = 1;
  int64_t next = AddBudgetDuration(anchor, BudgetDuration{0, d.months});
  while (next <= now) {
    ++k;
    next = AddBudgetDuration(anchor, BudgetDuration{0, d.months * k});
  }
  return next;
}

Status ScheduleFirstReset(std::string_view duration, int64_t created_at,
                          std::optional<int64_t>& budget_reset_at) {
  if (duration.empty()) {
    return OkStatus();
  }
  auto d = ParseBudgetDuration(duration);
  if (!d) {
    return Error(ErrorKind::kBadRequest,
                 R"(invalid budget_duration (use e.g. "30s", "30m", "30h", "30d", "1mo"))",
                 "bad_budget_duration", "budget_duration");
  }
  if (!budget_reset_at) {
    budget_reset_at = AddBudgetDuration(created_at, *d);
  }
  return OkStatus();
}

namespace {

// The shared part of both patches: budget_duration and budget_reset_at move together.
template <typename Record, typename Patch>
Status ApplyBudgetPatch(Record& r, const Patch& patch, int64_t now) {
  if (patch.max_budget) {
    r.max_budget = *patch.max_budget;
  }
  if (patch.budget_reset_at) {
    r.budget_reset_at = *patch.budget_reset_at;
  }
  if (patch.budget_duration) {
    r.budget_duration = *patch.budget_duration;
    if (!patch.budget_reset_at) {
      r.budget_reset_at.reset();  // a new period starts now
    }
    if (auto st = ScheduleFirstReset(r.budget_duration, now, r.budget_reset_at); !st) {
      return st;
    }
  }
  if (patch.rpm) {
    r.rpm = *patch.rpm;
  }
  if (patch.tpm) {
    r.tpm = *patch.tpm;
  }
  if (patch.blocked) {
    r.blocked = *patch.blocked;
  }
  if (patch.metadata) {
    r.metadata = *patch.metadata;
  }
  if (patch.spend) {
    r.spend = *patch.spend;
  }
  if (patch.alias) {
    r.alias = *patch.alias;
  }
  if (patch.models) {
    r.models = *patch.models;
  }
  return OkStatus();
}

}  // namespace

Status ApplyKeyPatch(KeyRecord& key, const KeyPatch& patch, int64_t now) {
  if (patch.key_prefix) {
    key.key_prefix = *patch.key_prefix;
  }
  if (patch.team_id) {
    key.team_id = *patch.team_id;
  }
  if (patch.zone) {
    key.zone = *patch.zone;
  }
  if (patch.expires_at) {
    key.expires_at = *patch.expires_at;
  }
  return ApplyBudgetPatch(key, patch, now);
}

Status ApplyTeamPatch(TeamRecord& team, const TeamPatch& patch, int64_t now) {
  return ApplyBudgetPatch(team, patch, now);
}

Status ValidatePageSize(int64_t page_size) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    return Error(ErrorKind::kBadRequest, "page_size must be between 1 and 1000", "bad_page",
                 "page_size");
  }
  return OkStatus();
}

std::string EncodeSpendCursor(int64_t time_ms, int64_t id) {
  return std::to_string(time_ms) + "." + std::to_string(id);
}

std::optional<std::pair<int64_t, int64_t>> DecodeSpendCursor(std::string_view cursor) {
  const auto dot = cursor.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  int64_t t = 0;
  int64_t id = 0;
  if (!ParseInt64(cursor.substr(0, dot), t) || !ParseInt64(cursor.substr(dot + 1), id)) {
    return std::nullopt;
  }
  return std::pair{t, id};
}

std::string ModelsToJson(const std::vector<std::string>& models) {
  std::string out = "[";
  for (size_t i = 0; i < models.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    AppendJsonString(out, models[i]);
  }
  out += ']';
  return out;
}

std::optional<std::vector<std::string>> ModelsFromJson(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  out.reserve(v.get_array().size());
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) {
      return std::nullopt;
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

double PercentileCont(std::span<const int64_t> sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  // PostgreSQL's percentile_cont: linear interpolation at p * (n - 1), in float8.
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const double lower = std::floor(pos);
  const auto lo = static_cast<std::size_t>(lower);
  const auto hi = static_cast<std::size_t>(std::ceil(pos));
  const auto first = static_cast<double>(sorted[lo]);
  const auto second = static_cast<double>(sorted[hi]);
  return first + ((second - first) * (pos - lower));
}

std::vector<std::string> QueryWords(std::string_view query) {
  constexpr std::size_t kMaxWords = 32;
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && words.size() < kMaxWords) {
      words.push_back(std::move(word));
    }
    word.clear();
  };
  for (char c : query) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || u >= 0x80) {
      word += static_cast<char>(std::tolower(u));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

namespace {

Error InsightsUnsupported() {
  return {ErrorKind::kUnavailable, "this store does not keep insights", "insights_unsupported"};
}

}  // namespace

Result<std::vector<ModelInsight>> Store::ModelInsights(const InsightWindow& /*window*/) {
  return InsightsUnsupported();
}
Result<std::vector<InsightBucket>> Store::DailyTotals(const InsightWindow& /*window*/) {
  return InsightsUnsupported();
}
Result<SpendSummary> Store::Summarize(const InsightWindow& /*window*/) {
  return InsightsUnsupported();
}
Status Store::AppendContent(std::span<const ContentRecord> /*records*/) {
  return InsightsUnsupported();
}
Result<std::vector<SimilarRequest>> Store::SimilarRequests(std::string_view /*query*/,
                                                           int64_t /*limit*/) {
  return InsightsUnsupported();
}
Status Store::AddJudgeVerdict(const JudgeVerdict& /*verdict*/) {
  return InsightsUnsupported();
}
Result<std::vector<JudgeTally>> Store::JudgeTallies(const InsightWindow& /*window*/) {
  return InsightsUnsupported();
}
Result<std::vector<JudgeVerdict>> Store::JudgeVerdicts(const InsightWindow& /*window*/,
                                                       int64_t /*limit*/) {
  return InsightsUnsupported();
}

}  // namespace baton

// Why it looks like this: each endpoint is one Store aggregate and a JSON rendering; windows are
// computed here from `now` so the store stays clock-free. Money goes out as USD numbers
// (ToUsdString), like /spend/*.
#include "admin/insights_api.hpp"

#include <cmath>
#include <map>
#include <string>

#include "core/json_text.hpp"
#include "money/money.hpp"

namespace baton {

namespace {

constexpr int64_t kMsPerHour = 3'600'000;
constexpr int64_t kMsPerDay = 86'400'000;
constexpr int64_t kMaxHours = 2160;  // 90 days
constexpr int64_t kMaxDays = 366;
constexpr std::size_t kHashPrefix = 12;

std::string Rate(int64_t part, int64_t whole) {
  if (whole == 0) {
    return "0";
  }
  // Four decimals, as text: the same output whatever the locale.
  const int64_t scaled = (part * 10000 + whole / 2) / whole;
  std::string frac = std::to_string(scaled % 10000);
  frac.insert(0, 4 - frac.size(), '0');
  return std::to_string(scaled / 10000) + "." + frac;
}

std::string Number(double v) {
  // Latencies: milliseconds with at most 3 decimals.
  const int64_t milli = std::llround(v * 1000.0);
  std::string out = std::to_string(milli / 1000);
  if (int64_t rest = milli % 1000; rest != 0) {
    std::string frac = std::to_string(rest);
    frac.insert(0, 3 - frac.size(), '0');
    while (frac.ends_with('0')) {
      frac.pop_back();
    }
    out += "." + frac;
  }
  return out;
}

template <typename T>
void AppendTotals(std::string& out, const T& t) {
  out += R"("requests":)" + std::to_string(t.requests);
  out += R"(,"prompt_tokens":)" + std::to_string(t.prompt_tokens);
  out += R"(,"completion_tokens":)" + std::to_string(t.completion_tokens);
  out += R"(,"total_tokens":)" + std::to_string(t.prompt_tokens + t.completion_tokens);
  out += R"(,"cost_usd":)" + ToUsdString(t.cost);
  out += R"(,"errors":)" + std::to_string(t.errors);
  out += R"(,"error_rate":)" + Rate(t.errors, t.requests);
}

std::string DateOf(int64_t ms) {
  return IsoTime(ms / 1000).substr(0, 10);
}

// [start of the UTC day `days - 1` days ago, start of tomorrow).
InsightWindow DaysWindow(int64_t days, int64_t now_ms) {
  const int64_t today = now_ms - (now_ms % kMsPerDay);
  return {today - ((days - 1) * kMsPerDay), today + kMsPerDay};
}

AdminResponse Stats(Store& store, std::string_view query, int64_t now_ms) {
  auto hours = PositiveParam(query, "hours", 24, kMaxHours);
  if (!hours) {
    return Fail(hours.error());
  }
  const InsightWindow w{now_ms - (*hours * kMsPerHour), now_ms + 1};
  auto models = store.ModelInsights(w);
  if (!models) {
    return Fail(models.error());
  }
  SummaryRow total;
  for (const ModelInsight& m : *models) {
    total.requests += m.requests;
    total.prompt_tokens += m.prompt_tokens;
    total.completion_tokens += m.completion_tokens;
    total.cost += m.cost;
    total.errors += m.errors;
  }
  AdminResponse r;
  r.body = R"({"hours":)" + std::to_string(*hours);
  r.body += R"(,"from":)";
  AppendJsonString(r.body, IsoTimeMillis(w.from_ms));
  r.body += R"(,"to":)";
  AppendJsonString(r.body, IsoTimeMillis(now_ms));
  r.body += R"(,"totals":{)";
  AppendTotals(r.body, total);
  r.body += R"(},"models":[)";
  for (std::size_t i = 0; i < models->size(); ++i) {
    const ModelInsight& m = (*models)[i];
    r.body += i > 0 ? ",{" : "{";
    r.body += R"("model":)";
    AppendJsonString(r.body, m.model);
    r.body += R"(,"deployment":)";
    AppendJsonString(r.body, m.deployment);
    r.body += ',';
    AppendTotals(r.body, m);
    r.body += R"(,"p50_latency_ms":)" + Number(m.p50_latency_ms);
    r.body += R"(,"p95_latency_ms":)" + Number(m.p95_latency_ms);
    r.body += R"(,"hourly":[)";
    for (std::size_t h = 0; h < m.hourly.size(); ++h) {
      r.body += h > 0 ? ",{" : "{";
      r.body += R"("hour":)";
      AppendJsonString(r.body, IsoTime(m.hourly[h].start_ms / 1000));
      r.body += ',';
      AppendTotals(r.body, m.hourly[h]);
      r.body += '}';
    }
    r.body += "]}";
  }
  r.body += "]}";
  return r;
}

AdminResponse Trends(Store& store, std::string_view query, int64_t now_ms) {
  auto days = PositiveParam(query, "days", 7, kMaxDays);
  if (!days) {
    return Fail(days.error());
  }
  const InsightWindow w = DaysWindow(*days, now_ms);
  auto daily = store.DailyTotals(w);
  if (!daily) {
    return Fail(daily.error());
  }
  std::map<int64_t, InsightBucket> by_day;
  for (const InsightBucket& b : *daily) {
    by_day[b.start_ms] = b;
  }
  AdminResponse r;
  r.body = R"({"days":)" + std::to_string(*days) + R"(,"daily":[)";
  for (int64_t day = w.from_ms; day < w.to_ms; day += kMsPerDay) {
    InsightBucket b;
    if (auto it = by_day.find(day); it != by_day.end()) {
      b = it->second;
    }
    r.body += day > w.from_ms ? ",{" : "{";
    r.body += R"("date":)";
    AppendJsonString(r.body, DateOf(day));
    r.body += ',';
    AppendTotals(r.body, b);
    r.body += '}';
  }
  r.body += "]}";
  return r;
}

void AppendRows(std::string& out, const char* name, const char* id_name,
                const std::vector<SummaryRow>& rows, bool keys) {
  out += ",\"";
  out += name;
  out += "\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SummaryRow& row = rows[i];
    out += i > 0 ? ",{\"" : "{\"";
    out += id_name;
    out += "\":";
    if (keys) {
      // Never the full hash: the alias, else the display prefix, else a hash prefix.
      const std::string prefix = row.id.substr(0, kHashPrefix);
      std::string shown = row.label;
      if (shown.empty()) {
        shown = row.id.empty() ? std::string("(no key)") : "hash:" + prefix;
      }
      AppendJsonString(out, shown);
      out += R"(,"key_hash_prefix":)";
      AppendJsonString(out, prefix);
    } else {
      AppendJsonString(out, row.id);
    }
    out += ',';
    AppendTotals(out, row);
    out += '}';
  }
  out += ']';
}

AdminResponse Summary(Store& store, std::string_view query, int64_t now_ms) {
  auto days = PositiveParam(query, "days", 30, kMaxDays);
  if (!days) {
    return Fail(days.error());
  }
  const InsightWindow w = DaysWindow(*days, now_ms);
  auto s = store.Summarize(w);
  if (!s) {
    return Fail(s.error());
  }
  AdminResponse r;
  r.body = R"({"days":)" + std::to_string(*days);
  r.body += R"(,"from":)";
  AppendJsonString(r.body, DateOf(w.from_ms));
  r.body += R"(,"to":)";
  AppendJsonString(r.body, DateOf(w.to_ms - kMsPerDay));
  r.body += R"(,"total":{)";
  AppendTotals(r.body, s->total);
  r.body += '}';
  AppendRows(r.body, "by_model", "model", s->by_model, false);
  AppendRows(r.body, "by_provider", "provider", s->by_provider, false);
  AppendRows(r.body, "by_key", "key", s->by_key, true);
  AppendRows(r.body, "by_zone", "zone", s->by_zone, false);
  r.body += '}';
  return r;
}

AdminResponse Similar(Store& store, std::string_view query, bool content_logging) {
  if (!content_logging) {
    return Fail(Error(ErrorKind::kBadRequest,
                      "Similarity search needs the request text: set [log] content = true "
                      "(requests made while it was off cannot be searched).",
                      "content_logging_off"));
  }
  const std::string text = QueryParam(query, "query");
  if (text.empty()) {
    return Fail(Error(ErrorKind::kBadRequest, "\"query\" (the text to compare with) is required.",
                      "bad_query", "query"));
  }
  auto limit = PositiveParam(query, "limit", 10, kMaxSimilarResults);
  if (!limit) {
    return Fail(limit.error());
  }
  auto found = store.SimilarRequests(text, *limit);
  if (!found) {
    return Fail(found.error());
  }
  AdminResponse r;
  r.body = R"({"query":)";
  AppendJsonString(r.body, text);
  r.body += R"(,"results":[)";
  for (std::size_t i = 0; i < found->size(); ++i) {
    const SimilarRequest& s = (*found)[i];
    r.body += i > 0 ? ",{" : "{";
    r.body += R"("request_id":)";
    AppendJsonString(r.body, s.request_id);
    r.body += R"(,"time":)";
    AppendJsonString(r.body, IsoTimeMillis(s.time));
    r.body += R"(,"model":)";
    AppendJsonString(r.body, s.model);
    r.body += R"(,"score":)" + Number(s.score);
    r.body += R"(,"text":)";
    AppendJsonString(r.body, s.text);
    r.body += '}';
  }
  r.body += "]}";
  return r;
}

constexpr const char* kNoVerdicts = "no judge verdicts yet (fan-out judge not configured)";

void AppendWinners(std::string& out, const std::map<std::string, int64_t>& wins, int64_t total) {
  std::vector<std::pair<std::string, int64_t>> sorted(wins.begin(), wins.end());
  std::ranges::stable_sort(sorted,
                           [](const auto& a, const auto& b) { return a.second > b.second; });
  out += '[';
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    out += i > 0 ? ",{" : "{";
    out += R"("model":)";
    AppendJsonString(out, sorted[i].first);
    out += R"(,"wins":)" + std::to_string(sorted[i].second);
    out += R"(,"win_rate":)" + Rate(sorted[i].second, total);
    out += '}';
  }
  out += ']';
}

AdminResponse Judge(Store& store, std::string_view query, int64_t now_ms) {
  std::string by = QueryParam(query, "by");
  if (by.empty()) {
    by = "winner";
  }
  if (by != "winner" && by != "query_type") {
    return Fail(BadRequest(R"("by" must be "winner" or "query_type".)", "by"));
  }
  auto days = PositiveParam(query, "days", 30, kMaxDays);
  if (!days) {
    return Fail(days.error());
  }
  auto tallies = store.JudgeTallies(DaysWindow(*days, now_ms));
  if (!tallies) {
    return Fail(tallies.error());
  }
  int64_t total = 0;
  std::map<std::string, int64_t> winners;
  std::map<std::string, std::map<std::string, int64_t>> by_type;
  for (const JudgeTally& t : *tallies) {
    total += t.wins;
    winners[t.winner] += t.wins;
    by_type[t.query_type][t.winner] += t.wins;
  }
  AdminResponse r;
  r.body = R"({"by":)";
  AppendJsonString(r.body, by);
  r.body += R"(,"days":)" + std::to_string(*days);
  r.body += R"(,"verdicts":)" + std::to_string(total);
  if (total == 0) {
    r.body += R"(,"message":)";
    AppendJsonString(r.body, kNoVerdicts);
  }
  if (by == "winner") {
    r.body += R"(,"winners":)";
    AppendWinners(r.body, winners, total);
  } else {
    r.body += R"(,"query_types":[)";
    bool first = true;
    for (const auto& [type, wins] : by_type) {
      int64_t n = 0;
      for (const auto& [model, w] : wins) {
        n += w;
      }
      r.body += first ? "{" : ",{";
      first = false;
      r.body += R"("query_type":)";
      AppendJsonString(r.body, type);
      r.body += R"(,"verdicts":)" + std::to_string(n);
      r.body += R"(,"winners":)";
      AppendWinners(r.body, wins, n);
      r.body += '}';
    }
    r.body += ']';
  }
  r.body += '}';
  return r;
}

}  // namespace

bool IsInsightsApiPath(std::string_view path) {
  return path.starts_with("/insights/");
}

AdminResponse HandleInsightsApi(Store& store, std::string_view method, std::string_view path,
                                std::string_view query, bool content_logging, int64_t now_ms) {
  if (path != "/insights/stats" && path != "/insights/trends" && path != "/insights/summary" &&
      path != "/insights/similar" && path != "/insights/judge") {
    return UnknownUrl(method, path);
  }
  if (method != "GET" && method != "HEAD") {
    return MethodNotAllowed(method, path, "GET");
  }
  if (path == "/insights/stats") {
    return Stats(store, query, now_ms);
  }
  if (path == "/insights/trends") {
    return Trends(store, query, now_ms);
  }
  if (path == "/insights/summary") {
    return Summary(store, query, now_ms);
  }
  if (path == "/insights/similar") {
    return Similar(store, query, content_logging);
  }
  return Judge(store, query, now_ms);
}

}  // namespace baton

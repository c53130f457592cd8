// Why it looks like this: LiteLLM answers /spend/logs with a bare array, which scripts index
// directly, so the array stays bare and paging rides in a header (x-next-cursor) instead of a
// wrapper object. Cursor paging (Store::QuerySpend) keeps a page of one key's rows fast with
// millions of rows; page= (an offset) is accepted for small tables and the UI habit.
#include "admin/spend_api.hpp"

#include <cctype>
#include <ctime>
#include <string>
#include <vector>

#include "core/json_text.hpp"
#include "money/money.hpp"

namespace baton {

namespace {

constexpr int64_t kDefaultLogPage = 100;
constexpr int64_t kMsPerDay = 86'400'000;

// Reads exactly `n` digits at `pos`.
bool Digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// "YYYY-MM-DD" → days since the epoch (UTC midnight in ms), plus whether a time follows.
std::optional<int64_t> ParseDateTime(std::string_view s, bool& date_only) {
  std::size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (!Digits(s, pos, 4, year) || !Expect(s, pos, '-') || !Digits(s, pos, 2, month) ||
      !Expect(s, pos, '-') || !Digits(s, pos, 2, day) || month < 1 || month > 12 || day < 1 ||
      day > 31) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  date_only = pos == s.size();
  int64_t ms = 0;
  if (!date_only) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') {
      return std::nullopt;
    }
    ++pos;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!Digits(s, pos, 2, hour) || !Expect(s, pos, ':') || !Digits(s, pos, 2, minute) ||
        hour > 23 || minute > 59) {
      return std::nullopt;
    }
    if (Expect(s, pos, ':') && (!Digits(s, pos, 2, second) || second > 60)) {
      return std::nullopt;
    }
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    if (Expect(s, pos, '.')) {
      // Fractional seconds: milliseconds kept, finer digits ignored.
      int64_t scale = 100;
      std::size_t start = pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) != 0) {
        ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) {
        return std::nullopt;
      }
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        const int sign = s[pos] == '+' ? 1 : -1;
        ++pos;
        int oh = 0;
        int om = 0;
        if (!Digits(s, pos, 2, oh)) {
          return std::nullopt;
        }
        Expect(s, pos, ':');  // "+0200" and "+02:00" alike
        if (!Digits(s, pos, 2, om)) {
          return std::nullopt;
        }
        ms -= sign * (static_cast<int64_t>(oh) * 3600 + static_cast<int64_t>(om) * 60) * 1000;
      }
    }
    if (pos != s.size()) {
      return std::nullopt;
    }
  }
  const int64_t seconds = timegm(&tm);
  // timegm normalises "2025-02-31" to March: reject dates that do not exist.
  std::tm check{};
  auto t = static_cast<std::time_t>(seconds);
  gmtime_r(&t, &check);
  if (check.tm_mday != day || check.tm_mon != month - 1) {
    return std::nullopt;
  }
  return (seconds * 1000) + ms;
}

void AppendTotals(std::string& out, const SpendTotal& t) {
  out += R"(,"spend":)" + ToUsdString(t.cost);
  out += R"(,"requests":)" + std::to_string(t.requests);
  out += R"(,"prompt_tokens":)" + std::to_string(t.prompt_tokens);
  out += R"(,"completion_tokens":)" + std::to_string(t.completion_tokens);
  out += R"(,"cached_tokens":)" + std::to_string(t.cached_tokens);
  out += R"(,"total_tokens":)" + std::to_string(t.prompt_tokens + t.completion_tokens);
}

void AppendSpendRow(std::string& out, const SpendRecord& r) {
  const std::size_t slash = r.deployment.find('/');
  const std::string_view deployment = r.deployment;
  const std::string_view provider =
      slash == std::string::npos ? std::string_view() : deployment.substr(0, slash);
  const std::string_view model =
      slash == std::string::npos ? deployment : deployment.substr(slash + 1);
  out += R"({"request_id":)";
  AppendJsonString(out, r.request_id);
  out += R"(,"api_key":)";
  AppendJsonString(out, r.key_hash);
  out += R"(,"spend":)" + ToUsdString(r.cost);
  out += R"(,"total_tokens":)" + std::to_string(r.prompt_tokens + r.completion_tokens);
  out += R"(,"prompt_tokens":)" + std::to_string(r.prompt_tokens);
  out += R"(,"completion_tokens":)" + std::to_string(r.completion_tokens);
  out += R"(,"startTime":)";
  AppendJsonString(out, IsoTimeMillis(r.time - r.latency_ms));
  out += R"(,"endTime":)";
  AppendJsonString(out, IsoTimeMillis(r.time));
  out += R"(,"model":)";
  AppendJsonString(out, model);
  out += R"(,"model_group":)";
  AppendJsonString(out, r.model_asked);
  out += R"(,"custom_llm_provider":)";
  AppendJsonString(out, provider);
  out += R"(,"team_id":)";
  AppendNullableString(out, r.team_id);
  out += R"(,"metadata":{"zone":)";
  AppendNullableString(out, r.zone);
  out += R"(,"session":)";
  AppendNullableString(out, r.session);
  out += R"(,"status":)" + std::to_string(r.status);
  out += R"(,"latency_ms":)" + std::to_string(r.latency_ms);
  out += R"(,"deployment":)";
  AppendJsonString(out, r.deployment);
  out += R"(,"cached_tokens":)" + std::to_string(r.cached_tokens);
  out += "}}";
}

struct DateRange {
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
};

Result<DateRange> DatesOf(std::string_view query) {
  DateRange range;
  if (std::string start = QueryParam(query, "start_date"); !start.empty()) {
    auto ms = ParseSpendDate(start, false, "start_date");
    if (!ms) {
      return std::move(ms).error();
    }
    range.from_ms = *ms;
  }
  if (std::string end = QueryParam(query, "end_date"); !end.empty()) {
    auto ms = ParseSpendDate(end, true, "end_date");
    if (!ms) {
      return std::move(ms).error();
    }
    range.to_ms = *ms;
  }
  return range;
}

AdminResponse Logs(Store& store, std::string_view query) {
  auto dates = DatesOf(query);
  if (!dates) {
    return Fail(dates.error());
  }
  auto page_size = PositiveParam(query, "page_size", kDefaultLogPage, kMaxPageSize);
  if (!page_size) {
    return Fail(page_size.error());
  }
  auto page = PositiveParam(query, "page", 1, 1'000'000'000);
  if (!page) {
    return Fail(page.error());
  }
  SpendQuery q;
  std::string key = QueryParam(query, "api_key");
  if (key.empty()) {
    key = QueryParam(query, "key");
  }
  q.key_hash = KeyHashOf(key);
  q.team_id = QueryParam(query, "team_id");
  q.from_ms = dates->from_ms;
  q.to_ms = dates->to_ms;
  q.cursor = QueryParam(query, "cursor");
  q.page_size = *page_size;
  q.offset = (*page - 1) * *page_size;
  auto found = store.QuerySpend(q);
  if (!found) {
    return Fail(found.error());
  }
  AdminResponse r;
  r.body = "[";
  for (std::size_t i = 0; i < found->records.size(); ++i) {
    if (i > 0) {
      r.body += ',';
    }
    AppendSpendRow(r.body, found->records[i]);
  }
  r.body += ']';
  if (!found->next_cursor.empty()) {
    r.headers.push_back({"x-next-cursor", found->next_cursor});
  }
  return r;
}

Result<SpendAggregateFilter> AggregateFilterOf(std::string_view query) {
  auto dates = DatesOf(query);
  if (!dates) {
    return std::move(dates).error();
  }
  auto limit = PositiveParam(query, "limit", kMaxPageSize, kMaxPageSize);
  if (!limit) {
    return std::move(limit).error();
  }
  SpendAggregateFilter f;
  f.from_ms = dates->from_ms;
  f.to_ms = dates->to_ms;
  f.limit = *limit;
  return f;
}

// A JSON array with one object per total: what `identify` writes for its id (the opening brace
// and the identity members), then the totals.
template <typename Identify>
AdminResponse TotalsArray(const std::vector<SpendTotal>& totals, Identify identify) {
  AdminResponse r;
  r.body = "[";
  for (std::size_t i = 0; i < totals.size(); ++i) {
    if (i > 0) {
      r.body += ',';
    }
    identify(r.body, totals[i].id);
    AppendTotals(r.body, totals[i]);
    r.body += '}';
  }
  r.body += ']';
  return r;
}

AdminResponse Keys(Store& store, std::string_view query) {
  auto filter = AggregateFilterOf(query);
  if (!filter) {
    return Fail(filter.error());
  }
  filter->team_id = QueryParam(query, "team_id");
  auto totals = store.SpendByKey(*filter);
  if (!totals) {
    return Fail(totals.error());
  }
  return TotalsArray(*totals, [&store](std::string& out, const std::string& id) {
    // The alias helps a reader; a deleted key keeps its spend rows and shows null.
    auto key = store.GetKey(id);
    out += R"({"api_key":)";
    AppendJsonString(out, id);
    out += R"(,"token":)";
    AppendJsonString(out, id);
    out += R"(,"key_alias":)";
    AppendNullableString(out, key ? std::string_view(key->alias) : std::string_view());
    out += R"(,"key_name":)";
    AppendNullableString(out, key ? std::string_view(key->key_prefix) : std::string_view());
  });
}

AdminResponse Teams(Store& store, std::string_view query) {
  auto filter = AggregateFilterOf(query);
  if (!filter) {
    return Fail(filter.error());
  }
  auto totals = store.SpendByTeam(*filter);
  if (!totals) {
    return Fail(totals.error());
  }
  return TotalsArray(*totals, [&store](std::string& out, const std::string& id) {
    auto team = store.GetTeam(id);
    out += R"({"team_id":)";
    AppendJsonString(out, id);
    out += R"(,"team_alias":)";
    AppendNullableString(out, team ? std::string_view(team->alias) : std::string_view());
  });
}

}  // namespace

bool IsSpendApiPath(std::string_view path) {
  return path.starts_with("/spend/");
}

Result<int64_t> ParseSpendDate(std::string_view text, bool end, std::string_view name) {
  bool date_only = false;
  auto ms = ParseDateTime(text, date_only);
  if (!ms) {
    return BadRequest("\"" + std::string(name) +
                          R"(" must be a date ("2025-06-02") or an ISO-8601 datetime )"
                          R"(("2025-06-02T10:00:00Z").)",
                      std::string(name));
  }
  return date_only && end ? *ms + kMsPerDay : *ms;
}

AdminResponse HandleSpendApi(Store& store, std::string_view method, std::string_view path,
                             std::string_view query) {
  if (path != "/spend/logs" && path != "/spend/keys" && path != "/spend/teams") {
    return UnknownUrl(method, path);
  }
  if (method != "GET" && method != "HEAD") {
    return MethodNotAllowed(method, path, "GET");
  }
  if (path == "/spend/logs") {
    return Logs(store, query);
  }
  return path == "/spend/keys" ? Keys(store, query) : Teams(store, query);
}

}  // namespace baton

// Why it looks like this: the server answers /insights/* with JSON, and the local mode calls the
// very same handler (HandleInsightsApi) on a store it opens itself, so the renderings below only
// ever read that JSON and the two modes cannot drift apart.
#include "cli/stats_cli.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <unistd.h>

#include "admin/insights_api.hpp"
#include "cli/admin_cli.hpp"
#include "cli/heatmap.hpp"
#include "config/config.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace baton {

namespace json = boost::json;
using Options = StatsCommands::Options;

namespace {

int Failure(const std::string& message) {
  std::fprintf(stderr, "baton: %s\n", message.c_str());
  return 1;
}

Result<std::unique_ptr<Store>> OpenLocalStore(const Options& o) {
  Config config;
  try {
    config = LoadConfigIfPresent(o.config_path).value_or(Config{});
  } catch (const std::exception& e) {
    return Error(ErrorKind::kBadRequest, e.what());
  }
  if (config.store.url_configured) {
    if (config.store.url.empty()) {
      return Error(ErrorKind::kBadRequest, "store.url: " + config.store.url_unset_reason);
    }
    auto pg = PostgresStore::Open(config.store.url);
    if (!pg) {
      return std::move(pg).error();
    }
    return std::unique_ptr<Store>(std::move(pg).value());
  }
  const std::string path = config.store.path.empty() ? DefaultStorePath() : config.store.path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error(ErrorKind::kNotFound, "no store at " + path + " (nothing recorded yet?)");
  }
  SqliteOptions options;
  options.read_only = true;
  auto lite = SqliteStore::Open(path, options);
  if (!lite) {
    return std::move(lite).error();
  }
  return std::unique_ptr<Store>(std::move(lite).value());
}

// The JSON of GET `path`?`query`: from the server, or from the local store.
std::optional<json::value> Fetch(const Options& o, const std::string& path,
                                 const std::string& query) {
  std::string body;
  bool local = o.local;
  if (!local) {
    std::string url;
    auto reply = CallAdminApi(o.url, o.master_key, path + "?" + query, &url);
    if (reply) {
      if (reply->status < 200 || reply->status >= 300) {
        Failure(AdminErrorMessage(reply->status, reply->body));
        return std::nullopt;
      }
      body = std::move(reply->body);
    } else {
      std::fprintf(stderr, "baton: no server answers at %s; reading the local store\n",
                   url.c_str());
      local = true;
    }
  }
  if (local) {
    auto store = OpenLocalStore(o);
    if (!store) {
      Failure(store.error().message);
      return std::nullopt;
    }
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    // Content logging is a server setting; locally, whatever the store holds may be searched.
    AdminResponse answer = HandleInsightsApi(**store, "GET", path, query, true, now_ms);
    if (answer.status != 200) {
      Failure(AdminErrorMessage(answer.status, answer.body));
      return std::nullopt;
    }
    body = std::move(answer.body);
  }
  if (o.json) {
    std::printf("%s\n", body.c_str());  // as the endpoint wrote it (exact numbers)
    return std::nullopt;                // printed: nothing left to render
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    Failure("the answer is not a JSON object");
    return std::nullopt;
  }
  return v;
}

std::string Text(const json::value& obj, std::string_view name) {
  const json::value* v = obj.is_object() ? obj.as_object().if_contains(name) : nullptr;
  if (v == nullptr || v->is_null()) {
    return "-";
  }
  if (v->is_string()) {
    return v->get_string().empty() ? "-" : std::string(v->get_string());
  }
  if (v->is_double()) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.6g", v->get_double());
    return buf.data();
  }
  return json::serialize(*v);
}

int64_t Int(const json::value& obj, std::string_view name) {
  const json::value* v = obj.is_object() ? obj.as_object().if_contains(name) : nullptr;
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64()) {
    return static_cast<int64_t>(v->get_uint64());
  }
  return 0;
}

// USD for people: 6 decimals, trailing zeros dropped down to cents ("0.000073", "12.50").
std::string Usd(const json::value& obj, std::string_view name) {
  const json::value* v = obj.is_object() ? obj.as_object().if_contains(name) : nullptr;
  if (v == nullptr || !v->is_number()) {
    return "-";
  }
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.6f", v->to_number<double>());
  std::string out = buf.data();
  while (out.size() > 3 && out.back() == '0' && out[out.size() - 3] != '.') {
    out.pop_back();
  }
  return out;
}

std::vector<std::string> TotalsCells(const json::value& row) {
  return {std::to_string(Int(row, "requests")), std::to_string(Int(row, "total_tokens")),
          Usd(row, "cost_usd"), std::to_string(Int(row, "errors"))};
}

int Daily(const Options& o) {
  const int fallback = o.heatmap ? 30 : 7;
  const int days = o.days > 0 ? o.days : fallback;
  auto v = Fetch(o, "/insights/trends", "days=" + std::to_string(days));
  if (!v) {
    return o.json ? 0 : 1;
  }
  const json::value* daily = v->as_object().if_contains("daily");
  if (daily == nullptr || !daily->is_array()) {
    return Failure("the answer has no daily list");
  }
  if (o.heatmap) {
    std::vector<HeatmapDay> cells;
    int64_t first = 0;
    int64_t last = 0;
    for (const json::value& d : daily->get_array()) {
      const std::string date = Text(d, "date");
      std::tm tm{};
      if (strptime(date.c_str(), "%Y-%m-%d", &tm) == nullptr) {
        continue;
      }
      const int64_t day = timegm(&tm) / 86400;
      if (cells.empty()) {
        first = day;
      }
      last = day;
      cells.push_back(HeatmapDay{day, Int(d, "total_tokens")});
    }
    if (cells.empty()) {
      return Failure("no days in the answer");
    }
    const char* no_color = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe): main only
    const bool color = isatty(STDOUT_FILENO) != 0 && (no_color == nullptr || *no_color == '\0');
    std::printf("%s", RenderHeatmap(cells, first, last, color).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& d : daily->get_array()) {
    std::vector<std::string> row = {Text(d, "date")};
    for (std::string& c : TotalsCells(d)) {
      row.push_back(std::move(c));
    }
    rows.push_back(std::move(row));
  }
  PrintTable({"DATE", "REQUESTS", "TOKENS", "COST_USD", "ERRORS"}, rows, TableAlign::kNumbers);
  return 0;
}

void PrintGroup(const json::value& v, const char* member, const char* id, const char* title) {
  const json::value* list = v.as_object().if_contains(member);
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& r : list->get_array()) {
    std::vector<std::string> row = {Text(r, id)};
    for (std::string& c : TotalsCells(r)) {
      row.push_back(std::move(c));
    }
    rows.push_back(std::move(row));
  }
  std::printf("\n");
  PrintTable({title, "REQUESTS", "TOKENS", "COST_USD", "ERRORS"}, rows, TableAlign::kNumbers);
}

int Summary(const Options& o) {
  const int days = o.days > 0 ? o.days : 30;
  auto v = Fetch(o, "/insights/summary", "days=" + std::to_string(days));
  if (!v) {
    return o.json ? 0 : 1;
  }
  const json::value* total = v->as_object().if_contains("total");
  if (total == nullptr) {
    return Failure("the answer has no total");
  }
  std::printf(
      "%s to %s (%d day%s): %lld requests, %lld tokens (%lld prompt + %lld completion), "
      "%s USD, %lld errors\n",
      Text(*v, "from").c_str(), Text(*v, "to").c_str(), days, days == 1 ? "" : "s",
      static_cast<long long>(Int(*total, "requests")),
      static_cast<long long>(Int(*total, "total_tokens")),
      static_cast<long long>(Int(*total, "prompt_tokens")),
      static_cast<long long>(Int(*total, "completion_tokens")), Usd(*total, "cost_usd").c_str(),
      static_cast<long long>(Int(*total, "errors")));
  PrintGroup(*v, "by_model", "model", "MODEL");
  PrintGroup(*v, "by_provider", "provider", "PROVIDER");
  PrintGroup(*v, "by_key", "key", "KEY");
  PrintGroup(*v, "by_zone", "zone", "ZONE");
  return 0;
}

// Prints the "no verdicts" message and true when there are none.
bool NoVerdicts(const json::value& v) {
  if (Int(v, "verdicts") > 0) {
    return false;
  }
  std::printf("%s\n", Text(v, "message").c_str());
  return true;
}

int Winners(const Options& o) {
  const int days = o.days > 0 ? o.days : 30;
  auto v = Fetch(o, "/insights/judge", "by=winner&days=" + std::to_string(days));
  if (!v) {
    return o.json ? 0 : 1;
  }
  if (NoVerdicts(*v)) {
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& w : v->as_object().at("winners").as_array()) {
    rows.push_back({Text(w, "model"), std::to_string(Int(w, "wins")), Text(w, "win_rate")});
  }
  PrintTable({"MODEL", "WINS", "WIN_RATE"}, rows, TableAlign::kNumbers);
  return 0;
}

int Judge(const Options& o) {
  if (!o.by_query_type) {
    return Winners(o);
  }
  const int days = o.days > 0 ? o.days : 30;
  auto v = Fetch(o, "/insights/judge", "by=query_type&days=" + std::to_string(days));
  if (!v) {
    return o.json ? 0 : 1;
  }
  if (NoVerdicts(*v)) {
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& t : v->as_object().at("query_types").as_array()) {
    for (const json::value& w : t.as_object().at("winners").as_array()) {
      rows.push_back({Text(t, "query_type"), Text(w, "model"), std::to_string(Int(w, "wins")),
                      Text(w, "win_rate")});
    }
  }
  PrintTable({"QUERY_TYPE", "MODEL", "WINS", "WIN_RATE"}, rows, TableAlign::kNumbers);
  return 0;
}

void AddCommon(CLI::App* cmd, Options& o) {
  cmd->add_option("--url", o.url, "Baton's URL (default: $BATON_URL, else http://127.0.0.1:4000)");
  cmd->add_option("--master-key", o.master_key, "Master key (default: $BATON_MASTER_KEY)");
  cmd->add_flag("--local", o.local, "Read the local store instead of asking a server");
  cmd->add_option("-c,--config", o.config_path,
                  "Config file naming the local store (default: ~/.config/baton/baton.toml when "
                  "it exists)");
  cmd->add_flag("--json", o.json, "Print the JSON instead of a table");
  cmd->add_option("--days", o.days, "Days to cover, today included")->check(CLI::Range(1, 366));
}

}  // namespace

StatsCommands::StatsCommands(CLI::App& app) {
  Options& o = opts_;
  stats_ = app.add_subcommand("stats", "Usage insights (server /insights/*, or the local store)");
  AddCommon(stats_, o);
  stats_->add_flag("--heatmap", o.heatmap, "Heatmap of daily tokens (default --days 30)");
  summary_ = stats_->add_subcommand("summary", "Requests, tokens, cost by model/provider/key/zone");
  AddCommon(summary_, o);
  winners_ = stats_->add_subcommand("winners", "Fan-out judge winners");
  AddCommon(winners_, o);
  judge_ = stats_->add_subcommand("judge", "Fan-out judge verdicts");
  AddCommon(judge_, o);
  judge_->add_flag("--by-query-type", o.by_query_type, "Winners per query type");
}

bool StatsCommands::parsed() const {
  return stats_->parsed();
}

int StatsCommands::Run() {
  if (summary_->parsed()) {
    return Summary(opts_);
  }
  if (winners_->parsed()) {
    return Winners(opts_);
  }
  if (judge_->parsed()) {
    return Judge(opts_);
  }
  return Daily(opts_);
}

}  // namespace baton

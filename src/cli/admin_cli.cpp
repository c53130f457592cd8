// Why it looks like this: each command is one or two admin API calls and a rendering of the
// answer, so the commands are plain functions over the parsed Options; the HTTP call runs the
// repo's upstream client on an io_context of its own, so the CLI adds no HTTP dependency.
// Tables are column widths over strings, nothing fancier.
#include "cli/admin_cli.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "upstream/client.hpp"

namespace baton {

namespace json = boost::json;
using Options = AdminCommands::Options;

namespace {

constexpr const char* kDefaultUrl = "http://127.0.0.1:4000";
constexpr int64_t kListPageSize = 100;

struct Reply {
  int status = 0;
  std::string body;
};

std::string BaseUrl(const Options& o) {
  std::string url = o.url;
  if (url.empty()) {
    const char* env = std::getenv("BATON_URL");  // NOLINT(concurrency-mt-unsafe): main only
    url = env != nullptr && *env != '\0' ? env : kDefaultUrl;
  }
  while (url.ends_with('/')) {
    url.pop_back();
  }
  return url;
}

std::string MasterKey(const Options& o) {
  if (!o.master_key.empty()) {
    return o.master_key;
  }
  const char* env = std::getenv("BATON_MASTER_KEY");  // NOLINT(concurrency-mt-unsafe): main only
  return env != nullptr ? env : "";
}

Awaitable<void> Exchange(UpstreamClient& client, UpstreamRequest request, Result<Reply>& out) {
  auto opened = co_await client.Open(std::move(request));
  if (!opened) {
    out = std::move(opened).error();
    co_return;
  }
  auto body = co_await (*opened)->ReadAll();
  if (!body) {
    out = std::move(body).error();
    co_return;
  }
  out = Reply{(*opened)->status(), std::move(*body)};
}

// One exchange, then the io_context stops: the client's pool timer and the kept-alive
// connection would otherwise keep run() going for seconds.
Awaitable<void> ExchangeAndStop(boost::asio::io_context& ioc, UpstreamClient& client,
                                UpstreamRequest request, Result<Reply>& out) {
  co_await Exchange(client, std::move(request), out);
  client.CloseIdle();
  ioc.stop();
}

// One request to the admin API; a transport failure is an Error, any HTTP status a Reply.
Result<Reply> Call(const Options& o, std::string method, std::string target, std::string body) {
  const std::string url = BaseUrl(o);
  auto origin = ParseOrigin(url);
  if (!origin) {
    return Error(ErrorKind::kBadRequest,
                 "--url must be like http://127.0.0.1:4000 (got \"" + url + "\")");
  }
  boost::asio::io_context ioc;
  UpstreamClient client(ioc, ProxySettings{});
  UpstreamRequest request;
  request.origin = &*origin;
  request.method = std::move(method);
  request.path = std::move(target);
  request.body = std::move(body);
  request.timeouts.first_byte = std::chrono::seconds(60);
  if (const std::string key = MasterKey(o); !key.empty()) {
    request.headers.push_back({"authorization", "Bearer " + key});
  }
  if (request.method == "POST") {
    request.headers.push_back({"content-type", "application/json"});
  }
  Result<Reply> out = Error(ErrorKind::kInternal, "no answer");
  boost::asio::co_spawn(ioc, ExchangeAndStop(ioc, client, std::move(request), out),
                        boost::asio::detached);
  ioc.run();
  client.Stop();
  if (!out) {
    return Error(out.error().kind, "cannot reach " + url + ": " + out.error().message);
  }
  return out;
}

// The server's error message, else a generic one.
std::string ServerMessage(const Reply& reply) {
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (!ec && v.is_object()) {
    const json::value* err = v.as_object().if_contains("error");
    if (err != nullptr && err->is_object()) {
      const json::value* msg = err->as_object().if_contains("message");
      if (msg != nullptr && msg->is_string()) {
        return std::string(msg->get_string());
      }
    }
  }
  return "the server answered HTTP " + std::to_string(reply.status);
}

int Failure(const std::string& message) {
  std::fprintf(stderr, "baton: %s\n", message.c_str());
  return 1;
}

// Calls and parses a 2xx JSON answer; prints the error and returns nullopt otherwise.
std::optional<json::value> CallJson(const Options& o, std::string method, std::string target,
                                    std::string body = {}) {
  auto reply = Call(o, std::move(method), std::move(target), std::move(body));
  if (!reply) {
    Failure(reply.error().message);
    return std::nullopt;
  }
  if (reply->status < 200 || reply->status >= 300) {
    Failure(ServerMessage(*reply));
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(reply->body, ec);
  if (ec) {
    Failure("the server's answer is not JSON");
    return std::nullopt;
  }
  return v;
}

std::string PercentEncode(std::string_view s) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4U];
      out += kHex[u & 0x0fU];
    }
  }
  return out;
}

// ---- rendering ----

std::string Show(const json::value* v) {
  if (v == nullptr || v->is_null()) {
    return "-";
  }
  if (v->is_string()) {
    return v->get_string().empty() ? "-" : std::string(v->get_string());
  }
  if (v->is_bool()) {
    return v->get_bool() ? "yes" : "no";
  }
  if (v->is_double()) {
    // Boost.JSON writes 0.0 as "0E0": a plain rendering for people.
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.12g", v->get_double());
    return buf.data();
  }
  if (v->is_array()) {
    std::string out;
    for (const json::value& item : v->get_array()) {
      if (!out.empty()) {
        out += ',';
      }
      out += item.is_string() ? std::string(item.get_string()) : json::serialize(item);
    }
    return out.empty() ? "(all)" : out;
  }
  return json::serialize(*v);
}

std::string Field(const json::value& row, std::string_view name) {
  return row.is_object() ? Show(row.as_object().if_contains(name)) : "-";
}

void PrintJson(const json::value& v) {
  std::printf("%s\n", json::serialize(v).c_str());
}

// "name: value" lines of an object, in its order.
void PrintFields(const json::object& obj) {
  std::size_t width = 0;
  for (const auto& kv : obj) {
    width = std::max(width, kv.key().size());
  }
  for (const auto& kv : obj) {
    std::printf("%-*s  %s\n", static_cast<int>(width + 1), (std::string(kv.key()) + ":").c_str(),
                Show(&kv.value()).c_str());
  }
}

// ---- request bodies ----

// Builds a JSON object from the options a command was given; fails on a malformed number.
class BodyBuilder {
 public:
  Status Money(const char* name, const std::string& text) {
    if (text.empty()) {
      return OkStatus();
    }
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || errno != 0 || !(v >= 0)) {
      return Error(ErrorKind::kBadRequest, std::string(name) + ": a USD amount >= 0, e.g. 50");
    }
    obj_[name] = v;
    return OkStatus();
  }
  Status Int(const char* name, const std::string& text) {
    if (text.empty()) {
      return OkStatus();
    }
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0' || errno != 0 || v < 0) {
      return Error(ErrorKind::kBadRequest, std::string(name) + ": an integer >= 0");
    }
    obj_[name] = static_cast<int64_t>(v);
    return OkStatus();
  }
  void String(const char* name, const std::string& text) {
    if (!text.empty()) {
      obj_[name] = text;
    }
  }
  void Models(const std::string& list) {
    if (list.empty()) {
      return;
    }
    json::array models;
    std::string_view rest = list;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') {
        item.remove_prefix(1);
      }
      while (!item.empty() && item.back() == ' ') {
        item.remove_suffix(1);
      }
      if (!item.empty()) {
        models.emplace_back(item);
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
    obj_["models"] = std::move(models);
  }
  void Bool(const char* name, bool v) { obj_[name] = v; }
  std::size_t size() const { return obj_.size(); }
  std::string Text() const { return json::serialize(obj_); }

 private:
  json::object obj_;
};

// The body of /team/new (create) or /team/update.
Result<std::string> TeamBody(const Options& o, const std::string& team_id, bool create) {
  BodyBuilder b;
  b.String("team_id", team_id);
  if (create) {
    b.String("team_alias", o.name);
  }
  b.String("budget_duration", o.duration);
  b.Models(o.models);
  for (const Status& s :
       {b.Money("max_budget", o.budget), b.Int("rpm_limit", o.rpm), b.Int("tpm_limit", o.tpm)}) {
    if (!s) {
      return s.error();
    }
  }
  if (o.block || o.unblock) {
    b.Bool("blocked", o.block);
  }
  return b.Text();
}

// ---- commands ----

int KeysCreate(const Options& o) {
  BodyBuilder b;
  b.String("key_alias", o.alias);
  b.String("team_id", o.team);
  b.String("budget_duration", o.duration);
  b.String("zone", o.zone);
  b.String("duration", o.expires);
  b.Models(o.models);
  for (const Status& s :
       {b.Money("max_budget", o.budget), b.Int("rpm_limit", o.rpm), b.Int("tpm_limit", o.tpm)}) {
    if (!s) {
      return Failure(s.error().message);
    }
  }
  auto answer = CallJson(o, "POST", "/key/generate", b.Text());
  if (!answer) {
    return 1;
  }
  if (o.json) {
    PrintJson(*answer);
    return 0;
  }
  std::printf("Key (shown once, store it now): %s\n", Field(*answer, "key").c_str());
  std::printf("alias:   %s\n", Field(*answer, "key_alias").c_str());
  std::printf("hash:    %s\n", Field(*answer, "token").c_str());
  std::printf("team:    %s\n", Field(*answer, "team_id").c_str());
  std::printf("budget:  %s (%s)\n", Field(*answer, "max_budget").c_str(),
              Field(*answer, "budget_duration").c_str());
  std::printf("expires: %s\n", Field(*answer, "expires").c_str());
  return 0;
}

int KeysList(const Options& o) {
  json::array all;
  for (int64_t page = 1;; ++page) {
    std::string target = "/key/list?return_full_object=true&size=" + std::to_string(kListPageSize) +
                         "&page=" + std::to_string(page);
    if (!o.team.empty()) {
      target += "&team_id=" + PercentEncode(o.team);
    }
    auto answer = CallJson(o, "GET", target);
    if (!answer) {
      return 1;
    }
    const json::object& obj = answer->as_object();
    for (const json::value& k : obj.at("keys").as_array()) {
      all.push_back(k);
    }
    const json::value* pages = obj.if_contains("total_pages");
    if (pages == nullptr || !pages->is_int64() || page >= pages->get_int64()) {
      break;
    }
  }
  if (o.json) {
    PrintJson(all);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& k : all) {
    std::string hash = Field(k, "token");
    rows.push_back({Field(k, "key_name"), Field(k, "key_alias"), hash.substr(0, 12),
                    Field(k, "team_id"), Field(k, "zone"), Field(k, "spend"),
                    Field(k, "max_budget"), Field(k, "models"), Field(k, "expires"),
                    Field(k, "blocked")});
  }
  PrintTable(
      {"KEY", "ALIAS", "HASH", "TEAM", "ZONE", "SPEND", "BUDGET", "MODELS", "EXPIRES", "BLOCKED"},
      rows);
  return 0;
}

int KeysInfo(const Options& o) {
  auto answer = CallJson(o, "GET", "/key/info?key=" + PercentEncode(o.key));
  if (!answer) {
    return 1;
  }
  const json::value& info = answer->as_object().at("info");
  if (o.json) {
    PrintJson(info);  // without the "key" member: the key as typed is not repeated
    return 0;
  }
  PrintFields(info.as_object());
  return 0;
}

int KeysRevoke(const Options& o) {
  json::object body;
  json::array keys;
  keys.emplace_back(o.key);
  body["keys"] = std::move(keys);
  auto answer = CallJson(o, "POST", "/key/delete", json::serialize(body));
  if (!answer) {
    return 1;
  }
  if (o.json) {
    json::object out;
    out["deleted"] = answer->at("deleted_keys").as_array().size();
    PrintJson(out);
    return 0;
  }
  const bool raw = o.key.starts_with("sk-");
  std::printf("Revoked key %s\n",
              raw ? ("sk-..." + o.key.substr(o.key.size() >= 4 ? o.key.size() - 4 : 0)).c_str()
                  : o.key.c_str());
  return 0;
}

void PrintTeams(const json::array& teams) {
  std::vector<std::vector<std::string>> rows;
  for (const json::value& t : teams) {
    rows.push_back({Field(t, "team_id"), Field(t, "team_alias"), Field(t, "spend"),
                    Field(t, "max_budget"), Field(t, "budget_duration"), Field(t, "rpm_limit"),
                    Field(t, "tpm_limit"), Field(t, "models"), Field(t, "blocked")});
  }
  PrintTable({"TEAM", "ALIAS", "SPEND", "BUDGET", "DURATION", "RPM", "TPM", "MODELS", "BLOCKED"},
             rows);
}

int TeamsCreate(const Options& o) {
  auto body = TeamBody(o, o.id.empty() ? o.name : o.id, true);
  if (!body) {
    return Failure(body.error().message);
  }
  auto answer = CallJson(o, "POST", "/team/new", *body);
  if (!answer) {
    return 1;
  }
  if (o.json) {
    PrintJson(*answer);
    return 0;
  }
  std::printf("Team %s created.\n", Field(*answer, "team_alias").c_str());
  json::array one;
  one.push_back(*answer);
  PrintTeams(one);
  return 0;
}

int TeamsList(const Options& o) {
  auto answer = CallJson(o, "GET", "/team/list");
  if (!answer) {
    return 1;
  }
  if (o.json) {
    PrintJson(*answer);
    return 0;
  }
  PrintTeams(answer->as_array());
  return 0;
}

int TeamsUpdate(const Options& o) {
  if (o.block && o.unblock) {
    return Failure("--block and --unblock exclude each other");
  }
  auto body = TeamBody(o, o.name, false);
  if (!body) {
    return Failure(body.error().message);
  }
  if (json::parse(*body).as_object().size() == 1) {
    return Failure(
        "nothing to update: pass --budget, --duration, --models, --rpm, --tpm, "
        "--block or --unblock");
  }
  auto answer = CallJson(o, "POST", "/team/update", *body);
  if (!answer) {
    return 1;
  }
  if (o.json) {
    PrintJson(*answer);
    return 0;
  }
  std::printf("Team %s updated.\n", o.name.c_str());
  json::array one;
  one.push_back(answer->at("data"));
  PrintTeams(one);
  return 0;
}

int BudgetStats(const Options& o) {
  auto answer = CallJson(o, "GET", "/budget/stats");
  if (!answer) {
    return 1;
  }
  if (o.json) {
    PrintJson(*answer);
    return 0;
  }
  const json::value* budgets =
      answer->is_object() ? answer->as_object().if_contains("budgets") : nullptr;
  if (budgets == nullptr || !budgets->is_array() || budgets->get_array().empty()) {
    std::printf("No live budgets.\n");
    return 0;
  }
  // Columns: every member name, in order of first appearance.
  std::vector<std::string> header;
  for (const json::value& b : budgets->get_array()) {
    if (!b.is_object()) {
      continue;
    }
    for (const auto& kv : b.as_object()) {
      if (std::ranges::find(header, kv.key()) == header.end()) {
        header.emplace_back(kv.key());
      }
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const json::value& b : budgets->get_array()) {
    std::vector<std::string> row;
    row.reserve(header.size());
    for (const std::string& h : header) {
      std::string cell = Field(b, h);
      if (h == "id" && Field(b, "scope") == "key") {
        cell = cell.substr(0, 12);  // a key's hash, shortened like `keys list`
      }
      row.push_back(std::move(cell));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> upper = header;
  for (std::string& h : upper) {
    std::ranges::transform(h, h.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  }
  PrintTable(upper, rows);
  return 0;
}

int BudgetReset(const Options& o) {
  const int given = static_cast<int>(!o.key.empty()) + static_cast<int>(!o.team.empty()) +
                    static_cast<int>(!o.zone.empty()) + static_cast<int>(o.global);
  if (given != 1) {
    return Failure("pass exactly one of --key, --team, --zone, --global");
  }
  json::object body;
  if (!o.key.empty()) {
    body["key"] = o.key;
  } else if (!o.team.empty()) {
    body["team_id"] = o.team;
  } else if (!o.zone.empty()) {
    body["zone"] = o.zone;
  } else {
    body["global"] = true;
  }
  auto answer = CallJson(o, "POST", "/budget/reset", json::serialize(body));
  if (!answer) {
    return 1;
  }
  if (o.json) {
    PrintJson(*answer);
    return 0;
  }
  std::string id = Field(*answer, "id");
  if (Field(*answer, "scope") == "key") {
    id = id.substr(0, 12);  // the hash, shortened
  }
  std::printf("Budget reset: %s %s\n", Field(*answer, "scope").c_str(),
              id == "-" ? "" : id.c_str());
  return 0;
}

int ClientSetup(const Options& o) {
  json::object team;
  team["team_id"] = o.name;
  team["team_alias"] = o.name;
  if (!o.monthly_budget.empty()) {
    BodyBuilder check;
    if (Status s = check.Money("MONTHLY_BUDGET", o.monthly_budget); !s) {
      return Failure(s.error().message);
    }
    team["max_budget"] = std::strtod(o.monthly_budget.c_str(), nullptr);
    team["budget_duration"] = "1mo";
  }
  auto created = CallJson(o, "POST", "/team/new", json::serialize(team));
  if (!created) {
    return 1;
  }
  json::object key;
  key["team_id"] = o.name;
  key["key_alias"] = o.name;
  auto generated = CallJson(o, "POST", "/key/generate", json::serialize(key));
  if (!generated) {
    return 1;
  }
  const std::string base = BaseUrl(o);
  const std::string secret = Field(*generated, "key");
  if (o.json) {
    json::object out;
    out["team"] = *created;
    out["key"] = *generated;
    json::object env;
    env["OPENAI_BASE_URL"] = base + "/v1";
    env["OPENAI_API_KEY"] = secret;
    env["ANTHROPIC_BASE_URL"] = base;
    env["ANTHROPIC_API_KEY"] = secret;
    out["env"] = std::move(env);
    PrintJson(out);
    return 0;
  }
  std::printf("Team %s created", o.name.c_str());
  if (!o.monthly_budget.empty()) {
    std::printf(" (budget %s USD per month)", Field(*created, "max_budget").c_str());
  }
  std::printf(".\nKey %s created; it is shown once, store it now.\n\n", o.name.c_str());
  std::printf("Client environment:\n");
  std::printf("OPENAI_BASE_URL=%s/v1\n", base.c_str());
  std::printf("OPENAI_API_KEY=%s\n", secret.c_str());
  std::printf("ANTHROPIC_BASE_URL=%s\n", base.c_str());
  std::printf("ANTHROPIC_API_KEY=%s\n", secret.c_str());
  return 0;
}

void AddCommon(CLI::App* cmd, Options& o) {
  cmd->add_option("--url", o.url, "Baton's URL (default: $BATON_URL, else http://127.0.0.1:4000)");
  cmd->add_option("--master-key", o.master_key, "Master key (default: $BATON_MASTER_KEY)");
  cmd->add_flag("--json", o.json, "Print the server's JSON instead of a table");
}

void AddLimits(CLI::App* cmd, Options& o) {
  cmd->add_option("--budget", o.budget, "Max budget in USD");
  cmd->add_option("--duration", o.duration, "Budget period: 30s, 30m, 30h, 30d, 1mo");
  cmd->add_option("--models", o.models, "Allowed models, comma-separated (default: all)");
  cmd->add_option("--rpm", o.rpm, "Requests per minute");
  cmd->add_option("--tpm", o.tpm, "Tokens per minute");
}

}  // namespace

Result<AdminReply> CallAdminApi(const std::string& url, const std::string& master_key,
                                const std::string& target, std::string* used_url) {
  Options o;
  o.url = url;
  o.master_key = master_key;
  if (used_url != nullptr) {
    *used_url = BaseUrl(o);
  }
  auto reply = Call(o, "GET", target, {});
  if (!reply) {
    return std::move(reply).error();
  }
  return AdminReply{reply->status, std::move(reply->body)};
}

std::string AdminErrorMessage(int status, const std::string& body) {
  return ServerMessage(Reply{status, body});
}

AdminCommands::AdminCommands(CLI::App& app) {
  Options& o = opts_;
  auto add = [&](CLI::App* parent, const char* name, const char* help, int (*run)(const Options&)) {
    CLI::App* cmd = parent->add_subcommand(name, help);
    AddCommon(cmd, o);
    commands_.emplace_back(cmd, run);
    return cmd;
  };

  CLI::App* keys = app.add_subcommand("keys", "Virtual keys (admin API, master key)");
  keys->require_subcommand(1);
  CLI::App* create = add(keys, "create", "Create a key; prints it once", KeysCreate);
  create->add_option("--alias", o.alias, "Key alias (unique)");
  create->add_option("--team", o.team, "Team id");
  AddLimits(create, o);
  create->add_option("--zone", o.zone, "Zone the key is bound to");
  create->add_option("--expires", o.expires, "Expiry from now: 30s, 30m, 30h, 30d, 1mo");
  add(keys, "list", "List keys", KeysList)->add_option("--team", o.team, "Only this team's keys");
  add(keys, "info", "Show a key", KeysInfo)
      ->add_option("key", o.key, "The key (sk-...) or its hash")
      ->required();
  add(keys, "revoke", "Delete a key", KeysRevoke)
      ->add_option("key", o.key, "The key (sk-...) or its hash")
      ->required();

  CLI::App* teams = app.add_subcommand("teams", "Teams (admin API, master key)");
  teams->require_subcommand(1);
  CLI::App* tcreate = add(teams, "create", "Create a team", TeamsCreate);
  tcreate->add_option("name", o.name, "Team name (alias; also its id unless --id)")->required();
  tcreate->add_option("--id", o.id, "Team id (default: NAME)");
  AddLimits(tcreate, o);
  add(teams, "list", "List teams", TeamsList);
  CLI::App* tupdate = add(teams, "update", "Change a team", TeamsUpdate);
  tupdate->add_option("team", o.name, "Team id")->required();
  AddLimits(tupdate, o);
  tupdate->add_flag("--block", o.block, "Block the team's keys");
  tupdate->add_flag("--unblock", o.unblock, "Unblock the team's keys");

  CLI::App* budget = app.add_subcommand("budget", "Live budgets (admin API, master key)");
  budget->require_subcommand(1);
  add(budget, "stats", "Show the live budget accounts", BudgetStats);
  CLI::App* reset = add(budget, "reset", "Reset one budget's spend to 0", BudgetReset);
  reset->add_option("--key", o.key, "A key (sk-...) or its hash");
  reset->add_option("--team", o.team, "A team id");
  reset->add_option("--zone", o.zone, "A zone");
  reset->add_flag("--global", o.global, "The global budget");

  CLI::App* client = app.add_subcommand("client", "Client onboarding (admin API, master key)");
  client->require_subcommand(1);
  CLI::App* setup =
      add(client, "setup", "Create team NAME and its key; print the client's env", ClientSetup);
  setup->add_option("name", o.name, "Client (team and key) name")->required();
  setup->add_option("monthly_budget", o.monthly_budget, "Monthly budget in USD");
}

bool AdminCommands::parsed() const {
  return std::ranges::any_of(commands_, [](const auto& c) { return c.first->parsed(); });
}

int AdminCommands::Run() {
  for (const auto& [cmd, run] : commands_) {
    if (cmd->parsed()) {
      return run(opts_);
    }
  }
  return 1;
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, TableAlign align) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = width[c] - cells[c].size();
      if (align == TableAlign::kLeft) {
        out += cells[c];
        if (c + 1 < cells.size()) {
          out.append(pad + 2, ' ');
        }
      } else if (c == 0) {
        out += cells[c];
        out.append(pad, ' ');
      } else {
        out.append(pad + 2, ' ');
        out += cells[c];
      }
    }
    while (align == TableAlign::kNumbers && !out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& row : rows) {
    line(row);
  }
}

}  // namespace baton

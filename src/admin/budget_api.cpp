#include "admin/budget_api.hpp"

#include <string>

#include <boost/json/value.hpp>

#include "core/json_text.hpp"

namespace baton {

namespace json = boost::json;

namespace {

struct Scope {
  std::string kind;  // "key", "team", "zone", "global"
  std::string id;    // key hash, team id, zone; empty for global
};

Result<Scope> ParseScope(const json::object& obj) {
  int given = 0;
  Scope scope;
  for (const char* name : {"key", "team_id", "zone"}) {
    if (Unset(obj, name)) {
      continue;
    }
    auto s = StringField(obj, name);
    if (!s) {
      return std::move(s).error();
    }
    if (s->empty()) {
      return BadRequest("\"" + std::string(name) + "\" must not be empty.", name);
    }
    ++given;
    scope.kind = std::string(name) == "team_id" ? "team" : name;
    scope.id = std::string(name) == "key" ? KeyHashOf(*s) : std::move(*s);
  }
  if (!Unset(obj, "global")) {
    const json::value& g = obj.at("global");
    if (!g.is_bool()) {
      return BadRequest(R"("global" must be true.)", "global");
    }
    if (g.get_bool()) {
      ++given;
      scope.kind = "global";
      scope.id.clear();
    }
  }
  if (given != 1) {
    return BadRequest(
        R"(Pass exactly one of {"key":"sk-... or hash"}, {"team_id":"..."}, {"zone":"..."} )"
        R"(or {"global":true}.)");
  }
  return scope;
}

Error KeysOff() {
  return {ErrorKind::kNotFound,
          "Virtual keys are off: set [server] master_key to reset key and team budgets.",
          "keys_disabled"};
}

// The durable part: spend = 0 on the key or team row.
Status ResetStored(Store& store, const Scope& scope) {
  if (scope.kind == "key") {
    KeyPatch patch;
    patch.spend = 0;
    auto updated = store.UpdateKey(scope.id, patch);
    if (!updated) {
      if (updated.error().kind == ErrorKind::kNotFound) {
        return Error(ErrorKind::kNotFound, "Key not found in database.", "key_not_found", "key");
      }
      return std::move(updated).error();
    }
    return OkStatus();
  }
  TeamPatch patch;
  patch.spend = 0;
  auto updated = store.UpdateTeam(scope.id, patch);
  if (!updated) {
    if (updated.error().kind == ErrorKind::kNotFound) {
      return Error(ErrorKind::kNotFound, "Team not found, passed team_id=" + scope.id + ".",
                   "team_not_found", "team_id");
    }
    return std::move(updated).error();
  }
  return OkStatus();
}

AdminResponse Reset(AdminControl& control, Store* store, std::string_view body) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  auto scope = ParseScope(*obj);
  if (!scope) {
    return Fail(scope.error());
  }
  const bool stored = scope->kind == "key" || scope->kind == "team";
  if (stored) {
    if (store == nullptr) {
      return Fail(KeysOff());
    }
    if (Status s = ResetStored(*store, *scope); !s) {
      return Fail(s.error());
    }
  }
  if (Status s = control.ResetBudget(scope->kind, scope->id); !s) {
    if (!stored || s.error().kind != ErrorKind::kNotFound) {
      return Fail(s.error());
    }
  }
  AdminResponse r;
  r.changed = stored;
  r.body = R"({"status":"success","scope":)";
  AppendJsonString(r.body, scope->kind);
  r.body += R"(,"id":)";
  AppendNullableString(r.body, scope->id);
  r.body += '}';
  return r;
}

}  // namespace

bool IsBudgetApiPath(std::string_view path) {
  return path.starts_with("/budget/");
}

AdminResponse HandleBudgetApi(AdminControl& control, Store* store, std::string_view method,
                              std::string_view path, std::string_view body) {
  if (path == "/budget/stats") {
    if (method != "GET" && method != "HEAD") {
      return MethodNotAllowed(method, path, "GET");
    }
    auto stats = control.BudgetStatsJson();
    if (!stats) {
      return Fail(stats.error());
    }
    AdminResponse r;
    r.body = std::move(*stats);
    return r;
  }
  if (path == "/budget/reset") {
    if (method != "POST") {
      return MethodNotAllowed(method, path, "POST");
    }
    return Reset(control, store, body);
  }
  return UnknownUrl(method, path);
}

}  // namespace baton

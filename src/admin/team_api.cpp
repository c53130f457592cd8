// Why it looks like this: the same synchronous request→store→answer shape as key_api.cpp (its
// field parsing is shared through api_fields.hpp), so the unit tests drive it against a real
// SQLite store. LiteLLM's team rows carry members and organizations, which Baton does not have:
// they are rendered empty so scripts reading them keep working.
#include "admin/team_api.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include <boost/json/value.hpp>
#include <openssl/rand.h>

#include "admin/key_api.hpp"
#include "core/json_text.hpp"
#include "money/money.hpp"

namespace baton {

namespace json = boost::json;

namespace {

// A random version-4 UUID, LiteLLM's default team_id.
std::string RandomUuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    throw std::runtime_error("no randomness for a team id");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0fU) | 0x40U);
  b[8] = static_cast<unsigned char>((b[8] & 0x3fU) | 0x80U);
  std::string out;
  out.reserve(36);
  constexpr std::string_view kHex = "0123456789abcdef";
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += kHex[b[i] >> 4U];
    out += kHex[b[i] & 0x0fU];
  }
  return out;
}

Result<TeamPatch> ParseTeamFields(const json::object& obj) {
  TeamPatch p;
  for (const Status& s :
       {OptString(obj, "team_alias", p.alias), OptModels(obj, "models", p.models),
        OptBudget(obj, "max_budget", p.max_budget),
        OptString(obj, "budget_duration", p.budget_duration), OptLimit(obj, "rpm_limit", p.rpm),
        OptLimit(obj, "tpm_limit", p.tpm), OptBool(obj, "blocked", p.blocked),
        OptMetadata(obj, "metadata", p.metadata)}) {
    if (!s) {
      return s.error();
    }
  }
  return p;
}

Error TeamNotFound(std::string_view team_id) {
  return {ErrorKind::kNotFound, "Team not found, passed team_id=" + std::string(team_id) + ".",
          "team_not_found", "team_id"};
}

Result<TeamRecord> FindTeam(Store& store, std::string_view team_id) {
  if (team_id.empty()) {
    return BadRequest(R"("team_id" is required.)", "team_id");
  }
  auto found = store.GetTeam(team_id);
  if (!found && found.error().kind == ErrorKind::kNotFound) {
    return TeamNotFound(team_id);
  }
  return found;
}

AdminResponse New(Store& store, std::string_view body, int64_t now) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  auto fields = ParseTeamFields(*obj);
  if (!fields) {
    return Fail(fields.error());
  }
  TeamRecord record;
  if (!Unset(*obj, "team_id")) {
    auto id = StringField(*obj, "team_id");
    if (!id) {
      return Fail(id.error());
    }
    if (id->empty()) {
      return Fail(BadRequest(R"("team_id" must not be empty.)", "team_id"));
    }
    record.team_id = std::move(*id);
  } else {
    record.team_id = RandomUuid();
  }
  record.created_at = now;
  if (Status s = ApplyTeamPatch(record, *fields, now); !s) {
    return Fail(s.error());
  }
  auto created = store.CreateTeam(record);
  if (!created) {
    return Fail(created.error());
  }
  AdminResponse r;
  r.changed = true;
  r.body = TeamJson(*created);
  return r;
}

AdminResponse Update(Store& store, std::string_view body) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  std::string team_id;
  if (!Unset(*obj, "team_id")) {
    auto s = StringField(*obj, "team_id");
    if (!s) {
      return Fail(s.error());
    }
    team_id = std::move(*s);
  }
  auto found = FindTeam(store, team_id);
  if (!found) {
    return Fail(found.error());
  }
  auto patch = ParseTeamFields(*obj);
  if (!patch) {
    return Fail(patch.error());
  }
  auto updated = store.UpdateTeam(team_id, *patch);
  if (!updated) {
    return Fail(updated.error());
  }
  AdminResponse r;
  r.changed = true;
  r.body = R"({"team_id":)";
  AppendJsonString(r.body, team_id);
  r.body += R"(,"data":)" + TeamJson(*updated) + "}";
  return r;
}

// Every key of a team (pages of kMaxPageSize).
Result<std::vector<KeyRecord>> TeamKeys(Store& store, const std::string& team_id) {
  std::vector<KeyRecord> out;
  ListFilter filter;
  filter.team_id = team_id;
  filter.page_size = kMaxPageSize;
  for (;; ++filter.page) {
    auto page = store.ListKeys(filter);
    if (!page) {
      return std::move(page).error();
    }
    for (KeyRecord& k : page->items) {
      out.push_back(std::move(k));
    }
    if (static_cast<int64_t>(out.size()) >= page->total || page->items.empty()) {
      return out;
    }
  }
}

AdminResponse Info(Store& store, std::string_view query) {
  std::string team_id = QueryParam(query, "team_id");
  if (team_id.empty()) {
    return Fail(BadRequest(R"("team_id" is required: /team/info?team_id=...)", "team_id"), 422);
  }
  auto found = FindTeam(store, team_id);
  if (!found) {
    return Fail(found.error());
  }
  auto keys = TeamKeys(store, team_id);
  if (!keys) {
    return Fail(keys.error());
  }
  AdminResponse r;
  r.body = R"({"team_id":)";
  AppendJsonString(r.body, team_id);
  r.body += R"(,"team_info":)" + TeamJson(*found) + R"(,"keys":[)";
  for (std::size_t i = 0; i < keys->size(); ++i) {
    if (i > 0) {
      r.body += ',';
    }
    r.body += KeyJson((*keys)[i]);
  }
  r.body += R"(],"team_memberships":[]})";
  return r;
}

AdminResponse List(Store& store) {
  ListFilter filter;
  filter.page_size = kMaxPageSize;
  AdminResponse r;
  r.body = "[";
  int64_t seen = 0;
  for (;; ++filter.page) {
    auto page = store.ListTeams(filter);
    if (!page) {
      return Fail(page.error());
    }
    for (const TeamRecord& t : page->items) {
      if (seen++ > 0) {
        r.body += ',';
      }
      r.body += TeamJson(t);
    }
    if (seen >= page->total || page->items.empty()) {
      break;
    }
  }
  r.body += ']';
  return r;
}

AdminResponse Delete(Store& store, std::string_view body) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  const json::value* list = obj->if_contains("team_ids");
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    return Fail(BadRequest(R"(Pass "team_ids": ["...", ...].)", "team_ids"), 422);
  }
  std::vector<std::string> deleted;
  for (const json::value& item : list->get_array()) {
    if (!item.is_string()) {
      return Fail(BadRequest(R"("team_ids" must be a list of strings.)", "team_ids"));
    }
    std::string_view id = item.get_string();
    if (Status s = store.DeleteTeam(id); !s) {
      if (s.error().kind == ErrorKind::kNotFound) {
        continue;
      }
      return Fail(s.error());
    }
    deleted.emplace_back(id);
  }
  if (deleted.empty()) {
    return Fail(Error(ErrorKind::kNotFound, "No teams found.", "team_not_found", "team_ids"));
  }
  AdminResponse r;
  r.changed = true;
  r.body = R"({"deleted_teams":)";
  AppendStringList(r.body, deleted);
  r.body += '}';
  return r;
}

}  // namespace

bool IsTeamApiPath(std::string_view path) {
  return path.starts_with("/team/");
}

std::string TeamJson(const TeamRecord& t) {
  std::string out = R"({"team_id":)";
  AppendJsonString(out, t.team_id);
  out += R"(,"team_alias":)";
  AppendNullableString(out, t.alias);
  out += R"(,"organization_id":null,"admins":[],"members":[],"members_with_roles":[])";
  out += R"(,"metadata":)";
  out += t.metadata.empty() ? "{}" : t.metadata;
  out += R"(,"max_budget":)";
  AppendNullableMoney(out, t.max_budget);
  out += R"(,"spend":)" + ToUsdString(t.spend);
  out += R"(,"models":)";
  AppendStringList(out, t.models);
  out += R"(,"tpm_limit":)";
  AppendNullableInt(out, t.tpm);
  out += R"(,"rpm_limit":)";
  AppendNullableInt(out, t.rpm);
  out += R"(,"budget_duration":)";
  AppendNullableString(out, t.budget_duration);
  out += R"(,"budget_reset_at":)";
  AppendNullableTime(out, t.budget_reset_at);
  out += R"(,"blocked":)";
  out += t.blocked ? "true" : "false";
  out += R"(,"created_at":)";
  AppendJsonString(out, IsoTime(t.created_at));
  out += R"(,"updated_at":)";
  AppendJsonString(out, IsoTime(t.updated_at));
  out += '}';
  return out;
}

AdminResponse HandleTeamApi(Store& store, std::string_view method, std::string_view path,
                            std::string_view query, std::string_view body, int64_t now) {
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  if (path == "/team/new" || path == "/team/update" || path == "/team/delete") {
    if (!post) {
      return MethodNotAllowed(method, path, "POST");
    }
    if (path == "/team/new") {
      return New(store, body, now);
    }
    return path == "/team/update" ? Update(store, body) : Delete(store, body);
  }
  if (path == "/team/info" || path == "/team/list") {
    if (!get) {
      return MethodNotAllowed(method, path, "GET");
    }
    return path == "/team/info" ? Info(store, query) : List(store);
  }
  return UnknownUrl(method, path);
}

}  // namespace baton

// Why it looks like this:
// - a synchronous function over the Store (not a coroutine): the endpoints are plain
//   request→store→answer, and the unit tests drive it directly against a real SQLite store;
// - keys are addressed by the raw key ("sk-...", hashed here) or by the hash itself, as in
//   LiteLLM's management endpoints, so a script that only kept the "token" still works;
// - null or absent fields leave a key unchanged on /key/update (LiteLLM's rule); "duration":"-1"
//   removes the expiry.
#include "admin/key_api.hpp"

#include <array>
#include <cstdlib>
#include <ctime>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/http_types.hpp"
#include "core/json_text.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "money/money.hpp"
#include "pipeline/keys.hpp"

namespace baton {

namespace json = boost::json;

namespace {

constexpr int64_t kDefaultListSize = 10;
constexpr int64_t kMaxListSize = 100;

// The record's members (no braces), LiteLLM's names.
void AppendKeyMembers(std::string& out, const KeyRecord& k) {
  out += R"("token":)";
  AppendJsonString(out, k.key_hash);
  out += R"(,"token_id":)";
  AppendJsonString(out, k.key_hash);
  out += R"(,"key_name":)";
  AppendJsonString(out, k.key_prefix);
  out += R"(,"key_alias":)";
  AppendNullableString(out, k.alias);
  out += R"(,"team_id":)";
  AppendNullableString(out, k.team_id);
  out += R"(,"models":)";
  AppendStringList(out, k.models);
  out += R"(,"zone":)";
  AppendNullableString(out, k.zone);
  out += R"(,"expires":)";
  AppendNullableTime(out, k.expires_at);
  out += R"(,"spend":)" + ToUsdString(k.spend);
  out += R"(,"max_budget":)";
  AppendNullableMoney(out, k.max_budget);
  out += R"(,"budget_duration":)";
  AppendNullableString(out, k.budget_duration);
  out += R"(,"budget_reset_at":)";
  AppendNullableTime(out, k.budget_reset_at);
  out += R"(,"rpm_limit":)";
  AppendNullableInt(out, k.rpm);
  out += R"(,"tpm_limit":)";
  AppendNullableInt(out, k.tpm);
  out += R"(,"metadata":)";
  out += k.metadata.empty() ? "{}" : k.metadata;
  out += R"(,"blocked":)";
  out += k.blocked ? "true" : "false";
  out += R"(,"created_at":)";
  AppendJsonString(out, IsoTime(k.created_at));
  out += R"(,"updated_at":)";
  AppendJsonString(out, IsoTime(k.updated_at));
}

// "30d" etc. → the expiry; "-1" → never (only where `allow_never`).
Result<std::optional<int64_t>> ExpiryField(const json::object& obj, int64_t now, bool allow_never) {
  auto text = StringField(obj, "duration");
  if (!text) {
    return text.error();
  }
  if (allow_never && *text == "-1") {
    return std::optional<int64_t>();
  }
  auto d = ParseBudgetDuration(*text);
  if (!d) {
    return BadRequest(R"("duration" must be like "30s", "30m", "30h", "30d" or "1mo".)",
                      "duration");
  }
  return std::optional<int64_t>(AddBudgetDuration(now, *d));
}

// The fields generate and update share, as a patch. `now` for the expiry.
Result<KeyPatch> ParseKeyFields(const json::object& obj, int64_t now, bool update) {
  KeyPatch p;
  for (auto [name, into] :
       {std::pair{"key_alias", &p.alias}, std::pair{"team_id", &p.team_id},
        std::pair{"zone", &p.zone}, std::pair{"budget_duration", &p.budget_duration}}) {
    if (Status s = OptString(obj, name, *into); !s) {
      return s.error();
    }
  }
  for (const Status& s :
       {OptModels(obj, "models", p.models), OptBudget(obj, "max_budget", p.max_budget),
        OptLimit(obj, "rpm_limit", p.rpm), OptLimit(obj, "tpm_limit", p.tpm),
        OptMetadata(obj, "metadata", p.metadata), OptBool(obj, "blocked", p.blocked)}) {
    if (!s) {
      return s.error();
    }
  }
  if (!Unset(obj, "duration")) {
    auto e = ExpiryField(obj, now, update);
    if (!e) {
      return e.error();
    }
    p.expires_at = *e;
  }
  return p;
}

KeyApiResponse Generate(Store& store, std::string_view body, int64_t now) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  auto fields = ParseKeyFields(*obj, now, false);
  if (!fields) {
    return Fail(fields.error());
  }
  GeneratedKey generated;
  if (!Unset(*obj, "key")) {
    // A caller-chosen key (LiteLLM allows it): it must look like one and be long enough to guess.
    auto custom = StringField(*obj, "key");
    if (!custom || !custom->starts_with("sk-") || custom->size() < 20) {
      return Fail(
          BadRequest(R"("key" must start with "sk-" and be at least 20 characters.)", "key"));
    }
    generated.key = std::move(*custom);
    generated.hash = HashKey(generated.key);
    generated.prefix = DisplayPrefix(generated.key);
  } else {
    generated = GenerateKey();
  }
  KeyRecord record;
  record.key_hash = generated.hash;
  record.key_prefix = generated.prefix;
  record.created_at = now;
  if (Status s = ApplyKeyPatch(record, *fields, now); !s) {
    return Fail(s.error());
  }
  auto created = store.CreateKey(record);
  if (!created) {
    return Fail(created.error());
  }
  KeyApiResponse r;
  r.changed = true;
  r.body = R"({"key":)";
  AppendJsonString(r.body, generated.key);
  r.body += ',';
  AppendKeyMembers(r.body, *created);
  r.body += '}';
  return r;
}

Result<KeyRecord> FindKey(Store& store, std::string_view key) {
  if (key.empty()) {
    return BadRequest(R"("key" is required: the key ("sk-...") or its hash ("token").)", "key");
  }
  auto found = store.GetKey(KeyHashOf(key));
  if (!found && found.error().kind == ErrorKind::kNotFound) {
    return Error(ErrorKind::kNotFound, "Key not found in database.", "key_not_found", "key");
  }
  return found;
}

KeyApiResponse Info(Store& store, std::string_view query) {
  std::string key = QueryParam(query, "key");
  auto found = FindKey(store, key);
  if (!found) {
    return Fail(found.error());
  }
  KeyApiResponse r;
  r.body = R"({"key":)";
  AppendJsonString(r.body, key);
  r.body += R"(,"info":)" + KeyJson(*found) + "}";
  return r;
}

KeyApiResponse List(Store& store, std::string_view query) {
  auto page = PositiveParam(query, "page", 1, 1'000'000'000);
  if (!page) {
    return Fail(page.error());
  }
  auto size = PositiveParam(query, "size", kDefaultListSize, kMaxListSize);
  if (!size) {
    return Fail(size.error());
  }
  ListFilter filter;
  filter.team_id = QueryParam(query, "team_id");
  filter.page = *page;
  filter.page_size = *size;
  auto listed = store.ListKeys(filter);
  if (!listed) {
    return Fail(listed.error());
  }
  const bool full = QueryParam(query, "return_full_object") == "true";
  KeyApiResponse r;
  r.body = R"({"keys":[)";
  bool first = true;
  for (const KeyRecord& k : listed->items) {
    if (!first) {
      r.body += ',';
    }
    first = false;
    if (full) {
      r.body += KeyJson(k);
    } else {
      AppendJsonString(r.body, k.key_hash);
    }
  }
  const int64_t total = listed->total;
  r.body += R"(],"total_count":)" + std::to_string(total);
  r.body += R"(,"current_page":)" + std::to_string(*page);
  r.body += R"(,"total_pages":)" + std::to_string((total + *size - 1) / *size) + "}";
  return r;
}

KeyApiResponse Update(Store& store, std::string_view body, int64_t now) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  std::string key;
  if (!Unset(*obj, "key")) {
    auto s = StringField(*obj, "key");
    if (!s) {
      return Fail(s.error());
    }
    key = std::move(*s);
  }
  auto found = FindKey(store, key);
  if (!found) {
    return Fail(found.error());
  }
  auto patch = ParseKeyFields(*obj, now, true);
  if (!patch) {
    return Fail(patch.error());
  }
  auto updated = store.UpdateKey(found->key_hash, *patch);
  if (!updated) {
    return Fail(updated.error());
  }
  KeyApiResponse r;
  r.changed = true;
  r.body = R"({"key":)";
  AppendJsonString(r.body, key);
  r.body += ',';
  AppendKeyMembers(r.body, *updated);
  r.body += '}';
  return r;
}

KeyApiResponse Delete(Store& store, std::string_view body) {
  auto obj = ParseObject(body);
  if (!obj) {
    return Fail(obj.error());
  }
  const bool by_alias = Unset(*obj, "keys");
  const char* member = by_alias ? "key_aliases" : "keys";
  const json::value* list = obj->if_contains(member);
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    return Fail(
        BadRequest(R"(Pass "keys": ["sk-..." or hash, ...] or "key_aliases": [...].)", "keys"),
        422);
  }
  std::vector<std::string> deleted;
  for (const json::value& item : list->get_array()) {
    if (!item.is_string()) {
      return Fail(BadRequest(std::string("\"") + member + "\" must be a list of strings.", member));
    }
    std::string_view name = item.get_string();
    std::string hash;
    if (by_alias) {
      auto k = store.GetKeyByAlias(name);
      if (!k) {
        if (k.error().kind == ErrorKind::kNotFound) {
          continue;
        }
        return Fail(k.error());
      }
      hash = k->key_hash;
    } else {
      hash = KeyHashOf(name);
    }
    Status s = store.DeleteKey(hash);
    if (!s) {
      if (s.error().kind == ErrorKind::kNotFound) {
        continue;
      }
      return Fail(s.error());
    }
    deleted.emplace_back(name);
  }
  if (deleted.empty()) {
    return Fail(Error(ErrorKind::kNotFound, "No keys found.", "key_not_found", member));
  }
  KeyApiResponse r;
  r.changed = true;
  r.body = R"({"deleted_keys":[)";
  for (std::size_t i = 0; i < deleted.size(); ++i) {
    if (i > 0) {
      r.body += ',';
    }
    AppendJsonString(r.body, deleted[i]);
  }
  r.body += "]}";
  return r;
}

}  // namespace

bool IsKeyApiPath(std::string_view path) {
  return path.starts_with("/key/");
}

std::string KeyJson(const KeyRecord& k) {
  std::string out = "{";
  AppendKeyMembers(out, k);
  out += '}';
  return out;
}

KeyApiResponse HandleKeyApi(Store& store, std::string_view method, std::string_view path,
                            std::string_view query, std::string_view body, int64_t now) {
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  if (path == "/key/generate" || path == "/key/update" || path == "/key/delete") {
    if (!post) {
      return MethodNotAllowed(method, path, "POST");
    }
    if (path == "/key/generate") {
      return Generate(store, body, now);
    }
    return path == "/key/update" ? Update(store, body, now) : Delete(store, body);
  }
  if (path == "/key/info" || path == "/key/list") {
    if (!get) {
      return MethodNotAllowed(method, path, "GET");
    }
    return path == "/key/info" ? Info(store, query) : List(store, query);
  }
  return UnknownUrl(method, path);
}

}  // namespace baton

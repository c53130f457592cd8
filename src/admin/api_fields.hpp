// JSON in and out for the LiteLLM-shaped admin endpoints (key_api, team_api, spend_api,
// budget_api): the answer type they share, the body and query parsing with LiteLLM's
// null-means-unchanged rule, and the nullable renderings of record fields.
//
// Errors are kBadRequest with code "invalid_request" and the offending member as param, in
// OpenAI's shape once rendered (Fail). Messages name the member, never its value.
//
// Thread-safety: pure functions. Lifetime: nothing is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/error.hpp"
#include "core/http_types.hpp"

namespace baton {

// One answer of a synchronous admin handler.
struct AdminResponse {
  int status = 200;
  std::string body;      // JSON
  std::string allow;     // set with 405: the allowed method(s)
  bool changed = false;  // keys or teams changed: rebuild the key table
  HttpHeaders headers;   // extra response headers (e.g. x-next-cursor)
};

// An error answer; status 0 = the status of the error's kind.
AdminResponse Fail(const Error& error, int status = 0);
// 405 for `method` on `path`, with the Allow header.
AdminResponse MethodNotAllowed(std::string_view method, std::string_view path, const char* allow);
// 404 for an unknown admin URL.
AdminResponse UnknownUrl(std::string_view method, std::string_view path);

Error BadRequest(std::string message, std::string param = {});

// ---- query strings ----

// QueryParam (the percent-decoded value of a query parameter) is in core/http_types.hpp.
// An integer 1..max; `fallback` when absent.
Result<int64_t> PositiveParam(std::string_view query, std::string_view name, int64_t fallback,
                              int64_t max);

// A key as an admin names it: a raw key ("sk-...") is hashed, anything else is taken as the hash.
std::string KeyHashOf(std::string_view key);

// ---- bodies ----

// The body as a JSON object; an empty body is {}.
Result<boost::json::object> ParseObject(std::string_view body);
// True when the member is absent or null (LiteLLM: unchanged).
bool Unset(const boost::json::object& obj, std::string_view name);

// Each reads a member that is present and not null (check Unset first).
Result<std::string> StringField(const boost::json::object& obj, std::string_view name);
Result<int64_t> LimitField(const boost::json::object& obj, std::string_view name);   // int >= 0
Result<int64_t> BudgetField(const boost::json::object& obj, std::string_view name);  // USD → Money
Result<std::vector<std::string>> ModelsField(const boost::json::object& obj, std::string_view name);

// Optional members: when set (not Unset), parsed into `into`; otherwise `into` is untouched.
Status OptString(const boost::json::object& obj, std::string_view name,
                 std::optional<std::string>& into);
Status OptLimit(const boost::json::object& obj, std::string_view name,
                std::optional<int64_t>& into);
Status OptBudget(const boost::json::object& obj, std::string_view name,
                 std::optional<std::optional<int64_t>>& into);
Status OptModels(const boost::json::object& obj, std::string_view name,
                 std::optional<std::vector<std::string>>& into);
// A JSON object member, kept as its serialized text.
Status OptMetadata(const boost::json::object& obj, std::string_view name,
                   std::optional<std::string>& into);
Status OptBool(const boost::json::object& obj, std::string_view name, std::optional<bool>& into);

// ---- renderings ----

// Unix seconds as "2025-06-02T10:00:00Z".
std::string IsoTime(int64_t unix_seconds);
// Unix milliseconds as "2025-06-02T10:00:00.123Z".
std::string IsoTimeMillis(int64_t unix_ms);

void AppendNullableString(std::string& out, std::string_view s);  // "" → null
void AppendNullableTime(std::string& out, const std::optional<int64_t>& t);
void AppendNullableMoney(std::string& out, const std::optional<int64_t>& m);  // USD
void AppendNullableInt(std::string& out, int64_t v);                          // 0 → null
void AppendStringList(std::string& out, const std::vector<std::string>& items);

}  // namespace baton

#include "admin/api_fields.hpp"

#include <array>
#include <cstdlib>
#include <ctime>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/json_text.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "money/money.hpp"
#include "pipeline/keys.hpp"

namespace baton {

namespace json = boost::json;

namespace {

std::string Quoted(std::string_view name) {
  return "\"" + std::string(name) + "\"";
}

}  // namespace

AdminResponse Fail(const Error& error, int status) {
  AdminResponse r;
  r.status = status != 0 ? status : openai::ErrorStatus(error);
  r.body = openai::RenderError(error);
  return r;
}

AdminResponse MethodNotAllowed(std::string_view method, std::string_view path, const char* allow) {
  AdminResponse r =
      Fail(Error(ErrorKind::kBadRequest,
                 "Method " + std::string(method) + " is not allowed for " + std::string(path) + ".",
                 "method_not_allowed"),
           405);
  r.allow = allow;
  return r;
}

AdminResponse UnknownUrl(std::string_view method, std::string_view path) {
  return Fail(Error(ErrorKind::kNotFound,
                    "Unknown admin URL: " + std::string(method) + " " + std::string(path) + ".",
                    "unknown_url"));
}

Error BadRequest(std::string message, std::string param) {
  return {ErrorKind::kBadRequest, std::move(message), "invalid_request", std::move(param)};
}

Result<int64_t> PositiveParam(std::string_view query, std::string_view name, int64_t fallback,
                              int64_t max) {
  std::string text = QueryParam(query, name);
  if (text.empty()) {
    return fallback;
  }
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > max) {
    return BadRequest(Quoted(name) + " must be an integer from 1 to " + std::to_string(max) + ".",
                      std::string(name));
  }
  return static_cast<int64_t>(v);
}

std::string KeyHashOf(std::string_view key) {
  return key.starts_with("sk-") ? HashKey(key) : std::string(key);
}

Result<json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body.empty() ? std::string_view("{}") : body, ec);
  if (ec || !root.is_object()) {
    return BadRequest("The body must be a JSON object.");
  }
  return std::move(root.as_object());
}

bool Unset(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  return v == nullptr || v->is_null();
}

Result<std::string> StringField(const json::object& obj, std::string_view name) {
  const json::value& v = obj.at(name);
  if (!v.is_string()) {
    return BadRequest(Quoted(name) + " must be a string.", std::string(name));
  }
  return std::string(v.get_string());
}

Result<int64_t> LimitField(const json::object& obj, std::string_view name) {
  const json::value& v = obj.at(name);
  if (v.is_int64() && v.get_int64() >= 0) {
    return v.get_int64();
  }
  return BadRequest(Quoted(name) + " must be an integer >= 0.", std::string(name));
}

Result<int64_t> BudgetField(const json::object& obj, std::string_view name) {
  const json::value& v = obj.at(name);
  double usd = 0;
  if (v.is_double()) {
    usd = v.get_double();
  } else if (v.is_int64()) {
    usd = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    usd = static_cast<double>(v.get_uint64());
  } else {
    return BadRequest(Quoted(name) + " must be a number (USD).", std::string(name));
  }
  if (!(usd >= 0)) {
    return BadRequest(Quoted(name) + " must be >= 0.", std::string(name));
  }
  bool saturated = false;
  Money m = FromUsd(usd, &saturated);
  if (saturated) {
    return BadRequest(Quoted(name) + " is too large.", std::string(name));
  }
  return m;
}

Result<std::vector<std::string>> ModelsField(const json::object& obj, std::string_view name) {
  const json::value& v = obj.at(name);
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const json::value& item : v.get_array()) {
      if (!item.is_string() || item.get_string().empty()) {
        out.clear();
        break;
      }
      out.emplace_back(item.get_string());
    }
    if (out.size() == v.get_array().size()) {
      return out;
    }
  }
  return BadRequest(Quoted(name) + " must be a list of model names.", std::string(name));
}

Status OptString(const json::object& obj, std::string_view name, std::optional<std::string>& into) {
  if (Unset(obj, name)) {
    return OkStatus();
  }
  auto s = StringField(obj, name);
  if (!s) {
    return s.error();
  }
  into = std::move(*s);
  return OkStatus();
}

Status OptLimit(const json::object& obj, std::string_view name, std::optional<int64_t>& into) {
  if (Unset(obj, name)) {
    return OkStatus();
  }
  auto v = LimitField(obj, name);
  if (!v) {
    return v.error();
  }
  into = *v;
  return OkStatus();
}

Status OptBudget(const json::object& obj, std::string_view name,
                 std::optional<std::optional<int64_t>>& into) {
  if (Unset(obj, name)) {
    return OkStatus();
  }
  auto b = BudgetField(obj, name);
  if (!b) {
    return b.error();
  }
  into = std::optional<int64_t>(*b);
  return OkStatus();
}

Status OptModels(const json::object& obj, std::string_view name,
                 std::optional<std::vector<std::string>>& into) {
  if (Unset(obj, name)) {
    return OkStatus();
  }
  auto m = ModelsField(obj, name);
  if (!m) {
    return m.error();
  }
  into = std::move(*m);
  return OkStatus();
}

Status OptMetadata(const json::object& obj, std::string_view name,
                   std::optional<std::string>& into) {
  if (Unset(obj, name)) {
    return OkStatus();
  }
  const json::value& m = obj.at(name);
  if (!m.is_object()) {
    return BadRequest(Quoted(name) + " must be a JSON object.", std::string(name));
  }
  into = json::serialize(m);
  return OkStatus();
}

Status OptBool(const json::object& obj, std::string_view name, std::optional<bool>& into) {
  if (Unset(obj, name)) {
    return OkStatus();
  }
  const json::value& b = obj.at(name);
  if (!b.is_bool()) {
    return BadRequest(Quoted(name) + " must be true or false.", std::string(name));
  }
  into = b.get_bool();
  return OkStatus();
}

std::string IsoTime(int64_t unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf.data(), n};
}

std::string IsoTimeMillis(int64_t unix_ms) {
  int64_t seconds = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  std::string out = IsoTime(seconds);
  out.pop_back();  // 'Z'
  std::array<char, 8> frac{};
  std::snprintf(frac.data(), frac.size(), ".%03dZ", static_cast<int>(ms));
  out += frac.data();
  return out;
}

void AppendNullableString(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, s);
  }
}

void AppendNullableTime(std::string& out, const std::optional<int64_t>& t) {
  if (t) {
    AppendJsonString(out, IsoTime(*t));
  } else {
    out += "null";
  }
}

void AppendNullableMoney(std::string& out, const std::optional<int64_t>& m) {
  out += m ? ToUsdString(*m) : "null";
}

void AppendNullableInt(std::string& out, int64_t v) {
  out += v > 0 ? std::to_string(v) : "null";
}

void AppendStringList(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    AppendJsonString(out, items[i]);
  }
  out += ']';
}

}  // namespace baton

#include "telemetry/request_record.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/json_text.hpp"
#include "money/money.hpp"

namespace baton {

namespace json = boost::json;

namespace {

// Members appended as text: Boost.JSON's object would cost a map insert per member, and this runs
// for every request on the log's writer thread.
void Member(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendJsonString(out, value);
}

void Member(std::string& out, std::string_view name, int64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  std::array<char, 24> digits{};
  auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), end);
}

}  // namespace

std::string ToJsonLine(const RequestRecord& r) {
  std::string out;
  out.reserve(512 + r.content.size());
  out += "{\"time_ms\":";
  out += std::to_string(r.time_ms);
  Member(out, "request_id", r.request_id);
  Member(out, "key_alias", r.key_alias);
  Member(out, "key_hash", r.key_hash);
  Member(out, "key_prefix", r.key_prefix);
  Member(out, "team_id", r.team_id);
  Member(out, "zone", r.zone);
  Member(out, "session", r.session);
  Member(out, "dialect", r.dialect);
  Member(out, "operation", r.operation);
  Member(out, "model_asked", r.model_asked);
  Member(out, "model_used", r.model_used);
  Member(out, "provider", r.provider);
  Member(out, "attempts", r.attempts);
  Member(out, "fallbacks", r.fallbacks);
  Member(out, "status", r.status);
  Member(out, "latency_ms", r.latency_ms);
  Member(out, "ttft_ms", r.ttft_ms);
  Member(out, "prompt_tokens", r.prompt_tokens);
  Member(out, "completion_tokens", r.completion_tokens);
  Member(out, "cached_tokens", r.cached_tokens);
  Member(out, "cost_pico", r.cost);
  out += ",\"cost_usd\":";
  out += ToUsdString(r.cost);  // exact decimal, no float rounding
  Member(out, "error", r.error);
  out += ",\"stream\":";
  out += r.stream ? "true" : "false";
  if (!r.content.empty()) {
    Member(out, "content", r.content);
  }
  out += '}';
  return out;
}

namespace {

Error BadLine(const std::string& why) {
  return {ErrorKind::kBadRequest, "bad request log line: " + why, "bad_log_line"};
}

bool ReadString(const json::object& o, std::string_view name, std::string& out, std::string& err) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) {
    return true;
  }
  if (!v->is_string()) {
    err = std::string(name) + " must be a string";
    return false;
  }
  out = std::string(v->get_string());
  return true;
}

template <typename Int>
bool ReadInt(const json::object& o, std::string_view name, Int& out, std::string& err) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) {
    return true;
  }
  if (v->is_int64()) {
    out = static_cast<Int>(v->get_int64());
    return true;
  }
  if (v->is_uint64()) {
    out = static_cast<Int>(v->get_uint64());
    return true;
  }
  err = std::string(name) + " must be an integer";
  return false;
}

}  // namespace

Result<RequestRecord> ParseJsonLine(std::string_view line, std::string* prev) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) {
    return BadLine("not JSON");
  }
  if (!v.is_object()) {
    return BadLine("not a JSON object");
  }
  const json::object& o = v.get_object();
  RequestRecord r;
  std::string err;
  std::string prev_value;
  bool ok =
      ReadString(o, "prev", prev_value, err) && ReadInt(o, "time_ms", r.time_ms, err) &&
      ReadString(o, "request_id", r.request_id, err) &&
      ReadString(o, "key_alias", r.key_alias, err) && ReadString(o, "key_hash", r.key_hash, err) &&
      ReadString(o, "key_prefix", r.key_prefix, err) && ReadString(o, "team_id", r.team_id, err) &&
      ReadString(o, "zone", r.zone, err) && ReadString(o, "session", r.session, err) &&
      ReadString(o, "dialect", r.dialect, err) && ReadString(o, "operation", r.operation, err) &&
      ReadString(o, "model_asked", r.model_asked, err) &&
      ReadString(o, "model_used", r.model_used, err) &&
      ReadString(o, "provider", r.provider, err) && ReadInt(o, "attempts", r.attempts, err) &&
      ReadInt(o, "fallbacks", r.fallbacks, err) && ReadInt(o, "status", r.status, err) &&
      ReadInt(o, "latency_ms", r.latency_ms, err) && ReadInt(o, "ttft_ms", r.ttft_ms, err) &&
      ReadInt(o, "prompt_tokens", r.prompt_tokens, err) &&
      ReadInt(o, "completion_tokens", r.completion_tokens, err) &&
      ReadInt(o, "cached_tokens", r.cached_tokens, err) && ReadInt(o, "cost_pico", r.cost, err) &&
      ReadString(o, "error", r.error, err) && ReadString(o, "content", r.content, err);
  if (!ok) {
    return BadLine(err);
  }
  if (const json::value* s = o.if_contains("stream")) {
    if (!s->is_bool()) {
      return BadLine("stream must be a boolean");
    }
    r.stream = s->get_bool();
  }
  if (prev != nullptr) {
    *prev = std::move(prev_value);
  }
  return r;
}

SpendRecord ToSpendRecord(const RequestRecord& r) {
  SpendRecord s;
  s.request_id = r.request_id;
  s.time = r.time_ms;
  s.key_hash = r.key_hash;
  s.team_id = r.team_id;
  s.zone = r.zone;
  s.session = r.session;
  s.model_asked = r.model_asked;
  s.deployment = r.model_used;
  s.prompt_tokens = r.prompt_tokens;
  s.completion_tokens = r.completion_tokens;
  s.cached_tokens = r.cached_tokens;
  s.cost = r.cost;
  s.latency_ms = r.latency_ms;
  s.status = r.status;
  return s;
}

namespace {

constexpr std::size_t kMaxSearchText = std::size_t{64} * 1024;

void CollectText(const json::value& v, std::string& out) {
  if (out.size() >= kMaxSearchText) {
    return;
  }
  if (v.is_string()) {
    if (!out.empty()) {
      out += '\n';
    }
    out += v.get_string();
  } else if (v.is_array()) {
    for (const json::value& e : v.get_array()) {
      CollectText(e, out);
    }
  } else if (v.is_object()) {
    for (const auto& member : v.get_object()) {
      const std::string_view k = member.key();
      if (k != "model" && k != "role" && k != "type" && k != "id") {
        CollectText(member.value(), out);
      }
    }
  }
}

}  // namespace

std::string ContentSearchText(std::string_view content) {
  std::string out;
  boost::system::error_code ec;
  const json::value v = json::parse(content, ec);
  if (!ec && (v.is_object() || v.is_array())) {
    CollectText(v, out);
  } else {
    out = content;
  }
  std::erase(out, '\0');
  if (out.size() > kMaxSearchText) {
    std::size_t cut = kMaxSearchText;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
      --cut;  // not inside a UTF-8 sequence
    }
    out.resize(cut);
  }
  return out;
}

ContentRecord ToContentRecord(const RequestRecord& r) {
  ContentRecord c;
  c.request_id = r.request_id;
  c.time = r.time_ms;
  c.model = r.model_asked;
  if (!r.content.empty()) {
    c.text = ContentSearchText(r.content);
  }
  return c;
}

namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsTokenChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_';
}
bool IsEmailLocalChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool IsDomainChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-';
}
bool StartsWithWord(std::string_view text, std::size_t i, std::string_view word) {
  if (text.size() - i < word.size()) {
    return false;
  }
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[i + k])) != word[k]) {
      return false;
    }
  }
  return true;
}

// An e-mail address around the '@' at `at`: [begin, end) or nothing.
bool EmailAround(std::string_view text, std::size_t at, std::size_t& begin, std::size_t& end) {
  begin = at;
  while (begin > 0 && IsEmailLocalChar(text[begin - 1])) {
    --begin;
  }
  end = at + 1;
  while (end < text.size() && IsDomainChar(text[end])) {
    ++end;
  }
  while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) {
    --end;  // a sentence's full stop is not part of the domain
  }
  std::string_view domain = text.substr(at + 1, end - at - 1);
  std::size_t dot = domain.rfind('.');
  return begin < at && dot != std::string_view::npos && dot > 0 && dot + 2 <= domain.size();
}

}  // namespace

std::string Redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Pass 1 on words: tokens and the word after Bearer/Basic. E-mails need context on both sides
  // of '@', so they are found by looking back from each '@' in pass 2 over the output.
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    bool word_start = i == 0 || !IsTokenChar(text[i - 1]);
    if (!word_start || !IsTokenChar(c)) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && IsTokenChar(text[end])) {
      ++end;
    }
    std::string_view word = text.substr(i, end - i);
    if ((StartsWithWord(text, i, "bearer") || StartsWithWord(text, i, "basic")) &&
        (word.size() == 6 || word.size() == 5) && end < text.size() && text[end] == ' ') {
      // "Bearer <token>": keep the scheme, mask the credential (base64 included).
      std::size_t t = end + 1;
      std::size_t token_end = t;
      while (token_end < text.size() &&
             (IsTokenChar(text[token_end]) || text[token_end] == '.' || text[token_end] == '=' ||
              text[token_end] == '+' || text[token_end] == '/' || text[token_end] == '~')) {
        ++token_end;
      }
      if (token_end - t >= 8) {
        out.append(word);
        out.append(" [REDACTED]");
        i = token_end;
        continue;
      }
    }
    if (word.starts_with("sk-") && word.size() >= 3 + 16) {
      out.append("sk-[REDACTED]");
      i = end;
      continue;
    }
    if (word.size() == 20 && (word.starts_with("AKIA") || word.starts_with("ASIA")) &&
        std::ranges::all_of(word,
                            [](char ch) { return IsDigit(ch) || (ch >= 'A' && ch <= 'Z'); })) {
      out.append("[REDACTED]");
      i = end;
      continue;
    }
    if (word.size() >= 32 && std::ranges::any_of(word, IsAlpha) &&
        std::ranges::any_of(word, IsDigit)) {
      out.append("[REDACTED]");
      i = end;
      continue;
    }
    out.append(word);
    i = end;
  }
  // Pass 2: e-mail addresses.
  std::string result;
  result.reserve(out.size());
  std::size_t copied = 0;
  std::size_t at = out.find('@');
  while (at != std::string::npos) {
    std::size_t begin = 0;
    std::size_t end = 0;
    if (at >= copied && EmailAround(out, at, begin, end) && begin >= copied) {
      result.append(out, copied, begin - copied);
      result.append("[EMAIL]");
      copied = end;
      at = out.find('@', end);
    } else {
      at = out.find('@', at + 1);
    }
  }
  result.append(std::string_view(out).substr(copied));
  return result;
}

}  // namespace baton

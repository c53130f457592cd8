#include "dialects/openai_chat/openai_chat.hpp"

#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "dialects/json_number.hpp"
#include "dialects/json_scan.hpp"

namespace baton::openai {

namespace json = boost::json;

namespace {

// Small bodies parse into a stack buffer; larger ones spill to the heap.
struct ParseArena {
  std::array<unsigned char, 4096> buffer;
  json::monotonic_resource resource{buffer.data(), buffer.size()};
};

std::optional<int64_t> AsInt(const json::value* v) {
  if (v == nullptr) {
    return std::nullopt;
  }
  return JsonInt(*v);
}

}  // namespace

namespace {

// What InspectChatRequest needs from a body, gathered by a SAX pass of boost::json's
// basic_parser: it validates the whole document but builds no DOM (the request path's only
// full-body parse, so the cheaper the better).
// The member names and signatures are Boost.JSON's handler concept, hence the lint exceptions.
// NOLINTBEGIN(readability-identifier-naming,readability-named-parameter)
// NOLINTBEGIN(readability-convert-member-functions-to-static)
struct ChatScan {
  constexpr static std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  constexpr static std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  constexpr static std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  constexpr static std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  enum class Member {
    kOther,
    kModel,
    kMessages,
    kStream,
    kStreamOptions,
    kMaxTokens,
    kMaxCompletion
  };

  static Member MemberOf(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, Member>, 6> kMembers{{
        {"model", Member::kModel},
        {"messages", Member::kMessages},
        {"stream", Member::kStream},
        {"stream_options", Member::kStreamOptions},
        {"max_tokens", Member::kMaxTokens},
        {"max_completion_tokens", Member::kMaxCompletion},
    }};
    for (const auto& [known, m] : kMembers) {
      if (known == name) {
        return m;
      }
    }
    return Member::kOther;
  }
  using ErrorCode = boost::system::error_code;
  using StringView = boost::json::string_view;

  int depth = 0;  // 1 = inside the top-level object
  bool top_is_object = false;
  Member member = Member::kOther;  // the top-level member whose value comes next
  std::string key;                 // key being assembled (parts)
  bool in_stream_options = false;  // inside the top-level stream_options object
  bool include_usage_key = false;  // the next depth-2 value is stream_options.include_usage

  bool has_model = false;
  bool model_is_string = false;
  std::string model;
  bool has_messages = false;
  bool messages_is_array = false;
  bool stream_bad_type = false;
  ChatRequestInfo info;

  bool on_document_begin(ErrorCode&) { return true; }
  bool on_document_end(ErrorCode&) { return true; }
  bool on_object_begin(ErrorCode&) {
    if (depth == 0) {
      top_is_object = true;
    } else if (depth == 1) {
      TopValue(Kind::kObject);
      in_stream_options = member == Member::kStreamOptions;
    }
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, ErrorCode&) {
    --depth;
    if (depth == 1) {
      in_stream_options = false;
    }
    return true;
  }
  bool on_array_begin(ErrorCode&) {
    if (depth == 1) {
      TopValue(Kind::kArray);
    }
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, ErrorCode&) {
    --depth;
    return true;
  }
  bool on_key_part(StringView s, std::size_t, ErrorCode&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(StringView s, std::size_t, ErrorCode&) {
    key.append(s.data(), s.size());
    if (depth == 1) {
      member = MemberOf(key);
      if (member == Member::kModel) {
        model.clear();  // a repeated "model" key: the last one wins
      }
    } else if (depth == 2 && in_stream_options) {
      include_usage_key = key == "include_usage";
    }
    key.clear();
    return true;
  }
  bool on_string_part(StringView s, std::size_t, ErrorCode&) {
    if (depth == 1 && member == Member::kModel) {
      model.append(s.data(), s.size());
    }
    return true;
  }
  bool on_string(StringView s, std::size_t, ErrorCode&) {
    if (depth == 1 && member == Member::kModel) {
      model.append(s.data(), s.size());
    }
    if (depth == 1) {
      TopValue(Kind::kString);
    }
    return true;
  }
  bool on_number_part(StringView, ErrorCode&) { return true; }
  bool on_int64(int64_t i, StringView, ErrorCode&) { return Number(ClampJsonInt(i)); }
  bool on_uint64(uint64_t, StringView, ErrorCode&) { return Number(kMaxJsonInt); }
  bool on_double(double d, StringView, ErrorCode&) { return Number(SaturatingInt(d)); }
  bool on_bool(bool b, ErrorCode&) {
    if (depth == 1) {
      TopValue(Kind::kBool);
      if (member == Member::kStream) {
        info.stream = b;
      }
    } else if (depth == 2 && in_stream_options && include_usage_key) {
      info.include_usage = b;
    }
    return true;
  }
  bool on_null(ErrorCode&) {
    if (depth == 1) {
      TopValue(Kind::kNull);
    }
    return true;
  }
  bool on_comment_part(StringView, ErrorCode&) { return true; }
  bool on_comment(StringView, ErrorCode&) { return true; }

 private:
  enum class Kind { kObject, kArray, kString, kNumber, kBool, kNull };

  bool Number(int64_t v) {
    if (depth == 1) {
      TopValue(Kind::kNumber);
      if (member == Member::kMaxTokens) {
        max_tokens = v;
      } else if (member == Member::kMaxCompletion) {
        max_completion_tokens = v;
      }
    }
    return true;
  }

  // A value of the top-level member `member` (later duplicates win, as in JSON.parse).
  void TopValue(Kind kind) {
    switch (member) {
      case Member::kModel:
        has_model = true;
        model_is_string = kind == Kind::kString;
        if (!model_is_string) {
          model.clear();
        }
        break;
      case Member::kMessages:
        has_messages = true;
        messages_is_array = kind == Kind::kArray;
        break;
      case Member::kStream:
        stream_bad_type = kind != Kind::kBool && kind != Kind::kNull;
        if (kind == Kind::kNull) {
          info.stream = false;
        }
        break;
      case Member::kStreamOptions:
        if (kind != Kind::kObject) {
          info.include_usage = false;
        }
        break;
      default:
        break;
    }
  }

 public:
  std::optional<int64_t> max_tokens;
  std::optional<int64_t> max_completion_tokens;
};
// NOLINTEND(readability-convert-member-functions-to-static)
// NOLINTEND(readability-identifier-naming,readability-named-parameter)

}  // namespace

Result<ChatRequestInfo> InspectChatRequest(std::string_view body) {
  boost::json::basic_parser<ChatScan> parser(boost::json::parse_options{});
  boost::system::error_code ec;
  std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  // Only whitespace may follow the document.
  if (!ec && used < body.size()) {
    std::string_view rest = body.substr(used);
    if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      ec = boost::json::error::extra_data;
    }
  }
  if (ec || !parser.done()) {
    return Error(ErrorKind::kBadRequest,
                 "We could not parse the JSON body of your request. (HINT: This likely means "
                 "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                 "payload, but what was sent was not valid JSON.)",
                 "invalid_json");
  }
  ChatScan& scan = parser.handler();
  if (!scan.top_is_object) {
    return Error(ErrorKind::kBadRequest, "The request body must be a JSON object.",
                 "invalid_request", "");
  }
  if (!scan.has_model) {
    return Error(ErrorKind::kBadRequest, "you must provide a model parameter", "missing_model",
                 "model");
  }
  if (!scan.model_is_string || scan.model.empty()) {
    return Error(ErrorKind::kBadRequest, "Invalid type for 'model': expected a non-empty string.",
                 "invalid_type", "model");
  }
  if (!scan.has_messages) {
    return Error(ErrorKind::kBadRequest, "Missing required parameter: 'messages'.",
                 "missing_required_parameter", "messages");
  }
  if (!scan.messages_is_array) {
    return Error(ErrorKind::kBadRequest, "Invalid type for 'messages': expected an array.",
                 "invalid_type", "messages");
  }
  if (scan.stream_bad_type) {
    return Error(ErrorKind::kBadRequest, "Invalid type for 'stream': expected a boolean.",
                 "invalid_type", "stream");
  }
  ChatRequestInfo info = scan.info;
  info.model = std::move(scan.model);
  info.max_tokens = scan.max_completion_tokens ? scan.max_completion_tokens : scan.max_tokens;
  return info;
}

std::string RewriteChatRequest(std::string_view body, std::string_view upstream_model,
                               bool streaming) {
  std::string model_json;
  AppendJsonString(model_json, upstream_model);
  std::string out;
  if (auto span = FindTopLevelMember(body, "model")) {
    out = ReplaceValue(body, *span, model_json);
  } else {
    out = AppendMember(body, "model", model_json);
  }
  if (!streaming) {
    return out;
  }
  constexpr std::string_view kUsageOn = R"({"include_usage":true})";
  auto so = FindTopLevelMember(out, "stream_options");
  if (!so) {
    return AppendMember(out, "stream_options", kUsageOn);
  }
  std::string_view value =
      std::string_view(out).substr(so->value_begin, so->value_end - so->value_begin);
  if (value.empty() || value.front() != '{') {
    return ReplaceValue(out, *so, kUsageOn);
  }
  if (auto iu = FindTopLevelMember(value, "include_usage")) {
    std::string edited = ReplaceValue(value, *iu, "true");
    return ReplaceValue(out, *so, edited);
  }
  return ReplaceValue(out, *so, AppendMember(value, "include_usage", "true"));
}

namespace {

// Position just after `"usage"` followed by optional spaces and ':' and spaces, or npos.
std::size_t Find(std::string_view haystack, std::string_view needle, std::size_t from) {
  if (from >= haystack.size()) {
    return std::string_view::npos;
  }
  const void* hit =
      memmem(haystack.data() + from, haystack.size() - from, needle.data(), needle.size());
  return hit == nullptr ? std::string_view::npos
                        : static_cast<std::size_t>(static_cast<const char*>(hit) - haystack.data());
}

// The next `"usage"` at or after from. Anchors on 'u' with memchr: '"' (what string_view::find
// anchors on) is everywhere in JSON, and glibc's memmem is slower for a needle this short.
std::size_t FindUsageKey(std::string_view data, std::size_t from) {
  constexpr std::string_view kRest = "sage\"";
  while (from + 1 < data.size()) {
    const auto* u =
        static_cast<const char*>(std::memchr(data.data() + from + 1, 'u', data.size() - from - 1));
    if (u == nullptr) {
      return std::string_view::npos;
    }
    auto i = static_cast<std::size_t>(u - data.data());
    if (data[i - 1] == '"' && data.substr(i + 1, kRest.size()) == kRest) {
      return i - 1;
    }
    from = i;
  }
  return std::string_view::npos;
}

std::size_t UsageValuePos(std::string_view data) {
  std::size_t pos = 0;
  while ((pos = FindUsageKey(data, pos)) != std::string_view::npos) {
    std::size_t i = pos + 7;
    while (i < data.size() &&
           (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r')) {
      ++i;
    }
    if (i < data.size() && data[i] == ':') {
      ++i;
      while (i < data.size() &&
             (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r')) {
        ++i;
      }
      return i;
    }
    pos += 7;
  }
  return std::string_view::npos;
}

}  // namespace

bool ChunkHasUsage(std::string_view data) {
  std::size_t i = UsageValuePos(data);
  return i != std::string_view::npos && i < data.size() && data[i] == '{';
}

bool IsUsageOnlyChunk(std::string_view data) {
  if (!ChunkHasUsage(data)) {
    return false;
  }
  auto choices = FindTopLevelMember(data, "choices");
  if (!choices) {
    return true;
  }
  std::string_view v = data.substr(choices->value_begin, choices->value_end - choices->value_begin);
  if (v.size() < 2 || v.front() != '[') {
    return false;
  }
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] != ' ' && v[i] != '\n' && v[i] != '\t' && v[i] != '\r') {
      return false;
    }
  }
  return true;
}

bool IsErrorChunk(std::string_view data) {
  if (Find(data, "\"error\"", 0) == std::string_view::npos) {
    return false;
  }
  return FindTopLevelMember(data, "error").has_value();
}

bool IsPreambleChunk(std::string_view data) {
  ParseArena arena;
  boost::system::error_code ec;
  json::value doc = json::parse(data, ec, &arena.resource);
  const json::object* chunk = ec ? nullptr : doc.if_object();
  if (chunk == nullptr) {
    return false;
  }
  if (const json::value* usage = chunk->if_contains("usage");
      usage != nullptr && !usage->is_null()) {
    return false;
  }
  const json::value* choices = chunk->if_contains("choices");
  if (choices == nullptr || !choices->is_array()) {
    return false;
  }
  auto empty = [](const json::value* v) {
    return v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty());
  };
  for (const json::value& choice : choices->get_array()) {
    const json::object* c = choice.if_object();
    if (c == nullptr || !empty(c->if_contains("finish_reason"))) {
      return false;
    }
    const json::value* delta = c->if_contains("delta");
    if (delta == nullptr) {
      continue;
    }
    const json::object* d = delta->if_object();
    if (d == nullptr) {
      return false;
    }
    for (const auto& member : *d) {
      std::string_view key = member.key();
      if (key == "role") {
        continue;
      }
      if ((key == "content" || key == "refusal" || key == "reasoning_content" ||
           key == "reasoning") &&
          empty(&member.value())) {
        continue;
      }
      if (key == "tool_calls" && member.value().is_array() && member.value().get_array().empty()) {
        continue;
      }
      return false;
    }
  }
  return true;
}

namespace {

Usage UsageFromObject(const json::object& o) {
  Usage usage;
  usage.present = true;
  usage.prompt_tokens = AsInt(o.if_contains("prompt_tokens")).value_or(0);
  usage.completion_tokens = AsInt(o.if_contains("completion_tokens")).value_or(0);
  usage.total_tokens =
      AsInt(o.if_contains("total_tokens")).value_or(usage.prompt_tokens + usage.completion_tokens);
  if (const json::value* d = o.if_contains("prompt_tokens_details");
      d != nullptr && d->is_object()) {
    usage.cached_tokens = AsInt(d->as_object().if_contains("cached_tokens")).value_or(0);
  }
  return usage;
}

}  // namespace

Usage ParseUsage(std::string_view text) {
  ParseArena arena;
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec, &arena.resource);
  if (ec || !doc.is_object()) {
    return {};
  }
  const json::value* u = doc.as_object().if_contains("usage");
  if (u == nullptr || !u->is_object()) {
    return {};
  }
  return UsageFromObject(u->as_object());
}

Usage FindUsage(std::string_view body) {
  auto span = FindTopLevelMember(body, "usage");
  if (!span) {
    return {};
  }
  std::string_view value = body.substr(span->value_begin, span->value_end - span->value_begin);
  ParseArena arena;
  boost::system::error_code ec;
  json::value doc = json::parse(value, ec, &arena.resource);
  if (ec || !doc.is_object()) {
    return {};
  }
  return UsageFromObject(doc.as_object());
}

const char* ErrorType(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadRequest:
    case ErrorKind::kNotFound:
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kUnauthorized:
      return "invalid_request_error";
    case ErrorKind::kForbidden:
      return "permission_error";
    case ErrorKind::kRateLimited:
      return "rate_limit_error";
    case ErrorKind::kUpstreamError:
      return "upstream_error";
    case ErrorKind::kUpstreamTimeout:
      return "timeout_error";
    case ErrorKind::kUnavailable:
    case ErrorKind::kInternal:
    case ErrorKind::kCancelled:
      break;
  }
  return "server_error";
}

int ErrorStatus(const Error& error) {
  return DefaultHttpStatus(error.kind);
}

std::string RenderError(const Error& error) {
  std::string out;
  out.reserve(96 + error.message.size());
  out += R"({"error":{"message":)";
  AppendJsonString(out, error.message);
  out += R"(,"type":)";
  AppendJsonString(out, ErrorType(error.kind));
  out += R"(,"param":)";
  if (error.param.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, error.param);
  }
  out += R"(,"code":)";
  if (error.code.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, error.code);
  }
  out += "}}";
  return out;
}

std::string UpstreamErrorMessage(std::string_view body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return {};
  }
  const json::value* e = doc.as_object().if_contains("error");
  if (e == nullptr) {
    return {};
  }
  if (e->is_string()) {
    return std::string(e->as_string());
  }
  if (e->is_object()) {
    if (const json::value* m = e->as_object().if_contains("message");
        m != nullptr && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return {};
}

}  // namespace baton::openai

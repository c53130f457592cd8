// Shared parts of the dialect generators: planning, word counting, tool arguments, errors in each
// dialect's shape, mid-stream errors, CRC32 and event-stream frames, Google JSON styles.
#include "mock/dialect_mock.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include "mock/dialect_util.hpp"

namespace baton::mock {
namespace detail {

const json::value* Find(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

const json::object* FindObject(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* FindArray(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

std::optional<std::string_view> FindString(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (v && v->is_string()) {
    return std::string_view(v->get_string());
  }
  return std::nullopt;
}

std::optional<int64_t> AsInt(const json::value& v) {
  if (v.is_int64()) {
    return v.get_int64();
  }
  if (v.is_uint64()) {
    uint64_t u = v.get_uint64();
    return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (std::floor(d) == d && std::fabs(d) < 9e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

bool ParseObject(std::string_view body, json::value& root) {
  boost::system::error_code ec;
  root = json::parse(body, ec);
  return !ec && root.is_object();
}

namespace {

bool SkippedKey(std::string_view key) {
  static constexpr std::array<std::string_view, 22> kSkip = {"type",
                                                             "role",
                                                             "id",
                                                             "tool_use_id",
                                                             "toolUseId",
                                                             "call_id",
                                                             "name",
                                                             "signature",
                                                             "data",
                                                             "mimeType",
                                                             "media_type",
                                                             "url",
                                                             "image_url",
                                                             "cache_control",
                                                             "mime_type",
                                                             "images",
                                                             "thoughtSignature",
                                                             "tool_name",
                                                             "tool_call_id",
                                                             "format",
                                                             "status",
                                                             "encrypted_content"};
  return std::find(kSkip.begin(), kSkip.end(), key) != kSkip.end();
}

}  // namespace

void CollectText(const json::value& v, int64_t* words, std::string* text) {
  if (v.is_string()) {
    std::string_view s = v.get_string();
    *words += CountWords(s);
    if (text) {
      if (!text->empty() && !s.empty()) {
        *text += ' ';
      }
      *text += s;
    }
  } else if (v.is_array()) {
    for (const json::value& e : v.get_array()) {
      CollectText(e, words, text);
    }
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (!SkippedKey(kv.key())) {
        CollectText(kv.value(), words, text);
      }
    }
  }
}

namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string SchemaTypeOf(const json::value& property) {
  if (!property.is_object()) {
    return {};
  }
  const json::value* type = Find(property.get_object(), "type");
  if (type == nullptr) {
    return {};
  }
  if (type->is_string()) {
    return LowerAscii(type->get_string());
  }
  if (type->is_array()) {
    for (const json::value& t : type->get_array()) {
      if (t.is_string() && LowerAscii(t.get_string()) != "null") {
        return LowerAscii(t.get_string());
      }
    }
  }
  return {};
}

}  // namespace

std::string ArgumentsFromRequired(const json::value* schema) {
  std::string out = "{";
  if (schema && schema->is_object()) {
    const json::object* props = FindObject(schema->get_object(), "properties");
    const json::array* required = FindArray(schema->get_object(), "required");
    if (required) {
      bool first = true;
      for (const json::value& r : *required) {
        if (!r.is_string()) {
          continue;
        }
        if (!first) {
          out += ',';
        }
        first = false;
        AppendJsonString(out, r.get_string());
        out += ':';
        const json::value* prop = props ? Find(*props, r.get_string()) : nullptr;
        const json::array* enums =
            prop && prop->is_object() ? FindArray(prop->get_object(), "enum") : nullptr;
        std::string type = prop ? SchemaTypeOf(*prop) : std::string();
        if (enums && !enums->empty()) {
          out += json::serialize((*enums)[0]);
        } else if (type == "string") {
          out += "\"Paris\"";
        } else if (type == "number" || type == "integer") {
          out += '1';
        } else if (type == "boolean") {
          out += "true";
        } else if (type == "array") {
          out += "[]";
        } else if (type == "object") {
          out += "{}";
        } else {
          out += "null";
        }
      }
    }
  }
  out += '}';
  return out;
}

std::string Compact(const json::value& v) {
  return json::serialize(v);
}

const std::vector<std::string_view>& ThinkingWords() {
  static const std::vector<std::string_view> kWords = {"Mock",  "thinking:", "the",  "question",
                                                       "is",    "simple,",   "so",   "a",
                                                       "short", "answer",    "will", "do."};
  return kWords;
}

std::string_view ThinkingSignature() {
  return "EqMockSignatureQmF0b25Nb2NrVGhpbmtpbmdTaWduYXR1cmU=";
}

int64_t CallTokens(const ToolSpec& call) {
  return 1 + static_cast<int64_t>(call.arguments.size() / 4);
}

}  // namespace detail

using detail::AppendInt;

// ---- Planning ----

int64_t CountWords(std::string_view text) {
  int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) {
      ++n;
    }
    in_word = !space;
  }
  return n;
}

std::string JoinWords(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += ' ';
    }
    out += words[i];
  }
  return out;
}

std::string ArgumentsFromRequiredText(std::string_view schema_json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(schema_json, ec);
  return detail::ArgumentsFromRequired(ec ? nullptr : &v);
}

GenReply PlanGenReply(const GenRequest& request, const ModelHook& hook, int word_count) {
  GenReply reply;
  reply.prompt_tokens = std::max<int64_t>(request.prompt_tokens, 1);
  reply.error_mid = hook.kind == ModelHook::Kind::kErrorMid;
  if (request.thinking || hook.kind == ModelHook::Kind::kThink) {
    reply.thought = detail::ThinkingWords();
    reply.thinking_tokens = static_cast<int64_t>(reply.thought.size());
  }
  int calls = 0;
  if (hook.kind == ModelHook::Kind::kTool) {
    calls = hook.value;
  } else if (!request.tools_disabled && !request.last_is_tool_result) {
    calls = 1;
  }
  if (calls > 0 && !request.tools.empty()) {
    std::size_t first = 0;
    for (std::size_t i = 0; i < request.tools.size(); ++i) {
      if (!request.tool_choice_name.empty() && request.tools[i].name == request.tool_choice_name) {
        first = i;
        break;
      }
    }
    reply.calls.push_back(request.tools[first]);
    if (calls > 1) {
      reply.calls.push_back(request.tools[(first + 1) % request.tools.size()]);
    }
    reply.stop = GenReply::Stop::kTool;
  } else {
    int64_t n = std::max(word_count, 1);
    if (request.max_tokens && *request.max_tokens < n) {
      n = std::max<int64_t>(*request.max_tokens, 1);
      reply.stop = GenReply::Stop::kLength;
    }
    reply.words = AnswerWords(request.text_hash, n);
  }
  reply.completion_tokens = static_cast<int64_t>(reply.words.size()) + reply.thinking_tokens;
  for (const ToolSpec& c : reply.calls) {
    reply.completion_tokens += detail::CallTokens(c);
  }
  return reply;
}

// ---- Errors ----

namespace {

std::string_view AnthropicType(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

std::string_view GoogleStatus(int code) {
  switch (code) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 500:
      return "INTERNAL";
    case 501:
      return "NOT_IMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return code >= 500 ? "UNKNOWN" : "FAILED_PRECONDITION";
  }
}

std::string_view BedrockException(int status) {
  switch (status) {
    case 400:
      return "ValidationException";
    case 403:
      return "AccessDeniedException";
    case 404:
      return "ResourceNotFoundException";
    case 408:
      return "ModelTimeoutException";
    case 424:
      return "ModelErrorException";
    case 429:
      return "ThrottlingException";
    case 503:
      return "ServiceUnavailableException";
    default:
      return status >= 500 ? "InternalServerException" : "ValidationException";
  }
}

std::string ReqId(uint64_t seq) {
  return "req_mock" + std::to_string(seq);
}

}  // namespace

ErrorAnswer RenderDialectError(Dialect dialect, const DialectError& error, uint64_t seq) {
  ErrorAnswer a;
  a.status = error.status;
  a.content_type = "application/json";
  switch (dialect) {
    case Dialect::kAnthropic: {
      std::string_view type = error.type.empty() ? AnthropicType(error.status) : error.type;
      a.body = "{\"type\":\"error\",\"error\":{\"type\":";
      AppendJsonString(a.body, type);
      a.body += ",\"message\":";
      AppendJsonString(a.body, error.message);
      a.body += "},\"request_id\":";
      AppendJsonString(a.body, ReqId(seq));
      a.body += '}';
      a.headers.push_back({"request-id", ReqId(seq)});
      if (error.status == 429 || error.status == 529) {
        a.headers.push_back({"retry-after", "1"});
      }
      a.headers.push_back(
          {"x-should-retry", error.status == 429 || error.status >= 500 ? "true" : "false"});
      break;
    }
    case Dialect::kGemini: {
      std::string_view status = error.type.empty() ? GoogleStatus(error.status) : error.type;
      std::string compact = "{\"error\":{\"code\":";
      AppendInt(compact, error.status);
      compact += ",\"message\":";
      AppendJsonString(compact, error.message);
      compact += ",\"status\":";
      AppendJsonString(compact, status);
      compact += "}}";
      a.body = GooglePretty(compact);
      a.content_type = "application/json; charset=UTF-8";
      break;
    }
    case Dialect::kOllama:
      a.body = "{\"error\":";
      AppendJsonString(a.body, error.message);
      a.body += '}';
      a.content_type = "application/json; charset=utf-8";
      break;
    case Dialect::kBedrock: {
      std::string_view type = error.type.empty() ? BedrockException(error.status) : error.type;
      a.body = "{\"message\":";
      AppendJsonString(a.body, error.message);
      a.body += '}';
      a.headers.push_back({"x-amzn-RequestId", "mock-" + std::to_string(seq)});
      a.headers.push_back(
          {"x-amzn-ErrorType",
           std::string(type) + ":http://internal.amazon.com/coral/com.amazon.bedrock/"});
      break;
    }
    case Dialect::kAzure:
      if (!error.type.empty()) {  // Azure's own {"error":{"code","message"}}
        a.body = "{\"error\":{\"code\":";
        AppendJsonString(a.body, error.type);
        a.body += ",\"message\":";
        AppendJsonString(a.body, error.message);
        a.body += "}}";
        break;
      }
      [[fallthrough]];
    case Dialect::kOpenAi:
    case Dialect::kResponses: {
      ApiError e = ErrorForStatus(error.status);
      if (!error.message.empty()) {
        e.message = error.message;
      }
      if (!error.type.empty()) {
        e.type = error.type;
      }
      a.body = ErrorBody(e);
      if (error.status == 429) {
        a.headers.push_back({"retry-after", "1"});
      }
      break;
    }
  }
  return a;
}

DialectError InjectedError(Dialect dialect, int status, std::string_view model) {
  DialectError e;
  e.status = status;
  switch (dialect) {
    case Dialect::kAnthropic:
      switch (status) {
        case 529:
          e.message = "Overloaded";
          break;
        case 429:
          e.message =
              "Number of requests has exceeded your per-minute rate limit. Please try again "
              "later. (baton-mock)";
          break;
        case 404:
          e.message = "model: " + std::string(model);
          break;
        case 401:
          e.message = "invalid x-api-key";
          break;
        case 500:
          e.message = "Internal server error";
          break;
        default:
          e.message = "Injected error " + std::to_string(status) + " (baton-mock).";
      }
      break;
    case Dialect::kGemini:
      switch (status) {
        case 429:
          e.message = "Resource has been exhausted (e.g. check quota).";
          break;
        case 404:
          e.message = "models/" + std::string(model) +
                      " is not found for API version v1beta, or is not supported for "
                      "generateContent. Call ListModels to see the list of available models "
                      "and their supported methods.";
          break;
        case 503:
          e.message = "The model is overloaded. Please try again later.";
          break;
        case 500:
          e.message =
              "An internal error has occurred. Please retry or report in "
              "https://developers.generativeai.google/guide/troubleshooting";
          break;
        case 400:
          e.message = "Request contains an invalid argument.";
          break;
        case 403:
          e.message = "The caller does not have permission";
          break;
        default:
          e.message = "Injected error " + std::to_string(status) + " (baton-mock).";
      }
      break;
    case Dialect::kOllama:
      if (status == 404) {
        e.message = "model '" + std::string(model) + "' not found";
      } else if (status >= 500) {
        e.message = "llama runner process has terminated: exit status 2 (baton-mock)";
      } else {
        e.message = "injected error " + std::to_string(status) + " (baton-mock)";
      }
      break;
    case Dialect::kBedrock:
      switch (status) {
        case 429:
          e.message = "Too many requests, please wait before trying again.";
          break;
        case 403:
          e.message = "You don't have access to the model with the specified model ID.";
          break;
        case 404:
          e.message = "Could not resolve the foundation model from the provided model identifier.";
          break;
        case 503:
          e.message = "Bedrock is unable to process your request.";
          break;
        case 500:
          e.message = "The server encountered an internal error while processing the request.";
          break;
        default:
          e.message = "Injected error " + std::to_string(status) + " (baton-mock).";
      }
      break;
    case Dialect::kOpenAi:
    case Dialect::kAzure:
    case Dialect::kResponses:
      e.message = ErrorForStatus(status).message;
      break;
  }
  return e;
}

DialectError OverloadedError(Dialect dialect) {
  switch (dialect) {
    case Dialect::kAnthropic:
      return InjectedError(dialect, 529, {});
    case Dialect::kGemini:
    case Dialect::kBedrock:
      return InjectedError(dialect, 503, {});
    default:
      return InjectedError(dialect, 500, {});
  }
}

std::string MidStreamErrorEvent(Dialect dialect, std::size_t events_before) {
  switch (dialect) {
    case Dialect::kAnthropic:
      return "event: error\ndata: "
             "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
             "\"Overloaded\"}}\n\n";
    case Dialect::kGemini:
      return "data: {\"error\": {\"code\": 503,\"message\": \"The model is overloaded. Please try "
             "again later.\",\"status\": \"UNAVAILABLE\"}}\r\n\r\n";
    case Dialect::kOllama:
      return "{\"error\":\"an error was encountered while running the model: unexpected EOF "
             "(baton-mock)\"}\n";
    case Dialect::kBedrock:
      return EventStreamFrame({{":exception-type", "throttlingException"},
                               {":content-type", "application/json"},
                               {":message-type", "exception"}},
                              "{\"message\":\"Too many requests, please wait before trying "
                              "again.\"}");
    case Dialect::kResponses: {
      std::string e = "event: error\ndata: {\"type\":\"error\",\"sequence_number\":";
      AppendInt(e, static_cast<int64_t>(events_before));
      e += ",\"code\":\"server_error\",\"message\":\"The server had an error while processing "
           "your request. Sorry about that!\",\"param\":null}\n\n";
      return e;
    }
    case Dialect::kOpenAi:
    case Dialect::kAzure:
      break;
  }
  return "data: {\"error\":{\"message\":\"The server had an error while processing your request. "
         "Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
}

SseStream CutWithMidStreamError(Dialect dialect, const SseStream& stream) {
  std::size_t keep = 0;
  int contents = 0;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    if (stream.events[i].content) {
      keep = i + 1;
      if (++contents == 2) {
        break;
      }
    }
  }
  if (contents == 0) {
    keep = std::min<std::size_t>(1, stream.size());
  }
  SseStream out;
  out.bytes = std::string(stream.Prefix(keep));
  out.events.assign(stream.events.begin(), stream.events.begin() + static_cast<long>(keep));
  std::string tail = MidStreamErrorEvent(dialect, keep);
  if (dialect == Dialect::kGemini && !stream.bytes.empty() && stream.bytes.front() == '[') {
    // The JSON-array form: the error is one more element, and the array is closed.
    tail =
        ",\r\n{\"error\": {\"code\": 503,\"message\": \"The model is overloaded. Please try "
        "again later.\",\"status\": \"UNAVAILABLE\"}}\r\n]";
  }
  out.bytes += tail;
  out.events.push_back({out.bytes.size(), false});
  return out;
}

// ---- CRC32 and event-stream frames ----

uint32_t Crc32(std::string_view bytes, uint32_t crc) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char b : bytes) {
    crc = kTable[(crc ^ b) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

namespace {

void PutU32(std::string& out, uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

uint32_t GetU32(std::string_view b, std::size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

}  // namespace

std::string EventStreamFrame(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view payload) {
  std::string h;
  for (const auto& [name, value] : headers) {
    h += static_cast<char>(name.size());
    h += name;
    h += static_cast<char>(7);  // string
    h += static_cast<char>((value.size() >> 8) & 0xff);
    h += static_cast<char>(value.size() & 0xff);
    h += value;
  }
  const uint32_t total = static_cast<uint32_t>(12 + h.size() + payload.size() + 4);
  std::string out;
  out.reserve(total);
  PutU32(out, total);
  PutU32(out, static_cast<uint32_t>(h.size()));
  PutU32(out, Crc32(out));
  out += h;
  out += payload;
  PutU32(out, Crc32(out));
  return out;
}

std::optional<EventStreamMessage> DecodeEventStreamFrame(std::string_view bytes,
                                                         std::size_t* used) {
  if (bytes.size() < 16) {
    return std::nullopt;
  }
  uint32_t total = GetU32(bytes, 0);
  uint32_t headers_len = GetU32(bytes, 4);
  if (total < 16 || total > bytes.size() || headers_len > total - 16) {
    return std::nullopt;
  }
  if (Crc32(bytes.substr(0, 8)) != GetU32(bytes, 8)) {
    return std::nullopt;
  }
  if (Crc32(bytes.substr(0, total - 4)) != GetU32(bytes, total - 4)) {
    return std::nullopt;
  }
  EventStreamMessage m;
  std::size_t pos = 12;
  const std::size_t end = 12 + headers_len;
  while (pos < end) {
    std::size_t name_len = static_cast<unsigned char>(bytes[pos++]);
    if (pos + name_len + 3 > end) {
      return std::nullopt;
    }
    std::string name(bytes.substr(pos, name_len));
    pos += name_len;
    if (bytes[pos++] != 7) {
      return std::nullopt;  // the mock only writes string headers
    }
    std::size_t value_len = static_cast<std::size_t>(static_cast<unsigned char>(bytes[pos])) << 8 |
                            static_cast<unsigned char>(bytes[pos + 1]);
    pos += 2;
    if (pos + value_len > end) {
      return std::nullopt;
    }
    m.headers.emplace_back(std::move(name), std::string(bytes.substr(pos, value_len)));
    pos += value_len;
  }
  m.payload = std::string(bytes.substr(end, total - 4 - end));
  *used = total;
  return m;
}

// ---- Google JSON styles ----

std::string GoogleSpaced(std::string_view compact) {
  std::string out;
  out.reserve(compact.size() + compact.size() / 8);
  bool in_string = false;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    out += c;
    if (in_string) {
      if (c == '\\' && i + 1 < compact.size()) {
        out += compact[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ':') {
      out += ' ';
    }
  }
  return out;
}

std::string GooglePretty(std::string_view compact) {
  std::string out;
  out.reserve(compact.size() * 2);
  int depth = 0;
  bool in_string = false;
  auto newline = [&out](int d) {
    out += '\n';
    out.append(static_cast<std::size_t>(d) * 2, ' ');
  };
  for (std::size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < compact.size()) {
        out += compact[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out += c;
          out += compact[++i];
          break;
        }
        out += c;
        newline(++depth);
        break;
      case '}':
      case ']':
        newline(--depth);
        out += c;
        break;
      case ',':
        out += c;
        newline(depth);
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  out += '\n';
  return out;
}

// ---- Azure ----

namespace {

constexpr std::string_view kAzureFilters =
    "{\"hate\":{\"filtered\":false,\"severity\":\"safe\"},\"self_harm\":{\"filtered\":false,"
    "\"severity\":\"safe\"},\"sexual\":{\"filtered\":false,\"severity\":\"safe\"},\"violence\":{"
    "\"filtered\":false,\"severity\":\"safe\"}}";

}  // namespace

std::string AzurePromptFilterEvent() {
  std::string e =
      "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
      "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":";
  e += kAzureFilters;
  e += "}]}\n\n";
  return e;
}

std::string AzureChatBody(std::string body) {
  if (body.empty() || body.back() != '}') {
    return body;
  }
  body.pop_back();
  body += ",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":";
  body += kAzureFilters;
  body += "}]}";
  return body;
}

}  // namespace baton::mock

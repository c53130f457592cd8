#include "dialects/json_scan.hpp"

#include <array>
#include <cstdio>
#include <cstring>

namespace baton {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t SkipSpace(std::string_view s, std::size_t i) {
  while (i < s.size() && IsSpace(s[i])) {
    ++i;
  }
  return i;
}

// i points at an opening quote; returns one past the closing quote, or npos.
std::size_t SkipString(std::string_view s, std::size_t i) {
  for (++i; i < s.size();) {
    // Jump to the next quote or backslash (strings are mostly plain text).
    const char* p = s.data() + i;
    const auto* quote = static_cast<const char*>(std::memchr(p, '"', s.size() - i));
    if (quote == nullptr) {
      return std::string_view::npos;
    }
    const auto* slash =
        static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(quote - p)));
    if (slash == nullptr) {
      return static_cast<std::size_t>(quote - s.data()) + 1;
    }
    i = static_cast<std::size_t>(slash - s.data()) + 2;  // skip the escaped character
  }
  return std::string_view::npos;
}

// i points at the first byte of a value; returns one past its end, or npos.
std::size_t SkipValue(std::string_view s, std::size_t i) {
  if (i >= s.size()) {
    return std::string_view::npos;
  }
  char c = s[i];
  if (c == '"') {
    return SkipString(s, i);
  }
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      char d = s[i];
      if (d == '"') {
        i = SkipString(s, i);
        if (i == std::string_view::npos) {
          return i;
        }
        continue;
      }
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) {
          return i + 1;
        }
      }
      ++i;
    }
    return std::string_view::npos;
  }
  // number, true, false, null
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !IsSpace(s[i])) {
    ++i;
  }
  return i;
}

}  // namespace

namespace {

// Does the raw (escaped) key text, once unescaped, equal key? Only plain-ASCII keys are looked up,
// so \uXXXX escapes beyond ASCII can never match.
bool UnescapedEquals(std::string_view raw, std::string_view key) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\') {
      if (++i >= raw.size()) {
        return false;
      }
      switch (raw[i]) {
        case '"':
        case '\\':
        case '/':
          c = raw[i];
          break;
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        case 'u': {
          if (i + 4 >= raw.size()) {
            return false;
          }
          unsigned v = 0;
          for (int j = 1; j <= 4; ++j) {
            char h = raw[i + j];
            v <<= 4;
            if (h >= '0' && h <= '9') {
              v |= static_cast<unsigned>(h - '0');
            } else if (h >= 'a' && h <= 'f') {
              v |= static_cast<unsigned>(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
              v |= static_cast<unsigned>(h - 'A' + 10);
            } else {
              return false;
            }
          }
          if (v >= 0x80) {
            return false;
          }
          c = static_cast<char>(v);
          i += 4;
          break;
        }
        default:
          return false;
      }
    }
    if (k >= key.size() || key[k] != c) {
      return false;
    }
    ++k;
  }
  return k == key.size();
}

}  // namespace

std::optional<JsonMemberSpan> FindTopLevelMember(std::string_view json, std::string_view key) {
  std::size_t i = SkipSpace(json, 0);
  if (i >= json.size() || json[i] != '{') {
    return std::nullopt;
  }
  i = SkipSpace(json, i + 1);
  std::optional<JsonMemberSpan> found;
  while (i < json.size() && json[i] == '"') {
    std::size_t key_begin = i;
    std::size_t key_end = SkipString(json, i);
    if (key_end == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view k = json.substr(key_begin + 1, key_end - key_begin - 2);
    i = SkipSpace(json, key_end);
    if (i >= json.size() || json[i] != ':') {
      return std::nullopt;
    }
    std::size_t value_begin = SkipSpace(json, i + 1);
    std::size_t value_end = SkipValue(json, value_begin);
    if (value_end == std::string_view::npos) {
      return std::nullopt;
    }
    // A key written with escapes ("mod\u0065l") names the same member as the plain one for every
    // JSON parser downstream, so it must match too, or a duplicate could slip past an edit.
    if (k == key || (k.find('\\') != std::string_view::npos && UnescapedEquals(k, key))) {
      found = JsonMemberSpan{key_begin, value_begin, value_end};
    }
    i = SkipSpace(json, value_end);
    if (i < json.size() && json[i] == ',') {
      i = SkipSpace(json, i + 1);
    }
  }
  return found;
}

std::string ReplaceValue(std::string_view json, const JsonMemberSpan& span,
                         std::string_view new_value) {
  std::string out;
  out.reserve(json.size() + new_value.size());
  out.append(json.substr(0, span.value_begin));
  out.append(new_value);
  out.append(json.substr(span.value_end));
  return out;
}

std::string AppendMember(std::string_view json, std::string_view key, std::string_view value) {
  std::size_t close = json.rfind('}');
  if (close == std::string_view::npos) {
    return std::string(json);
  }
  // Is the object empty? Look back from the closing brace for the opening one.
  std::size_t j = close;
  while (j > 0 && IsSpace(json[j - 1])) {
    --j;
  }
  bool empty = j > 0 && json[j - 1] == '{';
  std::string out;
  out.reserve(json.size() + key.size() + value.size() + 4);
  out.append(json.substr(0, j));
  if (!empty) {
    out += ',';
  }
  out += '"';
  out.append(key);
  out += "\":";
  out.append(value);
  out.append(json.substr(j));
  return out;
}

}  // namespace baton

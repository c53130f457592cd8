// Fuzzes the raw-text JSON edits of src/dialects/json_scan.hpp (FindTopLevelMember, ReplaceValue,
// AppendMember) on inputs that boost::json accepts, which is their precondition.
// Invariants: a member found is the member boost::json sees (last duplicate wins) and its span
// parses to the same value; every edit parses again, with the edited member holding the new value
// and every other member unchanged; a member whose key is written without escapes is found.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialects/json_scan.hpp"
#include "fuzz_util.hpp"

namespace json = boost::json;
using baton::fuzz::ParseJson;

namespace {

bool PlainKey(std::string_view k) {
  for (char c : k) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f || c == '"' ||
        c == '\\') {
      return false;
    }
  }
  return true;
}

// Every member of a but `skip` equals b's.
bool SameExcept(const json::object& a, const json::object& b, std::string_view skip) {
  for (const auto& kv : a) {
    if (kv.key() == skip) {
      continue;
    }
    const json::value* other = b.if_contains(kv.key());
    // As text: boost::json 1.81 reads 0e999 as NaN, which never equals itself.
    if (other == nullptr || json::serialize(*other) != json::serialize(kv.value())) {
      return false;
    }
  }
  return true;
}

void CheckKey(std::string_view text, const json::object& obj, std::string_view key) {
  auto span = baton::FindTopLevelMember(text, key);
  const json::value* expected = obj.if_contains(key);
  if (!span) {
    // An escaped spelling of the key is not found (documented: keys are compared as written).
    BATON_FUZZ_CHECK(expected == nullptr || text.find('\\') != std::string_view::npos,
                     "member \"" + std::string(key) + "\" not found");
    // Appending it must give a document where it is the new value.
    std::string appended = baton::AppendMember(text, key, "[1,\"x\"]");
    json::value v;
    BATON_FUZZ_CHECK(ParseJson(appended, &v) && v.is_object(), baton::fuzz::Shorten(appended));
    if (expected == nullptr) {
      BATON_FUZZ_CHECK(v.as_object().if_contains(key) != nullptr &&
                           v.as_object().at(key) == json::parse("[1,\"x\"]"),
                       baton::fuzz::Shorten(appended));
      BATON_FUZZ_CHECK(SameExcept(obj, v.as_object(), key), baton::fuzz::Shorten(appended));
    }
    return;
  }
  BATON_FUZZ_CHECK(span->member_begin < span->value_begin && span->value_begin < span->value_end &&
                       span->value_end <= text.size(),
                   "span out of order");
  BATON_FUZZ_CHECK(text[span->member_begin] == '"', "member_begin not at a quote");
  std::string_view raw = text.substr(span->value_begin, span->value_end - span->value_begin);
  json::value raw_value;
  BATON_FUZZ_CHECK(ParseJson(raw, &raw_value),
                   "value span does not parse: " + baton::fuzz::Shorten(raw));
  if (text.find('\\') == std::string_view::npos) {
    // Without escapes the key found is the key boost::json kept (last duplicate wins).
    // Compared as text: boost::json 1.81 reads numbers like 0e999 as NaN, and NaN != NaN.
    BATON_FUZZ_CHECK(
        expected != nullptr && json::serialize(*expected) == json::serialize(raw_value),
        "span value differs from boost::json's for \"" + std::string(key) + "\"");
  }
  for (std::string_view replacement :
       {std::string_view("\"r\""), std::string_view("{\"a\":[]}"), std::string_view("0")}) {
    std::string out = baton::ReplaceValue(text, *span, replacement);
    json::value v;
    BATON_FUZZ_CHECK(ParseJson(out, &v) && v.is_object(),
                     "replaced text does not parse: " + baton::fuzz::Shorten(out));
    if (text.find('\\') == std::string_view::npos) {
      BATON_FUZZ_CHECK(v.as_object().at(key) == json::parse(replacement),
                       "replacement not visible: " + baton::fuzz::Shorten(out));
      BATON_FUZZ_CHECK(SameExcept(obj, v.as_object(), key),
                       "other members changed: " + baton::fuzz::Shorten(out));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json::value doc;
  if (!ParseJson(text, &doc)) {
    return 0;
  }
  if (!doc.is_object()) {
    BATON_FUZZ_CHECK(!baton::FindTopLevelMember(text, "model"), "member found in a non-object");
    return 0;
  }
  const json::object& obj = doc.as_object();
  int n = 0;
  for (const auto& kv : obj) {
    if (PlainKey(kv.key()) && ++n <= 8) {
      CheckKey(text, obj, kv.key());
    }
  }
  CheckKey(text, obj, "model");
  CheckKey(text, obj, "stream_options");
  return 0;
}

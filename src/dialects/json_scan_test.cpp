#include "dialects/json_scan.hpp"

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace baton {
namespace {

// The raw text of the value FindTopLevelMember found for key, or nullopt.
std::optional<std::string> ValueOf(std::string_view json, std::string_view key) {
  auto span = FindTopLevelMember(json, key);
  if (!span) {
    return std::nullopt;
  }
  return std::string(json.substr(span->value_begin, span->value_end - span->value_begin));
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(FindTopLevelMemberTest, SimpleMembersAndOffsets) {
  std::string_view json = R"({"model":"gpt-4o","n":2,"stream":true,"x":null})";
  auto span = FindTopLevelMember(json, "model");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->member_begin, 1u);
  EXPECT_EQ(span->value_begin, 9u);
  EXPECT_EQ(span->value_end, 17u);
  EXPECT_EQ(ValueOf(json, "model"), R"("gpt-4o")");
  EXPECT_EQ(ValueOf(json, "n"), "2");
  EXPECT_EQ(ValueOf(json, "stream"), "true");
  EXPECT_EQ(ValueOf(json, "x"), "null");
}

TEST(FindTopLevelMemberTest, NumbersOfEveryShape) {
  std::string_view json = R"({"a":-1.5e+10,"b":0,"c":3.25E-2})";
  EXPECT_EQ(ValueOf(json, "a"), "-1.5e+10");
  EXPECT_EQ(ValueOf(json, "b"), "0");
  EXPECT_EQ(ValueOf(json, "c"), "3.25E-2");
}

TEST(FindTopLevelMemberTest, IgnoresKeyInsideNestedObjectsAndArrays) {
  std::string_view json = R"({"messages":[{"model":"inner","content":"x"},["model"]],)"
                          R"("meta":{"model":{"model":1}},"model":"outer"})";
  EXPECT_EQ(ValueOf(json, "model"), R"("outer")");
  EXPECT_EQ(ValueOf(json, "messages"), R"([{"model":"inner","content":"x"},["model"]])");
  EXPECT_EQ(ValueOf(json, "meta"), R"({"model":{"model":1}})");
}

TEST(FindTopLevelMemberTest, NestedOnlyIsNotFound) {
  std::string_view json = R"({"messages":[{"model":"inner"}],"meta":{"model":"x"}})";
  EXPECT_EQ(FindTopLevelMember(json, "model"), std::nullopt);
}

TEST(FindTopLevelMemberTest, StringsWithEscapedQuotesAndBraces) {
  std::string_view json =
      R"({"content":"say \"}\" and {\"model\":\"fake\"} \\","model":"real","tail":"]}"})";
  EXPECT_EQ(ValueOf(json, "content"), R"("say \"}\" and {\"model\":\"fake\"} \\")");
  EXPECT_EQ(ValueOf(json, "model"), R"("real")");
  EXPECT_EQ(ValueOf(json, "tail"), R"("]}")");
}

TEST(FindTopLevelMemberTest, EscapedBackslashBeforeClosingQuote) {
  // "a\\" ends at the second quote; the following member must still be found.
  std::string_view json = R"({"p":"a\\","model":"m","q":["\\",{"r":"\"{"}]})";
  EXPECT_EQ(ValueOf(json, "p"), R"("a\\")");
  EXPECT_EQ(ValueOf(json, "model"), R"("m")");
  EXPECT_EQ(ValueOf(json, "q"), R"(["\\",{"r":"\"{"}])");
}

TEST(FindTopLevelMemberTest, BracesInsideNestedStrings) {
  std::string_view json = R"({"m":[{"c":"}}]]{{["}],"model":"x"})";
  EXPECT_EQ(ValueOf(json, "m"), R"([{"c":"}}]]{{["}])");
  EXPECT_EQ(ValueOf(json, "model"), R"("x")");
}

TEST(FindTopLevelMemberTest, WhitespaceVariants) {
  std::string_view json =
      " \n\t{ \r\n \"model\" \t:\n  \"gpt\" \n ,\n\t\"n\"  :  [ 1 , 2 ]  ,"
      "\"s\"\t:\tfalse\r\n}\n ";
  auto span = FindTopLevelMember(json, "model");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(json[span->member_begin], '"');
  EXPECT_EQ(json.substr(span->member_begin, 7), "\"model\"");
  EXPECT_EQ(ValueOf(json, "model"), "\"gpt\"");
  EXPECT_EQ(ValueOf(json, "n"), "[ 1 , 2 ]");
  EXPECT_EQ(ValueOf(json, "s"), "false");
}

TEST(FindTopLevelMemberTest, PrettyPrintedNumberBeforeNewline) {
  std::string_view json = "{\n  \"max_tokens\": 42\n}";
  EXPECT_EQ(ValueOf(json, "max_tokens"), "42");
}

TEST(FindTopLevelMemberTest, DuplicateKeysLastWins) {
  std::string_view json = R"({"model":"first","x":1,"model":"second"})";
  auto span = FindTopLevelMember(json, "model");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->member_begin, json.rfind(R"("model")"));
  EXPECT_EQ(ValueOf(json, "model"), R"("second")");
}

TEST(FindTopLevelMemberTest, MissingKey) {
  EXPECT_EQ(FindTopLevelMember(R"({"a":1,"b":{"c":2}})", "c"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember(R"({"models":1})", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember(R"({"mode":1})", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("{}", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("{ \n }", "model"), std::nullopt);
}

TEST(FindTopLevelMemberTest, KeyIsComparedExactly) {
  std::string_view json = R"({"Model":"upper","model ":"space","model":"exact"})";
  EXPECT_EQ(ValueOf(json, "model"), R"("exact")");
  EXPECT_EQ(ValueOf(json, "Model"), R"("upper")");
}

TEST(FindTopLevelMemberTest, NonObjectInput) {
  EXPECT_EQ(FindTopLevelMember(R"([{"model":"x"}])", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember(R"("model")", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("42", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("null", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember("   ", "model"), std::nullopt);
}

TEST(FindTopLevelMemberTest, TruncatedInputIsNotFound) {
  EXPECT_EQ(FindTopLevelMember(R"({"model":"unterminated)", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember(R"({"model")", "model"), std::nullopt);
  EXPECT_EQ(FindTopLevelMember(R"({"model":{"a":1)", "model"), std::nullopt);
}

TEST(ReplaceValueTest, ReplacesOnlyTheValue) {
  std::string_view json = R"({ "a" : 1 , "model" : "old" , "z":[1] })";
  auto span = FindTopLevelMember(json, "model");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(ReplaceValue(json, *span, R"("brand-new")"),
            R"({ "a" : 1 , "model" : "brand-new" , "z":[1] })");
  EXPECT_EQ(ReplaceValue(json, *span, "1"), R"({ "a" : 1 , "model" : 1 , "z":[1] })");
}

TEST(ReplaceValueTest, ReplacesObjectValueAtTheEnd) {
  std::string_view json = R"({"a":1,"o":{"x":[1,2]}})";
  auto span = FindTopLevelMember(json, "o");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(ReplaceValue(json, *span, "null"), R"({"a":1,"o":null})");
}

TEST(AppendMemberTest, EmptyObject) {
  EXPECT_EQ(AppendMember("{}", "k", "1"), R"({"k":1})");
  EXPECT_EQ(AppendMember("{ }", "k", "1"), R"({"k":1 })");
  EXPECT_EQ(AppendMember("{\n}\n", "k", R"("v")"), "{\"k\":\"v\"\n}\n");
}

TEST(AppendMemberTest, NonEmptyObject) {
  EXPECT_EQ(AppendMember(R"({"a":1})", "k", R"({"x":true})"), R"({"a":1,"k":{"x":true}})");
  EXPECT_EQ(AppendMember(R"({"a":{"b":[]}})", "k", "2"), R"({"a":{"b":[]},"k":2})");
}

TEST(AppendMemberTest, WhitespaceBeforeClosingBrace) {
  EXPECT_EQ(AppendMember("{\n  \"a\": 1\n}", "k", "2"), "{\n  \"a\": 1,\"k\":2\n}");
  EXPECT_EQ(AppendMember("{\"a\":1 \t\r\n}  \n", "k", "2"), "{\"a\":1,\"k\":2 \t\r\n}  \n");
}

TEST(AppendMemberTest, ResultIsFoundAgain) {
  std::string out =
      AppendMember(R"({"model":"m","messages":[]})", "stream_options", R"({"include_usage":true})");
  EXPECT_EQ(out, R"({"model":"m","messages":[],"stream_options":{"include_usage":true}})");
  EXPECT_EQ(ValueOf(out, "stream_options"), R"({"include_usage":true})");
}

TEST(AppendJsonStringTest, PlainText) {
  EXPECT_EQ(JsonString(""), R"("")");
  EXPECT_EQ(JsonString("gpt-4o/mini"), R"("gpt-4o/mini")");
}

TEST(AppendJsonStringTest, AppendsToExistingContent) {
  std::string out = "x=";
  AppendJsonString(out, "a");
  EXPECT_EQ(out, R"(x="a")");
}

TEST(AppendJsonStringTest, QuotesAndBackslash) {
  EXPECT_EQ(JsonString(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(JsonString("\\\""), R"("\\\"")");
}

TEST(AppendJsonStringTest, NamedControlCharacters) {
  EXPECT_EQ(JsonString("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
}

TEST(AppendJsonStringTest, OtherControlCharactersAsUnicodeEscapes) {
  EXPECT_EQ(JsonString(std::string_view("\0", 1)), R"("\u0000")");
  EXPECT_EQ(JsonString("\x01"), R"("\u0001")");
  EXPECT_EQ(JsonString("\x0b"), R"("\u000b")");
  EXPECT_EQ(JsonString("\x1f"), R"("\u001f")");
  EXPECT_EQ(JsonString("\x1b[0m"), R"("\u001b[0m")");
  // DEL (0x7f) and space are not control characters for JSON.
  EXPECT_EQ(JsonString("\x7f "), "\"\x7f \"");
}

TEST(AppendJsonStringTest, Utf8PassesThrough) {
  EXPECT_EQ(JsonString("22°C — 東京 🌤"), "\"22°C — 東京 🌤\"");
}

}  // namespace
}  // namespace baton

namespace baton {
namespace {

TEST(JsonScanTest, EscapedKeyNamesTheSameMember) {
  // Found by fuzzing: "mod\u0065l" is "model" to every parser, so an edit must see it.
  std::string_view body = R"({"model":"a","messages":[],"mod\u0065l":"b"})";
  auto span = FindTopLevelMember(body, "model");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(body.substr(span->value_begin, span->value_end - span->value_begin), "\"b\"");
  EXPECT_EQ(ReplaceValue(body, *span, "\"x\""), R"({"model":"a","messages":[],"mod\u0065l":"x"})");
  EXPECT_TRUE(FindTopLevelMember(R"({"m\u006fdel":1})", "model").has_value());
  EXPECT_TRUE(FindTopLevelMember(R"({"a\/b":1})", "a/b").has_value());
  EXPECT_FALSE(FindTopLevelMember(R"({"mod\u00e9l":1})", "model").has_value());
  EXPECT_FALSE(FindTopLevelMember(R"({"model\u0000":1})", "model").has_value());
  EXPECT_FALSE(FindTopLevelMember(R"({"mode\u006":1})", "model").has_value());
}

}  // namespace
}  // namespace baton

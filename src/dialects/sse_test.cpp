#include "dialects/sse.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

namespace baton {
namespace {

// An SseEvent with its views copied out (the views die with the callback).
struct Ev {
  std::string raw;
  std::string event;
  std::string data;
  bool has_data = false;
  bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  return os << "{raw=" << ::testing::PrintToString(e.raw)
            << " event=" << ::testing::PrintToString(e.event)
            << " data=" << ::testing::PrintToString(e.data) << " has_data=" << e.has_data << "}";
}

Ev Copy(const SseEvent& e) {
  return Ev{std::string(e.raw), std::string(e.event), std::string(e.data), e.has_data};
}

Ev Data(std::string raw, std::string data, std::string event = {}) {
  return Ev{std::move(raw), std::move(event), std::move(data), true};
}

// Feeds every piece to one splitter and returns all events.
std::vector<Ev> Split(const std::vector<std::string_view>& pieces, SseSplitter* splitter) {
  std::vector<Ev> events;
  for (std::string_view piece : pieces) {
    splitter->Feed(piece, [&](const SseEvent& e) {
      events.push_back(Copy(e));
      return true;
    });
  }
  return events;
}

std::vector<Ev> SplitAll(std::string_view input, std::string* pending = nullptr) {
  SseSplitter splitter;
  auto events = Split({input}, &splitter);
  if (pending != nullptr) {
    *pending = std::string(splitter.pending());
  }
  return events;
}

std::string Concat(const std::vector<Ev>& events) {
  std::string out;
  for (const auto& e : events) {
    out += e.raw;
  }
  return out;
}

std::string ReadFixture(const std::string& name) {
  std::filesystem::path path =
      std::filesystem::path(BATON_SOURCE_DIR) / "tests" / "fixtures" / "openai" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Checks that feeding `input` whole, byte by byte, and in two pieces split at every offset gives
// identical events and leaves identical pending bytes.
void ExpectSplitInvariant(std::string_view input) {
  std::string expected_pending;
  std::vector<Ev> expected = SplitAll(input, &expected_pending);
  {
    SseSplitter splitter;
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) {
      bytes.push_back(input.substr(i, 1));
    }
    EXPECT_EQ(Split(bytes, &splitter), expected) << "byte by byte";
    EXPECT_EQ(splitter.pending(), expected_pending) << "byte by byte";
  }
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    SseSplitter splitter;
    EXPECT_EQ(Split({input.substr(0, cut), input.substr(cut)}, &splitter), expected)
        << "cut at " << cut;
    EXPECT_EQ(splitter.pending(), expected_pending) << "cut at " << cut;
  }
}

TEST(SseSplitterTest, LfFraming) {
  std::string_view input = "data: a\n\ndata: {\"b\":1}\n\n";
  std::string pending;
  auto events = SplitAll(input, &pending);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], Data("data: a\n\n", "a"));
  EXPECT_EQ(events[1], Data("data: {\"b\":1}\n\n", "{\"b\":1}"));
  EXPECT_EQ(pending, "");
}

TEST(SseSplitterTest, CrlfFraming) {
  std::string_view input = "event: first\r\ndata: a\r\n\r\ndata: b\r\n\r\n";
  auto events = SplitAll(input);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], Data("event: first\r\ndata: a\r\n\r\n", "a", "first"));
  EXPECT_EQ(events[1], Data("data: b\r\n\r\n", "b"));
}

TEST(SseSplitterTest, CrFramingFollowedByMoreBytes) {
  std::string_view input = "data: a\r\revent: e\rdata: b\r\rdata: c";
  std::string pending;
  auto events = SplitAll(input, &pending);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], Data("data: a\r\r", "a"));
  EXPECT_EQ(events[1], Data("event: e\rdata: b\r\r", "b", "e"));
  EXPECT_EQ(pending, "data: c");
}

TEST(SseSplitterTest, CrFramedEventIsDeliveredWhenItsBlankLineArrives) {
  std::string pending;
  auto events = SplitAll("data: [DONE]\r\r", &pending);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], Data("data: [DONE]\r\r", "[DONE]"));
  EXPECT_EQ(pending, "");
}

TEST(SseSplitterTest, MixedLineEndings) {
  std::string_view input = "data: a\r\ndata: b\n\r\ndata: c\r\n\n";
  auto events = SplitAll(input);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], Data("data: a\r\ndata: b\n\r\n", "a\nb"));
  EXPECT_EQ(events[1], Data("data: c\r\n\n", "c"));
}

TEST(SseSplitterTest, IncompleteEventStaysPending) {
  SseSplitter splitter;
  std::vector<Ev> events = Split({"data: a\n\ndata: b\n"}, &splitter);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(splitter.pending(), "data: b\n");
  events = Split({"\n"}, &splitter);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], Data("data: b\n\n", "b"));
  EXPECT_EQ(splitter.pending(), "");
}

TEST(SseSplitterTest, EverySplitPointLf) {
  ExpectSplitInvariant(
      "event: message\ndata: {\"a\":\"x\\ny\"}\n\n: keep-alive\n\ndata: 1\ndata: 2\n\n"
      "id: 7\ndata: [DONE]\n\n");
}

TEST(SseSplitterTest, EverySplitPointCrlf) {
  ExpectSplitInvariant(
      "event: message\r\ndata: {\"a\":1}\r\n\r\n:c\r\ndata: 1\r\ndata: 2\r\n\r\ndata: [DONE]\r\n"
      "\r\n");
}

TEST(SseSplitterTest, EverySplitPointCr) {
  ExpectSplitInvariant("event: m\rdata: {\"a\":1}\r\r:c\rdata: 1\rdata: 2\r\rdata: tail");
}

TEST(SseSplitterTest, EverySplitPointGivesTheExpectedEvents) {
  std::string_view input = "data: a\r\n\r\nevent: e\ndata: b\ndata: c\n\n";
  std::vector<Ev> expected = {Data("data: a\r\n\r\n", "a"),
                              Data("event: e\ndata: b\ndata: c\n\n", "b\nc", "e")};
  EXPECT_EQ(SplitAll(input), expected);
  ExpectSplitInvariant(input);
}

TEST(SseSplitterTest, MultiLineDataJoinedWithNewline) {
  auto events = SplitAll("data: first\ndata:second\ndata:\ndata:  indented\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "first\nsecond\n\n indented");
  EXPECT_TRUE(events[0].has_data);
}

TEST(SseSplitterTest, MultiLineDataInConsecutiveEvents) {
  // The joined data of one event must not leak into the next.
  auto events = SplitAll("data: a\ndata: b\n\ndata: c\n\ndata: d\ndata: e\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "a\nb");
  EXPECT_EQ(events[1].data, "c");
  EXPECT_EQ(events[2].data, "d\ne");
}

TEST(SseSplitterTest, FieldWithoutColonIsAnEmptyDataLine) {
  auto events = SplitAll("data\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].has_data);
  EXPECT_EQ(events[0].data, "");
}

TEST(SseSplitterTest, OnlyOneLeadingSpaceIsStripped) {
  auto events = SplitAll("data:   x  \n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "  x  ");
}

TEST(SseSplitterTest, CommentOnlyBlocksComeOutWithoutData) {
  // A comment-only block (a keep-alive) comes out as a block without data, so a relay can pass it
  // on; a comment inside an event stays in its raw bytes and never reaches the data.
  auto events = SplitAll(": ping\n\n:\n\n: note\ndata: x\n: another\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], (Ev{": ping\n\n", "", "", false}));
  EXPECT_EQ(events[1], (Ev{":\n\n", "", "", false}));
  EXPECT_EQ(events[2], Data(": note\ndata: x\n: another\n\n", "x"));
}

TEST(SseSplitterTest, EventNames) {
  auto events = SplitAll(
      "event: message_start\ndata: {}\n\nevent:ping\n\ndata: plain\n\nevent: error\ndata: e\n\n");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0], Data("event: message_start\ndata: {}\n\n", "{}", "message_start"));
  EXPECT_EQ(events[1], (Ev{"event:ping\n\n", "ping", "", false}));
  EXPECT_EQ(events[2], Data("data: plain\n\n", "plain"));
  EXPECT_EQ(events[3], Data("event: error\ndata: e\n\n", "e", "error"));
}

TEST(SseSplitterTest, OtherFieldsAreKeptInRawOnly) {
  auto events = SplitAll("id: 42\nretry: 1000\ndata: x\nunknown: y\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], Data("id: 42\nretry: 1000\ndata: x\nunknown: y\n\n", "x"));
}

TEST(SseSplitterTest, RawBytesAreTheInputSlices) {
  std::string_view input =
      "data: a\n\nevent: e\r\ndata: b\r\ndata: c\r\n\r\n:x\ndata: d\n\ndata: e\r\rdata: f\n\n";
  auto events = SplitAll(input);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(Concat(events), input);
  EXPECT_EQ(events[1].raw, "event: e\r\ndata: b\r\ndata: c\r\n\r\n");
  EXPECT_EQ(events[1].data, "b\nc");
  EXPECT_EQ(events[3].raw, "data: e\r\r");
}

TEST(SseSplitterTest, StoppingLeavesTheRestBuffered) {
  SseSplitter splitter;
  std::vector<Ev> events;
  splitter.Feed("data: 1\n\ndata: 2\n\ndata: 3\n\n", [&](const SseEvent& e) {
    events.push_back(Copy(e));
    return false;
  });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "1");
  EXPECT_EQ(splitter.pending(), "data: 2\n\ndata: 3\n\n");
  events = Split({""}, &splitter);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "2");
  EXPECT_EQ(events[1].data, "3");
  EXPECT_EQ(splitter.pending(), "");
}

TEST(SseSplitterTest, StoppingWhileSomethingIsPending) {
  SseSplitter splitter;
  Split({"data: 1"}, &splitter);
  std::vector<Ev> events;
  splitter.Feed("\n\ndata: 2\n\n", [&](const SseEvent& e) {
    events.push_back(Copy(e));
    return false;
  });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], Data("data: 1\n\n", "1"));
  EXPECT_EQ(splitter.pending(), "data: 2\n\n");
}

TEST(SseSplitterTest, OverlongUnterminatedEventOverflows) {
  SseSplitter splitter;
  std::string big = "data: " + std::string(SseSplitter::kMaxEventBytes, 'x');
  auto events = Split({big}, &splitter);
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(splitter.overflow());
  EXPECT_EQ(splitter.pending(), "");
}

TEST(SseSplitterTest, EventJustUnderTheLimitDoesNotOverflow) {
  SseSplitter splitter;
  std::string data(1u << 20, 'y');
  auto events = Split({"data: ", data, "\n\n"}, &splitter);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, data);
  EXPECT_FALSE(splitter.overflow());
}

struct FixtureCase {
  const char* file;
  std::size_t events;
};

class SseFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(SseFixtureTest, SplitsIntoChunksEndingWithDone) {
  std::string body = ReadFixture(GetParam().file);
  ASSERT_FALSE(body.empty());
  auto events = SplitAll(body);
  ASSERT_EQ(events.size(), GetParam().events);
  EXPECT_EQ(events.back(), Data("data: [DONE]\n\n", "[DONE]"));
  EXPECT_EQ(Concat(events), body);
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(events[i].has_data);
    EXPECT_EQ(events[i].event, "");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(events[i].data, ec);
    ASSERT_FALSE(ec) << events[i].data;
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(v.as_object().at("object").as_string(), "chat.completion.chunk");
  }
}

TEST_P(SseFixtureTest, SameEventsWhateverTheReadSizes) {
  std::string body = ReadFixture(GetParam().file);
  std::vector<Ev> expected = SplitAll(body);
  for (std::size_t size : {1u, 7u, 100u, 512u, 4096u}) {
    SseSplitter splitter;
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0; i < body.size(); i += size) {
      pieces.push_back(std::string_view(body).substr(i, size));
    }
    EXPECT_EQ(Split(pieces, &splitter), expected) << "pieces of " << size;
    EXPECT_EQ(splitter.pending(), "");
  }
}

TEST_P(SseFixtureTest, CrlfCopyGivesTheSameData) {
  std::string body = ReadFixture(GetParam().file);
  std::string crlf;
  for (char c : body) {
    if (c == '\n') {
      crlf += '\r';
    }
    crlf += c;
  }
  std::vector<Ev> lf = SplitAll(body);
  std::vector<Ev> cr = SplitAll(crlf);
  ASSERT_EQ(cr.size(), lf.size());
  for (std::size_t i = 0; i < lf.size(); ++i) {
    EXPECT_EQ(cr[i].data, lf[i].data);
  }
  EXPECT_EQ(Concat(cr), crlf);
}

INSTANTIATE_TEST_SUITE_P(OpenAi, SseFixtureTest,
                         ::testing::Values(FixtureCase{"text_weather_sf.sse", 34},
                                           FixtureCase{"parallel_tools_weather_stock.sse", 26},
                                           FixtureCase{"deepseek_text_cached_512.sse", 30},
                                           FixtureCase{"tool_strict_get_weather_sf.sse", 14}),
                         [](const auto& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           return name;
                         });

}  // namespace
}  // namespace baton

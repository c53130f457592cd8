// Data-driven translation cases: tests/golden/<from>_to_<to>/<case>.in.<ext> and .out.<ext>,
// one case per file pair (DESIGN.md §11). Data flows from <from> to <to>:
//   request_*   in: a client request in <from>        out: the upstream request in <to>
//   response_*  in: an upstream response in <from>    out: the client response in <to>
//   stream_*    in: an upstream stream body in <from> out: the client stream in <to>
//   error_*     in: {"status":N,"body":...} from an upstream in <from>
//               out: {"status":M,"body":...} as the client in <to> gets it
// An optional <case>.req.json holds the client's request (in the client's dialect) for response
// and stream cases; without it, a default request for the model is used.
// Comparison is structural: JSON values compare as values (key order ignored) and the expected
// string "$any" matches any value (ids, timestamps). Streams compare event by event (event name
// and data); each stream case is fed whole and again one byte at a time.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/canonical.hpp"
#include "dialects/sse.hpp"

namespace baton::canon {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::optional<Dialect> DialectFromDir(std::string_view name) {
  if (name == "openai") {
    return Dialect::kOpenAiChat;
  }
  if (name == "responses") {
    return Dialect::kOpenAiResponses;
  }
  if (name == "anthropic") {
    return Dialect::kAnthropic;
  }
  if (name == "gemini") {
    return Dialect::kGemini;
  }
  if (name == "ollama") {
    return Dialect::kOllama;
  }
  if (name == "bedrock") {
    return Dialect::kBedrock;
  }
  return std::nullopt;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares actual against expected; on a difference, records where in `where`.
bool Matches(const json::value& expected, const json::value& actual, std::string path,
             std::string& where) {
  if (expected.is_string() && expected.get_string() == "$any") {
    return true;
  }
  if (expected.is_object() && actual.is_object()) {
    const auto& e = expected.get_object();
    const auto& a = actual.get_object();
    for (const auto& kv : e) {
      const auto* it = a.find(kv.key());
      if (it == a.end()) {
        where = path + "." + std::string(kv.key()) + ": missing";
        return false;
      }
      if (!Matches(kv.value(), it->value(), path + "." + std::string(kv.key()), where)) {
        return false;
      }
    }
    for (const auto& kv : a) {
      if (!e.contains(kv.key())) {
        where = path + "." + std::string(kv.key()) + ": unexpected";
        return false;
      }
    }
    return true;
  }
  if (expected.is_array() && actual.is_array()) {
    const auto& e = expected.get_array();
    const auto& a = actual.get_array();
    if (e.size() != a.size()) {
      where = path + ": " + std::to_string(a.size()) + " elements, expected " +
              std::to_string(e.size());
      return false;
    }
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (!Matches(e[i], a[i], path + "[" + std::to_string(i) + "]", where)) {
        return false;
      }
    }
    return true;
  }
  if (expected.is_number() && actual.is_number()) {
    if (expected.to_number<double>() == actual.to_number<double>()) {
      return true;
    }
  } else if (expected == actual) {
    return true;
  }
  where = path + ": got " + json::serialize(actual) + ", expected " + json::serialize(expected);
  return false;
}

void ExpectJsonMatches(std::string_view expected_text, std::string_view actual_text,
                       const std::string& label) {
  json::value expected = json::parse(expected_text);
  json::error_code ec;
  json::value actual = json::parse(actual_text, ec);
  ASSERT_FALSE(ec) << label << ": output is not JSON: " << actual_text;
  std::string where;
  EXPECT_TRUE(Matches(expected, actual, "$", where))
      << label << ": " << where << "\nactual: " << actual_text;
}

struct WireEvent {
  std::string event;
  std::string data;
};

std::vector<WireEvent> SplitSse(std::string_view body) {
  std::vector<WireEvent> events;
  SseSplitter splitter;
  splitter.Feed(body, [&](const SseEvent& ev) {
    if (ev.has_data) {
      events.push_back({std::string(ev.event), std::string(ev.data)});
    }
    return true;
  });
  return events;
}

void ExpectStreamMatches(std::string_view expected, std::string_view actual,
                         const std::string& label) {
  auto e = SplitSse(expected);
  auto a = SplitSse(actual);
  ASSERT_EQ(e.size(), a.size()) << label << ": event count differs\nactual:\n" << actual;
  for (std::size_t i = 0; i < e.size(); ++i) {
    std::string at = label + " event " + std::to_string(i);
    EXPECT_EQ(e[i].event, a[i].event) << at;
    if (e[i].data.empty() || e[i].data.front() != '{') {
      EXPECT_EQ(e[i].data, a[i].data) << at;
    } else {
      ExpectJsonMatches(e[i].data, a[i].data, at);
    }
  }
  if (!expected.empty() && expected.find("\r\n") == std::string_view::npos) {
    EXPECT_EQ(actual.find('\r'), std::string_view::npos) << label << ": CR in LF-framed stream";
  }
}

Request ClientRequest(const Codec& client, const fs::path& req_file) {
  if (fs::exists(req_file)) {
    auto parsed = client.parse_request(ReadFile(req_file));
    if (parsed) {
      return std::move(parsed).value();
    }
    ADD_FAILURE() << req_file << ": " << parsed.error().message;
  }
  Request r;
  r.model = "test-model";
  r.messages.push_back({Role::kUser, {Part::Text("hi")}});
  return r;
}

std::string Translate(const std::string& kind, const Codec& from, const Codec& to,
                      std::string_view in, const fs::path& req_file, bool byte_by_byte) {
  if (kind == "request") {
    auto req = from.parse_request(in);
    if (!req) {
      return "PARSE ERROR: " + req.error().message;
    }
    return to.render_request(*req, req->model);
  }
  Request client = ClientRequest(to, req_file);
  if (kind == "response") {
    auto resp = from.parse_response(in);
    if (!resp) {
      return "PARSE ERROR: " + resp.error().message;
    }
    return to.render_response(*resp, client);
  }
  if (kind == "stream") {
    auto decoder = from.make_decoder();
    auto encoder = to.make_encoder(client);
    std::string out;
    StreamEvents events;
    auto flush = [&] {
      for (const auto& ev : events) {
        encoder->Encode(ev, out);
      }
      events.clear();
    };
    if (byte_by_byte) {
      for (char c : in) {
        decoder->Feed(std::string_view(&c, 1), events);
        flush();
      }
    } else {
      decoder->Feed(in, events);
      flush();
    }
    decoder->Finish(events);
    flush();
    return out;
  }
  // error
  json::value v = json::parse(in);
  int status = static_cast<int>(v.at("status").to_number<int64_t>());
  const json::value& body = v.at("body");
  std::string body_text = body.is_string() ? std::string(body.get_string()) : json::serialize(body);
  Error e = from.parse_error(status, body_text);
  json::object out;
  out["status"] = to.error_status(e);
  out["body"] = json::parse(to.render_error(e));
  return json::serialize(out);
}

struct GoldenCase {
  fs::path in;
  fs::path out;
  std::string name;  // "<from>_to_<to>/<case>"
};

// Names the case in test output (instead of gtest's byte dump).
void PrintTo(const GoldenCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<GoldenCase> FindCases() {
  std::vector<GoldenCase> cases;
  fs::path root = fs::path(BATON_SOURCE_DIR) / "tests" / "golden";
  if (!fs::exists(root)) {
    return cases;
  }
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) {
      continue;
    }
    for (const auto& f : fs::directory_iterator(dir.path())) {
      std::string file = f.path().filename().string();
      auto pos = file.find(".in.");
      if (pos == std::string::npos) {
        continue;
      }
      std::string stem = file.substr(0, pos);
      fs::path out;
      for (const auto& g : fs::directory_iterator(dir.path())) {
        if (g.path().filename().string().starts_with(stem + ".out.")) {
          out = g.path();
        }
      }
      cases.push_back({f.path(), out, dir.path().filename().string() + "/" + stem});
    }
  }
  std::ranges::sort(cases, {}, &GoldenCase::name);
  return cases;
}

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, Translates) {
  const GoldenCase& c = GetParam();
  ASSERT_FALSE(c.out.empty()) << c.name << ": no .out file";
  std::string dir = c.in.parent_path().filename().string();
  auto sep = dir.find("_to_");
  ASSERT_NE(sep, std::string::npos) << dir;
  auto from = DialectFromDir(dir.substr(0, sep));
  auto to = DialectFromDir(dir.substr(sep + 4));
  ASSERT_TRUE(from.has_value() && to.has_value()) << "unknown dialect in " << dir;
  if (!from.has_value() || !to.has_value()) {
    return;
  }
  std::string stem = c.in.filename().string();
  stem = stem.substr(0, stem.find(".in."));
  std::string kind = stem.substr(0, stem.find('_'));
  ASSERT_TRUE(kind == "request" || kind == "response" || kind == "stream" || kind == "error")
      << c.name << ": the case name must start with request_, response_, stream_ or error_";
  const Codec& f = CodecFor(*from);
  const Codec& t = CodecFor(*to);
  fs::path req_file = c.in.parent_path() / (stem + ".req.json");
  std::string in = ReadFile(c.in);
  std::string expected = ReadFile(c.out);
  if (kind == "stream") {
    ASSERT_TRUE(f.make_decoder && t.make_encoder) << c.name << ": codec missing";
    ExpectStreamMatches(expected, Translate(kind, f, t, in, req_file, false), c.name);
    ExpectStreamMatches(expected, Translate(kind, f, t, in, req_file, true),
                        c.name + " (byte by byte)");
    return;
  }
  if (kind == "request") {
    ASSERT_TRUE(f.parse_request && t.render_request) << c.name << ": codec missing";
  } else if (kind == "response") {
    ASSERT_TRUE(f.parse_response && t.render_response) << c.name << ": codec missing";
  } else {
    ASSERT_TRUE(f.parse_error && t.render_error && t.error_status) << c.name << ": codec missing";
  }
  ExpectJsonMatches(expected, Translate(kind, f, t, in, req_file, false), c.name);
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(FindCases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) {
                               ch = '_';
                             }
                           }
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

TEST(GoldenCorpus, HasAtLeastSixtyCasesAcrossTheDirections) {
  auto cases = FindCases();
  EXPECT_GE(cases.size(), 60U);
  std::set<std::string> directions;
  for (const auto& c : cases) {
    directions.insert(c.name.substr(0, c.name.find('/')));
    EXPECT_FALSE(c.out.empty()) << c.name << " has no .out file";
  }
  for (const char* d :
       {"openai_to_anthropic", "anthropic_to_openai", "openai_to_gemini", "gemini_to_openai",
        "openai_to_ollama", "ollama_to_openai", "openai_to_bedrock", "bedrock_to_openai",
        "openai_to_responses", "responses_to_openai"}) {
    EXPECT_TRUE(directions.contains(d)) << "no golden cases for " << d;
  }
}

}  // namespace
}  // namespace baton::canon

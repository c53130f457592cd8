// Small helpers shared by the libFuzzer targets in this folder: checks that abort (so libFuzzer
// records the input as a crash) and a tolerant JSON validity test.
// Not thread-safe (libFuzzer runs one input at a time per process).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace baton::fuzz {

// Aborts with a message when an invariant does not hold; libFuzzer saves the input.
#define BATON_FUZZ_CHECK(cond, what)                                                           \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "\nFUZZ INVARIANT FAILED at %s:%d: %s\n  %s\n", __FILE__, __LINE__, \
                   #cond, std::string(what).c_str());                                          \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

// Parses text as one JSON document. The depth limit is generous: the check is "is this valid
// JSON", not "would a default parser take it" (outputs may nest a level or two deeper than the
// inputs that produced them).
inline bool ParseJson(std::string_view text, boost::json::value* out = nullptr) {
  boost::json::parse_options opt;
  opt.max_depth = 4096;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec, {}, opt);
  if (ec) {
    return false;
  }
  if (out != nullptr) {
    *out = std::move(v);
  }
  return true;
}

// The input as a string_view, for readable messages.
inline std::string Shorten(std::string_view s, std::size_t max = 300) {
  std::string out(s.substr(0, max));
  if (s.size() > max) {
    out += "...";
  }
  return out;
}

}  // namespace baton::fuzz

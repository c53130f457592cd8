// BPE tokenizer tests: known ids from tiktoken's own tests, every reference encoding in
// tests/fixtures/tokens/expected.json (made with js-tiktoken by
// tools/token-ranks/gen-expected.mjs), the pre-tokenizer pieces, the heap merge against the linear
// one, and model → encoding.
#include "dialects/tokens/bpe.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/tokens/pretokenize.hpp"

namespace baton::tokens {
namespace {

namespace json = boost::json;
using Ids = std::vector<uint32_t>;

TEST(BpeKnown, HelloWorld) {
  EXPECT_EQ(Encode(Encoding::kCl100k, "hello world"), (Ids{15339, 1917}));
  EXPECT_EQ(Encode(Encoding::kO200k, "hello world"), (Ids{24912, 2375}));
  EXPECT_EQ(CountTokens(Encoding::kO200k, "hello world"), 2U);
  EXPECT_TRUE(Encode(Encoding::kO200k, "").empty());
}

// From openai/tiktoken tests/test_encoding.py (the 0000... case checked with js-tiktoken).
TEST(BpeKnown, TiktokenTestCases) {
  // Special tokens are plain text here (allowed_special is never used by the counter).
  EXPECT_EQ(Encode(Encoding::kCl100k, "hello <|endoftext|>"),
            (Ids{15339, 83739, 8862, 728, 428, 91, 29}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "👍"), (Ids{9468, 239, 235}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "00000000000000000"), (Ids{931, 931, 931, 931, 931, 410}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "rer"), (Ids{38149}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "'rer"), (Ids{2351, 81}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "today\n "), (Ids{31213, 198, 220}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "today\n \n"), (Ids{31213, 27907}));
  EXPECT_EQ(Encode(Encoding::kCl100k, "today\n  \n"), (Ids{31213, 14211}));
  EXPECT_EQ(Encode(Encoding::kO200k, "hello world"), (Ids{24912, 2375}));
  // U+0085 is White_Space for tiktoken's Rust regex (not for JavaScript's \s).
  EXPECT_EQ(Encode(Encoding::kCl100k,
                   " \xC2\x85"
                   "0"),
            (Ids{220, 126, 227, 15}));
}

TEST(BpeKnown, DecodeRoundTrips) {
  for (Encoding e : {Encoding::kO200k, Encoding::kCl100k}) {
    for (std::string_view s :
         {"hello world", "日本語 テキスト", "a  \n\n b", "👨‍👩‍👧 x", "\xff\xfe bad"}) {
      EXPECT_EQ(Decode(e, Encode(e, s)), s) << EncodingName(e);
    }
  }
}

json::array LoadExpected() {
  std::ifstream in(std::string(BATON_SOURCE_DIR) + "/tests/fixtures/tokens/expected.json",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str()).as_array();
}

Ids ToIds(const json::value& v) {
  Ids ids;
  for (const auto& x : v.as_array()) {
    ids.push_back(static_cast<uint32_t>(x.to_number<uint64_t>()));
  }
  return ids;
}

TEST(BpeReference, EveryFixtureMatchesJsTiktoken) {
  json::array cases = LoadExpected();
  ASSERT_GT(cases.size(), 200U);
  size_t matched = 0;
  size_t total = 0;
  for (const auto& c : cases) {
    std::string text(c.at("text").as_string());
    for (auto [e, key] :
         {std::pair{Encoding::kO200k, "o200k_base"}, std::pair{Encoding::kCl100k, "cl100k_base"}}) {
      ++total;
      Ids want = ToIds(c.at(key));
      Ids got = Encode(e, text);
      if (got == want) {
        ++matched;
      } else {
        ADD_FAILURE() << key << " differs for " << json::serialize(c.at("text"));
      }
      EXPECT_EQ(CountTokens(e, text), want.size());
    }
  }
  std::printf("[ reference ] %zu of %zu encodings match js-tiktoken\n", matched, total);
}

std::vector<std::string> Pieces(Encoding e, std::string_view s) {
  auto v = e == Encoding::kO200k ? SplitO200k(s) : SplitCl100k(s);
  return {v.begin(), v.end()};
}
using Strs = std::vector<std::string>;

TEST(BpePretokenize, O200kPieces) {
  EXPECT_EQ(Pieces(Encoding::kO200k, "Hello world"), (Strs{"Hello", " world"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "dog's HOUSE'S"), (Strs{"dog's", " HOUSE'S"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "CamelCase"), (Strs{"Camel", "Case"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "1234567"), (Strs{"123", "456", "7"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "a   b"), (Strs{"a", "  ", " b"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "x  \n  y"), (Strs{"x", "  \n", " ", " y"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "end  "), (Strs{"end", "  "}));
  EXPECT_EQ(Pieces(Encoding::kO200k, " !!/\n/x"), (Strs{" !!/\n/", "x"}));
  EXPECT_EQ(Pieces(Encoding::kO200k, "a 1"), (Strs{"a", " ", "1"}));
}

TEST(BpePretokenize, Cl100kPieces) {
  EXPECT_EQ(Pieces(Encoding::kCl100k, "dog's"), (Strs{"dog", "'s"}));
  EXPECT_EQ(Pieces(Encoding::kCl100k, "CamelCase"), (Strs{"CamelCase"}));
  EXPECT_EQ(Pieces(Encoding::kCl100k, " !!\n/x"), (Strs{" !!\n", "/x"}));
  EXPECT_EQ(Pieces(Encoding::kCl100k, "'sup"), (Strs{"'s", "up"}));
}

TEST(BpeMerge, LongPiecesUseHeapAndAgreeWithShortOnes) {
  // A long single-letter run is one piece (heap merge); the same letters split into chunks by
  // spaces go through the linear merge. A pathological input must round-trip (its speed is a
  // benchmark matter: bench/translate_bench.cpp).
  for (Encoding e : {Encoding::kO200k, Encoding::kCl100k}) {
    std::string s(256 << 10, 'a');
    Ids ids = Encode(e, s);
    EXPECT_EQ(Decode(e, ids), s);
  }
}

// The heap merge (long pieces) and the linear merge pick the same pairs: random pieces of up to
// 128 bytes built from word fragments, spaces and multi-byte characters.
TEST(BpeMerge, HeapAndLinearAgree) {
  const char* frags[] = {"the", "ing",     "Token", " ", "  ", "ab", "é",  "中", "🙂", "0",
                         "1",   "ization", "qu",    "x", "--", "\n", "'s", "ZZ", "ö",  "ü"};
  uint32_t seed = 7;
  auto rnd = [&](uint32_t n) {
    seed = seed * 1664525U + 1013904223U;
    return (seed >> 8) % n;
  };
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string piece;
    size_t len = 2 + rnd(126);
    while (piece.size() < len) {
      std::string f = frags[rnd(std::size(frags))];
      if (piece.size() + f.size() > 128) {
        break;
      }
      piece += f;
    }
    for (Encoding e : {Encoding::kO200k, Encoding::kCl100k}) {
      ASSERT_EQ(internal::MergePieceForTest(e, piece, false),
                internal::MergePieceForTest(e, piece, true))
          << EncodingName(e) << " " << piece;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 6000);
}

TEST(BpeModels, EncodingForModel) {
  EXPECT_EQ(EncodingForModel("gpt-4o-mini"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("gpt-4.1-nano"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("gpt-5"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("o3-mini"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("o1"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("o4-mini"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("openai/gpt-4o"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("ft:gpt-4o-2024-08-06:org::abc"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel("gpt-4"), Encoding::kCl100k);
  EXPECT_EQ(EncodingForModel("gpt-4-turbo"), Encoding::kCl100k);
  EXPECT_EQ(EncodingForModel("GPT-3.5-turbo"), Encoding::kCl100k);
  EXPECT_EQ(EncodingForModel("gpt-35-turbo"), Encoding::kCl100k);
  EXPECT_EQ(EncodingForModel("text-embedding-3-small"), Encoding::kCl100k);
  EXPECT_EQ(EncodingForModel("llama3"), Encoding::kO200k);
  EXPECT_EQ(EncodingForModel(""), Encoding::kO200k);
}

// Throughput is measured in bench/translate_bench.cpp (BpeEncode), not here.

}  // namespace
}  // namespace baton::tokens

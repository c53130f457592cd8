// Byte-pair encoding for OpenAI's tokenizers, o200k_base and cl100k_base, tiktoken-compatible
// (same token ids): the pre-tokenizer (pretokenize.hpp) splits text into pieces, and each piece is
// encoded by repeatedly merging the adjacent pair with the lowest rank.
//
// The rank tables are embedded in the binary (embedded_ranks.hpp) and parsed on first use of an
// encoding (a few ms; about 4 MB of memory for o200k_base, 2 MB for cl100k_base). Special tokens
// such as <|endoftext|> are NOT recognized: they count as the plain text they are, which is what
// an API does with them in user content (docs/tokenizer.md).
// Thread-safety: every function is safe from any thread (tables are built once, under a magic
// static, and read-only afterwards).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baton::tokens {

enum class Encoding { kO200k, kCl100k };

// "o200k_base" / "cl100k_base".
const char* EncodingName(Encoding e);

// The encoding an OpenAI model name uses: gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4*,
// chatgpt-4o*, gpt-oss* → o200k; gpt-4*, gpt-3.5*, gpt-35*, text-embedding-3*, text-embedding-ada*
// → cl100k; anything else → o200k. A "provider/" or "ft:" prefix is ignored; case-insensitive.
Encoding EncodingForModel(std::string_view model);

// Token ids of text (any bytes; invalid UTF-8 is encoded byte-wise).
std::vector<uint32_t> Encode(Encoding e, std::string_view text);
// The same count, without building the vector.
size_t CountTokens(Encoding e, std::string_view text);
// The bytes of tokens (ids outside the table decode to nothing).
std::string Decode(Encoding e, std::span<const uint32_t> tokens);

// Loads both tables now (about 60 ms of CPU when idle), so the first request that counts tokens
// does not pay for it. Optional; call from startup if counting is enabled.
void Preload();

// Heap bytes the encoding's table takes once loaded (loads it).
size_t RankTableBytes(Encoding e);

namespace internal {
// The merge of one piece (no pre-tokenizing) with the linear loop (piece ≤ 128 bytes) or the
// heap; for the test that checks both agree.
std::vector<uint32_t> MergePieceForTest(Encoding e, std::string_view piece, bool heap);
}  // namespace internal

}  // namespace baton::tokens

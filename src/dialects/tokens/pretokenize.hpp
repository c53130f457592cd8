// Pre-tokenizers: split text into the pieces BPE then encodes one by one, exactly as tiktoken's
// split regexes do for o200k_base and cl100k_base, written as hand scanners over UTF-8.
//
// o200k_base:
// [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//            |
//            [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//            | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n/]* | \s*[\r\n]+ | \s+(?!\S) | \s+
// cl100k_base: (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3}
//            | ' '?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//
// The scanners reproduce the backtracking regex semantics (first alternative that matches, each
// with its greedy-then-backtrack result); pretokenize.cpp says how per alternative. Invalid UTF-8
// bytes are single "other" characters. (?i) is ASCII-only here, like js-tiktoken's expansion of
// the patterns ('ſ' U+017F does not count as an 's').
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace baton::tokens {

// The end (byte offset, > begin) of the piece that starts at `begin` (< text.size()).
size_t NextPieceO200k(std::string_view text, size_t begin);
size_t NextPieceCl100k(std::string_view text, size_t begin);

// All pieces of text, in order (for tests and tools).
std::vector<std::string_view> SplitO200k(std::string_view text);
std::vector<std::string_view> SplitCl100k(std::string_view text);

}  // namespace baton::tokens

// The BPE rank tables, embedded into the binary at build time (CMakeLists.txt assembles
// build-data/<name>.tiktoken with .incbin; scripts/fetch-token-ranks.sh produces those files).
// Each is tiktoken's text format: one "<base64 token bytes> <rank>" line per token, rank order.
// Thread-safety: constant data.
#pragma once

#include <cstdint>
#include <string_view>

// The names are fixed by the assembler file CMake generates (token_ranks.S).
// NOLINTBEGIN(readability-identifier-naming, modernize-avoid-c-arrays)
extern "C" {
extern const char baton_ranks_o200k_base[];
extern const uint64_t baton_ranks_o200k_base_size;
extern const char baton_ranks_cl100k_base[];
extern const uint64_t baton_ranks_cl100k_base_size;
}
// NOLINTEND(readability-identifier-naming, modernize-avoid-c-arrays)

namespace baton::tokens {

inline std::string_view EmbeddedO200kRanks() {
  return {baton_ranks_o200k_base, static_cast<size_t>(baton_ranks_o200k_base_size)};
}
inline std::string_view EmbeddedCl100kRanks() {
  return {baton_ranks_cl100k_base, static_cast<size_t>(baton_ranks_cl100k_base_size)};
}

}  // namespace baton::tokens

#include "dialects/tokens/bpe.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <queue>

#include "dialects/tokens/embedded_ranks.hpp"
#include "dialects/tokens/pretokenize.hpp"

namespace baton::tokens {
namespace {

constexpr uint32_t kNoRank = std::numeric_limits<uint32_t>::max();

uint64_t HashBytes(const uint8_t* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0x94D049BB133111EBULL;
  }
  h ^= h >> 32;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 29;
  return h;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

[[noreturn]] void Corrupt(const char* what) {
  // The tables are checksum-verified before they are embedded; this is a build defect.
  std::fprintf(stderr, "baton: embedded token ranks are corrupt (%s)\n", what);
  std::abort();
}

// Token bytes → rank. All token bytes live in one arena; an open-addressing table (linear
// probing, load ≤ 0.5) holds, per slot, rank + 1 in the low bits and a hash tag in the high bits
// so most probes that miss never touch the arena.
class RankTable {
 public:
  explicit RankTable(std::string_view text) {
    size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (lines == 0 || lines + 1 >= (size_t{1} << kRankBits)) {
      Corrupt("size");
    }
    offsets_.reserve(lines + 1);
    arena_.reserve(text.size() * 3 / 4);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) {
        nl = text.size();
      }
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.empty()) {
        continue;
      }
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos) {
        Corrupt("line");
      }
      uint64_t rank = 0;
      for (char c : line.substr(sp + 1)) {
        if (c < '0' || c > '9') {
          Corrupt("rank");
        }
        rank = rank * 10 + static_cast<uint64_t>(c - '0');
      }
      if (rank != offsets_.size()) {
        Corrupt("ranks are not dense and ordered");
      }
      offsets_.push_back(static_cast<uint32_t>(arena_.size()));
      uint32_t acc = 0;
      int bits = 0;
      for (char c : line.substr(0, sp)) {
        if (c == '=') {
          break;
        }
        int v = Base64Value(c);
        if (v < 0) {
          Corrupt("base64");
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          arena_.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
      }
    }
    offsets_.push_back(static_cast<uint32_t>(arena_.size()));
    arena_.shrink_to_fit();
    size_t n = offsets_.size() - 1;
    size_t cap = 1;
    while (cap < n * 2) {
      cap <<= 1;
    }
    slots_.assign(cap, 0);
    mask_ = cap - 1;
    for (uint32_t r = 0; r < n; ++r) {
      std::string_view b = Bytes(r);
      max_len_ = std::max(max_len_, b.size());
      const auto* p = reinterpret_cast<const uint8_t*>(b.data());
      uint64_t h = HashBytes(p, b.size());
      size_t i = h & mask_;
      while (slots_[i] != 0) {
        i = (i + 1) & mask_;
      }
      slots_[i] = Tag(h) | (r + 1);
    }
  }

  uint32_t Find(const uint8_t* p, size_t n) const {
    if (n > max_len_) {
      return kNoRank;
    }
    uint64_t h = HashBytes(p, n);
    uint32_t tag = Tag(h);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint32_t s = slots_[i];
      if (s == 0) {
        return kNoRank;
      }
      if ((s & ~kRankMask) == tag) {
        uint32_t r = (s & kRankMask) - 1;
        uint32_t off = offsets_[r];
        if (offsets_[r + 1] - off == n && std::memcmp(arena_.data() + off, p, n) == 0) {
          return r;
        }
      }
    }
  }

  std::string_view Bytes(uint32_t r) const {
    return {arena_.data() + offsets_[r], offsets_[r + 1] - offsets_[r]};
  }
  size_t size() const { return offsets_.size() - 1; }
  size_t MemoryBytes() const {
    return arena_.capacity() + (offsets_.capacity() * sizeof(uint32_t)) +
           (slots_.capacity() * sizeof(uint32_t));
  }

 private:
  static constexpr int kRankBits = 18;
  static constexpr uint32_t kRankMask = (1U << kRankBits) - 1;
  static uint32_t Tag(uint64_t h) { return static_cast<uint32_t>(h >> 50) << kRankBits; }

  std::string arena_;
  std::vector<uint32_t> offsets_;  // token r = arena_[offsets_[r], offsets_[r + 1])
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
  size_t max_len_ = 0;
};

const RankTable& Table(Encoding e) {
  if (e == Encoding::kCl100k) {
    static const RankTable cl100k(EmbeddedCl100kRanks());
    return cl100k;
  }
  static const RankTable o200k(EmbeddedO200kRanks());
  return o200k;
}

// Pieces longer than this merge with a heap (O(n log n)) instead of tiktoken's rescanning loop
// (O(n²)), so a megabyte of one letter cannot stall a request. Both pick the same pair each step:
// the lowest rank, leftmost on ties.
constexpr size_t kLinearMergeMax = 128;

template <typename Sink>
void MergeLinear(const RankTable& t, const uint8_t* p, size_t n, Sink& sink) {
  struct Part {
    uint32_t start;
    uint32_t rank;  // rank of this part merged with the next one
  };
  std::array<Part, kLinearMergeMax + 1> parts;
  size_t count = n + 1;
  auto pair_rank = [&](size_t i) {  // parts[i] + parts[i + 1] (needs parts[i + 2])
    return i + 2 < count ? t.Find(p + parts[i].start, parts[i + 2].start - parts[i].start)
                         : kNoRank;
  };
  for (size_t i = 0; i <= n; ++i) {
    parts[i].start = static_cast<uint32_t>(i);
  }
  for (size_t i = 0; i < count; ++i) {
    parts[i].rank = pair_rank(i);
  }
  for (;;) {
    uint32_t min_rank = kNoRank;
    size_t min_i = 0;
    for (size_t i = 0; i + 1 < count; ++i) {
      if (parts[i].rank < min_rank) {
        min_rank = parts[i].rank;
        min_i = i;
      }
    }
    if (min_rank == kNoRank) {
      break;
    }
    std::memmove(&parts[min_i + 1], &parts[min_i + 2], (count - min_i - 2) * sizeof(Part));
    --count;
    parts[min_i].rank = pair_rank(min_i);
    if (min_i > 0) {
      parts[min_i - 1].rank = pair_rank(min_i - 1);
    }
  }
  for (size_t i = 0; i + 1 < count; ++i) {
    sink(t.Find(p + parts[i].start, parts[i + 1].start - parts[i].start));
  }
}

template <typename Sink>
void MergeHeap(const RankTable& t, const uint8_t* p, size_t n, Sink& sink) {
  // Parts are identified by their start offset; next[s] is the start of the part after s (n at
  // the end), prev[s] the one before. A heap entry is a candidate pair (rank, start, end); it is
  // stale when the part at start was merged away or the pair no longer ends at end.
  std::vector<uint32_t> next(n);
  std::vector<uint32_t> prev(n);
  std::vector<bool> alive(n, true);
  struct Cand {
    uint32_t rank;
    uint32_t start;
    uint32_t end;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : start > o.start; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<>> heap;
  for (uint32_t i = 0; i < n; ++i) {
    next[i] = i + 1;
    prev[i] = i == 0 ? 0 : i - 1;
    if (i + 1 < n) {
      uint32_t r = t.Find(p + i, 2);
      if (r != kNoRank) {
        heap.push({r, i, i + 2});
      }
    }
  }
  auto end_of = [&](uint32_t s) { return s < n ? next[s] : static_cast<uint32_t>(n); };
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    if (!alive[c.start]) {
      continue;
    }
    uint32_t mid = next[c.start];
    if (mid >= n || end_of(mid) != c.end) {
      continue;
    }
    alive[mid] = false;
    next[c.start] = c.end;
    if (c.end < n) {
      prev[c.end] = c.start;
    }
    if (c.start > 0) {
      uint32_t ps = prev[c.start];
      uint32_t r = t.Find(p + ps, c.end - ps);
      if (r != kNoRank) {
        heap.push({r, ps, c.end});
      }
    }
    if (c.end < n) {
      uint32_t ne = next[c.end];
      uint32_t r = t.Find(p + c.start, ne - c.start);
      if (r != kNoRank) {
        heap.push({r, c.start, ne});
      }
    }
  }
  for (uint32_t s = 0; s < n; s = next[s]) {
    sink(t.Find(p + s, next[s] - s));
  }
}

template <typename Sink>
void EncodeWith(Encoding e, std::string_view text, Sink& sink) {
  const RankTable& t = Table(e);
  auto next_piece = e == Encoding::kCl100k ? NextPieceCl100k : NextPieceO200k;
  const auto* base = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size();) {
    size_t end = next_piece(text, i);
    const uint8_t* p = base + i;
    size_t n = end - i;
    i = end;
    uint32_t whole = t.Find(p, n);
    if (whole != kNoRank) {
      sink(whole);
    } else if (n <= kLinearMergeMax) {
      MergeLinear(t, p, n, sink);
    } else {
      MergeHeap(t, p, n, sink);
    }
  }
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != prefix[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* EncodingName(Encoding e) {
  return e == Encoding::kCl100k ? "cl100k_base" : "o200k_base";
}

Encoding EncodingForModel(std::string_view model) {
  if (size_t slash = model.rfind('/'); slash != std::string_view::npos) {
    model.remove_prefix(slash + 1);
  }
  if (StartsWithNoCase(model, "ft:")) {
    model.remove_prefix(3);
  }
  for (std::string_view p : {"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4",
                             "chatgpt-4o", "gpt-oss", "codex"}) {
    if (StartsWithNoCase(model, p)) {
      return Encoding::kO200k;
    }
  }
  for (std::string_view p :
       {"gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada"}) {
    if (StartsWithNoCase(model, p)) {
      return Encoding::kCl100k;
    }
  }
  return Encoding::kO200k;
}

std::vector<uint32_t> Encode(Encoding e, std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve((text.size() / 4) + 1);
  auto sink = [&out](uint32_t r) { out.push_back(r); };
  EncodeWith(e, text, sink);
  return out;
}

size_t CountTokens(Encoding e, std::string_view text) {
  size_t count = 0;
  auto sink = [&count](uint32_t) { ++count; };
  EncodeWith(e, text, sink);
  return count;
}

std::string Decode(Encoding e, std::span<const uint32_t> tokens) {
  const RankTable& t = Table(e);
  std::string out;
  for (uint32_t r : tokens) {
    if (r < t.size()) {
      out.append(t.Bytes(r));
    }
  }
  return out;
}

void Preload() {
  (void)Table(Encoding::kO200k);
  (void)Table(Encoding::kCl100k);
}

std::vector<uint32_t> internal::MergePieceForTest(Encoding e, std::string_view piece, bool heap) {
  std::vector<uint32_t> out;
  auto sink = [&out](uint32_t r) { out.push_back(r); };
  const auto* p = reinterpret_cast<const uint8_t*>(piece.data());
  if (piece.empty()) {
    return out;
  }
  if (heap) {
    MergeHeap(Table(e), p, piece.size(), sink);
  } else if (piece.size() <= kLinearMergeMax) {
    MergeLinear(Table(e), p, piece.size(), sink);
  }
  return out;
}

size_t RankTableBytes(Encoding e) {
  return Table(e).MemoryBytes();
}

}  // namespace baton::tokens

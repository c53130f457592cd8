#include "dialects/tokens/pretokenize.hpp"

#include <cstdint>

#include "dialects/tokens/unicode.hpp"

namespace baton::tokens {
namespace {

// The classes the patterns name.
bool IsUpperish(CpClass c) {  // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  return c == CpClass::kLu || c == CpClass::kLt || c == CpClass::kLm || c == CpClass::kLo ||
         c == CpClass::kMark;
}
bool IsLowerish(CpClass c) {  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  return c == CpClass::kLl || c == CpClass::kLm || c == CpClass::kLo || c == CpClass::kMark;
}
bool IsPunct(CpClass c) {  // [^\s\p{L}\p{N}]
  return c == CpClass::kOther || c == CpClass::kMark;
}
bool IsPrefix(const DecodedCp& d) {  // [^\r\n\p{L}\p{N}]
  return !IsLetter(d.cls) && d.cls != CpClass::kNumber && d.cp != '\r' && d.cp != '\n';
}

class Text {
 public:
  explicit Text(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), n_(s.size()) {}
  size_t size() const { return n_; }
  DecodedCp At(size_t i) const { return DecodeCp(p_ + i, p_ + n_); }
  uint8_t Byte(size_t i) const { return p_[i]; }

  // (?i:'s|'t|'re|'ve|'m|'ll|'d) at i: the end of the match, or i.
  size_t Contraction(size_t i) const {
    if (i + 1 >= n_ || p_[i] != '\'') {
      return i;
    }
    uint8_t a = p_[i + 1] | 0x20;  // ASCII lower case (non-letters never match below)
    if (a == 's' || a == 't' || a == 'm' || a == 'd') {
      return i + 2;
    }
    if (i + 2 < n_) {
      uint8_t b = p_[i + 2] | 0x20;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
        return i + 3;
      }
    }
    return i;
  }

  // Greedy run of characters whose class satisfies pred, from i: its end.
  template <typename Pred>
  size_t Run(size_t i, Pred pred) const {
    while (i < n_) {
      DecodedCp d = At(i);
      if (!pred(d.cls)) {
        break;
      }
      i += d.len;
    }
    return i;
  }

  // [\p{Lu}...\p{M}]*[\p{Ll}...\p{M}]+ at p: end of the match, or 0 when it does not match.
  // The starred run takes every upper-ish character; if the next one is Ll (lower-ish and not
  // upper-ish) the plus run continues from there. Otherwise the regex backtracks into the starred
  // run to the last character that is also lower-ish (Lm, Lo, M), and the plus run is that one
  // character (the one after it, if any, is Lu/Lt, not lower-ish).
  size_t UpperStarLowerPlus(size_t p) const {
    size_t q = p;
    size_t last_lowerish_end = 0;
    while (q < n_) {
      DecodedCp d = At(q);
      if (!IsUpperish(d.cls)) {
        if (d.cls == CpClass::kLl) {
          return Run(q + d.len, IsLowerish);
        }
        break;
      }
      q += d.len;
      if (IsLowerish(d.cls)) {
        last_lowerish_end = q;
      }
    }
    return last_lowerish_end;
  }

  // [\p{Lu}...\p{M}]+[\p{Ll}...\p{M}]* at p: end, or 0.
  size_t UpperPlusLowerStar(size_t p) const {
    size_t q = Run(p, IsUpperish);
    return q == p ? 0 : Run(q, IsLowerish);
  }

  // \p{N}{1,3} at i (i is a number).
  size_t Digits(size_t i) const {
    for (int k = 0; k < 3 && i < n_; ++k) {
      DecodedCp d = At(i);
      if (d.cls != CpClass::kNumber) {
        break;
      }
      i += d.len;
    }
    return i;
  }

  // ' '?[^\s\p{L}\p{N}]+ then [\r\n]* (or [\r\n/]*) at i: end, or 0.
  size_t Punct(size_t i, DecodedCp c, bool slash) const {
    size_t q = i;
    if (c.cp == ' ' && i + 1 < n_ && IsPunct(At(i + 1).cls)) {
      q = i + 1;
    } else if (!IsPunct(c.cls)) {
      return 0;
    }
    q = Run(q, IsPunct);
    while (q < n_ && (p_[q] == '\r' || p_[q] == '\n' || (slash && p_[q] == '/'))) {
      ++q;
    }
    return q;
  }

  // \s*[\r\n]+ | \s+(?!\S) | \s+ at i (i is white space).
  // \s*[\r\n]+ ends right after the last CR/LF of the white-space run. Otherwise \s+(?!\S) takes
  // the whole run at the end of the text, or all but its last character when something follows
  // (that character then prefixes the next word); a single white-space character before a
  // non-space falls to \s+.
  size_t Space(size_t i) const {
    size_t q = i;
    size_t last_start = i;
    size_t last_newline_end = 0;
    int count = 0;
    while (q < n_) {
      DecodedCp d = At(q);
      if (d.cls != CpClass::kWhiteSpace) {
        break;
      }
      last_start = q;
      q += d.len;
      ++count;
      if (d.cp == '\r' || d.cp == '\n') {
        last_newline_end = q;
      }
    }
    if (count == 0) {
      return i + At(i).len;  // not white space: unreachable from the scanners, but never stall
    }
    if (last_newline_end != 0) {
      return last_newline_end;
    }
    if (q == n_ || count == 1) {
      return q;
    }
    return last_start;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace

size_t NextPieceO200k(std::string_view text, size_t begin) {
  Text t(text);
  DecodedCp c = t.At(begin);
  size_t after_prefix = IsPrefix(c) ? begin + c.len : 0;  // 0: the optional prefix cannot match
  size_t e = 0;
  // Alternative 1, with then without the optional prefix character.
  const bool prefix_fits = after_prefix != 0 && after_prefix < t.size();
  if (prefix_fits) {
    e = t.UpperStarLowerPlus(after_prefix);
    if (e != 0) {
      return t.Contraction(e);
    }
  }
  e = t.UpperStarLowerPlus(begin);
  if (e != 0) {
    return t.Contraction(e);
  }
  // Alternative 2.
  if (prefix_fits) {
    e = t.UpperPlusLowerStar(after_prefix);
    if (e != 0) {
      return t.Contraction(e);
    }
  }
  e = t.UpperPlusLowerStar(begin);
  if (e != 0) {
    return t.Contraction(e);
  }
  if (c.cls == CpClass::kNumber) {
    return t.Digits(begin);
  }
  e = t.Punct(begin, c, /*slash=*/true);
  if (e != 0) {
    return e;
  }
  return t.Space(begin);  // every other character is white space
}

size_t NextPieceCl100k(std::string_view text, size_t begin) {
  Text t(text);
  DecodedCp c = t.At(begin);
  size_t e = t.Contraction(begin);
  if (e != begin) {
    return e;
  }
  if (IsPrefix(c) && begin + c.len < t.size() && IsLetter(t.At(begin + c.len).cls)) {
    return t.Run(begin + c.len, IsLetter);
  }
  if (IsLetter(c.cls)) {
    return t.Run(begin, IsLetter);
  }
  if (c.cls == CpClass::kNumber) {
    return t.Digits(begin);
  }
  e = t.Punct(begin, c, /*slash=*/false);
  if (e != 0) {
    return e;
  }
  return t.Space(begin);
}

namespace {
template <size_t (*Next)(std::string_view, size_t)>
std::vector<std::string_view> SplitWith(std::string_view text) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < text.size();) {
    size_t e = Next(text, i);
    out.push_back(text.substr(i, e - i));
    i = e;
  }
  return out;
}
}  // namespace

std::vector<std::string_view> SplitO200k(std::string_view text) {
  return SplitWith<NextPieceO200k>(text);
}
std::vector<std::string_view> SplitCl100k(std::string_view text) {
  return SplitWith<NextPieceCl100k>(text);
}

}  // namespace baton::tokens

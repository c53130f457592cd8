// Fuzzes SseSplitter (src/dialects/sse.hpp). The input after byte 0 is a stream body; it is fed
// whole, in two pieces cut at a position taken from byte 0, and in small reads (one byte at a
// time for short inputs).
// Invariants: the events' raw bytes and the pending bytes are the input, less extra blank lines
// between events; every way of feeding gives the same events and the same pending bytes. The one
// accepted exception is the documented one: once a stream has framed lines with a bare CR, a
// "\r\n" whose '\r' ends a read counts as two line ends (sse.cpp LineEnd: waiting would hold back
// every event).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dialects/sse.hpp"
#include "fuzz_util.hpp"

namespace {

struct Collected {
  std::vector<std::string> raw, event, data;
  std::vector<bool> has_data;
  std::string pending;
  bool overflow = false;

  bool operator==(const Collected& o) const {
    return raw == o.raw && event == o.event && data == o.data && has_data == o.has_data &&
           pending == o.pending && overflow == o.overflow;
  }
};

Collected Run(std::string_view input, const std::vector<std::size_t>& cuts) {
  Collected c;
  baton::SseSplitter splitter;
  auto on_event = [&c](const baton::SseEvent& ev) {
    c.raw.emplace_back(ev.raw);
    c.event.emplace_back(ev.event);
    c.data.emplace_back(ev.data);
    c.has_data.push_back(ev.has_data);
    BATON_FUZZ_CHECK(ev.has_data || ev.data.empty(), "data without has_data");
    return true;
  };
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    splitter.Feed(input.substr(at, cut - at), on_event);
    at = cut;
  }
  splitter.Feed(input.substr(at), on_event);
  c.pending = splitter.pending();
  c.overflow = splitter.overflow();
  return c;
}

// The stream frames lines with a bare CR (its first line end is a '\r' not followed by '\n').
bool CrFramed(std::string_view s) {
  std::size_t i = s.find_first_of("\r\n");
  return i != std::string_view::npos && s[i] == '\r' && i + 1 < s.size() && s[i + 1] != '\n';
}

std::string Describe(const Collected& a, const Collected& b) {
  return std::to_string(a.raw.size()) + " vs " + std::to_string(b.raw.size()) +
         " events; pending " + std::to_string(a.pending.size()) + " vs " +
         std::to_string(b.pending.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Collected whole = Run(input, {});
  // The events' raw bytes appear in order in the input, separated only by extra blank lines
  // (which belong to no event), and what is pending is the input's tail.
  std::size_t pos = 0;
  auto skip_line_ends = [&](std::size_t limit) {
    while (pos < limit && (input[pos] == '\r' || input[pos] == '\n')) {
      ++pos;
    }
  };
  for (const auto& r : whole.raw) {
    skip_line_ends(input.size());
    BATON_FUZZ_CHECK(input.substr(pos, r.size()) == r,
                     "event raw bytes not found at " + std::to_string(pos));
    pos += r.size();
  }
  if (!whole.overflow) {
    BATON_FUZZ_CHECK(whole.pending.size() <= input.size() - pos &&
                         input.substr(input.size() - whole.pending.size()) == whole.pending,
                     "pending is not the input's tail");
    skip_line_ends(input.size() - whole.pending.size());
    BATON_FUZZ_CHECK(pos == input.size() - whole.pending.size(),
                     "bytes between the last event and pending are lost");
  }

  const bool cr_framed = CrFramed(input);
  const std::size_t cut = input.size() * data[0] / 255;
  const bool cut_splits_crlf =
      cut > 0 && cut < input.size() && input[cut - 1] == '\r' && input[cut] == '\n';
  if (!(cr_framed && cut_splits_crlf)) {
    const Collected two = Run(input, {cut});
    BATON_FUZZ_CHECK(two == whole, "split at " + std::to_string(cut) + ": " + Describe(two, whole));
  }
  // Small reads: byte by byte for short inputs, 64 bytes otherwise (each Feed rescans what is
  // pending, so byte-by-byte is quadratic).
  const std::size_t step = input.size() <= 1024 ? 1 : 64;
  bool crlf_at_cut = false;
  std::vector<std::size_t> cuts;
  for (std::size_t i = step; i < input.size(); i += step) {
    cuts.push_back(i);
    crlf_at_cut = crlf_at_cut || (input[i - 1] == '\r' && input[i] == '\n');
  }
  if (!(cr_framed && crlf_at_cut)) {
    const Collected pieces = Run(input, cuts);
    BATON_FUZZ_CHECK(pieces == whole,
                     "reads of " + std::to_string(step) + ": " + Describe(pieces, whole));
  }
  return 0;
}

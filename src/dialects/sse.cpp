#include "dialects/sse.hpp"

#include <cstring>

namespace baton {

namespace {

// Finds the end of the line starting at i: returns the index of its terminator and sets *next to
// the index after it, or npos when the line is not complete yet. A '\r' that is the last byte so
// far may be the first half of "\r\n": it waits for the next byte, unless the stream has shown
// it frames lines with a bare '\r' (then waiting would hold back every event until the next one).
std::size_t LineEnd(std::string_view s, std::size_t i, std::size_t* next, SseFraming* framing) {
  const char* begin = s.data() + i;
  const std::size_t n = s.size() - i;
  // Two vectorised scans instead of a byte loop: the first '\n', then any '\r' before it.
  const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', n));
  const std::size_t before_lf = lf != nullptr ? static_cast<std::size_t>(lf - begin) : n;
  const auto* cr = static_cast<const char*>(std::memchr(begin, '\r', before_lf));
  if (cr == nullptr) {
    if (lf == nullptr) {
      return std::string_view::npos;
    }
    if (*framing == SseFraming::kUnknown) {
      *framing = SseFraming::kLf;
    }
    std::size_t j = i + before_lf;
    *next = j + 1;
    return j;
  }
  auto j = static_cast<std::size_t>(cr - s.data());
  if (j + 1 == s.size()) {
    if (*framing != SseFraming::kCr) {
      return std::string_view::npos;
    }
    *next = j + 1;
    return j;
  }
  bool crlf = s[j + 1] == '\n';
  if (*framing == SseFraming::kUnknown) {
    *framing = crlf ? SseFraming::kLf : SseFraming::kCr;
  }
  *next = crlf ? j + 2 : j + 1;
  return j;
}

}  // namespace

bool SseSplitter::Split(std::string_view buffer, std::size_t* consumed,
                        const std::function<bool(const SseEvent&)>& on_event) {
  std::size_t event_begin = 0;
  std::size_t i = 0;
  SseEvent ev;
  int lines = 0;  // lines in the current block, comments included
  int data_lines = 0;
  std::string_view first_data;
  data_scratch_.clear();
  for (;;) {
    std::size_t next = 0;
    std::size_t end = LineEnd(buffer, i, &next, &framing_);
    if (end == std::string_view::npos) {
      break;
    }
    std::string_view line = buffer.substr(i, end - i);
    i = next;
    if (line.empty()) {
      if (lines > 0) {  // comment-only blocks (keep-alives) are handed out too, without data
        ev.raw = buffer.substr(event_begin, i - event_begin);
        ev.has_data = data_lines > 0;
        ev.data = data_lines > 1 ? std::string_view(data_scratch_) : first_data;
        if (!on_event(ev)) {
          *consumed = i;
          return false;
        }
      }
      event_begin = i;
      ev = SseEvent{};
      lines = 0;
      data_lines = 0;
      first_data = {};
      data_scratch_.clear();
      continue;
    }
    ++lines;
    if (line.front() == ':') {
      continue;  // comment / keep-alive
    }
    std::size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    if (field == "data") {
      if (data_lines == 0) {
        first_data = value;
      } else {
        if (data_lines == 1) {
          data_scratch_.assign(first_data);
        }
        data_scratch_ += '\n';
        data_scratch_.append(value);
      }
      ++data_lines;
    } else if (field == "event") {
      ev.event = value;
    }
  }
  *consumed = event_begin;
  return true;
}

void SseSplitter::Feed(std::string_view bytes,
                       const std::function<bool(const SseEvent&)>& on_event) {
  std::size_t consumed = 0;
  if (pending_.empty()) {
    Split(bytes, &consumed, on_event);
    if (consumed < bytes.size()) {
      pending_.assign(bytes.substr(consumed));
    }
  } else {
    pending_.append(bytes);
    Split(pending_, &consumed, on_event);
    pending_.erase(0, consumed);
  }
  if (pending_.size() > kMaxEventBytes) {
    overflow_ = true;
    pending_.clear();
  }
}

}  // namespace baton

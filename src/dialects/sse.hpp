// Incremental Server-Sent Events splitting (WIRE_FORMATS.md §0).
//
// Feed() takes upstream bytes in whatever pieces they arrive and hands out complete events, each
// with its raw bytes (for byte-exact pass-through) and its parsed `event:` name and `data:`
// payload (multiple data lines joined with '\n'; comments ignored). Handles LF, CRLF and CR line
// endings (Gemini frames with CRLF). An event split across reads is kept until it completes.
// Not thread-safe; one splitter per stream.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace baton {

// How the stream ends its lines, learnt from its first line ending.
enum class SseFraming { kUnknown, kLf, kCr };  // kLf covers "\n" and "\r\n"

struct SseEvent {
  std::string_view raw;    // the event's bytes including its terminating blank line
  std::string_view event;  // value of the `event:` field, empty when absent
  std::string_view data;   // joined `data:` values; views into raw or an internal buffer
  bool has_data = false;   // false for blocks of comments / other fields only (keep-alives)
};

class SseSplitter {
 public:
  // Calls on_event for each complete event in pending + bytes. The views are valid only during
  // the callback. Returning false from on_event stops splitting (the rest stays buffered).
  void Feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);
  // Bytes of an incomplete trailing event.
  std::string_view pending() const { return pending_; }
  // Limit for one event; a longer unterminated event is an error (returns false from Feed...).
  static constexpr std::size_t kMaxEventBytes = 16U << 20;
  bool overflow() const { return overflow_; }

 private:
  bool Split(std::string_view buffer, std::size_t* consumed,
             const std::function<bool(const SseEvent&)>& on_event);
  std::string pending_;
  SseFraming framing_ = SseFraming::kUnknown;
  std::string data_scratch_;
  bool overflow_ = false;
};

}  // namespace baton

// AWS event stream framing (application/vnd.amazon.eventstream), as Bedrock's ConverseStream and
// InvokeModelWithResponseStream send it. Each message:
//
//   total length (u32 BE) | headers length (u32 BE) | prelude CRC32 (u32 BE, over the 8 bytes)
//   headers: name length (u8), name, value type (u8), value (see HeaderType)
//   payload (total - headers - 16 bytes)
//   message CRC32 (u32 BE, over everything before it)
//
// CRC32 is IEEE 802.3 (zlib's crc32). EventStreamDecoder takes the body in arbitrary pieces and
// yields whole messages; a bad CRC, an impossible length or a message over the size bound is an
// error after which the decoder accepts nothing more.
//
// Thread-safety: a decoder is per stream and not shared; the free functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace baton::bedrock {

enum class HeaderType : uint8_t {
  kBoolTrue = 0,   // no value bytes
  kBoolFalse = 1,  // no value bytes
  kByte = 2,       // 1 byte
  kShort = 3,      // 2 bytes BE
  kInt = 4,        // 4 bytes BE
  kLong = 5,       // 8 bytes BE
  kBytes = 6,      // u16 BE length + bytes
  kString = 7,     // u16 BE length + UTF-8 bytes
  kTimestamp = 8,  // 8 bytes BE, milliseconds since the epoch
  kUuid = 9,       // 16 bytes
};

struct EventHeader {
  std::string name;
  HeaderType type = HeaderType::kString;
  std::string value;   // kString / kBytes / kUuid: the bytes; others: empty
  int64_t number = 0;  // integer types, timestamp; bools: 1 / 0
};

struct EventMessage {
  std::vector<EventHeader> headers;
  std::string payload;

  // The value of a string header, or "" when absent.
  std::string_view HeaderString(std::string_view name) const;
};

class EventStreamDecoder {
 public:
  static constexpr std::size_t kDefaultMaxMessage = std::size_t{16} * 1024 * 1024;
  explicit EventStreamDecoder(std::size_t max_message = kDefaultMaxMessage)
      : max_message_(max_message) {}

  // Appends the messages these bytes complete. On a framing error returns it (kUpstreamError);
  // every later call returns the same error.
  Status Feed(std::string_view bytes, std::vector<EventMessage>& out);
  // True when no partial message is buffered (the body may end here).
  bool AtBoundary() const { return buffer_.size() == offset_ && error_.message.empty(); }

 private:
  Status Fail(std::string message);

  std::size_t max_message_;
  std::string buffer_;
  std::size_t offset_ = 0;        // start of the unparsed bytes in buffer_
  bool prelude_checked_ = false;  // the prelude at offset_ passed its CRC
  Error error_;                   // set once failed (message non-empty)
};

// CRC32 (IEEE, reflected, poly 0xEDB88320), continuing from `crc` (0 to start).
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

// One encoded message (tests and mocks).
std::string EncodeMessage(const std::vector<EventHeader>& headers, std::string_view payload);
// Shorthand: string headers only.
std::string EncodeMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view payload);

}  // namespace baton::bedrock

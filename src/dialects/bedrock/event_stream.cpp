// Event stream framing. Both CRCs are checked: the prelude's before trusting the lengths (a bad
// length would otherwise make us wait for, or allocate, bytes that never come), the message's
// before the payload is used.
#include "dialects/bedrock/event_stream.hpp"

#include <algorithm>
#include <array>

namespace baton::bedrock {

namespace {

constexpr std::size_t kPreludeSize = 12;  // total length, headers length, prelude CRC
constexpr std::size_t kMinMessage = 16;   // prelude + message CRC

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    }
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint64_t ReadBe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

void AppendBe(std::string& out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

// Parses the header block; false when it is malformed.
bool ParseHeaders(std::string_view block, std::vector<EventHeader>& out) {
  std::size_t pos = 0;
  while (pos < block.size()) {
    auto name_len = static_cast<unsigned char>(block[pos++]);
    if (name_len == 0 || pos + name_len + 1 > block.size()) {
      return false;
    }
    EventHeader h;
    h.name.assign(block.substr(pos, name_len));
    pos += name_len;
    auto type = static_cast<unsigned char>(block[pos++]);
    if (type > 9) {
      return false;
    }
    h.type = static_cast<HeaderType>(type);
    auto fixed = [&](int n) {
      if (pos + n > block.size()) {
        return false;
      }
      h.number = static_cast<int64_t>(ReadBe(block.data() + pos, n));
      pos += n;
      return true;
    };
    switch (h.type) {
      case HeaderType::kBoolTrue:
        h.number = 1;
        break;
      case HeaderType::kBoolFalse:
        h.number = 0;
        break;
      case HeaderType::kByte:
        if (!fixed(1)) {
          return false;
        }
        h.number = h.number >= 128 ? h.number - 256 : h.number;  // sign-extend
        break;
      case HeaderType::kShort:
        if (!fixed(2)) {
          return false;
        }
        h.number = static_cast<int16_t>(h.number);
        break;
      case HeaderType::kInt:
        if (!fixed(4)) {
          return false;
        }
        h.number = static_cast<int32_t>(h.number);
        break;
      case HeaderType::kLong:
      case HeaderType::kTimestamp:
        if (!fixed(8)) {
          return false;
        }
        break;
      case HeaderType::kUuid:
        if (pos + 16 > block.size()) {
          return false;
        }
        h.value.assign(block.substr(pos, 16));
        pos += 16;
        break;
      case HeaderType::kBytes:
      case HeaderType::kString: {
        if (pos + 2 > block.size()) {
          return false;
        }
        std::size_t len = ReadBe(block.data() + pos, 2);
        pos += 2;
        if (pos + len > block.size()) {
          return false;
        }
        h.value.assign(block.substr(pos, len));
        pos += len;
        break;
      }
    }
    out.push_back(std::move(h));
  }
  return true;
}

}  // namespace

uint32_t Crc32(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (char ch : data) {
    crc = kCrcTable[(crc ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (crc >> 8);
  }
  return ~crc;
}

std::string_view EventMessage::HeaderString(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name == name && (h.type == HeaderType::kString || h.type == HeaderType::kBytes)) {
      return h.value;
    }
  }
  return {};
}

Status EventStreamDecoder::Fail(std::string message) {
  error_ = Error(ErrorKind::kUpstreamError, "malformed event stream from upstream: " + message);
  buffer_.clear();
  offset_ = 0;
  return error_;
}

Status EventStreamDecoder::Feed(std::string_view bytes, std::vector<EventMessage>& out) {
  if (!error_.message.empty()) {
    return error_;
  }
  buffer_.append(bytes);
  while (buffer_.size() - offset_ >= kPreludeSize) {
    const char* p = buffer_.data() + offset_;
    std::size_t total = ReadBe(p, 4);
    std::size_t headers_len = ReadBe(p + 4, 4);
    if (!prelude_checked_) {
      auto prelude_crc = static_cast<uint32_t>(ReadBe(p + 8, 4));
      if (Crc32(std::string_view(p, 8)) != prelude_crc) {
        return Fail("prelude checksum mismatch");
      }
      if (total < kMinMessage || headers_len > total - kMinMessage) {
        return Fail("impossible message length");
      }
      if (total > max_message_) {
        return Fail("message of " + std::to_string(total) + " bytes exceeds the limit");
      }
      prelude_checked_ = true;
    }
    if (buffer_.size() - offset_ < total) {
      break;
    }
    auto message_crc = static_cast<uint32_t>(ReadBe(p + total - 4, 4));
    if (Crc32(std::string_view(p, total - 4)) != message_crc) {
      return Fail("message checksum mismatch");
    }
    EventMessage msg;
    if (!ParseHeaders(std::string_view(p + kPreludeSize, headers_len), msg.headers)) {
      return Fail("malformed headers");
    }
    msg.payload.assign(p + kPreludeSize + headers_len, total - kMinMessage - headers_len);
    out.push_back(std::move(msg));
    offset_ += total;
    prelude_checked_ = false;
  }
  // Drop consumed bytes once they dominate the buffer, so a long stream does not grow it.
  if (offset_ > 0 && (offset_ == buffer_.size() || offset_ >= std::size_t{64} * 1024)) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return OkStatus();
}

std::string EncodeMessage(const std::vector<EventHeader>& headers, std::string_view payload) {
  std::string block;
  for (const auto& h : headers) {
    block.push_back(static_cast<char>(h.name.size()));
    block += h.name;
    block.push_back(static_cast<char>(h.type));
    switch (h.type) {
      case HeaderType::kBoolTrue:
      case HeaderType::kBoolFalse:
        break;
      case HeaderType::kByte:
        AppendBe(block, static_cast<uint64_t>(h.number), 1);
        break;
      case HeaderType::kShort:
        AppendBe(block, static_cast<uint64_t>(h.number), 2);
        break;
      case HeaderType::kInt:
        AppendBe(block, static_cast<uint64_t>(h.number), 4);
        break;
      case HeaderType::kLong:
      case HeaderType::kTimestamp:
        AppendBe(block, static_cast<uint64_t>(h.number), 8);
        break;
      case HeaderType::kUuid:
        block += h.value.substr(0, 16);
        block.append(16 - std::min<std::size_t>(16, h.value.size()), '\0');
        break;
      case HeaderType::kBytes:
      case HeaderType::kString:
        AppendBe(block, h.value.size(), 2);
        block += h.value;
        break;
    }
  }
  std::string out;
  std::size_t total = kMinMessage + block.size() + payload.size();
  AppendBe(out, total, 4);
  AppendBe(out, block.size(), 4);
  AppendBe(out, Crc32(out), 4);
  out += block;
  out.append(payload);
  AppendBe(out, Crc32(out), 4);
  return out;
}

std::string EncodeMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                          std::string_view payload) {
  std::vector<EventHeader> hs;
  hs.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    EventHeader h;
    h.name = name;
    h.type = HeaderType::kString;
    h.value = value;
    hs.push_back(std::move(h));
  }
  return EncodeMessage(hs, payload);
}

}  // namespace baton::bedrock

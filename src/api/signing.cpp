#include "api/signing.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/json_text.hpp"

namespace baton {

namespace {

constexpr std::size_t kHexSize = 64;

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Index of the first / last non-blank character; npos when there is none.
std::size_t FirstNonBlank(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!IsBlank(s[i])) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::size_t LastNonBlank(std::string_view s) {
  for (std::size_t i = s.size(); i > 0; --i) {
    if (!IsBlank(s[i - 1])) {
      return i - 1;
    }
  }
  return std::string_view::npos;
}

// The index of a JSON object's closing brace, or npos when s is not '{' ... '}'.
std::size_t ObjectClose(std::string_view s) {
  std::size_t first = FirstNonBlank(s);
  std::size_t last = LastNonBlank(s);
  if (first == std::string_view::npos || s[first] != '{' || s[last] != '}' || last == first) {
    return std::string_view::npos;
  }
  return last;
}

// s without the blanks before its first and after its last non-blank character: the bytes of a
// JSON body that are signed (a saved file's added final newline does not matter).
std::string_view Trimmed(std::string_view s) {
  std::size_t first = FirstNonBlank(s);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, LastNonBlank(s) - first + 1);
}

// Whether only blanks sit between the object's '{' and the closing brace at `close`.
bool EmptyObject(std::string_view s, std::size_t close) {
  std::size_t first = FirstNonBlank(s);
  return FirstNonBlank(s.substr(first + 1, close - first - 1)) == std::string_view::npos;
}

// s with `"name":value` inserted as the last member of the object closing at `close`.
std::string InsertLastMember(std::string_view s, std::size_t close, std::string_view name,
                             std::string_view json_value) {
  std::string out;
  out.reserve(s.size() + name.size() + json_value.size() + 4);
  out.append(s.substr(0, close));
  if (!EmptyObject(s, close)) {
    out += ',';
  }
  out += '"';
  out.append(name);
  out += "\":";
  out.append(json_value);
  out.append(s.substr(close));
  return out;
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

bool IsLowerHex(std::string_view s) {
  return std::ranges::all_of(
      s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Splits a signed object: finds `<sep>"name":"<64 hex>"` right before the closing brace (sep is
// ',' or nothing after '{'). On success sets *unsigned_text (the object without that member) and
// *sig.
bool StripSignature(std::string_view s, std::string_view name, std::string* unsigned_text,
                    std::string* sig) {
  std::size_t close = ObjectClose(s);
  if (close == std::string_view::npos) {
    return false;
  }
  const std::string member = "\"" + std::string(name) + "\":\"";
  const std::size_t member_size = member.size() + kHexSize + 1;
  if (close < member_size + 1) {
    return false;
  }
  std::size_t begin = close - member_size;
  std::string_view found = s.substr(begin, member_size);
  if (found.substr(0, member.size()) != member || found.back() != '"') {
    return false;
  }
  std::string_view hex = found.substr(member.size(), kHexSize);
  if (!IsLowerHex(hex)) {
    return false;
  }
  if (s[begin - 1] == ',') {
    --begin;
  } else if (s[begin - 1] != '{') {
    return false;
  }
  *sig = std::string(hex);
  *unsigned_text = std::string(s.substr(0, begin));
  unsigned_text->append(s.substr(close));
  return true;
}

std::string ChainInput(std::string_view prev, std::string_view request_id, int64_t index,
                       std::string_view data) {
  std::string m;
  m.reserve(prev.size() + request_id.size() + data.size() + 24);
  m.append(prev);
  m += '\n';
  m.append(request_id);
  m += '\n';
  m += std::to_string(index);
  m += '\n';
  m.append(data);
  return m;
}

std::string TerminalData(std::string_view request_id, int64_t events) {
  std::string out = "{\"";
  out.append(kRequestIdMember);
  out += "\":";
  AppendJsonString(out, request_id);
  out += ",\"events\":";
  out += std::to_string(events);
  out += '}';
  return out;
}

// Constant-time comparison of two hex signatures.
bool SameSignature(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

VerifyReport Fail(VerifyReport r, std::string message) {
  r.ok = false;
  r.message = std::move(message);
  return r;
}

// The payload of a `: x_signature_end {...}` comment block; empty when the block is not one.
std::string_view TerminalPayload(std::string_view raw) {
  constexpr std::string_view kTag = "x_signature_end";
  // The block's lines: find a comment line carrying the tag.
  std::size_t i = 0;
  while (i < raw.size()) {
    std::size_t end = raw.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      end = raw.size();
    }
    std::string_view line = raw.substr(i, end - i);
    if (!line.empty() && line.front() == ':') {
      line.remove_prefix(1);
      while (!line.empty() && line.front() == ' ') {
        line.remove_prefix(1);
      }
      if (line.starts_with(kTag)) {
        line.remove_prefix(kTag.size());
        while (!line.empty() && line.front() == ' ') {
          line.remove_prefix(1);
        }
        return line;
      }
    }
    i = end + 1;
  }
  return {};
}

// Reads `"baton_request_id":"..."` out of an unsigned object (plain ids only: no escapes).
std::string FindRequestId(std::string_view text) {
  const std::string key = "\"" + std::string(kRequestIdMember) + "\":\"";
  std::size_t at = text.rfind(key);
  if (at == std::string_view::npos) {
    return {};
  }
  std::size_t begin = at + key.size();
  std::size_t end = text.find('"', begin);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(text.substr(begin, end - begin));
}

}  // namespace

namespace {

const EVP_MD* Sha256() {
  // Fetched once: an implicit fetch per use takes the provider store's lock.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

constexpr std::size_t kShaBlock = 64;

void ToHex(const unsigned char* bytes, std::size_t size, std::string& hex) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  hex.resize(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[(2 * i) + 1] = kDigits[bytes[i] & 0xF];
  }
}

}  // namespace

HmacSha256Key::HmacSha256Key(std::string_view key)
    : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()), work_(EVP_MD_CTX_new()) {
  std::array<unsigned char, kShaBlock> block{};
  if (key.size() > kShaBlock) {
    unsigned int n = 0;
    EVP_Digest(key.data(), key.size(), block.data(), &n, Sha256(), nullptr);
  } else {
    std::ranges::copy(key, block.begin());
  }
  std::array<unsigned char, kShaBlock> pad{};
  for (std::size_t i = 0; i < kShaBlock; ++i) {
    pad[i] = block[i] ^ 0x36U;
  }
  EVP_DigestInit_ex(inner_, Sha256(), nullptr);
  EVP_DigestUpdate(inner_, pad.data(), pad.size());
  for (std::size_t i = 0; i < kShaBlock; ++i) {
    pad[i] = block[i] ^ 0x5cU;
  }
  EVP_DigestInit_ex(outer_, Sha256(), nullptr);
  EVP_DigestUpdate(outer_, pad.data(), pad.size());
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
  EVP_MD_CTX_free(work_);
}

HmacSha256Key::HmacSha256Key(HmacSha256Key&& other) noexcept
    : inner_(std::exchange(other.inner_, nullptr)),
      outer_(std::exchange(other.outer_, nullptr)),
      work_(std::exchange(other.work_, nullptr)) {}

HmacSha256Key& HmacSha256Key::operator=(HmacSha256Key&& other) noexcept {
  if (this != &other) {
    std::swap(inner_, other.inner_);
    std::swap(outer_, other.outer_);
    std::swap(work_, other.work_);
  }
  return *this;
}

std::string HmacSha256Key::Hex(std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_MD_CTX_copy_ex(work_, inner_);
  EVP_DigestUpdate(work_, message.data(), message.size());
  EVP_DigestFinal_ex(work_, digest.data(), &size);
  EVP_MD_CTX_copy_ex(work_, outer_);
  EVP_DigestUpdate(work_, digest.data(), size);
  EVP_DigestFinal_ex(work_, digest.data(), &size);
  std::string hex;
  ToHex(digest.data(), size, hex);
  return hex;
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  return HmacSha256Key(key).Hex(message);
}

SignedBody SignJsonBody(std::string_view secret, std::string_view request_id,
                        std::string_view body) {
  SignedBody out;
  std::size_t close = ObjectClose(body);
  if (close == std::string_view::npos) {
    out.body = std::string(body);
    return out;
  }
  std::string with_id = InsertLastMember(body, close, kRequestIdMember, Quoted(request_id));
  out.header = HmacSha256Hex(secret, Trimmed(with_id));
  std::size_t close2 = ObjectClose(with_id);
  out.body = InsertLastMember(with_id, close2, kSignatureMember, "\"" + out.header + "\"");
  return out;
}

StreamSigner::StreamSigner(std::string_view secret, std::string request_id)
    : key_(secret), request_id_(std::move(request_id)), prev_(key_.Hex(request_id_)) {}

void StreamSigner::Feed(std::string_view bytes, std::string& out) {
  splitter_.Feed(bytes, [&](const SseEvent& ev) {
    if (!ev.has_data) {
      out.append(ev.raw);  // comments, keep-alives
      return true;
    }
    if (ev.data == "[DONE]") {
      AppendTerminal(out);
      out.append(ev.raw);
      return true;
    }
    std::size_t close = ObjectClose(ev.data);
    if (close == std::string_view::npos) {
      out.append(ev.raw);  // not a JSON object: cannot carry a signature (verifiers reject it)
      return true;
    }
    ++events_;
    prev_ = key_.Hex(ChainInput(prev_, request_id_, events_, ev.data));
    const std::string value = "\"" + prev_ + "\"";
    const char* raw_begin = ev.raw.data();
    const char* data_begin = ev.data.data();
    if (data_begin >= raw_begin && data_begin + ev.data.size() <= raw_begin + ev.raw.size()) {
      // One data line: insert into the raw bytes, keeping the event's framing as it was.
      auto at = static_cast<std::size_t>(data_begin - raw_begin);
      std::string_view line_and_rest = ev.raw.substr(at);
      std::string signed_data = InsertLastMember(ev.data, close, kStreamSignatureMember, value);
      out.append(ev.raw.substr(0, at));
      out.append(signed_data);
      out.append(line_and_rest.substr(ev.data.size()));
      return true;
    }
    // Several data lines (joined with "\n"): written out again in plain framing.
    std::string signed_data = InsertLastMember(ev.data, close, kStreamSignatureMember, value);
    if (!ev.event.empty()) {
      out += "event: ";
      out.append(ev.event);
      out += '\n';
    }
    std::size_t i = 0;
    for (;;) {
      std::size_t nl = signed_data.find('\n', i);
      out += "data: ";
      out.append(std::string_view(signed_data)
                     .substr(i, nl == std::string::npos ? std::string::npos : nl - i));
      out += '\n';
      if (nl == std::string::npos) {
        break;
      }
      i = nl + 1;
    }
    out += '\n';
    return true;
  });
}

void StreamSigner::Finish(std::string& out) {
  std::string_view rest = splitter_.pending();
  if (!rest.empty()) {
    out.append(rest);
    if (rest.back() != '\n') {
      out += '\n';
    }
    out += '\n';
  }
  AppendTerminal(out);
}

void StreamSigner::AppendTerminal(std::string& out) {
  if (terminal_sent_) {
    return;
  }
  terminal_sent_ = true;
  std::string data = TerminalData(request_id_, events_);
  std::string sig = key_.Hex(ChainInput(prev_, request_id_, events_ + 1, data));
  out.append(kStreamEndComment);
  out.append(InsertLastMember(data, data.size() - 1, kStreamSignatureMember, "\"" + sig + "\""));
  out += "\n\n";
}

VerifyReport VerifySignedJson(std::string_view secret, std::string_view body) {
  VerifyReport r;
  std::string unsigned_body;
  std::string sig;
  if (!StripSignature(body, kSignatureMember, &unsigned_body, &sig)) {
    return Fail(r, "not signed: no \"signature\" member before the final '}'");
  }
  r.request_id = FindRequestId(unsigned_body);
  if (!SameSignature(HmacSha256Hex(secret, Trimmed(unsigned_body)), sig)) {
    return Fail(r, "bad signature: the body was changed or signed with another secret");
  }
  r.ok = true;
  r.events = 1;
  r.message = "ok (1 events)";
  return r;
}

VerifyReport VerifySignedStream(std::string_view secret, std::string_view stream,
                                std::string_view request_id) {
  VerifyReport r;
  r.stream = true;
  // Pass 1: the request id from the terminal event when not given.
  std::string rid(request_id);
  if (rid.empty()) {
    SseSplitter finder;
    finder.Feed(stream, [&](const SseEvent& ev) {
      if (!ev.has_data) {
        std::string_view payload = TerminalPayload(ev.raw);
        if (!payload.empty()) {
          rid = FindRequestId(payload);
        }
      }
      return true;
    });
    if (rid.empty()) {
      return Fail(r,
                  "missing terminal signature event (x_signature_end): the stream was cut "
                  "off, or pass --request-id to check the events received");
    }
  }
  r.request_id = rid;
  // Pass 2: the chain.
  HmacSha256Key key(secret);
  std::string prev = key.Hex(rid);
  int64_t n = 0;
  bool terminal = false;
  std::string error;
  SseSplitter splitter;
  splitter.Feed(stream, [&](const SseEvent& ev) {
    if (!ev.has_data) {
      std::string_view payload = TerminalPayload(ev.raw);
      if (payload.empty()) {
        return true;  // a keep-alive
      }
      std::string unsigned_data;
      std::string sig;
      if (terminal) {
        error = "a second terminal signature event after event " + std::to_string(n);
        return false;
      }
      if (!StripSignature(payload, kStreamSignatureMember, &unsigned_data, &sig) ||
          unsigned_data != TerminalData(rid, n)) {
        error = "terminal signature event: does not match the " + std::to_string(n) +
                " events received (an event was dropped or added)";
        return false;
      }
      if (!SameSignature(key.Hex(ChainInput(prev, rid, n + 1, unsigned_data)), sig)) {
        error = "terminal signature event: bad signature";
        return false;
      }
      terminal = true;
      return true;
    }
    if (ev.data == "[DONE]") {
      if (!terminal) {
        error =
            "[DONE] before the terminal signature event (after event " + std::to_string(n) + ")";
        return false;
      }
      return true;
    }
    const int64_t index = n + 1;
    if (terminal) {
      error = "event " + std::to_string(index) + ": data after the terminal signature event";
      return false;
    }
    std::string unsigned_data;
    std::string sig;
    if (!StripSignature(ev.data, kStreamSignatureMember, &unsigned_data, &sig)) {
      error = "event " + std::to_string(index) + ": no x_signature";
      return false;
    }
    if (!SameSignature(key.Hex(ChainInput(prev, rid, index, unsigned_data)), sig)) {
      error = "event " + std::to_string(index) +
              ": bad signature (edited, or an event before it was dropped or reordered)";
      return false;
    }
    prev = std::move(sig);
    n = index;
    return true;
  });
  r.events = n;
  if (!error.empty()) {
    return Fail(r, error);
  }
  if (!terminal) {
    return Fail(r, "missing terminal signature event after event " + std::to_string(n) +
                       ": the stream was cut off");
  }
  if (FirstNonBlank(splitter.pending()) != std::string_view::npos) {
    return Fail(r, "an incomplete event after the terminal signature event");
  }
  r.ok = true;
  r.message = "ok (" + std::to_string(n) + " events)";
  return r;
}

VerifyReport VerifySigned(std::string_view secret, std::string_view text,
                          std::string_view request_id) {
  std::size_t first = FirstNonBlank(text);
  if (first != std::string_view::npos && text[first] == '{') {
    VerifyReport r = VerifySignedJson(secret, text);
    if (r.ok && !request_id.empty() && r.request_id != request_id) {
      return Fail(r, "signed for request " + r.request_id + ", not " + std::string(request_id));
    }
    return r;
  }
  return VerifySignedStream(secret, text, request_id);
}

SigningWriter::SigningWriter(ResponseWriter& inner, std::string_view secret, std::string request_id)
    : inner_(inner), secret_(secret), request_id_(std::move(request_id)) {}

Awaitable<bool> SigningWriter::Send(int status, HttpHeaders headers, std::string body) {
  if (StartsWithIgnoreCase(FindHeader(headers, "content-type"), "application/json")) {
    SignedBody signed_body = SignJsonBody(secret_, request_id_, body);
    if (!signed_body.header.empty()) {
      headers.push_back({"x-baton-signature", std::move(signed_body.header)});
      body = std::move(signed_body.body);
    }
  }
  co_return co_await inner_.Send(status, std::move(headers), std::move(body));
}

Awaitable<bool> SigningWriter::Begin(int status, HttpHeaders headers) {
  if (StartsWithIgnoreCase(FindHeader(headers, "content-type"), "text/event-stream")) {
    stream_.emplace(secret_, request_id_);
  }
  co_return co_await inner_.Begin(status, std::move(headers));
}

Awaitable<bool> SigningWriter::Write(std::string_view data) {
  if (!stream_) {
    co_return co_await inner_.Write(data);
  }
  out_.clear();
  stream_->Feed(data, out_);
  if (out_.empty()) {
    co_return !inner_.client_gone();  // an incomplete event waits for the rest
  }
  co_return co_await inner_.Write(out_);
}

Awaitable<bool> SigningWriter::End() {
  if (!stream_) {
    co_return co_await inner_.End();
  }
  out_.clear();
  stream_->Finish(out_);
  co_return co_await inner_.WriteAndEnd(out_);
}

Awaitable<bool> SigningWriter::WriteAndEnd(std::string_view data) {
  if (!stream_) {
    co_return co_await inner_.WriteAndEnd(data);
  }
  out_.clear();
  stream_->Feed(data, out_);
  stream_->Finish(out_);
  co_return co_await inner_.WriteAndEnd(out_);
}

}  // namespace baton

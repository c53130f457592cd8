// Signed responses (docs/signing.md): HMAC-SHA256 over documented bytes, so a client holding the
// [signing] secret can check that an answer came from this gateway unaltered, and that a stream
// reached it whole (no event dropped, reordered, edited or cut off).
//
// Non-streamed JSON object bodies: the gateway appends `"baton_request_id":"<id>"` as the last
// member, signs that body (U, from its first '{' to its last '}': blanks around the object are not
// signed), then appends `"signature":"<hex>"` as the last member; the same hex goes into the
// `x-baton-signature` header. A verifier removes exactly `,"signature":"<64 hex>"` before the
// final `}` and recomputes HMAC(secret, U).
//
// SSE streams: every data event whose payload is a JSON object gets a last member
// `"x_signature":"<hex>"`, chained:
//   sig_0 = HMAC(secret, request_id)
//   sig_i = HMAC(secret, sig_{i-1} "\n" request_id "\n" i "\n" data_i)   (i = 1, 2, ...)
// where data_i is the event's data payload (data lines joined by "\n") without the x_signature
// member and the numbers are decimal. The stream ends with a terminal comment event
//   : x_signature_end {"baton_request_id":"<id>","events":N,"x_signature":"<hex>"}
// signed as event N+1 over `{"baton_request_id":"<id>","events":N}`; it is sent before
// OpenAI's `data: [DONE]` (which is not signed), or at the end of streams without one. SSE
// comments are ignored by the SDKs, so clients that do not verify see no difference.
//
// Thread-safety: StreamSigner and SigningWriter are one response's state (its connection's
// thread); the functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "core/error.hpp"
#include "dialects/sse.hpp"
#include "server/http.hpp"

namespace baton {

// Lowercase hex HMAC-SHA256 of message under key.
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// HMAC-SHA256 with the key's inner and outer SHA-256 states computed once (RFC 2104), so each
// message costs two SHA-256 finishes instead of OpenSSL's one-shot HMAC() setup (a fetch and a
// key schedule per call). Not thread-safe (one scratch context); movable, not copyable.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;
  HmacSha256Key(HmacSha256Key&& other) noexcept;
  HmacSha256Key& operator=(HmacSha256Key&& other) noexcept;

  // Lowercase hex HMAC-SHA256 of message.
  std::string Hex(std::string_view message);

 private:
  EVP_MD_CTX* inner_ = nullptr;  // SHA-256 after (key ^ ipad)
  EVP_MD_CTX* outer_ = nullptr;  // SHA-256 after (key ^ opad)
  EVP_MD_CTX* work_ = nullptr;
};

// The member names and markers of the format.
inline constexpr std::string_view kSignatureMember = "signature";
inline constexpr std::string_view kRequestIdMember = "baton_request_id";
inline constexpr std::string_view kStreamSignatureMember = "x_signature";
inline constexpr std::string_view kStreamEndComment = ": x_signature_end ";

// A non-streamed JSON body, signed. When `body` is not a JSON object (first/last non-blank
// characters '{' and '}') it is returned unchanged and `header` is left empty.
struct SignedBody {
  std::string body;    // what is sent
  std::string header;  // value of x-baton-signature (the hex signature)
};
SignedBody SignJsonBody(std::string_view secret, std::string_view request_id,
                        std::string_view body);

// Signs one SSE stream as its bytes go to the client, whatever pieces they come in.
class StreamSigner {
 public:
  StreamSigner(std::string_view secret, std::string request_id);
  // Appends to `out` the signed form of the complete events in (pending +) bytes; an incomplete
  // trailing event waits for the next call.
  void Feed(std::string_view bytes, std::string& out);
  // The stream ends: appends any incomplete remainder as it is and the terminal event (once).
  void Finish(std::string& out);
  int64_t events() const { return events_; }

 private:
  void AppendTerminal(std::string& out);
  HmacSha256Key key_;
  std::string request_id_;
  std::string prev_;  // sig_{i-1}
  int64_t events_ = 0;
  bool terminal_sent_ = false;
  SseSplitter splitter_;
};

// A ResponseWriter that signs what goes through it to `inner` (ForwardChat wraps the client's
// writer in one when [signing] is configured, so passthrough and translated answers are signed
// alike, at the point where bytes go to the client). Send() with an application/json object
// body gets the signature member and header; a Begin() with text/event-stream makes the
// following writes go through a StreamSigner, and End()/WriteAndEnd() add the terminal event.
// Other answers pass through unchanged. The secret and inner must outlive the writer.
class SigningWriter : public ResponseWriter {
 public:
  SigningWriter(ResponseWriter& inner, std::string_view secret, std::string request_id);

  Awaitable<bool> Send(int status, HttpHeaders headers, std::string body) override;
  Awaitable<bool> Begin(int status, HttpHeaders headers) override;
  Awaitable<bool> Write(std::string_view data) override;
  Awaitable<bool> End() override;
  Awaitable<bool> WriteAndEnd(std::string_view data) override;
  void Abort() override { inner_.Abort(); }
  void Reset() override { inner_.Reset(); }
  bool started() const override { return inner_.started(); }
  int status() const override { return inner_.status(); }
  bool client_gone() const override { return inner_.client_gone(); }

 private:
  ResponseWriter& inner_;
  std::string_view secret_;
  std::string request_id_;
  std::optional<StreamSigner> stream_;  // set by Begin() for an SSE stream
  std::string out_;
};

// What a verification found.
struct VerifyReport {
  bool ok = false;
  bool stream = false;     // an SSE stream (else one JSON body)
  int64_t events = 0;      // signed data events checked (1 for a JSON body)
  std::string request_id;  // the signed request id
  std::string message;     // "ok (N events)" or what is wrong, naming the first bad event
};

// Checks a saved answer: a JSON body (first non-blank character '{') or an SSE stream.
// `request_id` may be empty: it is then read from the body / the stream's terminal event.
VerifyReport VerifySigned(std::string_view secret, std::string_view text,
                          std::string_view request_id = {});
VerifyReport VerifySignedJson(std::string_view secret, std::string_view body);
VerifyReport VerifySignedStream(std::string_view secret, std::string_view stream,
                                std::string_view request_id = {});

}  // namespace baton

// Fuzzes every upstream dialect's stream decoder and every client dialect's stream encoder
// through the codec table (src/dialects/canonical.hpp).
// Input: byte 0 picks the upstream dialect ('0'..'5' as in dialect_request_fuzz), byte 1 the
// read size (0 = whole), byte 2 the client request's options (fuzz::ClientRequest); the rest is
// the upstream's stream body.
// Invariants: no crash or sanitizer report; Finish ends the events with kEnd or kError and only
// further kErrors follow a kError; feeding in pieces gives the same text, thinking, tool arguments
// and ending as feeding whole; every encoder's output carries valid JSON payloads
// (fuzz::CheckStreamOutput).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "dialects.hpp"

using namespace baton;  // NOLINT(google-build-using-namespace): a test driver

namespace {

canon::StreamEvents Decode(const canon::Codec& codec, std::string_view body, std::size_t piece) {
  canon::StreamEvents events;
  auto decoder = codec.make_decoder();
  BATON_FUZZ_CHECK(decoder != nullptr, "make_decoder returned null");
  for (std::size_t at = 0; at < body.size(); at += piece) {
    decoder->Feed(body.substr(at, piece), events);
  }
  decoder->Finish(events);
  return events;
}

// What must not depend on how the body was cut into reads (ids may be synthesized, so not those).
std::string Fingerprint(const canon::StreamEvents& events) {
  std::string text, thinking;
  std::map<int, std::string> args;
  std::string finish, ending;
  for (const auto& ev : events) {
    switch (ev.type) {
      case canon::StreamEvent::Type::kTextDelta:
        text += ev.text;
        break;
      case canon::StreamEvent::Type::kThinkingDelta:
        thinking += ev.text;
        break;
      case canon::StreamEvent::Type::kToolArgsDelta:
        args[ev.tool_index] += ev.text;
        break;
      case canon::StreamEvent::Type::kFinish:
        finish += std::to_string(static_cast<int>(ev.finish)) + ",";
        break;
      case canon::StreamEvent::Type::kEnd:
        ending = "end";
        break;
      case canon::StreamEvent::Type::kError:
        ending = "error";
        break;
      default:
        break;
    }
  }
  std::string out =
      "text=" + text + "\nthinking=" + thinking + "\nfinish=" + finish + "\nending=" + ending;
  for (const auto& [i, a] : args) {
    out += "\nargs" + std::to_string(i) + "=" + a;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) {
    return 0;
  }
  const canon::Codec& from = canon::CodecFor(fuzz::DialectFor(data[0]));
  if (from.make_decoder == nullptr) {
    return 0;
  }
  std::string_view body(reinterpret_cast<const char*>(data) + 3, size - 3);
  const std::size_t piece = data[1] == 0 ? body.size() + 1 : data[1];
  const canon::StreamEvents events = Decode(from, body, piece);
  const std::string who = std::string(canon::DialectName(from.dialect)) + " decoder: ";

  BATON_FUZZ_CHECK(!events.empty(), who + "Finish appended nothing");
  const auto last = events.back().type;
  BATON_FUZZ_CHECK(
      last == canon::StreamEvent::Type::kEnd || last == canon::StreamEvent::Type::kError,
      who + "last event is neither kEnd nor kError");
  // Nothing but (repeated) kError follows a kError.
  bool failed = false;
  for (const auto& ev : events) {
    BATON_FUZZ_CHECK(!failed || ev.type == canon::StreamEvent::Type::kError,
                     who + "events after kError");
    failed = failed || ev.type == canon::StreamEvent::Type::kError;
  }
  if (piece <= body.size()) {
    const canon::StreamEvents whole = Decode(from, body, body.size() + 1);
    BATON_FUZZ_CHECK(Fingerprint(whole) == Fingerprint(events),
                     who + "pieces of " + std::to_string(piece) + " differ from whole:\n" +
                         fuzz::Shorten(Fingerprint(events), 600) + "\n-- whole --\n" +
                         fuzz::Shorten(Fingerprint(whole), 600));
  }

  const canon::Request request = fuzz::ClientRequest(data[2]);
  for (canon::Dialect d : fuzz::kDialects) {
    const canon::Codec& to = canon::CodecFor(d);
    if (to.make_encoder == nullptr) {
      continue;
    }
    auto encoder = to.make_encoder(request);
    BATON_FUZZ_CHECK(encoder != nullptr, "make_encoder returned null");
    std::string out;
    for (const auto& ev : events) {
      encoder->Encode(ev, out);
    }
    fuzz::CheckStreamOutput(d, out);
  }
  return 0;
}

#include "mock/fault.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include <boost/json.hpp>

#include "mock/dialect_util.hpp"

namespace baton::mock {
namespace {

namespace json = boost::json;

// Ranges of the integer keys; a mock test never needs more than a day of waiting.
constexpr int64_t kMaxMs = 24LL * 3600 * 1000;
constexpr int64_t kMaxSeconds = 24LL * 3600;
constexpr int64_t kMaxChunks = 1'000'000'000;

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

// An integer value of `key` in [lo, hi] into *out.
bool ReadInt(const json::value& v, std::string_view key, int64_t lo, int64_t hi, int64_t* out,
             std::string* error) {
  std::optional<int64_t> i = detail::AsInt(v);
  if (!i || *i < lo || *i > hi) {
    return Fail(error, std::string(key) + " must be an integer from " + std::to_string(lo) +
                           " to " + std::to_string(hi));
  }
  *out = *i;
  return true;
}

bool ReadBool(const json::value& v, std::string_view key, bool* out, std::string* error) {
  if (!v.is_bool()) {
    return Fail(error, std::string(key) + " must be true or false");
  }
  *out = v.get_bool();
  return true;
}

void AppendKey(std::string& out, std::string_view key) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += key;
  out += "\":";
}

}  // namespace

bool Fault::Empty() const {
  return status == 0 && !reset && !hang && drop_after_chunks < 0 && latency_ms <= 0 &&
         chunk_delay_ms <= 0;
}

bool ParseFault(std::string_view body, Fault* out, std::string* error) {
  Fault f;
  // An empty body clears like {} does (curl -X POST without -d).
  bool blank = true;
  for (char c : body) {
    blank = blank && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  }
  if (blank) {
    *out = f;
    return true;
  }
  json::value root;
  if (!detail::ParseObject(body, root)) {
    return Fail(error, "the body must be a JSON object");
  }
  bool has_rate = false;
  bool has_retry = false;
  for (const auto& [key, v] : root.get_object()) {
    if (v.is_null()) {
      continue;
    }
    int64_t i = 0;
    bool ok = true;
    if (key == "status") {
      ok = ReadInt(v, key, 100, 599, &i, error);
      f.status = static_cast<int>(i);
    } else if (key == "fail_rate") {
      if (!v.is_number() || v.to_number<double>() < 0 || v.to_number<double>() > 1) {
        return Fail(error, "fail_rate must be a number from 0 to 1");
      }
      f.fail_rate = v.to_number<double>();
      has_rate = true;
    } else if (key == "retry_after") {
      ok = ReadInt(v, key, 0, kMaxSeconds, &i, error);
      f.retry_after_s = static_cast<int>(i);
      has_retry = true;
    } else if (key == "retry_after_ms") {
      ok = ReadInt(v, key, 0, kMaxMs, &i, error);
      f.retry_after_ms = static_cast<int>(i);
      has_retry = true;
    } else if (key == "reset") {
      ok = ReadBool(v, key, &f.reset, error);
    } else if (key == "hang") {
      ok = ReadBool(v, key, &f.hang, error);
    } else if (key == "drop_after_chunks") {
      ok = ReadInt(v, key, 0, kMaxChunks, &i, error);
      f.drop_after_chunks = static_cast<int>(i);
    } else if (key == "latency_ms") {
      ok = ReadInt(v, key, 0, kMaxMs, &i, error);
      f.latency_ms = static_cast<int>(i);
    } else if (key == "chunk_delay_ms") {
      ok = ReadInt(v, key, 0, kMaxMs, &i, error);
      f.chunk_delay_ms = static_cast<int>(i);
    } else if (key == "count") {
      ok = ReadInt(v, key, 1, kMaxChunks, &i, error);
      f.count = i;
    } else {
      return Fail(error, "unknown key \"" + std::string(key) +
                             "\" (status, fail_rate, retry_after, retry_after_ms, reset, hang, "
                             "drop_after_chunks, latency_ms, chunk_delay_ms, count)");
    }
    if (!ok) {
      return false;
    }
  }
  if (f.status == 0 && (has_rate || has_retry)) {
    return Fail(error, "fail_rate and retry_after need a status");
  }
  if (f.Empty()) {
    f = Fault{};  // {"count":3} alone is no fault either
  }
  *out = f;
  return true;
}

std::string FaultJson(const Fault& f) {
  std::string out = "{";
  if (f.status != 0) {
    AppendKey(out, "status");
    detail::AppendInt(out, f.status);
    if (f.fail_rate != 1.0) {
      AppendKey(out, "fail_rate");
      std::array<char, 32> buf{};
      auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), f.fail_rate);
      out.append(buf.data(), end);
    }
    if (f.retry_after_s >= 0) {
      AppendKey(out, "retry_after");
      detail::AppendInt(out, f.retry_after_s);
    }
    if (f.retry_after_ms >= 0) {
      AppendKey(out, "retry_after_ms");
      detail::AppendInt(out, f.retry_after_ms);
    }
  }
  if (f.reset) {
    AppendKey(out, "reset");
    out += "true";
  }
  if (f.hang) {
    AppendKey(out, "hang");
    out += "true";
  }
  if (f.drop_after_chunks >= 0) {
    AppendKey(out, "drop_after_chunks");
    detail::AppendInt(out, f.drop_after_chunks);
  }
  if (f.latency_ms > 0) {
    AppendKey(out, "latency_ms");
    detail::AppendInt(out, f.latency_ms);
  }
  if (f.chunk_delay_ms > 0) {
    AppendKey(out, "chunk_delay_ms");
    detail::AppendInt(out, f.chunk_delay_ms);
  }
  if (f.count >= 0 && !f.Empty()) {
    AppendKey(out, "count");
    detail::AppendInt(out, f.count);
  }
  out += '}';
  return out;
}

FaultState::FaultState(Fault initial) {
  Set(initial);
}

void FaultState::Set(Fault fault) {
  if (fault.Empty() || fault.count == 0) {
    fault = Fault{};
  }
  std::lock_guard lock(mu_);
  fault_ = fault;
  active_.store(!fault_.Empty(), std::memory_order_release);
}

Fault FaultState::Get() const {
  std::lock_guard lock(mu_);
  return fault_;
}

Fault FaultState::Take(bool generation) {
  if (!active_.load(std::memory_order_acquire)) {
    return Fault{};
  }
  std::lock_guard lock(mu_);
  Fault f = fault_;
  if (f.count < 0) {
    return f;
  }
  if (!generation || f.count == 0) {
    return Fault{};
  }
  if (--fault_.count == 0) {
    fault_ = Fault{};
    active_.store(false, std::memory_order_release);
  }
  return f;
}

}  // namespace baton::mock

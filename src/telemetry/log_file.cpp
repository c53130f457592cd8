#include "telemetry/log_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

namespace baton {

namespace fs = std::filesystem;

namespace {

void InitSodium() {
  // sodium_init is idempotent and thread-safe; a static makes it once per process.
  static const int init = sodium_init();
  (void)init;
}

constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

Error Unavailable(const std::string& message) {
  return {ErrorKind::kUnavailable, message, "request_log_unavailable"};
}

// strerror is not thread-safe; the category's message is.
std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

std::string Where(const std::string& file, int64_t line) {
  return file + ":" + std::to_string(line);
}

}  // namespace

Result<LogKey> ParseLogKey(std::string_view text) {
  InitSodium();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  LogKey key;
  std::size_t len = 0;
  if (text.size() == 64 &&
      sodium_hex2bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(), nullptr, &len,
                     nullptr) == 0 &&
      len == 32) {
    return key;
  }
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    std::array<unsigned char, 64> buf{};
    const char* end = nullptr;
    if (sodium_base642bin(buf.data(), buf.size(), text.data(), text.size(), nullptr, &len, &end,
                          variant) == 0 &&
        end == text.data() + text.size() && len == 32) {
      std::copy_n(buf.begin(), 32, key.bytes.begin());
      sodium_memzero(buf.data(), buf.size());
      return key;
    }
  }
  return Error(ErrorKind::kBadRequest,
               "the request log key must be 32 bytes written as 64 hex characters or base64",
               "bad_log_key");
}

std::string EncryptLine(const LogKey& key, std::string_view json_line) {
  InitSodium();
  std::string raw(kNonceBytes + json_line.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long clen = 0;  // NOLINT(google-runtime-int): libsodium's type
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &clen, reinterpret_cast<const unsigned char*>(json_line.data()),
      json_line.size(), nullptr, 0, nullptr, nonce, key.bytes.data());
  raw.resize(kNonceBytes + clen);
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

Result<std::string> DecryptLine(const LogKey& key, std::string_view stored_line) {
  InitSodium();
  std::string raw((stored_line.size() / 4 * 3) + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(),
                        stored_line.data(), stored_line.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != stored_line.data() + stored_line.size() || len < kNonceBytes + kTagBytes) {
    return Error(ErrorKind::kBadRequest, "not an encrypted request log line", "bad_log_line");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw.data());
  std::string plain(len - kNonceBytes - kTagBytes, '\0');
  unsigned long long plen = 0;  // NOLINT(google-runtime-int): libsodium's type
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr, nonce + kNonceBytes,
          len - kNonceBytes, nullptr, 0, nonce, key.bytes.data()) != 0) {
    return Error(ErrorKind::kBadRequest, "cannot decrypt: wrong key, or the line was altered",
                 "log_decrypt_failed");
  }
  plain.resize(plen);
  return plain;
}

std::string LogFileName(int yyyymmdd, int index) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "requests-%08d-%03d.jsonl", yyyymmdd, index);
  return buf.data();
}

std::optional<std::pair<int, int>> ParseLogFileName(std::string_view name) {
  constexpr std::string_view kPrefix = "requests-";
  constexpr std::string_view kSuffix = ".jsonl";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::string_view mid = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (mid.size() < 12 || mid[8] != '-' || mid.size() > 8 + 1 + 9) {
    return std::nullopt;
  }
  int day = 0;
  int index = 0;
  for (std::size_t i = 0; i < mid.size(); ++i) {
    if (i == 8) {
      continue;
    }
    char c = mid[i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    int& target = i < 8 ? day : index;
    target = target * 10 + (c - '0');
  }
  return std::pair<int, int>(day, index);
}

int UtcDay(int64_t unix_ms) {
  auto t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return ((tm.tm_year + 1900) * 10000) + ((tm.tm_mon + 1) * 100) + tm.tm_mday;
}

Result<std::vector<std::string>> ListLogFiles(const std::string& dir) {
  std::vector<std::pair<std::pair<int, int>, std::string>> found;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return std::vector<std::string>{};
  }
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return Unavailable("cannot read the request log directory " + dir + ": " + ec.message());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      return Unavailable("cannot read the request log directory " + dir + ": " + ec.message());
    }
    std::string name = it->path().filename().string();
    if (auto parsed = ParseLogFileName(name)) {
      found.emplace_back(*parsed, std::move(name));
    }
  }
  std::ranges::sort(found);
  std::vector<std::string> names;
  names.reserve(found.size());
  for (auto& f : found) {
    names.push_back(std::move(f.second));
  }
  return names;
}

namespace {

// Fills line.json / prev / record from line.stored.
Status DecodeLine(const LogKey* key, LogLine& line) {
  if (IsEncryptedLine(line.stored)) {
    if (key == nullptr) {
      return Error(ErrorKind::kBadRequest,
                   Where(line.file, line.line_no) +
                       ": the line is encrypted: give the key (--key or [log] encrypt_key)",
                   "log_key_required");
    }
    auto plain = DecryptLine(*key, line.stored);
    if (!plain.ok()) {
      Error e = plain.error();
      e.message = Where(line.file, line.line_no) + ": " + e.message;
      return e;
    }
    line.json = std::move(plain).value();
  } else {
    line.json = line.stored;
  }
  auto record = ParseJsonLine(line.json, &line.prev);
  if (!record.ok()) {
    Error e = record.error();
    e.message = Where(line.file, line.line_no) + ": " + e.message;
    return e;
  }
  line.record = std::move(record).value();
  return OkStatus();
}

// Calls on_raw for each complete line of `path` from `offset`. Returns false when the last line
// is incomplete (the read stopped before it).
Status ForEachStoredLine(const std::string& dir, const std::string& file, uint64_t offset,
                         int64_t first_line_no, const std::function<Status(LogLine&)>& on_raw,
                         bool* incomplete) {
  std::ifstream in(dir + "/" + file, std::ios::binary);
  if (!in) {
    return Unavailable("cannot open " + dir + "/" + file + ": " + ErrnoText(errno));
  }
  if (offset > 0) {
    in.seekg(static_cast<std::streamoff>(offset));
  }
  LogLine line;
  line.file = file;
  line.line_no = first_line_no - 1;
  line.end_offset = offset;
  while (std::getline(in, line.stored)) {
    if (in.eof()) {  // no "\n": a write in progress or a torn tail
      *incomplete = !line.stored.empty();
      break;
    }
    ++line.line_no;
    line.end_offset += line.stored.size() + 1;
    Status s = on_raw(line);
    if (!s.ok()) {
      return s;
    }
  }
  if (in.bad()) {
    return Unavailable("cannot read " + dir + "/" + file + ": " + ErrnoText(errno));
  }
  return OkStatus();
}

// The line number of the line ending at `offset` (counting "\n" before it).
int64_t LinesBefore(const std::string& path, uint64_t offset) {
  std::ifstream in(path, std::ios::binary);
  int64_t n = 0;
  std::array<char, 65536> buf{};
  uint64_t left = offset;
  while (left > 0 && in) {
    auto want = static_cast<std::streamsize>(std::min<uint64_t>(left, buf.size()));
    in.read(buf.data(), want);
    std::streamsize got = in.gcount();
    n += std::count(buf.data(), buf.data() + got, '\n');
    left -= static_cast<uint64_t>(got);
    if (got == 0) {
      break;
    }
  }
  return n;
}

}  // namespace

Status ReadRequestLog(const std::string& dir, const LogKey* key, const LogPosition& from,
                      const std::function<Status(const LogLine&)>& on_line) {
  auto files = ListLogFiles(dir);
  if (!files.ok()) {
    return files.error();
  }
  auto from_day = ParseLogFileName(from.file);
  bool started = from.file.empty();
  for (const std::string& file : *files) {
    uint64_t offset = 0;
    int64_t first_line_no = 1;
    if (!started) {
      if (file == from.file) {
        offset = from.offset;
        std::string path = dir;
        path.append("/").append(file);
        first_line_no = offset > 0 ? LinesBefore(path, offset) + 1 : 1;
      } else if (auto day = ParseLogFileName(file); !from_day || !day || *day < *from_day) {
        continue;  // before the position
      }
      started = true;
    }
    bool incomplete = false;
    Status s = ForEachStoredLine(
        dir, file, offset, first_line_no,
        [&](LogLine& line) -> Status {
          Status d = DecodeLine(key, line);
          if (!d.ok()) {
            return d;
          }
          return on_line(line);
        },
        &incomplete);
    if (!s.ok()) {
      return s;
    }
  }
  return OkStatus();
}

Result<VerifyResult> VerifyRequestLog(const std::string& dir, const LogKey* key,
                                      const std::optional<ChainAnchor>& anchor) {
  auto files = ListLogFiles(dir);
  if (!files.ok()) {
    return files.error();
  }
  VerifyResult result;
  std::string expected(kChainGenesis);
  bool anchor_seen = !anchor.has_value();
  auto fail = [&result](const std::string& file, int64_t line_no, std::string problem) {
    result.intact = false;
    result.file = file;
    result.line_no = line_no;
    result.problem = std::move(problem);
  };
  std::optional<Error> hard_error;
  for (std::size_t f = 0; f < files->size() && result.intact; ++f) {
    const std::string& file = (*files)[f];
    ++result.files;
    bool incomplete = false;
    bool first_in_file = true;
    Status s = ForEachStoredLine(
        dir, file, 0, 1,
        [&](LogLine& line) -> Status {
          Status d = DecodeLine(key, line);
          if (!d.ok()) {
            if (d.error().code == "log_key_required") {
              hard_error = d.error();
              return d;
            }
            fail(file, line.line_no,
                 "line " + std::to_string(line.line_no) + " was altered: " + d.error().message);
            return d;
          }
          if (line.prev != expected) {
            std::string problem;
            if (first_in_file && f == 0 && line.line_no == 1) {
              problem = "line 1 does not start the chain (earlier lines or files were removed)";
            } else if (first_in_file) {
              problem = "line 1 does not follow the last line of " + (*files)[f - 1] +
                        " (lines at its end were edited or removed, or a file is missing)";
            } else {
              problem = "line " + std::to_string(line.line_no - 1) +
                        " was edited or removed (or lines were reordered)";
            }
            fail(file, line.line_no, problem);
            return Error(ErrorKind::kBadRequest, "chain broken");
          }
          first_in_file = false;
          expected = Sha256Hex(line.stored);
          ++result.lines;
          if (!anchor_seen && file == anchor->position.file &&
              line.end_offset == anchor->position.offset) {
            anchor_seen = true;
            if (expected != anchor->hash) {
              fail(file, line.line_no,
                   "line " + std::to_string(line.line_no) +
                       " was edited (it differs from the one the spend checkpoint recorded)");
              return Error(ErrorKind::kBadRequest, "anchor mismatch");
            }
          }
          return OkStatus();
        },
        &incomplete);
    if (hard_error) {
      return *hard_error;
    }
    if (!s.ok() && result.intact) {
      return s.error();  // an I/O error, not a finding
    }
    if (result.intact && incomplete) {
      fail(file, 0, "the file ends in an incomplete line (truncated, or a write in progress)");
    }
  }
  if (result.intact && !anchor_seen) {
    fail(anchor->position.file, 0,
         "the log ends before the line the spend checkpoint recorded (offset " +
             std::to_string(anchor->position.offset) + "): lines at the end were removed");
  }
  return result;
}

std::optional<ChainAnchor> ReadCheckpoint(const std::string& dir) {
  std::ifstream in(dir + "/" + std::string(kCheckpointName));
  if (!in) {
    return std::nullopt;
  }
  std::string version;
  ChainAnchor c;
  if (!(in >> version >> c.position.file >> c.position.offset >> c.hash) || version != "v1" ||
      !ParseLogFileName(c.position.file) || c.hash.size() != 64) {
    return std::nullopt;
  }
  return c;
}

Status WriteCheckpoint(const std::string& dir, const ChainAnchor& checkpoint) {
  std::string path = dir + "/" + std::string(kCheckpointName);
  std::string tmp = path + ".tmp";
  std::string text = "v1 " + checkpoint.position.file + " " +
                     std::to_string(checkpoint.position.offset) + " " + checkpoint.hash + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unavailable("cannot write " + tmp + ": " + ErrnoText(errno));
  }
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    ::unlink(tmp.c_str());
    return Unavailable("cannot write " + tmp + ": " + ErrnoText(n < 0 ? err : ENOSPC));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    return Unavailable("cannot rename " + tmp + ": " + ErrnoText(err));
  }
  return OkStatus();
}

}  // namespace baton

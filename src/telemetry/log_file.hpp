// The request log's on-disk format (docs/request-log.md): file names, the hash chain, encryption
// at rest, and reading the files back in order (the CLI, verification, the spend replay).
//
// Files: <dir>/requests-YYYYMMDD-NNN.jsonl (UTC date the file was opened, NNN counting from 000
// within the day; more digits past 999). One stored line per record, each ending in "\n".
// Stored line: the JSON line of the record with "prev" as its first member, or, encrypted, the
// standard base64 (with padding) of nonce(24) || XChaCha20-Poly1305-IETF ciphertext+tag of that
// JSON line (no associated data). A plain line starts with '{', an encrypted one never does.
// Chain: "prev" = lowercase hex SHA-256 of the previous stored line's bytes, without its "\n"
// (for encrypted lines: of the base64 text). The first line of the first file has 64 zeros.
//
// Thread-safety: pure functions and values; the readers only read files (safe while the log
// writes: an incomplete last line is treated as not written yet).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.hpp"  // Sha256Hex: the chain's hash
#include "core/error.hpp"
#include "telemetry/request_record.hpp"

namespace baton {

inline constexpr std::string_view kChainGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// A 32-byte XChaCha20-Poly1305 key. Never printed.
struct LogKey {
  std::array<unsigned char, 32> bytes{};
};
// 64 hex characters or base64 (standard or URL-safe, padding optional) of exactly 32 bytes.
// kBadRequest "bad_log_key" otherwise (the message never contains the text).
Result<LogKey> ParseLogKey(std::string_view text);

// One stored line (no "\n") from a JSON line (with its "prev"): base64(nonce || ciphertext).
std::string EncryptLine(const LogKey& key, std::string_view json_line);
// The JSON line back. kBadRequest "log_decrypt_failed" when the key is wrong or the line was
// altered; "bad_log_line" when it is not base64 of at least a nonce and a tag.
Result<std::string> DecryptLine(const LogKey& key, std::string_view stored_line);
inline bool IsEncryptedLine(std::string_view stored_line) {
  return !stored_line.empty() && stored_line.front() != '{';
}

// "requests-20260131-007.jsonl".
std::string LogFileName(int yyyymmdd, int index);
// {yyyymmdd, index} of a log file name; nullopt for other names.
std::optional<std::pair<int, int>> ParseLogFileName(std::string_view name);
// UTC date of unix milliseconds as YYYYMMDD.
int UtcDay(int64_t unix_ms);
// The log files in `dir` (base names), oldest first (by date, then index). Empty when the
// directory does not exist; kUnavailable "request_log_unavailable" when it cannot be read.
Result<std::vector<std::string>> ListLogFiles(const std::string& dir);

// A place in the log: a file's base name and a byte offset in it (just past a line's "\n").
struct LogPosition {
  std::string file;  // "" = the start of the first file
  uint64_t offset = 0;
  bool operator==(const LogPosition&) const = default;
};

struct LogLine {
  std::string file;         // base name
  int64_t line_no = 0;      // 1-based within the file
  uint64_t end_offset = 0;  // offset just past the line's "\n"
  std::string stored;       // the stored bytes (no "\n")
  std::string json;         // the JSON line (decrypted when needed)
  std::string prev;         // its "prev" member
  RequestRecord record;
};

// Reads every complete line from `from` on (the first file when from.file is empty; when that
// file no longer exists, the first later one) to the end of the newest file, in order, and calls
// `on_line` for each; a non-ok Status from it stops the read and is returned. Lines are
// decrypted with `key` when encrypted (an encrypted line without a key, a wrong key or a line
// that does not parse is an error naming FILE:LINE). The chain is not checked (VerifyRequestLog).
// An incomplete last line (no "\n": a write in progress or a crash) ends the read quietly.
Status ReadRequestLog(const std::string& dir, const LogKey* key, const LogPosition& from,
                      const std::function<Status(const LogLine&)>& on_line);

// The whole chain checked across all files. `anchor`, when given (the spend checkpoint's last
// line), must still be there with the same hash, which catches a truncated tail.
struct VerifyResult {
  bool intact = true;
  int64_t lines = 0;
  int64_t files = 0;
  std::string file;     // where the first break is
  int64_t line_no = 0;  // its line (1-based; 0 = the file itself)
  std::string problem;  // e.g. "line 17 was edited or removed"
};
struct ChainAnchor {
  LogPosition position;  // end of a line known to be written
  std::string hash;      // SHA-256 hex of that stored line
};
Result<VerifyResult> VerifyRequestLog(const std::string& dir, const LogKey* key,
                                      const std::optional<ChainAnchor>& anchor);

// The SpendWriter's checkpoint file, "<dir>/spend.checkpoint": "v1 FILE OFFSET HASH\n".
inline constexpr std::string_view kCheckpointName = "spend.checkpoint";
std::optional<ChainAnchor> ReadCheckpoint(const std::string& dir);
// Atomically (temp file + rename), mode 0600. kUnavailable on failure.
Status WriteCheckpoint(const std::string& dir, const ChainAnchor& checkpoint);

}  // namespace baton

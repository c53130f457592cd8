// `baton logs cat` and `baton logs verify` (docs/request-log.md): read the request log back.
// The folder and key come from the flags, else from the config file's [log] section (--config,
// else the default config path when it exists), else the defaults.
#pragma once

#include <string>

namespace baton {

struct LogsOptions {
  std::string config_path;  // empty: the default config file when it exists
  std::string dir;          // empty: [log] dir, else DefaultLogDir()
  std::string key_ref;      // secret reference (env:NAME, file:PATH, ...); empty: [log] encrypt_key
};

// Prints every record's JSON line (decrypted) in order. 0 on success, 2 when the log cannot be
// read (wrong key, unreadable file; the message names FILE:LINE).
int RunLogsCat(const LogsOptions& options);
// Checks the hash chain across all files (and against the spend checkpoint). 0 with a count when
// intact; 1 naming FILE:LINE of the first break; 2 when it cannot be checked.
int RunLogsVerify(const LogsOptions& options);

}  // namespace baton

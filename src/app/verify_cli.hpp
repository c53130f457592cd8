// `baton verify` (docs/signing.md): checks a saved signed answer, a JSON body or an SSE stream.
// The secret comes from --secret (a secret reference), else the config file's [signing] secret
// (--config, else the default config path when it exists), else env:BATON_SIGNING_SECRET.
#pragma once

#include <string>

namespace baton {

struct VerifyOptions {
  std::string path;         // file, or "-" for standard input
  std::string secret_ref;   // env:NAME, file:PATH, ...; empty: see above
  std::string config_path;  // empty: the default config file when it exists
  std::string request_id;   // empty: read from the answer itself
};

// Prints "ok (N events)" and returns 0 when the signatures hold; prints what is wrong (the first
// bad event, a missing terminal event) and returns 1 when they do not; 2 when it cannot check
// (no secret, unreadable file).
int RunVerify(const VerifyOptions& options);

}  // namespace baton

// SHA-256 as lowercase hex (OpenSSL: it uses the CPU's SHA extensions where present). One
// implementation for every caller: virtual key hashes (pipeline/keys), the request log's hash
// chain (telemetry), AWS SigV4 payload hashes (providers/aws).
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace baton {

std::string Sha256Hex(std::string_view bytes);

}  // namespace baton

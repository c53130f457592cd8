#include "core/digest.hpp"

#include <array>
#include <cstddef>

#include <openssl/evp.h>

namespace baton {

std::string Sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string hex(static_cast<std::size_t>(size) * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4U];
    hex[(2 * i) + 1] = kHex[digest[i] & 0x0FU];
  }
  return hex;
}

}  // namespace baton

// Locale-independent character classes for the config parsers (ASCII only, safe for any char).
#pragma once

#include <cctype>

namespace baton::config_text {

inline bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
inline bool IsDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
inline bool IsSpace(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace baton::config_text

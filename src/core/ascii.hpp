#pragma once
// ASCII case folding for names and keywords (DNS names, BIND keywords, HTTP header names): bytes
// A-Z only, whatever the locale; other bytes as they are.

#include <string>
#include <string_view>

namespace hc {

inline void ascii_lower_in_place(std::string& s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

inline std::string ascii_lower(std::string s) {
  ascii_lower_in_place(s);
  return s;
}

inline std::string ascii_lower(std::string_view s) { return ascii_lower(std::string(s)); }
inline std::string ascii_lower(const char* s) { return ascii_lower(std::string(s)); }

}  // namespace hc

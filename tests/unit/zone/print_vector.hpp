#pragma once
// Lets doctest print vectors of strings when a CHECK on them fails.
#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const auto& s : v) out += "\n  \"" + s + "\"";
    out += v.empty() ? "}" : "\n}";
    return out.c_str();
  }
};
}  // namespace doctest

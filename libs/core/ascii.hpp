#pragma once
// ASCII case folding for protocol tokens (HTTP field names). Locale independent and inlined:
// header matching runs on every field of every request.
#include <algorithm>
#include <string>
#include <string_view>

namespace kpo::core {

// `c` with A-Z mapped to a-z; every other byte unchanged.
constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` with A-Z mapped to a-z; every other byte unchanged.
inline std::string AsciiLowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// Whether `a` and `b` are equal ignoring ASCII case.
constexpr bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return AsciiLower(x) == AsciiLower(y); });
}

}  // namespace kpo::core

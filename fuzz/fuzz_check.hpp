#pragma once
// What every fuzz target shares: a check of an invariant that stays on in release builds (assert
// does not, NDEBUG), and a view of libFuzzer's input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// Aborts, which libFuzzer reports as a crash and saves the input, when `condition` is false.
#define KPO_FUZZ_CHECK(condition)                                                            \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace kpo::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits off the first byte (a selector for what to do with the rest); 0 for an empty input.
inline std::uint8_t TakeSelector(std::string_view& input) {
  if (input.empty()) return 0;
  const auto selector = static_cast<std::uint8_t>(input.front());
  input.remove_prefix(1);
  return selector;
}

}  // namespace kpo::fuzz

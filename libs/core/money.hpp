#pragma once
// Money as an integer number of minor units (kopecks); no floating point anywhere.
#include <cstdint>
#include <optional>

namespace kpo::core {

using Minor = std::int64_t;

// The contract's bounds for a single amount (an order or a deposit).
inline constexpr Minor kMinAmount = 1;
inline constexpr Minor kMaxAmount = 1'000'000'000'000;

constexpr bool IsValidAmount(Minor amount) { return amount >= kMinAmount && amount <= kMaxAmount; }

// a + b, or nullopt when the sum does not fit in 64 bits.
constexpr std::optional<Minor> CheckedAdd(Minor a, Minor b) {
  Minor out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// a - b, or nullopt when the difference does not fit in 64 bits.
constexpr std::optional<Minor> CheckedSub(Minor a, Minor b) {
  Minor out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}

}  // namespace kpo::core

#include "core/repeat_limit.hpp"

namespace kpo::core {

std::string RepeatLimiter::KindOf(std::string_view line) {
  std::string kind;
  kind.reserve(line.size());
  bool in_digits = false;
  for (char c : line) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit) {
      kind += c;
    } else if (!in_digits) {
      kind += '#';
    }
    in_digits = digit;
  }
  return kind;
}

RepeatLimiter::Verdict RepeatLimiter::Offer(std::string_view line, Clock::time_point now) {
  if (windows_.size() >= policy_.max_kinds) windows_.clear();
  auto& window = windows_[KindOf(line)];
  Verdict verdict;
  if (window.written == 0 || now - window.started >= policy_.window) {
    verdict.left_out_before = window.left_out;
    window = Window{now, 1, 0};
    return verdict;
  }
  if (window.written < policy_.lines_per_window) {
    ++window.written;
    return verdict;
  }
  ++window.left_out;
  verdict.write = false;
  return verdict;
}

}  // namespace kpo::core

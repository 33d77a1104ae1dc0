#pragma once
// Wall-clock time as RFC 3339 UTC text, the form the public API and messages use.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kpo::core {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

TimePoint Now();
// "2026-11-25T20:40:22.123456Z" (microsecond precision, always UTC).
std::string FormatRfc3339(TimePoint t);
// "Sun, 06 Nov 1994 08:49:37 GMT": HTTP's IMF-fixdate (RFC 9110 §5.6.7), for the Date header.
std::string FormatHttpDate(std::chrono::sys_seconds t);
// Accepts RFC 3339 with 'Z' or a numeric offset and optional fraction, for times from year 1 to
// 9999 (UTC); nullopt otherwise.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace kpo::core

#include "gateway/middleware/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "http/problem.hpp"

namespace kpo::gateway {

http::Response TooManyRequests(std::chrono::milliseconds retry_after) {
  auto response = http::ProblemResponse(429, "Too many requests; slow down and retry later");
  response.SetHeader(
      "Retry-After",
      std::to_string(std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::ceil(static_cast<double>(retry_after.count()) / 1000.0)))));
  return response;
}

std::optional<http::Response> Limit(RateLimiter& limiter, const std::string& key) {
  std::chrono::milliseconds retry{0};
  if (!limiter.Allow(key, retry)) return TooManyRequests(retry);
  return std::nullopt;
}

http::Response Overloaded() {
  auto response =
      http::ProblemResponse(503, "Too many orders are waiting for payment right now; try again in a second");
  response.SetHeader("Retry-After", "1");
  return response;
}

}  // namespace kpo::gateway

#include "gateway/middleware/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "http/problem.hpp"
#include "observability/metrics.hpp"

namespace kpo::gateway {

http::Response TooManyRequests(std::chrono::milliseconds retry_after) {
  auto response = http::ProblemResponse(429, "Too many requests; slow down and retry later");
  response.SetHeader(
      "Retry-After",
      std::to_string(std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::ceil(static_cast<double>(retry_after.count()) / 1000.0)))));
  return response;
}

std::optional<http::Response> Limit(RateLimiter& limiter, const std::string& key, LimitScope scope) {
  static auto& by_user = observability::Registry::Global().GetCounter(
      "gateway_rate_limited_total", "Requests refused with 429 by a rate limit.", R"(scope="user")");
  static auto& by_ip = observability::Registry::Global().GetCounter(
      "gateway_rate_limited_total", "Requests refused with 429 by a rate limit.", R"(scope="ip")");
  std::chrono::milliseconds retry{0};
  if (limiter.Allow(key, retry)) return std::nullopt;
  (scope == LimitScope::kUser ? by_user : by_ip).Add();
  auto refused = TooManyRequests(retry);
  refused.reason = scope == LimitScope::kUser ? "rate_limit_user" : "rate_limit_ip";
  return refused;
}

observability::Counter& ShedCounter() {
  static auto& shed = observability::Registry::Global().GetCounter(
      "gateway_shed_total", "Orders refused with 503 by the gateway itself while orders was overloaded.");
  return shed;
}

void CountShed() { ShedCounter().Add(); }

http::Response Overloaded() {
  // Orders refused for either of its bounds (orders waiting for payment, orders in hand): the
  // gateway sheds in proportion to both, so its words name neither.
  auto response = http::ProblemResponse(
      503, "More orders are arriving than can be taken right now; try again in a second", {},
      http::kOverloadedProblemType);
  response.SetHeader("Retry-After", "1");
  response.reason = "shed";
  return response;
}

void RefusalWords::Remember(const http::Response& refusal) {
  const std::lock_guard lock(mutex_);
  // Under overload most answers are refusals with the same words: keep the copy already made.
  if (last_ && last_->body == refusal.body &&
      http::FindHeader(last_->headers, "Retry-After") == http::FindHeader(refusal.headers, "Retry-After")) {
    return;
  }
  http::Response words;
  words.status = 503;
  words.body = refusal.body;
  for (const char* name : {"Content-Type", "Retry-After"}) {
    if (const auto value = http::FindHeader(refusal.headers, name))
      words.SetHeader(name, std::string(*value));
  }
  if (!http::FindHeader(words.headers, "Retry-After")) words.SetHeader("Retry-After", "1");
  words.reason = "shed";
  last_ = std::move(words);
}

http::Response RefusalWords::Shed() const {
  {
    const std::lock_guard lock(mutex_);
    if (last_) return *last_;
  }
  return Overloaded();
}

bool IsOverloadRefusal(const http::Response& response) {
  return response.status == 503 && http::IsProblemOfType(response, http::kOverloadedProblemType);
}

}  // namespace kpo::gateway

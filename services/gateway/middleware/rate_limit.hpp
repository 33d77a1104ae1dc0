#pragma once
// Refusals that tell the client when to come back: rate limits (429) and load shedding (503).
#include <chrono>
#include <optional>
#include <string>

#include "gateway/domain/token_bucket.hpp"
#include "http/message.hpp"
#include "observability/metrics.hpp"

namespace kpo::gateway {

// 429 problem+json with Retry-After: `retry_after` in whole seconds, rounded up, at least 1.
http::Response TooManyRequests(std::chrono::milliseconds retry_after);

// Whose bucket a limit takes from: a user's (authenticated calls) or a client address's.
enum class LimitScope { kUser, kIp };

// Takes one request from `key`'s bucket: nullopt when allowed, TooManyRequests when not (counted
// in gateway_rate_limited_total{scope}).
std::optional<http::Response> Limit(RateLimiter& limiter, const std::string& key, LimitScope scope);

// Counts a POST /api/orders the gateway refused itself while shedding (gateway_shed_total).
void CountShed();
// The counter itself; taking it registers the series, so /metrics shows it at 0 before the first
// refusal (a rate() over a series that does not exist yet is empty, not zero).
observability::Counter& ShedCounter();

// 503 with Retry-After: 1, what orders answers while it refuses new orders; the gateway answers it
// itself while it sheds them (see Shedder).
http::Response Overloaded();
// Whether a service's answer refuses work because it has more than it can finish (a 503 of type
// http::kOverloadedProblemType), not because something it needs is unreachable.
bool IsOverloadRefusal(const http::Response& response);

}  // namespace kpo::gateway

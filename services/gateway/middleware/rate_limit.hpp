#pragma once
// Refusals that tell the client when to come back: rate limits (429) and load shedding (503).
#include <chrono>
#include <mutex>
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
// itself while it sheds them (see Shedder) until it has heard orders' own words (RefusalWords).
http::Response Overloaded();

// The words of a service's last overload refusal on a route, which the gateway's own refusals there
// repeat: the service knows why it refuses (more orders arriving than it can answer quickly, or
// orders waiting too long for payment, because payments are slow or have stopped), the gateway only
// that it does. Thread safe.
class RefusalWords {
 public:
  // `refusal`: an overload refusal of the service (IsOverloadRefusal).
  void Remember(const http::Response& refusal);
  // The last refusal remembered (its body and Retry-After), or Overloaded() before the first; the
  // reason on the access line is "shed" either way.
  http::Response Shed() const;

 private:
  mutable std::mutex mutex_;
  std::optional<http::Response> last_;
};
// Whether a service's answer refuses work because it has more than it can finish (a 503 of type
// http::kOverloadedProblemType), not because something it needs is unreachable.
bool IsOverloadRefusal(const http::Response& response);

}  // namespace kpo::gateway

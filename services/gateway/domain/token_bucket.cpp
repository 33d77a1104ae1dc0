#include "gateway/domain/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace kpo::gateway {

bool TokenBucket::TryTake(Clock::time_point now, std::chrono::milliseconds& retry_after) {
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * rate_);
  last_ = std::max(last_, now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  retry_after =
      std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0)));
  return false;
}

bool RateLimiter::Allow(const std::string& key, std::chrono::milliseconds& retry_after,
                        TokenBucket::Clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mutex_);
  if (now - last_sweep_ > std::chrono::minutes(1)) {
    // A bucket idle long enough to be full again carries no state worth keeping.
    const auto refill = std::chrono::duration<double>(burst_ / rate_);
    std::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.second > refill; });
    last_sweep_ = now;
  }
  auto it = buckets_.try_emplace(key, TokenBucket(rate_, burst_, now), now).first;
  it->second.second = now;
  return it->second.first.TryTake(now, retry_after);
}

}  // namespace kpo::gateway

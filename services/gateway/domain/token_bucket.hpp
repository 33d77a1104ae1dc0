#pragma once
// Token-bucket rate limiting: `rate` requests per second on average, bursts up to `burst`.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kpo::gateway {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes one token. When none is left, returns false and sets `retry_after` to the wait until
  // the next token.
  bool TryTake(Clock::time_point now, std::chrono::milliseconds& retry_after);

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

// Buckets keyed by client (user id or IP). Thread safe. Idle buckets are forgotten so memory
// stays bounded by the number of recently active clients.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  // rate <= 0 disables the limit.
  bool Allow(const std::string& key, std::chrono::milliseconds& retry_after,
             TokenBucket::Clock::time_point now = TokenBucket::Clock::now());

 private:
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::pair<TokenBucket, TokenBucket::Clock::time_point>> buckets_;
  TokenBucket::Clock::time_point last_sweep_{};
};

}  // namespace kpo::gateway

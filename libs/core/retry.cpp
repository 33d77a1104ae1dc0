#include "core/retry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>

namespace kpo::core {

bool WaitFor(std::stop_token stop, std::chrono::milliseconds delay) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  return !cv.wait_for(lock, stop, delay, [] { return false; }) && !stop.stop_requested();
}

namespace {

// A seed for a backoff's jitter. A backoff is made for every consumer batch, and a
// std::random_device per batch was visible in profiles (it opens the entropy source each time):
// the device seeds one generator per thread, which seeds the backoffs made on that thread.
std::minstd_rand::result_type JitterSeed() {
  thread_local std::minstd_rand seeds{std::random_device{}()};
  return seeds();
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(initial), max_(max), ceiling_(initial), random_(JitterSeed()) {}

std::chrono::milliseconds Backoff::Next() {
  const auto ceiling = ceiling_;
  ceiling_ = std::min(ceiling_ * 2, max_);
  std::uniform_int_distribution<std::chrono::milliseconds::rep> draw(ceiling.count() / 2, ceiling.count());
  return std::chrono::milliseconds(draw(random_));
}

// The token is taken by value as std::jthread passes it.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void RunWithReconnect(std::string_view what, std::stop_token stop, const std::function<void()>& session,
                      ReconnectPolicy policy) {
  Backoff backoff(policy.initial, policy.max);
  while (!stop.stop_requested()) {
    const auto started = std::chrono::steady_clock::now();
    try {
      session();
    } catch (const std::exception& error) {
      if (std::chrono::steady_clock::now() - started >= policy.worked_for) backoff.Reset();
      const auto delay = backoff.Next();
      spdlog::warn("{}: {}; reconnecting in {} ms", what, error.what(), delay.count());
      WaitFor(stop, delay);
    }
  }
}

}  // namespace kpo::core

#include "orders/app/admission.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/retry.hpp"
#include "db/connection.hpp"
#include "messaging/inbox.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {
namespace {

// Tokens saved while nobody asks, in seconds of the rate: enough to cover the gateway's shedding
// window (it stops forwarding new orders for a moment after a 503), small enough not to let a
// burst through that the pipeline would queue.
constexpr double kBurstSeconds = 0.25;

AdmissionPolicy PolicyOf(const AdmissionOptions& options) {
  AdmissionPolicy policy;
  policy.max_lag_ms = static_cast<double>(options.max_lag.count());
  policy.target_lag_ms = static_cast<double>(std::min(options.target_lag, options.max_lag).count());
  return policy;
}

// Per-second rates of a running counter, over the last kSlots updates. A second: short enough to
// follow the pipeline, long enough that batches (which complete many orders at once) average out.
class RateOverWindow {
 public:
  static constexpr std::size_t kSlots = 10;

  // Records the counter's value now; returns its rate over the window (per second).
  double Add(std::uint64_t value, std::chrono::steady_clock::time_point now) {
    values_[next_] = value;
    times_[next_] = now;
    next_ = (next_ + 1) % kSlots;
    if (filled_ < kSlots) ++filled_;
    // Once the ring is full, the slot written next holds the oldest value.
    const auto first = filled_ < kSlots ? 0 : next_;
    const double seconds = std::chrono::duration<double>(now - times_[first]).count();
    return seconds > 0 ? static_cast<double>(value - values_[first]) / seconds : 0;
  }

 private:
  std::array<std::uint64_t, kSlots> values_{};
  std::array<std::chrono::steady_clock::time_point, kSlots> times_{};
  std::size_t next_ = 0;
  std::size_t filled_ = 0;
};

}  // namespace

Admission::Admission(AdmissionOptions options) : options_(std::move(options)), control_(PolicyOf(options_)) {}

bool Admission::TryAdmit() {
  offered_.fetch_add(1, std::memory_order_relaxed);
  if (!limited_.load(std::memory_order_relaxed)) return true;
  const std::lock_guard lock(bucket_mutex_);
  const auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(rate_ * kBurstSeconds,
                     tokens_ + rate_ * std::chrono::duration<double>(now - refilled_at_).count());
  refilled_at_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void Admission::SetLimit(std::optional<double> limit) {
  const bool was_limited = limited_.load(std::memory_order_relaxed);
  if (limit) {
    const std::lock_guard lock(bucket_mutex_);
    if (!was_limited) {
      tokens_ = 0;
      refilled_at_ = std::chrono::steady_clock::now();
    }
    rate_ = *limit;
  }
  limited_.store(limit.has_value(), std::memory_order_relaxed);
  if (limit && !was_limited) {
    spdlog::warn("the pipeline is behind: admitting new orders at {:.0f}/s, refusing the rest", *limit);
  } else if (!limit && was_limited) {
    spdlog::info("the pipeline keeps up: admitting every new order again");
  }
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
void Admission::Run(std::stop_token stop) {
  if (options_.max_lag.count() == 0) return;
  const auto& completed = messaging::AppliedMessages();
  RateOverWindow completed_rate, offered_rate;
  core::RunWithReconnect("order admission", stop, [&](core::Backoff& backoff) {
    db::Connection db(options_.database_url, {.application_name = "orders-admission"});
    backoff.Reset();
    while (!stop.stop_requested()) {
      const auto lag = OrderRepository::PipelineLagMs(db, options_.window);
      const auto now = std::chrono::steady_clock::now();
      const AdmissionSample sample{
          .lag_ms = static_cast<double>(lag),
          .completed_per_s = completed_rate.Add(completed.Value(), now),
          .offered_per_s = offered_rate.Add(offered_.load(std::memory_order_relaxed), now)};
      SetLimit(control_.Update(sample));
      core::WaitFor(stop, options_.check_every);
    }
  });
}

}  // namespace kpo::orders

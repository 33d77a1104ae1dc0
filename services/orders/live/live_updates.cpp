#include "orders/live/live_updates.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/retry.hpp"
#include "db/connection.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {
namespace {

constexpr int kPageSize = 1000;
// The most events one stream replays; a client that missed more gets them over several streams.
constexpr int kReplayLimit = 1000;
// The reconnection delay for a client whose replay was cut short (EventSource's "retry" field);
// the next stream sets the usual one again.
constexpr std::string_view kResumeAtOnce = "retry: 100\n\n";
constexpr auto kReleaseEvery = std::chrono::milliseconds(500);
// The clean-up forgets at most kCleanupChunk events a second: far more than the busiest rate
// events are written at, in statements short enough not to hold up the polling or anyone's commit.
constexpr auto kCleanupEvery = std::chrono::seconds(1);
constexpr int kCleanupChunk = 5'000;

}  // namespace

std::string FormatOrderEvent(std::int64_t id, const std::string& order_json) {
  return "id: " + std::to_string(id) + "\nevent: order\ndata: " + order_json + "\n\n";
}

void Subscription::Send(const OrderEvent& event) {
  // The poller may reach an event after the replay sent it (the replay read it first), and a
  // replica's poller may lag behind the one whose stream the client resumes from.
  if (sent_ && event.position <= *sent_) return;
  stream_->Push(FormatOrderEvent(event.position.id, event.order_json));
  sent_ = event.position;
}

void Subscription::Deliver(const OrderEvent& event) {
  std::lock_guard lock(mutex_);
  if (replaying_) {
    held_.push_back(event);
    return;
  }
  Send(event);
}

void Subscription::FinishReplay(std::optional<EventPosition> resumed_from,
                                const std::vector<OrderEvent>& missed, bool complete) {
  std::lock_guard lock(mutex_);
  sent_ = resumed_from;
  for (const auto& event : missed) Send(event);
  if (complete) {
    for (const auto& event : held_) Send(event);
  } else {
    stream_->Push(std::string(kResumeAtOnce));
    stream_->Close();  // live events delivered from now on are refused by the closed stream
  }
  held_.clear();
  held_.shrink_to_fit();
  replaying_ = false;
}

LiveUpdates::LiveUpdates(LiveUpdatesOptions options) : options_(std::move(options)) {}

std::shared_ptr<Subscription> LiveUpdates::Subscribe(const std::string& user_id) {
  auto subscription = std::make_shared<Subscription>(std::make_shared<http::EventStream>());
  std::lock_guard lock(mutex_);
  // The user's streams that ended are forgotten here too, not only by the poller: while the
  // database is down the poller is, and a browser retrying its stream would soon be refused.
  auto [begin, end] = subscribers_.equal_range(user_id);
  while (begin != end)
    begin = begin->second->Stream()->Abandoned() ? subscribers_.erase(begin) : std::next(begin);
  if (options_.max_streams_per_user > 0 && subscribers_.count(user_id) >= options_.max_streams_per_user) {
    return nullptr;
  }
  subscribers_.emplace(user_id, subscription);
  return subscription;
}

std::size_t LiveUpdates::Subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

void LiveUpdates::Replay(db::Connection& db, const std::string& user_id, Subscription& subscription,
                         std::int64_t last_event_id) {
  const auto resumed_from = OrderRepository::PositionOf(db, last_event_id);
  const auto missed = OrderRepository::EventsAfter(db, user_id, resumed_from.value_or(EventPosition{}),
                                                   floor_.load(), kReplayLimit);
  subscription.FinishReplay(resumed_from, missed, missed.size() < kReplayLimit);
}

void LiveUpdates::Dispatch(const OrderEvent& event) {
  std::lock_guard lock(mutex_);
  auto [begin, end] = subscribers_.equal_range(event.user_id);
  for (auto it = begin; it != end; ++it) it->second->Deliver(event);
}

std::int64_t LiveUpdates::SendBelow(const TransactionBounds& bounds,
                                    std::chrono::steady_clock::time_point now) {
  xmax_seen_.emplace_back(now, bounds.xmax);
  while (xmax_seen_.size() > 1 && now - xmax_seen_[1].first >= options_.hold_back_limit)
    xmax_seen_.pop_front();
  if (now - xmax_seen_.front().first >= options_.hold_back_limit) floor_.store(xmax_seen_.front().second);
  const bool passing = floor_.load() > bounds.xmin;
  if (passing && !passing_open_transaction_) {
    spdlog::warn(
        "live updates: transaction {} has been open for over {} s and holds back later order changes; "
        "sending them without waiting for it",
        bounds.xmin, std::chrono::duration<double>(options_.hold_back_limit).count());
  }
  passing_open_transaction_ = passing;
  return std::max(bounds.xmin, floor_.load());
}

bool LiveUpdates::Poll(db::Connection& db) {
  const auto bounds = OrderRepository::TransactionBoundsNow(db);
  const auto below = SendBelow(bounds, std::chrono::steady_clock::now());
  // From now: every event of a transaction below xmin has been written already.
  if (!cursor_) cursor_ = EventPosition{bounds.xmin, 0};
  const auto events = OrderRepository::EventsSince(db, *cursor_, below, kPageSize);
  for (const auto& event : events) {
    cursor_ = event.position;
    Dispatch(event);
  }
  return events.size() == static_cast<std::size_t>(kPageSize);
}

void LiveUpdates::Heartbeat() {
  std::lock_guard lock(mutex_);
  // A comment line keeps proxies from timing the stream out.
  for (auto& [user, subscription] : subscribers_) subscription->Stream()->Push(": heartbeat\n\n");
}

void LiveUpdates::ReleaseAbandoned() {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [](const auto& entry) { return entry.second->Stream()->Abandoned(); });
}

void LiveUpdates::Run(std::stop_token stop) {
  core::RunWithReconnect("live updates poller", stop, [&] {
    db::Connection db(options_.database_url, {.application_name = "orders-live-updates"});
    auto next_heartbeat = std::chrono::steady_clock::now() + options_.heartbeat;
    auto next_release = std::chrono::steady_clock::time_point{};
    auto next_cleanup = std::chrono::steady_clock::time_point{};
    while (!stop.stop_requested()) {
      const bool more = Poll(db);
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_release) {
        ReleaseAbandoned();
        next_release = now + kReleaseEvery;
      }
      if (now >= next_heartbeat) {
        Heartbeat();
        next_heartbeat = now + options_.heartbeat;
      }
      if (now >= next_cleanup) {
        OrderRepository::DeleteEventsOlderThan(db, options_.retention, kCleanupChunk);
        next_cleanup = now + kCleanupEvery;
      }
      if (!more) core::WaitFor(stop, options_.poll_interval);
    }
  });
  std::lock_guard lock(mutex_);
  for (auto& [user, subscription] : subscribers_) subscription->Stream()->Close();
}

}  // namespace kpo::orders

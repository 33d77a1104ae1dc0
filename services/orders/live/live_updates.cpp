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

}  // namespace

std::string FormatOrderEvent(std::int64_t id, const std::string& order_json) {
  return "id: " + std::to_string(id) + "\nevent: order\ndata: " + order_json + "\n\n";
}

void Subscription::Send(const OrderEvent& event) {
  // The poller may reach an event after the replay sent it (the replay read it first), and a
  // replica's poller may lag behind the one whose stream the client resumes from.
  if (sent_ && !(*sent_ < event.position)) return;
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
                                                   bound_.load(), kReplayLimit);
  subscription.FinishReplay(resumed_from, missed, missed.size() < kReplayLimit);
}

void LiveUpdates::Dispatch(const OrderEvent& event) {
  std::lock_guard lock(mutex_);
  auto [begin, end] = subscribers_.equal_range(event.user_id);
  for (auto it = begin; it != end; ++it) it->second->Deliver(event);
}

std::int64_t LiveUpdates::SendBelow(const TransactionBounds& bounds,
                                    std::chrono::steady_clock::time_point now) {
  // When each running transaction was first seen; those that ended are forgotten.
  std::erase_if(running_since_, [&](const auto& entry) {
    return !std::binary_search(bounds.running.begin(), bounds.running.end(), entry.first);
  });
  for (auto xid : bounds.running) running_since_.emplace(xid, now);
  // Below the oldest transaction still running that has not run for too long: one that has is
  // passed, while the others still hold back what comes after them.
  std::int64_t below = bounds.xmax;
  for (const auto& [xid, since] : running_since_) {
    if (now - since < options_.hold_back_limit) {
      below = xid;
      break;
    }
    if (xid > last_passed_) {
      spdlog::warn(
          "live updates: transaction {} has been running for over {} s; later order changes are sent "
          "without waiting for it (changes it writes, if any, will not be streamed)",
          xid, std::chrono::duration<double>(options_.hold_back_limit).count());
      last_passed_ = xid;
    }
  }
  // Never lower than before: a stream's replay reads up to the bound the poller last used.
  below = std::max(below, bound_.load());
  bound_.store(below);
  return below;
}

bool TransactionIdsWentBack(const TransactionBounds& bounds, const EventPosition& cursor) {
  const bool after_an_event = cursor.id != 0;  // event ids start at 1
  return bounds.xmax < cursor.tx || (after_an_event && bounds.xmax == cursor.tx);
}

bool LiveUpdates::Poll(db::Connection& db) {
  const auto bounds = OrderRepository::TransactionBoundsNow(db);
  if (cursor_ && TransactionIdsWentBack(bounds, *cursor_)) {
    // Transaction ids went back: another server took over (a failover to a standby that was
    // behind, a restore). Start again from now, or new events would lie below the cursor for good.
    spdlog::warn("live updates: transaction ids went back to {} (were past {}); following from now",
                 bounds.xmax, cursor_->tx);
    cursor_.reset();
    running_since_.clear();
    last_passed_ = 0;
    bound_.store(0);
  }
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
      if (!more) core::WaitFor(stop, options_.poll_interval);
    }
  });
  std::lock_guard lock(mutex_);
  for (auto& [user, subscription] : subscribers_) subscription->Stream()->Close();
}

}  // namespace kpo::orders

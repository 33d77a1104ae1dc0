#include "orders/live/live_updates.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/retry.hpp"
#include "db/connection.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {
namespace {

constexpr int kPageSize = 1000;
// The reconnection delay for a client whose replay was cut short (EventSource's "retry" field);
// the next stream sets the usual one again.
constexpr std::string_view kResumeAtOnce = "retry: 100\n\n";
// A transaction holding an unseen id lives at most a statement timeout (10 s) plus its commit.
constexpr auto kGapExpiry = std::chrono::seconds(15);
// A jump larger than this is not a set of in-flight transactions (e.g. the sequence skipped after
// a crash): it is not tracked id by id.
constexpr std::int64_t kMaxTrackedGap = 10'000;
constexpr auto kReleaseEvery = std::chrono::milliseconds(500);
// The clean-up forgets at most kCleanupChunk events a second: far more than the busiest rate
// events are written at, in statements short enough not to hold up the polling or anyone's commit.
constexpr auto kCleanupEvery = std::chrono::seconds(1);
constexpr int kCleanupChunk = 5'000;

}  // namespace

std::string FormatOrderEvent(std::int64_t id, const std::string& order_json) {
  return "id: " + std::to_string(id) + "\nevent: order\ndata: " + order_json + "\n\n";
}

void Subscription::Deliver(std::int64_t id, const std::string& order_json) {
  std::lock_guard lock(mutex_);
  if (replaying_) {
    held_.emplace_back(id, order_json);
    return;
  }
  // The poller may reach an event after the replay sent it: the replay read it as soon as it was
  // committed, the poller at its next round. The poller goes up in id order, so once it passes the
  // last replayed id, those ids are done with. An id at or below the client's Last-Event-ID is
  // still sent: it may be a transaction that committed late, which the client has never seen.
  if (!replayed_.empty()) {
    if (std::binary_search(replayed_.begin(), replayed_.end(), id)) return;
    if (id > replayed_.back()) {
      replayed_.clear();
      replayed_.shrink_to_fit();
    }
  }
  stream_->Push(FormatOrderEvent(id, order_json));
}

void Subscription::FinishReplay(const std::vector<std::pair<std::int64_t, std::string>>& missed,
                                bool complete) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, json] : missed) {
    replayed_.push_back(id);  // in id order, as read
    stream_->Push(FormatOrderEvent(id, json));
  }
  if (!complete) {
    stream_->Push(std::string(kResumeAtOnce));
    stream_->Close();  // live events delivered from now on are refused by the closed stream
    held_.clear();
    held_.shrink_to_fit();
    replaying_ = false;
    return;
  }
  for (const auto& [id, json] : held_) {
    // Held events the replay already sent, or that the client said it has, are not sent twice.
    if (std::binary_search(replayed_.begin(), replayed_.end(), id) || id <= last_seen_) continue;
    stream_->Push(FormatOrderEvent(id, json));
  }
  held_.clear();
  held_.shrink_to_fit();
  replaying_ = false;
}

LiveUpdates::LiveUpdates(LiveUpdatesOptions options) : options_(std::move(options)) {}

std::shared_ptr<Subscription> LiveUpdates::Subscribe(const std::string& user_id, std::int64_t last_seen) {
  auto subscription = std::make_shared<Subscription>(std::make_shared<http::EventStream>(), last_seen);
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

void LiveUpdates::Dispatch(const OrderEvent& event) {
  std::lock_guard lock(mutex_);
  auto [begin, end] = subscribers_.equal_range(event.user_id);
  for (auto it = begin; it != end; ++it) it->second->Deliver(event.id, event.order_json);
}

bool LiveUpdates::Poll(db::Connection& db) {
  const auto now = std::chrono::steady_clock::now();
  if (cursor_ < 0) cursor_ = OrderRepository::LastEventId(db);
  const auto events = OrderRepository::EventsSince(db, cursor_, kPageSize);
  for (const auto& event : events) {
    if (event.id - cursor_ <= kMaxTrackedGap) {
      for (auto missing = cursor_ + 1; missing < event.id; ++missing) gaps_.emplace(missing, now);
    }
    cursor_ = event.id;
    Dispatch(event);
  }
  if (!gaps_.empty()) {
    std::vector<std::int64_t> ids;
    for (const auto& [id, since] : gaps_) ids.push_back(id);
    for (const auto& event : OrderRepository::EventsWithIds(db, ids)) {
      gaps_.erase(event.id);
      Dispatch(event);
    }
    std::erase_if(gaps_, [&](const auto& gap) { return now - gap.second > kGapExpiry; });
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

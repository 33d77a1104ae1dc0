#include "messaging/live_updates.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "db/listener.hpp"
#include "messaging/outbox.hpp"
#include "storage/order_repository.hpp"

namespace kpo::orders {

std::string FormatOrderEvent(std::int64_t id, const std::string& order_json) {
  return "id: " + std::to_string(id) + "\nevent: order\ndata: " + order_json + "\n\n";
}

void Subscription::Deliver(std::int64_t id, const std::string& order_json) {
  std::lock_guard lock(mutex_);
  if (replaying_) {
    held_.emplace_back(id, order_json);
  } else if (id > floor_) {
    floor_ = id;
    stream_->Push(FormatOrderEvent(id, order_json));
  }
}

void Subscription::FinishReplay(const std::vector<std::pair<std::int64_t, std::string>>& missed) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, json] : missed) {
    if (id <= floor_) continue;
    floor_ = id;
    stream_->Push(FormatOrderEvent(id, json));
  }
  for (const auto& [id, json] : held_) {
    if (id <= floor_) continue;
    floor_ = id;
    stream_->Push(FormatOrderEvent(id, json));
  }
  held_.clear();
  replaying_ = false;
}

LiveUpdates::LiveUpdates(std::string database_url, std::chrono::milliseconds heartbeat)
    : database_url_(std::move(database_url)), heartbeat_(heartbeat) {}

std::shared_ptr<Subscription> LiveUpdates::Subscribe(const std::string& user_id) {
  auto subscription = std::make_shared<Subscription>(std::make_shared<http::EventStream>());
  std::lock_guard lock(mutex_);
  subscribers_.emplace(user_id, subscription);
  return subscription;
}

std::size_t LiveUpdates::Subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

void LiveUpdates::Dispatch(const std::string& payload) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(payload, ec);
  if (ec || !parsed.is_object()) {
    spdlog::warn("ignoring malformed order event notification");
    return;
  }
  const auto& event = parsed.as_object();
  const auto* id = event.if_contains("id");
  const auto* user = event.if_contains("userId");
  const auto* order = event.if_contains("order");
  if (id == nullptr || !id->is_int64() || user == nullptr || !user->is_string() || order == nullptr) return;
  const auto order_json = boost::json::serialize(*order);
  std::lock_guard lock(mutex_);
  auto [begin, end] = subscribers_.equal_range(std::string(user->get_string()));
  for (auto it = begin; it != end; ++it) it->second->Deliver(id->get_int64(), order_json);
}

void LiveUpdates::Heartbeat() {
  std::lock_guard lock(mutex_);
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    // A comment line keeps proxies from timing the stream out and reveals departed clients.
    if (it->second->Stream()->Abandoned() || !it->second->Stream()->Push(": heartbeat\n\n")) {
      it = subscribers_.erase(it);
    } else {
      ++it;
    }
  }
}

void LiveUpdates::Run(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(100);
  auto last_cleanup = std::chrono::steady_clock::time_point{};
  while (!stop.stop_requested()) {
    // The edge of the listener: a lost connection is logged and re-established after a backoff.
    try {
      db::Listener listener(database_url_, {}, {kOrderEventsChannel});
      backoff = std::chrono::milliseconds(100);
      auto next_heartbeat = std::chrono::steady_clock::now() + heartbeat_;
      while (!stop.stop_requested()) {
        if (auto notification = listener.Wait(std::chrono::milliseconds(200)))
          Dispatch(notification->payload);
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_heartbeat) {
          Heartbeat();
          next_heartbeat = now + heartbeat_;
        }
        if (now - last_cleanup > std::chrono::minutes(10)) {
          db::Connection db(database_url_, {});
          OrderRepository::DeleteOldEvents(db);
          last_cleanup = now;
        }
      }
    } catch (const std::exception& error) {
      spdlog::warn("live updates listener: {}; reconnecting in {} ms", error.what(), backoff.count());
      messaging::WaitFor(stop, backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  std::lock_guard lock(mutex_);
  for (auto& [user, subscription] : subscribers_) subscription->Stream()->Close();
}

}  // namespace kpo::orders

#pragma once
// Live order updates for Server-Sent Events. Every replica LISTENs on the order_events channel,
// so a change committed by any replica reaches the browsers connected to any other.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "http/stream.hpp"

namespace kpo::orders {

// One client's stream. While it replays missed events from the database, live ones are held
// back, so that nothing is lost or sent twice across the hand-over.
class Subscription {
 public:
  explicit Subscription(std::shared_ptr<http::EventStream> stream) : stream_(std::move(stream)) {}
  // Called by the hub for every live event of the user.
  void Deliver(std::int64_t id, const std::string& order_json);
  // Sends the replayed events, then releases held-back live events newer than them.
  void FinishReplay(const std::vector<std::pair<std::int64_t, std::string>>& missed);
  const std::shared_ptr<http::EventStream>& Stream() const { return stream_; }

 private:
  std::shared_ptr<http::EventStream> stream_;
  std::mutex mutex_;
  bool replaying_ = true;
  std::int64_t floor_ = 0;
  std::vector<std::pair<std::int64_t, std::string>> held_;
};

// Formats one SSE event: "id: N\nevent: order\ndata: {...}\n\n".
std::string FormatOrderEvent(std::int64_t id, const std::string& order_json);

class LiveUpdates {
 public:
  LiveUpdates(std::string database_url, std::chrono::milliseconds heartbeat);

  // Registers a stream for `user_id`. Thread safe.
  std::shared_ptr<Subscription> Subscribe(const std::string& user_id);

  // Listens until `stop`, fanning events out to subscribers and sending heartbeat comments;
  // reconnects after database failures (clients then resume with Last-Event-ID).
  void Run(std::stop_token stop);

  std::size_t Subscribers() const;

 private:
  void Dispatch(const std::string& payload);
  void Heartbeat();

  std::string database_url_;
  std::chrono::milliseconds heartbeat_;
  mutable std::mutex mutex_;
  std::multimap<std::string, std::shared_ptr<Subscription>> subscribers_;
};

}  // namespace kpo::orders

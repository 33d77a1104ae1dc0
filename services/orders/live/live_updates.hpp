#pragma once
// Live order updates for Server-Sent Events. Every change of an order is a row in order_events
// (written in the changing transaction); every replica polls that table and fans new rows out to
// the browsers connected to it, so a change committed by any replica reaches them all. Polling
// replaces LISTEN/NOTIFY: a NOTIFY takes PostgreSQL's cluster-wide notify lock at every commit
// that sends one, which serialised the hot path.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "http/stream.hpp"

namespace kpo::db {
class Connection;
}

namespace kpo::orders {

struct OrderEvent;

// One client's stream. While it replays missed events from the database, live ones are held
// back, so that nothing is lost or sent twice across the hand-over.
class Subscription {
 public:
  // `last_seen`: the Last-Event-ID the client resumed from (0: none).
  Subscription(std::shared_ptr<http::EventStream> stream, std::int64_t last_seen)
      : stream_(std::move(stream)), last_seen_(last_seen) {}
  // Called by the hub for every live event of the user (each event once).
  void Deliver(std::int64_t id, const std::string& order_json);
  // Sends the replayed events, then the held-back live events that were not among them. When
  // `complete` is false, `missed` is only the oldest part of what the client missed: the stream
  // ends after it, without live events (which would skip the rest), and tells the client to come
  // back at once; it resumes after the last event sent (EventSource does so by itself). That
  // bounds what one stream replays and buffers.
  void FinishReplay(const std::vector<std::pair<std::int64_t, std::string>>& missed, bool complete = true);
  const std::shared_ptr<http::EventStream>& Stream() const { return stream_; }

 private:
  std::shared_ptr<http::EventStream> stream_;
  std::mutex mutex_;
  bool replaying_ = true;
  std::int64_t last_seen_;
  std::vector<std::pair<std::int64_t, std::string>> held_;
  std::vector<std::int64_t> replayed_;  // ids the replay sent, ascending, until the poller passes them
};

// Formats one SSE event: "id: N\nevent: order\ndata: {...}\n\n".
std::string FormatOrderEvent(std::int64_t id, const std::string& order_json);

struct LiveUpdatesOptions {
  std::string database_url;
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds heartbeat{15'000};
  std::chrono::seconds retention{3600};  // events kept for resuming streams
  // Streams one user may hold open at once (0: no cap, the default). Each costs a descriptor here and
  // two in the gateway; without a cap one token could hold all of them. A browser needs one per tab;
  // off by default because load tools hold thousands of streams on a few users (bench/sse_idle.cpp:
  // 10,000 on 50).
  std::size_t max_streams_per_user = 0;
};

class LiveUpdates {
 public:
  explicit LiveUpdates(LiveUpdatesOptions options);

  // Registers a stream for `user_id`, resuming after `last_seen` (0: from now); null when the user
  // already holds max_streams_per_user open streams (a stream whose client left counts until it is
  // released, within a heartbeat check). Thread safe.
  std::shared_ptr<Subscription> Subscribe(const std::string& user_id, std::int64_t last_seen);

  // Polls until `stop`, fanning events out to subscribers, sending heartbeat comments and
  // releasing streams whose clients left; reconnects after database failures.
  void Run(std::stop_token stop);

  std::size_t Subscribers() const;
  // Forgets the subscriptions whose streams were abandoned (client gone, or never handed to the
  // server); the poller calls it twice a second.
  void ReleaseAbandoned();

 private:
  // Reads events newer than the cursor and events that were missing below it; dispatches them.
  // Returns whether a full page came back (more may be waiting).
  bool Poll(db::Connection& db);
  void Dispatch(const OrderEvent& event);
  void Heartbeat();

  LiveUpdatesOptions options_;
  std::int64_t cursor_ = -1;  // highest event id seen; -1 until the first poll
  // Ids below the cursor not seen yet: their transactions had not committed when a higher id
  // was read. Looked for again until they show up or expire (rolled back).
  std::map<std::int64_t, std::chrono::steady_clock::time_point> gaps_;
  mutable std::mutex mutex_;
  std::multimap<std::string, std::shared_ptr<Subscription>> subscribers_;
};

}  // namespace kpo::orders

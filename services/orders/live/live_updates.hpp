#pragma once
// Live order updates for Server-Sent Events. Every change of an order is a row in order_events
// (written in the changing transaction); every replica polls that table and fans new rows out to
// the browsers connected to it, so a change committed by any replica reaches them all. Polling
// replaces LISTEN/NOTIFY: a NOTIFY takes PostgreSQL's cluster-wide notify lock at every commit
// that sends one, which serialised the hot path.
//
// Changes go out in position order (storage/order_event.hpp), each once every transaction that
// could still write a change before it has ended. A client that resumes after the last id it got
// has therefore been sent every change before that one, and is sent every change after it.
#include <atomic>
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
#include "orders/storage/order_event.hpp"

namespace kpo::db {
class Connection;
}

namespace kpo::orders {

// One client's stream. While it replays missed events from the database, live ones are held
// back, so that nothing is lost or sent twice across the hand-over.
class Subscription {
 public:
  explicit Subscription(std::shared_ptr<http::EventStream> stream) : stream_(std::move(stream)) {}
  // Called by the hub for every live event of the user, in position order.
  void Deliver(const OrderEvent& event);
  // Sends `missed`, the events after `resumed_from` (the position of the client's Last-Event-ID, if
  // any) in position order, then the held-back live events after both. When `complete` is false,
  // `missed` is only the oldest part of what the client missed: the stream ends after it, without
  // live events (which would skip the rest), and tells the client to come back at once; it resumes
  // after the last event sent (EventSource does so by itself). That bounds what one stream replays
  // and buffers.
  void FinishReplay(std::optional<EventPosition> resumed_from, const std::vector<OrderEvent>& missed,
                    bool complete = true);
  const std::shared_ptr<http::EventStream>& Stream() const { return stream_; }

 private:
  // Sends the event unless the client has it already. Called with mutex_ held.
  void Send(const OrderEvent& event);

  std::shared_ptr<http::EventStream> stream_;
  std::mutex mutex_;
  bool replaying_ = true;
  std::optional<EventPosition> sent_;  // the position of the last event the client has
  std::vector<OrderEvent> held_;
};

// Formats one SSE event: "id: N\nevent: order\ndata: {...}\n\n".
std::string FormatOrderEvent(std::int64_t id, const std::string& order_json);

struct LiveUpdatesOptions {
  std::string database_url;
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds heartbeat{15'000};
  // Streams one user may hold open at once (0: no cap, the default). Each costs a descriptor here and
  // two in the gateway; without a cap one token could hold all of them. A browser needs one per tab;
  // off by default because load tools hold thousands of streams on a few users (bench/sse_idle.cpp:
  // 10,000 on 50).
  std::size_t max_streams_per_user = 0;
  // How long a transaction still open may hold back the changes after it (live_updates.cpp).
  std::chrono::milliseconds hold_back_limit{15'000};
};

// Whether the server's transaction ids went back below what the poller has followed (a failover to
// a standby that was behind, a restore), so that new changes would lie below `cursor` for good.
// `cursor` is the last event dispatched (its transaction committed, so the server's next id is past
// it) or, before the first one, {xmin, 0} of the first poll (the next id is at least that: on an
// idle server exactly that, which is not a fall).
bool TransactionIdsWentBack(const TransactionBounds& bounds, const EventPosition& cursor);

class LiveUpdates {
 public:
  explicit LiveUpdates(LiveUpdatesOptions options);

  // Registers a stream for `user_id`; null when the user already holds max_streams_per_user open
  // streams (a stream whose client left counts until it is released, within a heartbeat check).
  // Live events are held back until Replay. Thread safe.
  std::shared_ptr<Subscription> Subscribe(const std::string& user_id);

  // Sends the subscription what its client missed after the event with id `last_event_id` (the
  // client's Last-Event-ID), then the live events held back meanwhile. An id no longer stored (older
  // than the retention) replays every stored event of the user. Subscribe first, so that nothing
  // committed in between is lost. A new stream calls FinishReplay(std::nullopt, {}) instead. Throws
  // db::DbError.
  void Replay(db::Connection& db, const std::string& user_id, Subscription& subscription,
              std::int64_t last_event_id);

  // Polls until `stop`, fanning events out to subscribers, sending heartbeat comments and
  // releasing streams whose clients left; reconnects after database failures.
  void Run(std::stop_token stop);

  std::size_t Subscribers() const;
  // Forgets the subscriptions whose streams were abandoned (client gone, or never handed to the
  // server); the poller calls it twice a second.
  void ReleaseAbandoned();

  // One round of the poller: reads the events after the cursor that may be sent now and dispatches
  // them. Returns whether a full page came back (more may be waiting). Public for tests, which poll
  // in step with what they do; Run calls it in a loop.
  bool Poll(db::Connection& db);

 private:
  // The transaction id below which events are sent now: the oldest transaction still running,
  // unless it has run longer than hold_back_limit. Never lower than the last one.
  std::int64_t SendBelow(const TransactionBounds& bounds, std::chrono::steady_clock::time_point now);
  void Dispatch(const OrderEvent& event);
  void Heartbeat();

  LiveUpdatesOptions options_;
  std::optional<EventPosition> cursor_;  // the last event dispatched; empty until the first poll
  // The transactions running at the last poll, each with when it was first seen. One that runs
  // longer than hold_back_limit is passed. Ours end in milliseconds (each statement has a 10 s
  // timeout); one that runs that long is most likely someone else's (a migration, an operator's
  // session, a frozen process) and writes no events. If it does write events and commits after it
  // was passed, they are not streamed (a client sees the change when it next reads the order);
  // holding every stream back behind it would delay them all for as long as it runs.
  std::map<std::int64_t, std::chrono::steady_clock::time_point> running_since_;
  std::int64_t last_passed_ = 0;        // the newest transaction passed (logged once each)
  std::atomic<std::int64_t> bound_{0};  // SendBelow's last answer; read by Replay on the HTTP threads
  mutable std::mutex mutex_;
  std::multimap<std::string, std::shared_ptr<Subscription>> subscribers_;
};

}  // namespace kpo::orders

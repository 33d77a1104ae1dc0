#pragma once
// The outbox's hand-off: committed messages go from this process's committers to its relays in
// memory, so that a relay publishes them without reading them back (see outbox.hpp).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <unordered_set>
#include <vector>

#include "messaging/amqp.hpp"

namespace kpo::messaging {

// Committed outbox messages on their way from this process's committers to its relays. A message
// is "held" from its Offer until a relay Releases it: the relay has published it and deleted its row,
// or given up on it (the broker failed), leaving the row to the relays' poll. This process's poll
// leaves held rows alone (with more than it can list held, all rows younger than a confirm timeout),
// so it publishes each of its own rows once however long the broker takes to confirm. Bounded: what
// does not fit is not held and waits in the outbox for the poll. Thread safe.
class OutboxHandoff {
 public:
  struct Handed {
    Message message;
    std::chrono::steady_clock::time_point committed;  // when it was offered, just after its commit
  };

  explicit OutboxHandoff(std::size_t capacity = 20'000) : capacity_(capacity) {}

  // After the commit that stored `messages` (EnqueueOutbox does this): holds them and wakes a relay.
  void Offer(std::span<const Message> messages);
  // Waits until messages wait, `timeout` passes or `stop`; true when messages wait.
  bool Wait(const std::stop_token& stop, std::chrono::milliseconds timeout);
  // Takes up to `max` of the waiting messages, oldest first (still held).
  std::vector<Handed> Take(std::size_t max);
  // Ends the hold of these messages.
  void Release(std::span<const std::string> message_ids);
  // The message_ids held (waiting, or taken and not released) — at most `max`; nullopt when more are
  // held, since an exclusion list that long would cost more than the poll can save.
  std::optional<std::vector<std::string>> Held(std::size_t max) const;
  // True for one of the process's relays per `every`: the one whose turn it is to poll.
  bool TakePollTurn(std::chrono::milliseconds every);

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable_any offered_;
  std::deque<Handed> waiting_;            // under mutex_
  std::unordered_set<std::string> held_;  // under mutex_: message_ids
  std::atomic<std::chrono::steady_clock::rep> next_poll_{0};
};

}  // namespace kpo::messaging

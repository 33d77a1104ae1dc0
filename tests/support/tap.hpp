#pragma once
// A copy of what a service publishes: a queue of the test's own bound to an exchange, so a test
// can see the events exactly as the broker delivered them (message ids included) without
// reading a service's tables.
#include <chrono>
#include <string>
#include <vector>

#include "messaging/amqp.hpp"

namespace kpo::testing {

class Tap {
 public:
  // Binds a fresh queue to `exchange` with `routing_keys`; deleted again by the destructor.
  Tap(const std::string& exchange, const std::vector<std::string>& routing_keys);
  ~Tap();
  Tap(const Tap&) = delete;
  Tap& operator=(const Tap&) = delete;

  // Every message received so far whose correlation id is `order_id` (drains the queue first).
  std::vector<messaging::Message> For(const std::string& order_id);
  // Waits up to `deadline` for the first message about `order_id`; fails the test without one.
  messaging::Message WaitFor(const std::string& order_id, std::chrono::milliseconds deadline);

 private:
  void Drain();

  std::string queue_;
  messaging::Connection broker_;
  std::vector<messaging::Message> received_;
};

}  // namespace kpo::testing

#include "support/tap.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "support/process.hpp"
#include "support/stack.hpp"

namespace kpo::testing {

Tap::Tap(const std::string& exchange, const std::vector<std::string>& routing_keys)
    : queue_("tests.tap." + core::NewUuid()), broker_(Broker()) {
  broker_.DeclareQueue({queue_, exchange, routing_keys, 5});
}

Tap::~Tap() {
  broker_.DeleteQueue(queue_);
  broker_.DeleteQueue(queue_ + ".dlq");
}

void Tap::Drain() {
  for (auto& delivery : broker_.Get(queue_, 1000, true)) received_.push_back(std::move(delivery.message));
}

std::vector<messaging::Message> Tap::For(const std::string& order_id) {
  Drain();
  std::vector<messaging::Message> found;
  for (const auto& message : received_) {
    if (message.correlation_id == order_id) found.push_back(message);
  }
  return found;
}

messaging::Message Tap::WaitFor(const std::string& order_id, std::chrono::milliseconds deadline) {
  std::vector<messaging::Message> found;
  EXPECT_TRUE(WaitUntil(
      [&] {
        found = For(order_id);
        return !found.empty();
      },
      deadline))
      << "no message about " << order_id;
  return found.empty() ? messaging::Message{} : found.front();
}

}  // namespace kpo::testing

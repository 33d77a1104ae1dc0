#pragma once
// What the broker tests (amqp_mqtest.cpp, amqp_consumer_mqtest.cpp) share: settings for the broker
// at RABBITMQ_URL (default amqp://guest:guest@localhost:5672/, so a run can use a vhost of its own),
// a throw-away topology per test, a delivery recorder, a consumer on a thread of its own and
// rabbitmqctl helpers.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "messaging/amqp.hpp"

namespace kpo::messaging::mqtest {

using namespace std::chrono_literals;

inline constexpr auto kWait = 20s;

inline AmqpSettings Settings(std::string connection_name = "kpo_messaging_test") {
  AmqpSettings settings;
  if (const char* url = std::getenv("RABBITMQ_URL"); url != nullptr && *url != '\0') settings.url = url;
  settings.connection_name = std::move(connection_name);
  return settings;
}

// Polls `condition` until it holds or `timeout` passes; the sleep only paces the polling.
template <class Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

inline std::optional<std::string> Header(const Message& message, const std::string& key) {
  for (const auto& [k, v] : message.headers) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

// A queue and exchange unique to one test, deleted (with the DLQ) when the test ends.
class Topology {
 public:
  explicit Topology(int delivery_limit = 5) {
    const std::string suffix = core::RandomHex(6);
    spec_.name = "test.q." + suffix;
    spec_.exchange = "test.ex." + suffix;
    spec_.routing_keys = {"thing.created", "thing.updated"};
    spec_.delivery_limit = delivery_limit;
    Connection(Settings()).DeclareQueue(spec_);
  }
  ~Topology() {
    Connection connection(Settings());
    connection.DeleteQueue(spec_.name);
    connection.DeleteQueue(spec_.name + ".dlq");
    connection.DeleteExchange(spec_.exchange);
  }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const QueueSpec& spec() const { return spec_; }
  std::string Dlq() const { return spec_.name + ".dlq"; }

  Message MakeMessage(const std::string& routing_key = "thing.created") const {
    Message message;
    message.exchange = spec_.exchange;
    message.routing_key = routing_key;
    message.message_id = core::NewUuid();
    message.type = "ThingCreated";
    message.correlation_id = core::NewUuid();
    message.body = R"({"id":")" + message.message_id + R"("})";
    message.headers = {{"traceparent", core::TraceParent::New().ToString()}, {"x-custom", "value"}};
    return message;
  }

 private:
  QueueSpec spec_;
};

// Records what a consumer's handler saw, for the test thread to poll.
class Recorder {
 public:
  void Add(const Delivery& delivery) {
    std::lock_guard lock(mutex_);
    deliveries_.push_back(delivery);
  }
  std::vector<Delivery> Snapshot() const {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  std::size_t Size() const {
    std::lock_guard lock(mutex_);
    return deliveries_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Delivery> deliveries_;
};

// A handler that records every delivery and acks it.
inline Consumer::Handler AckAndRecord(Recorder& recorder) {
  return [&recorder](const Delivery& delivery) {
    recorder.Add(delivery);
    return Disposition::kAck;
  };
}

// A Consumer running `handler` on a thread of its own from construction until Stop() or destruction.
class RunningConsumer {
 public:
  RunningConsumer(AmqpSettings settings, const QueueSpec& queue, std::uint16_t prefetch,
                  Consumer::Handler handler, int priority = 0)
      : logger_(spdlog::default_logger()),
        consumer_(std::move(settings), queue, prefetch, 1, priority),
        thread_([this, handler = std::move(handler)](std::stop_token stop) {
          consumer_.Run(handler, std::move(stop));
        }) {}

  // Asks the consumer to stop and waits until it has.
  void Stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  // spdlog makes its registry on first use, inside libspdlog.so, which TSan cannot see into: two
  // consumer threads logging first at once read as a data race on the new default logger. Taking
  // it here, on the test's thread, makes it before any consumer thread starts.
  std::shared_ptr<spdlog::logger> logger_;
  Consumer consumer_;
  std::jthread thread_;  // last: it starts once the consumer exists
};

// Takes (removes) what is in `queue` until at least one message has come, or kWait passed.
inline std::vector<Delivery> TakeEventually(Connection& connection, const std::string& queue) {
  std::vector<Delivery> taken;
  Eventually([&] {
    for (Delivery& delivery : connection.Get(queue, 10, true)) taken.push_back(std::move(delivery));
    return !taken.empty();
  });
  return taken;
}

inline void ExpectSameMessage(const Message& sent, const Message& got) {
  EXPECT_EQ(got.exchange, sent.exchange);
  EXPECT_EQ(got.routing_key, sent.routing_key);
  EXPECT_EQ(got.message_id, sent.message_id);
  EXPECT_EQ(got.type, sent.type);
  EXPECT_EQ(got.correlation_id, sent.correlation_id);
  EXPECT_EQ(got.content_type, sent.content_type);
  EXPECT_EQ(got.body, sent.body);
  for (const auto& [key, value] : sent.headers) {
    EXPECT_EQ(Header(got, key), value) << key;
  }
}

inline std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return output;
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    output += buffer.data();
  }
  pclose(pipe);
  return output;
}

// The broker-side pid of the connection whose client properties carry `connection_name`.
inline std::optional<std::string> ConnectionPid(const std::string& connection_name) {
  const std::string out = RunCommand("rabbitmqctl -q list_connections pid client_properties 2>/dev/null");
  std::size_t pos = out.find(connection_name);
  if (pos == std::string::npos) {
    return std::nullopt;
  }
  const std::size_t line_start = out.rfind('\n', pos) == std::string::npos ? 0 : out.rfind('\n', pos) + 1;
  const std::size_t begin = out.find('<', line_start);
  const std::size_t end = out.find('>', begin);
  if (begin == std::string::npos || end == std::string::npos || begin > pos) {
    return std::nullopt;
  }
  return out.substr(begin, end - begin + 1);
}

}  // namespace kpo::messaging::mqtest

#pragma once
// The system under test: orders and payments processes on test ports, wired to the real
// PostgreSQL and RabbitMQ named by the usual environment variables, on databases and a broker
// vhost of their own (see Environment).
#include <memory>
#include <optional>
#include <string>

#include "db/connection.hpp"
#include "messaging/amqp.hpp"
#include "support/api.hpp"
#include "support/process.hpp"

namespace kpo::testing {

// The broker vhost of the integration tests (scripts/lib.sh creates it with the databases).
inline constexpr const char* kTestVhost = "kpo-test";

// Where the services under test keep their state: the databases of ORDERS_DATABASE_URL,
// PAYMENTS_DATABASE_URL and GATEWAY_DATABASE_URL with "_test" appended to their names, and
// RABBITMQ_URL's broker on vhost kTestVhost. Never the development stack's own: a stack left running
// (up.sh) consumes the contract's queues of its vhost and claims the outbox rows of its databases,
// and took the tests' messages when they shared them.
struct Environment {
  std::string orders_database_url;
  std::string payments_database_url;
  std::string rabbitmq_url;
  std::string gateway_database_url;
  static const Environment& Get();
};

// The first of the test ports: 15100 unless KPO_TEST_PORT_BASE says otherwise, so that two checkouts
// on one machine (each with databases and a RabbitMQ vhost of its own) can run the tests at once.
// Throws std::invalid_argument for a value that leaves no room for the ports above it.
std::uint16_t TestPortBase();
// Orders on base + 1, payments on base + 2, the gateway on base + 5; further replicas + 10 each.
inline const std::uint16_t kOrdersTestPort = static_cast<std::uint16_t>(TestPortBase() + 1);
inline const std::uint16_t kPaymentsTestPort = static_cast<std::uint16_t>(TestPortBase() + 2);

// What an orders (payments) process listening on 127.0.0.1:`port` is started with: the test
// databases and broker, relays polling every 200 ms, then `extra`.
EnvVars OrdersEnv(std::uint16_t port, const EnvVars& extra = {});
EnvVars PaymentsEnv(std::uint16_t port, const EnvVars& extra = {});

class Stack {
 public:
  explicit Stack(const EnvVars& orders_env = {}, const EnvVars& payments_env = {});
  // Starts payments, then orders, and (unless admission is switched off) returns once orders
  // admits new orders: see WaitUntilOrdersAdmit.
  void Start();

  ServiceProcess orders;
  ServiceProcess payments;
  Api api{kOrdersTestPort, kPaymentsTestPort};

 private:
  bool admission_bounded_ = true;
};

db::Connection OrdersDb();
db::Connection PaymentsDb();
messaging::AmqpSettings Broker();

// Orders an earlier test left on their way (its processes stopped mid-saga) are a pipeline that is
// behind, and orders refuses new orders until they are done. Returns once the orders process on
// `port` has measured none waiting; throws std::runtime_error when they are still there after
// 35 s (longer than admission's 30 s window).
void WaitUntilOrdersAdmit(std::uint16_t port);

// The value of `series` (a metric's name and labels, as printed) in the /metrics of the service on
// `port`; nullopt when it is not there yet.
std::optional<double> MetricReading(std::uint16_t port, const std::string& series);
// MetricReading truncated to an integer; 0 when it is not there yet.
std::int64_t MetricValue(std::uint16_t port, const std::string& series);

// An order.created event as orders publishes it, under a fresh message id.
messaging::Message OrderCreatedEvent(const std::string& user, const std::string& order_id,
                                     std::int64_t amount);

// Runs `rabbitmqctl <args>` and returns its exit status.
int RabbitmqCtl(const std::string& args);

}  // namespace kpo::testing

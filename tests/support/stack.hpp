#pragma once
// The system under test: orders and payments processes on test ports, wired to the real
// PostgreSQL and RabbitMQ named by the usual environment variables.
#include <memory>
#include <string>

#include "db/connection.hpp"
#include "messaging/amqp.hpp"
#include "support/api.hpp"
#include "support/process.hpp"

namespace kpo::testing {

struct Environment {
  std::string orders_database_url;
  std::string payments_database_url;
  std::string rabbitmq_url;
  std::string gateway_database_url;
  static const Environment& Get();
};

inline constexpr std::uint16_t kOrdersTestPort = 15101;
inline constexpr std::uint16_t kPaymentsTestPort = 15102;

class Stack {
 public:
  explicit Stack(const EnvVars& orders_env = {}, const EnvVars& payments_env = {});
  void Start();

  ServiceProcess orders;
  ServiceProcess payments;
  Api api{kOrdersTestPort, kPaymentsTestPort};
};

db::Connection OrdersDb();
db::Connection PaymentsDb();
messaging::AmqpSettings Broker();

// Runs `rabbitmqctl <args>` and returns its exit status.
int RabbitmqCtl(const std::string& args);

}  // namespace kpo::testing

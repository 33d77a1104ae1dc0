#include "support/stack.hpp"

#include <cstdlib>
#include <stdexcept>

#include "core/ids.hpp"
#include "http/client.hpp"
#include "messaging/broker_urls.hpp"

namespace kpo::testing {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

EnvVars With(EnvVars base, const EnvVars& extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

}  // namespace

std::uint16_t TestPortBase() {
  static const std::uint16_t base = [] {
    const std::string text = EnvOr("KPO_TEST_PORT_BASE", "15100");
    std::size_t end = 0;
    const unsigned long value = std::stoul(text, &end);
    // Replicas go up to base + 2 + 10 * (replicas - 1): leave room for a few.
    if (end != text.size() || value < 1024 || value > 65000)
      throw std::invalid_argument("KPO_TEST_PORT_BASE=" + text + " is not a port in [1024, 65000]");
    return static_cast<std::uint16_t>(value);
  }();
  return base;
}

namespace {

std::string TestDatabaseUrl(const std::string& url) {
  const auto query = url.find('?', url.rfind('/'));
  const auto path_end = query == std::string::npos ? url.size() : query;
  return url.substr(0, path_end) + "_test" + url.substr(path_end);
}

std::string TestBrokerUrl(const std::string& urls) {
  std::string out;
  for (const auto& url : messaging::SplitBrokerUrls(urls)) {
    const auto scheme_end = url.find("://");
    const auto authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    const auto path = url.find('/', authority);
    if (!out.empty()) out += ',';
    out += url.substr(0, path) + "/" + kTestVhost;
  }
  return out;
}

}  // namespace

const Environment& Environment::Get() {
  static const Environment environment{
      TestDatabaseUrl(EnvOr("ORDERS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/orders")),
      TestDatabaseUrl(EnvOr("PAYMENTS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/payments")),
      TestBrokerUrl(EnvOr("RABBITMQ_URL", "amqp://kpo:kpo@localhost:5672/")),
      TestDatabaseUrl(EnvOr("GATEWAY_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/gateway")),
  };
  return environment;
}

EnvVars OrdersEnv(std::uint16_t port, const EnvVars& extra) {
  return With({{"ORDERS_LISTEN", "127.0.0.1:" + std::to_string(port)},
               {"ORDERS_DATABASE_URL", Environment::Get().orders_database_url},
               {"RABBITMQ_URL", Environment::Get().rabbitmq_url},
               {"ORDERS_RELAY_POLL_MS", "200"}},
              extra);
}

EnvVars PaymentsEnv(std::uint16_t port, const EnvVars& extra) {
  return With({{"PAYMENTS_LISTEN", "127.0.0.1:" + std::to_string(port)},
               {"PAYMENTS_DATABASE_URL", Environment::Get().payments_database_url},
               {"RABBITMQ_URL", Environment::Get().rabbitmq_url},
               {"PAYMENTS_RELAY_POLL_MS", "200"}},
              extra);
}

Stack::Stack(const EnvVars& orders_env, const EnvVars& payments_env)
    : orders("orders", KPO_ORDERS_BIN, OrdersEnv(kOrdersTestPort, orders_env), kOrdersTestPort),
      payments("payments", KPO_PAYMENTS_BIN, PaymentsEnv(kPaymentsTestPort, payments_env),
               kPaymentsTestPort) {
  for (const auto& [name, value] : orders_env)
    if (name == "ORDERS_BACKPRESSURE_MAX_LAG_MS") admission_bounded_ = value != "0";
}

void Stack::Start() {
  payments.Start();
  orders.Start();
  if (admission_bounded_) WaitUntilOrdersAdmit(kOrdersTestPort);
}

void WaitUntilOrdersAdmit(std::uint16_t port) {
  // The gauge appears with admission's first measurement and counts orders created in its window.
  const bool drained = WaitUntil([port] { return MetricReading(port, "orders_pipeline_waiting") == 0.0; },
                                 std::chrono::seconds(35));
  if (!drained)
    throw std::runtime_error("orders left by earlier tests still wait for their payment after 35 s");
}

db::Connection OrdersDb() { return db::Connection(Environment::Get().orders_database_url, {}); }
db::Connection PaymentsDb() { return db::Connection(Environment::Get().payments_database_url, {}); }

messaging::AmqpSettings Broker() {
  messaging::AmqpSettings settings;
  settings.url = Environment::Get().rabbitmq_url;
  settings.connection_name = "tests";
  return settings;
}

std::optional<double> MetricReading(std::uint16_t port, const std::string& series) {
  auto metrics = http::Fetch("127.0.0.1", port, "GET", "/metrics").body;
  // At a line's start: the name alone also begins its # HELP and # TYPE lines' text.
  auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(metrics.substr(at + series.size() + 2));
}

std::int64_t MetricValue(std::uint16_t port, const std::string& series) {
  return static_cast<std::int64_t>(MetricReading(port, series).value_or(0));
}

messaging::Message OrderCreatedEvent(const std::string& user, const std::string& order_id,
                                     std::int64_t amount) {
  messaging::Message event;
  event.exchange = "orders";
  event.routing_key = "order.created";
  event.type = "OrderCreated";
  event.message_id = core::NewUuid();
  event.correlation_id = order_id;
  event.body = R"({"orderId":")" + order_id + R"(","userId":")" + user + R"(","amount":)" +
               std::to_string(amount) + R"(,"createdAt":"2026-12-01T10:00:00Z"})";
  return event;
}

int RabbitmqCtl(const std::string& args) {
  const std::string command = "rabbitmqctl " + args + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

}  // namespace kpo::testing

#include "messaging/broker_urls.hpp"

#include <amqp.h>

#include <atomic>
#include <random>
#include <stdexcept>

#include "core/config.hpp"

namespace kpo::messaging {

std::vector<std::string> SplitBrokerUrls(std::string_view list) {
  std::vector<std::string> urls;
  for (const std::string& url : core::SplitList(list)) {
    // A URL that does not parse never will: a configuration error, not an outage to retry.
    std::string parsed(url);  // amqp_parse_url writes into its argument
    amqp_connection_info info{};
    if (const int status = amqp_parse_url(parsed.data(), &info); status != AMQP_STATUS_OK) {
      throw std::invalid_argument("broker URL " + core::MaskPasswords(url) +
                                  " is not an AMQP URL: " + amqp_error_string2(status));
    }
    urls.emplace_back(url);
  }
  if (urls.empty()) throw std::invalid_argument("no broker URL given (RABBITMQ_URL is empty)");
  return urls;
}

std::vector<std::size_t> ConnectOrder(std::size_t count, std::size_t start) {
  std::vector<std::size_t> order;
  order.reserve(count);
  for (std::size_t i = 0; i < count; ++i) order.push_back((start + i) % count);
  return order;
}

std::size_t NextConnectStart() {
  // Seeded once from the OS: processes started at the same moment still pick different nodes.
  static std::atomic<std::size_t> next{std::random_device{}()};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace kpo::messaging

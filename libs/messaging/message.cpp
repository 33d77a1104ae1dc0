#include "core/ids.hpp"
#include "messaging/amqp.hpp"

namespace kpo::messaging {

Message NewMessage(std::string_view exchange, std::string_view routing_key, std::string_view type,
                   std::string correlation_id, std::string body, std::string traceparent) {
  Message message;
  message.exchange = exchange;
  message.routing_key = routing_key;
  message.message_id = core::NewUuid();
  message.type = type;
  message.correlation_id = std::move(correlation_id);
  message.body = std::move(body);
  message.headers.emplace_back("traceparent", std::move(traceparent));
  return message;
}

}  // namespace kpo::messaging

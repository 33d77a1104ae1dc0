// kpo-dlq: lists and replays dead letters.
//   kpo-dlq list   <queue> [max]   one JSON line per message in <queue>.dlq (left in place)
//   kpo-dlq replay <queue> [max]   republishes them to where they were first published
// The broker comes from RABBITMQ_URL (default amqp://kpo:kpo@localhost:5672/).
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <iostream>
#include <string>

#include "messaging/amqp.hpp"

namespace {

int Usage() {
  std::cerr << "usage: kpo-dlq list|replay <queue> [max]\n"
               "  e.g. kpo-dlq list payments.order-created\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string command = argv[1];
  const std::string queue = argv[2];
  const std::size_t max = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  kpo::messaging::AmqpSettings settings;
  const char* url = std::getenv("RABBITMQ_URL");
  settings.url = url != nullptr && *url != '\0' ? url : "amqp://kpo:kpo@localhost:5672/";
  settings.connection_name = "kpo-dlq";
  // The edge of the tool: report a broker failure and exit non-zero.
  try {
    if (command == "list") {
      kpo::messaging::Connection connection(settings);
      for (const auto& delivery : connection.Get(queue + ".dlq", max, false)) {
        const auto& m = delivery.message;
        boost::json::object headers;
        for (const auto& [name, value] : m.headers) headers[name] = value;
        std::cout << boost::json::serialize(boost::json::object{{"messageId", m.message_id},
                                                                {"type", m.type},
                                                                {"correlationId", m.correlation_id},
                                                                {"routingKey", m.routing_key},
                                                                {"headers", headers},
                                                                {"body", m.body}})
                  << '\n';
      }
      return 0;
    }
    if (command == "replay") {
      const auto replayed = kpo::messaging::ReplayDeadLetters(settings, queue, max);
      std::cout << "replayed " << replayed << " message(s) from " << queue << ".dlq\n";
      return 0;
    }
  } catch (const std::exception& error) {
    std::cerr << "kpo-dlq: " << error.what() << '\n';
    return 1;
  }
  return Usage();
}

// kpo-dlq: inspects, replays and discards dead letters (kpo-dlq --help for the commands).
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlq/commands.hpp"
#include "dlq/options.hpp"

int main(int argc, char** argv) {
  kpo::dlq::Options options;
  // The edge of the command line: a usage error goes to stderr with status 2.
  try {
    options = kpo::dlq::Parse(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& error) {
    std::cerr << "kpo-dlq: " << error.what() << "\n\n" << kpo::dlq::UsageText();
    return 2;
  }
  if (options.command == "help") {
    std::cout << kpo::dlq::UsageText();
    return 0;
  }
  kpo::messaging::AmqpSettings settings;
  const char* url = std::getenv("RABBITMQ_URL");
  settings.url = url != nullptr && *url != '\0' ? url : "amqp://kpo:kpo@localhost:5672/";
  settings.connection_name = "kpo-dlq";
  // The edge of the tool: report a broker failure and exit non-zero.
  try {
    return kpo::dlq::Run(options, settings, std::cout);
  } catch (const std::exception& error) {
    std::cerr << "kpo-dlq: " << error.what() << '\n';
    return 1;
  }
}

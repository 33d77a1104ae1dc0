#include "dlq/options.hpp"

#include <stdexcept>

namespace kpo::dlq {
namespace {

std::size_t ParseCount(const std::string& text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value == 0) throw std::invalid_argument("--max takes a positive number");
  return static_cast<std::size_t>(value);
}

}  // namespace

const char* UsageText() {
  return "usage: kpo-dlq [--json] [--queue QUEUE]... [--max N] COMMAND\n"
         "\n"
         "Inspects and settles dead letters: the messages a consumer refused, kept in <queue>.dlq\n"
         "with why (x-kpo-error), where (x-kpo-service, x-kpo-queue) and when (x-kpo-failed-at).\n"
         "\n"
         "commands:\n"
         "  queues                  how many dead letters each DLQ holds\n"
         "  list                    the dead letters (left in place)\n"
         "  show MESSAGE_ID         one dead letter in full: headers and body\n"
         "  replay MESSAGE_ID|--all republish to where it was first published; removed from the\n"
         "                          DLQ only once the broker confirmed the republish\n"
         "  discard MESSAGE_ID      remove it from the DLQ for good\n"
         "\n"
         "options:\n"
         "  --queue QUEUE  a work queue (its DLQ is QUEUE.dlq; QUEUE.dlq itself names it too); default:\n"
         "                 payments.order-created and orders.payment-results\n"
         "  --json         one JSON object per line instead of a table\n"
         "  --max N        look at no more than N messages per DLQ (default 10000)\n"
         "  -h, --help     this text\n"
         "\n"
         "The broker comes from RABBITMQ_URL (default amqp://kpo:kpo@localhost:5672/).\n"
         "Exit status: 0 done, 1 broker failure or message not found, 2 usage error.\n";
}

Options Parse(const std::vector<std::string>& args) {
  Options options;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
      return args[++i];
    };
    if (arg == "-h" || arg == "--help") {
      options.command = "help";
      return options;
    }
    if (arg == "--json") {
      options.json = true;
    } else if (arg == "--all") {
      options.all = true;
    } else if (arg == "--queue" || arg == "-q") {
      // The DLQ's own name is what the broker's UI and the alerts show: it names the same queue.
      std::string queue = value();
      if (queue.ends_with(kDlqSuffix) && queue.size() > kDlqSuffix.size()) {
        queue.resize(queue.size() - kDlqSuffix.size());
      }
      options.queues.push_back(std::move(queue));
    } else if (arg == "--max") {
      options.max = ParseCount(value());
    } else if (arg.starts_with("-")) {
      throw std::invalid_argument("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty()) throw std::invalid_argument("no command");
  options.command = positional[0];
  const bool takes_id =
      options.command == "show" || options.command == "replay" || options.command == "discard";
  const bool known = takes_id || options.command == "queues" || options.command == "list";
  if (!known) throw std::invalid_argument("unknown command " + options.command);
  const std::size_t wanted = takes_id && !(options.command == "replay" && options.all) ? 2 : 1;
  if (positional.size() != wanted) {
    throw std::invalid_argument(wanted == 2 ? options.command + " takes one message id"
                                            : options.command + " takes no argument");
  }
  if (wanted == 2) options.message_id = positional[1];
  if (options.all && options.command != "replay") throw std::invalid_argument("--all goes with replay");
  if (options.queues.empty()) options.queues = kDefaultQueues;
  return options;
}

}  // namespace kpo::dlq

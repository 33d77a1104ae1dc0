#pragma once
// kpo-dlq's command line: parsed into Options, or a usage error.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpo::dlq {

// The work queues whose "<queue>.dlq" the tool looks at when no --queue is given (the contract's).
inline const std::vector<std::string> kDefaultQueues = {"payments.order-created", "orders.payment-results"};

// What a work queue's dead-letter queue is called after it: "<queue>.dlq".
inline constexpr std::string_view kDlqSuffix = ".dlq";

struct Options {
  std::string command;              // queues, list, show, replay, discard, help
  std::vector<std::string> queues;  // work queue names (without .dlq; --queue X.dlq is stored as X)
  std::string message_id;           // show, replay, discard
  bool all = false;                 // replay --all
  bool json = false;
  std::size_t max = 10'000;  // messages looked at per queue
};

// Parses argv; throws std::invalid_argument with the reason on a usage error.
Options Parse(const std::vector<std::string>& args);

// The help text (printed on --help to stdout, on a usage error to stderr).
const char* UsageText();

}  // namespace kpo::dlq

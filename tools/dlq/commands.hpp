#pragma once
// kpo-dlq's commands against the broker.
#include <ostream>

#include "dlq/options.hpp"
#include "messaging/amqp.hpp"

namespace kpo::dlq {

// Runs `options.command` and writes its result to `out` (a table, or JSON lines with --json).
// Returns the exit status: 0 done, 1 when a named message was not found. Throws
// messaging::AmqpError on broker failures.
int Run(const Options& options, const messaging::AmqpSettings& settings, std::ostream& out);

}  // namespace kpo::dlq

#pragma once
// Several broker addresses in one setting: RABBITMQ_URL may list the nodes of a RabbitMQ cluster,
// comma-separated, and every (re)connect tries them in turn, so a client survives the loss of any
// node that is not the last one.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kpo::messaging {

// The URLs of a comma-separated list, each trimmed of surrounding blanks, in their given order.
// A single URL is a list of one. Empty items ("a,,b", a trailing comma) are ignored; a comma
// inside a URL (a password) must be percent-encoded (%2C). Throws std::invalid_argument when the
// list names no URL at all or one that is not an AMQP URL (amqp://user:pass@host:port/vhost).
std::vector<std::string> SplitBrokerUrls(std::string_view list);

// The order in which one connect tries `count` addresses: every index once, starting at
// `start % count` and wrapping around. Empty when count is 0.
std::vector<std::size_t> ConnectOrder(std::size_t count, std::size_t start);

// The start for the next connect of this process: random at the first call, then one further
// at each call (thread safe). Clients of one process, and processes started together, so spread
// over the nodes, and a reconnect after a failure starts at the next node rather than the one
// that just failed.
std::size_t NextConnectStart();

}  // namespace kpo::messaging

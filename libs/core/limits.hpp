#pragma once
// Process resource limits a server needs raised before it serves.
#include <cstddef>
#include <cstdint>

namespace kpo::core {

struct OpenFileLimit {
  std::uint64_t before = 0;  // soft limit found at start
  std::uint64_t soft = 0;    // soft limit now in force
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at fs.nr_open when the hard limit is
// unlimited). Every connection costs a descriptor (two in the gateway: the client's and the
// upstream's), and the usual soft limit of 1024 turns load into failed accepts and 502s long before
// memory or CPU run out. Logs what it did; a refusal by the kernel is logged, not thrown: the
// process can still serve within the old limit.
OpenFileLimit RaiseOpenFileLimit();

// How many connections a server can hold open within `limit` when each takes `per_connection`
// descriptors and `reserved` stay free for everything else (database pool, broker, pooled upstream
// connections, logs): the cap for http::ServerOptions::max_connections. At least 1.
std::size_t ConnectionsWithin(const OpenFileLimit& limit, std::size_t per_connection, std::size_t reserved);

}  // namespace kpo::core

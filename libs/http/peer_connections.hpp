#pragma once
// The connections a server holds, in all and per peer address (ServerOptions::max_connections_per_peer).
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "observability/metrics.hpp"

namespace kpo::http {

// The client connections the process's servers hold open (http_connections_open): each holds a
// descriptor (process_open_fds against process_max_fds); the streams among them are
// http_streams_open.
observability::Gauge& OpenConnections();

// How many connections each peer address holds, against a bound. Thread safe: the sessions of every
// event loop take and return slots.
class PeerConnections {
 public:
  enum class Slot {
    kNotCounted,  // no bound, or a peer `unbounded` names: nothing to give back
    kTaken,       // to be given back when the connection closes (Return)
    kRefused,     // the peer holds `max_per_peer` already (counted: http_connections_refused_total)
  };
  // `max_per_peer` 0: no bound.
  PeerConnections(std::size_t max_per_peer, std::function<bool(std::string_view peer)> unbounded);
  Slot Take(const std::string& peer);
  void Return(const std::string& peer);
  // Peers holding a slot now.
  std::size_t Peers() const;

 private:
  std::size_t max_per_peer_;
  std::function<bool(std::string_view)> unbounded_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> held_;
};

}  // namespace kpo::http

#include "http/peer_connections.hpp"

#include <utility>

namespace kpo::http {
namespace {

observability::Counter& Refusals() {
  static auto& counter = observability::Registry::Global().GetCounter(
      "http_connections_refused_total",
      "Connections answered 429 and closed because their address held its bound of connections already.");
  return counter;
}

}  // namespace

observability::Gauge& OpenConnections() {
  static auto& gauge = observability::Registry::Global().GetGauge(
      "http_connections_open", "Client connections the HTTP servers hold open, streams included.");
  return gauge;
}

PeerConnections::PeerConnections(std::size_t max_per_peer, std::function<bool(std::string_view)> unbounded)
    : max_per_peer_(max_per_peer), unbounded_(std::move(unbounded)) {
  OpenConnections();  // both series from the start, at 0
  Refusals();
}

PeerConnections::Slot PeerConnections::Take(const std::string& peer) {
  if (max_per_peer_ == 0 || peer.empty() || (unbounded_ && unbounded_(peer))) return Slot::kNotCounted;
  const std::lock_guard lock(mutex_);
  auto& held = held_[peer];  // never left at 0 by a refusal: the bound is above 0
  if (held >= max_per_peer_) {
    Refusals().Add();
    return Slot::kRefused;
  }
  ++held;
  return Slot::kTaken;
}

void PeerConnections::Return(const std::string& peer) {
  const std::lock_guard lock(mutex_);
  const auto found = held_.find(peer);
  if (found != held_.end() && --found->second == 0) held_.erase(found);
}

std::size_t PeerConnections::Peers() const {
  const std::lock_guard lock(mutex_);
  return held_.size();
}

}  // namespace kpo::http

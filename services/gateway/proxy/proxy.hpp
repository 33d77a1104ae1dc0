#pragma once
// Reverse proxy to a service's replicas: round robin over healthy replicas, keep-alive
// connection pools, connect/response deadlines, passive health checks (a failing replica is
// ejected for a while, a stalled one is passed over while it stalls), retries on other replicas of what is
// safe to retry (MayRetryElsewhere), and unbuffered pass-through of streamed responses (SSE). Beast/Asio stay
// in proxy.cpp.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace kpo::gateway {

struct UpstreamOptions {
  std::string name;                    // "orders", for logs and metrics
  std::vector<std::string> addresses;  // "host:port" of each replica
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds response_timeout{30'000};     // until the whole (non-streamed) response
  std::chrono::milliseconds stream_idle_timeout{60'000};  // a stream silent this long is dead
  std::chrono::milliseconds ejection{10'000};             // how long a failing replica is left alone
  // A replica that has requests waiting for their answer and has answered none of them for this long
  // is stalled (a frozen process or host, its sockets still open): new requests go to other replicas,
  // or are answered 503 at once when none is left, instead of queueing behind the ones it holds.
  std::chrono::milliseconds stall{5'000};
  int failures_to_eject = 2;
  // Idle connections kept per replica and I/O thread. A burst's connections are all kept for the
  // next one: with 64 kept, an overload (2875 orders/s offered) closed and reopened ~220 connections
  // to orders a second, each a handshake on both sides and a socket left in TIME-WAIT.
  std::size_t max_idle_per_replica = 512;
};

// Headers the gateway adds to a forwarded request, as views into strings the caller owns.
using HeaderViews = std::span<const std::pair<std::string_view, std::string_view>>;

// Parses "host:port,host:port". Throws std::invalid_argument on a malformed list.
std::vector<std::string> ParseAddresses(const std::string& list);

class Upstream {
 public:
  explicit Upstream(UpstreamOptions options);
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  // Forwards `request` with `extra_headers` set (replacing any the client sent under those
  // names) and returns the upstream's answer, or 502/503/504 problem responses when no replica
  // could answer. A request goes to up to three replica attempts, but again only when the failed attempt
  // cannot have applied it or repeating it is harmless (MayRetryElsewhere in upstream_error.hpp); a
  // GET answered 503 is tried once on another replica. Never throws for upstream failures.
  // `extra_headers` must stay valid until the returned awaitable completes.
  boost::asio::awaitable<http::Response> Forward(const http::Request& request, HeaderViews extra_headers);

  // GET `path` on every replica (for /readyz); true when at least one answers 200.
  bool AnyReplicaReady(const std::string& path) const;

  const std::string& Name() const;

  // Closes the pooled idle connections. Call before the I/O context that owns their sockets is
  // destroyed (after the server stopped).
  void CloseIdleConnections();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpo::gateway

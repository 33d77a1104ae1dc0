#pragma once
// A cheap I/O deadline for a socket, for code that already uses Asio (the HTTP server, the
// gateway's proxy). Beast's tcp_stream re-arms a timer for every read and write; here setting a
// deadline is a clock read and a store. One timer per socket wakes only when the deadline may
// have passed: if the deadline has meanwhile moved later (the usual case: every I/O pushes it
// out), the timer sleeps again until then.
// Not thread safe: use it on the socket's event loop only.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

namespace kpo::http {

class SocketDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `socket` must outlive this object.
  explicit SocketDeadline(boost::asio::ip::tcp::socket& socket);
  ~SocketDeadline();
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;

  // The socket is closed if it is still open `timeout` from now (unless the deadline is moved
  // again first): its pending operations then fail and Expired() turns true.
  void ExpiresAfter(Clock::duration timeout);
  // No deadline from now on (e.g. an idle pooled connection).
  void Clear();
  // Whether the socket was closed because a deadline passed.
  bool Expired() const;

 private:
  struct State;
  static void WakeAt(const std::shared_ptr<State>& state, Clock::time_point at);
  static void OnWake(const std::shared_ptr<State>& state, std::uint64_t generation);
  std::shared_ptr<State> state_;
};

}  // namespace kpo::http

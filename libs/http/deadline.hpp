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

  // What a deadline that passes does to the socket.
  enum class OnExpiry {
    kClose,   // closes it: every operation on it fails from then on
    kCancel,  // cancels its pending operations (they fail), and those started later too, every
              // 50 ms until the deadline is moved or cleared, and leaves it open, so that the
              // owner can still answer (a server's 408 to a request that did not arrive in time)
  };

  // If the socket is still open `timeout` from now (unless the deadline is moved again first), it
  // is closed or its operations cancelled (`on_expiry`): its pending operations then fail and
  // Expired() turns true.
  void ExpiresAfter(Clock::duration timeout, OnExpiry on_expiry = OnExpiry::kClose);
  // No deadline from now on (e.g. an idle pooled connection).
  void Clear();
  // Whether the last deadline set passed (and closed the socket or cancelled its operations).
  bool Expired() const;

 private:
  struct State;
  static void WakeAt(const std::shared_ptr<State>& state, Clock::time_point at);
  static void OnWake(const std::shared_ptr<State>& state, std::uint64_t generation);
  std::shared_ptr<State> state_;
};

}  // namespace kpo::http

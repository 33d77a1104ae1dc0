#pragma once
// Waits until an absolute steady-clock time with microsecond accuracy.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>

namespace kpo::bench {

// The project builds Asio with BOOST_ASIO_DISABLE_TIMERFD, so its timers wake on epoll_wait's
// millisecond timeout: up to 1 ms late. An open-loop generator counts latency from the scheduled
// send time, so that lateness would be charged to the system under test. A timerfd of our own
// (absolute CLOCK_MONOTONIC, which steady_clock is on Linux) wakes within tens of microseconds.
class PreciseTimer {
 public:
  explicit PreciseTimer(boost::asio::io_context& io);

  // Returns at once when `when` has passed; otherwise suspends until it has.
  // Throws std::system_error if the timerfd fails.
  boost::asio::awaitable<void> WaitUntil(std::chrono::steady_clock::time_point when);

 private:
  boost::asio::posix::stream_descriptor fd_;
};

}  // namespace kpo::bench

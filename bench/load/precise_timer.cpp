#include "load/precise_timer.hpp"

#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace kpo::bench {
namespace {

int NewTimerFd() {
  // The default 50 µs timer slack would add to every wake-up; 1 ns asks for none.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  return fd;
}

}  // namespace

PreciseTimer::PreciseTimer(boost::asio::io_context& io) : fd_(io, NewTimerFd()) {}

boost::asio::awaitable<void> PreciseTimer::WaitUntil(std::chrono::steady_clock::time_point when) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  if (when <= std::chrono::steady_clock::now() || ns <= 0) co_return;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (::timerfd_settime(fd_.native_handle(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    throw std::system_error(errno, std::generic_category(), "timerfd_settime");
  }
  co_await fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read, boost::asio::use_awaitable);
  std::uint64_t expirations = 0;
  // Consumes the expiry so the descriptor is not readable at the next wait; EAGAIN is harmless.
  [[maybe_unused]] const auto n = ::read(fd_.native_handle(), &expirations, sizeof expirations);
}

}  // namespace kpo::bench

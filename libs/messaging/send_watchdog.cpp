#include "messaging/send_watchdog.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "core/thread_name.hpp"

namespace kpo::messaging {

SendWatchdog::SendWatchdog()
    : thread_([this](const std::stop_token& stop) {
        core::NameThisThread("amqp-watchdog");
        Run(stop);
      }) {}

SendWatchdog::~SendWatchdog() {
  thread_.request_stop();  // wakes the wait below (condition_variable_any with the stop token)
}

SendWatchdog::Armed::Armed(SendWatchdog& watchdog, int fd, Clock::time_point deadline) : watchdog_(watchdog) {
  bool wake = false;
  {
    const std::lock_guard lock(watchdog_.mutex_);
    watchdog_.fd_ = fd;
    watchdog_.deadline_ = deadline;
    watchdog_.fired_ = false;
    wake = !watchdog_.sleeping_until_ || deadline < *watchdog_.sleeping_until_;
  }
  if (wake) watchdog_.changed_.notify_all();
}

SendWatchdog::Armed::~Armed() {
  // Once this returns the watchdog cannot act on the descriptor: it only does under the mutex while
  // a deadline is set. Not woken: when it wakes at the deadline it slept for, it finds none set.
  const std::lock_guard lock(watchdog_.mutex_);
  watchdog_.deadline_.reset();
  watchdog_.fd_ = -1;
}

bool SendWatchdog::Fired() const {
  const std::lock_guard lock(mutex_);
  return fired_;
}

void SendWatchdog::Run(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (!deadline_) {
      sleeping_until_.reset();
      changed_.wait(lock, stop, [&] { return deadline_.has_value(); });
      continue;
    }
    const auto deadline = *deadline_;
    sleeping_until_ = deadline;
    // True when the guard went or another took its place (found at the latest when the deadline
    // comes); false when the deadline passed with this guard still there.
    if (changed_.wait_until(lock, stop, deadline, [&] { return deadline_ != deadline; })) continue;
    if (stop.stop_requested()) break;
    spdlog::warn("a send to the broker did not finish in time: shutting its socket down");
    ::shutdown(fd_, SHUT_RDWR);
    fired_ = true;
    deadline_.reset();
  }
}

}  // namespace kpo::messaging

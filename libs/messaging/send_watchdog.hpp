#pragma once
// A deadline for writes that the library underneath waits on without one: rabbitmq-c sends a
// publish with no time limit, so a broker that stops reading (a memory or disk alarm blocks
// publishers, yet keeps sending heartbeats) holds the sending thread for as long as the alarm lasts.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

namespace kpo::messaging {

class SendWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  SendWatchdog();
  ~SendWatchdog();
  SendWatchdog(const SendWatchdog&) = delete;
  SendWatchdog& operator=(const SendWatchdog&) = delete;

  // While alive, `fd` is shut down (both directions) should `deadline` pass first: a call blocked on
  // it then fails at once. The descriptor must stay open until the guard is destroyed, which
  // guarantees that the watchdog no longer touches it. One guard at a time per watchdog.
  class Armed {
   public:
    Armed(SendWatchdog& watchdog, int fd, Clock::time_point deadline);
    ~Armed();
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

   private:
    SendWatchdog& watchdog_;
  };

  // True when the last guard's deadline passed and its socket was shut down.
  bool Fired() const;

 private:
  void Run(const std::stop_token& stop);

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  int fd_ = -1;
  std::optional<Clock::time_point> deadline_;
  // What the watchdog's thread sleeps until (nullopt: until a guard comes). A guard wakes it only
  // when it must act sooner: a relay arms and disarms once per batch, hundreds of times a second,
  // each deadline later than the last, and the thread need not wake for any of them.
  std::optional<Clock::time_point> sleeping_until_;
  bool fired_ = false;
  std::jthread thread_;  // last: it starts once the members above exist
};

}  // namespace kpo::messaging

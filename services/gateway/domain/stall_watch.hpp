#pragma once
// Whether a replica is stalled: it holds requests and has answered none of them for a while, as a
// frozen process or host does whose kernel still accepts connections and takes requests. The proxy
// keeps one per replica and sends a stalled replica nothing new (UpstreamOptions::stall). Progress is
// an answer's head arriving, or the replica having had nothing waiting when a request was sent: a
// replica that just took its first request is not stalled, however long it had been idle.
// Thread-safe (atomics alone: it is asked on every request).
#include <atomic>
#include <chrono>

namespace kpo::gateway {

class StallWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // A request was sent and waits for its answer.
  void Sent(Clock::time_point now);
  // A waiting request's answer came (its head, at least).
  void Answered(Clock::time_point now);
  // A waiting request ended without an answer (its connection failed, or it timed out).
  void Abandoned();

  // Requests wait, and none has been answered for longer than `bound`.
  bool Stalled(Clock::time_point now, std::chrono::milliseconds bound) const;
  // True once per stall (until the next answer): when to log it.
  bool FirstReportOfThisStall();
  int Waiting() const { return waiting_.load(); }

 private:
  std::atomic<int> waiting_{0};
  std::atomic<Clock::rep> progress_at_{0};
  std::atomic<bool> reported_{false};
};

}  // namespace kpo::gateway

#pragma once
// Whether a replica is stalled: it holds requests and has answered none of them for a while, as a
// frozen process or host does whose kernel still accepts connections and takes requests. The proxy
// keeps one per replica and sends a stalled replica nothing new (UpstreamOptions::stall). Progress is
// an answer's head arriving, or the replica having had nothing waiting when a request was sent: a
// replica that just took its first request is not stalled, however long it had been idle. A replica busy
// with one slow request looks stalled too: the probe (TryProbe) tells the two apart.
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
  // While stalled, one request at a time may still go (a probe): a replica that is only slow answers it
  // and so ends the stall, one that is frozen holds it. True when the caller's request is the probe;
  // ProbeEnded once its answer came or it failed.
  bool TryProbe();
  void ProbeEnded();
  // True once per stall (until the next answer): when to log it.
  bool FirstReportOfThisStall();
  int Waiting() const { return waiting_.load(); }

 private:
  std::atomic<int> waiting_{0};
  std::atomic<Clock::rep> progress_at_{0};
  std::atomic<bool> reported_{false};
  std::atomic<bool> probing_{false};
};

// The probe of a stalled replica (StallWatch::TryProbe), held while its request is under way.
class StallProbe {
 public:
  explicit StallProbe(StallWatch& watch) : watch_(watch.TryProbe() ? &watch : nullptr) {}
  ~StallProbe() {
    if (watch_ != nullptr) watch_->ProbeEnded();
  }
  StallProbe(const StallProbe&) = delete;
  StallProbe& operator=(const StallProbe&) = delete;
  // Whether this request is the probe (another one may be under way already).
  bool Granted() const { return watch_ != nullptr; }

 private:
  StallWatch* watch_;
};

}  // namespace kpo::gateway

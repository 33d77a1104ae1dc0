#pragma once
// Waiting with a way out: stop-aware sleeps, backoff with jitter, and the one reconnect loop every
// long-lived worker (consumer, relay, live-update poller) runs.
#include <chrono>
#include <functional>
#include <random>
#include <stop_token>
#include <string_view>

namespace kpo::core {

// Waits `delay` or until `stop` is requested, whichever comes first. Returns false on stop.
bool WaitFor(std::stop_token stop, std::chrono::milliseconds delay);

// Exponential backoff with jitter: a ceiling of 100 ms doubling up to 1 s by default, and each
// delay drawn between half the ceiling and the ceiling.
//
// The maximum is short on purpose: the workers wait for their own broker and database, and every
// second they wait after it is back is a second of orders refused for a pipeline that is behind
// (a refused connect costs next to nothing). The jitter keeps the workers of every replica from
// reconnecting in lockstep when a server comes back.
class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds(100),
                   std::chrono::milliseconds max = std::chrono::milliseconds(1000));
  // The delay to wait now: between half the current ceiling and the ceiling. The ceiling then
  // doubles, up to the maximum.
  std::chrono::milliseconds Next();
  // Back to the initial ceiling (after a success).
  void Reset() { ceiling_ = initial_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds ceiling_;
  std::minstd_rand random_;
};

// The delays between a worker's sessions.
struct ReconnectPolicy {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{1000};
  // A session that failed after working this long failed for a new reason (its server restarted):
  // the backoff starts over, so that it reconnects promptly. One that fails sooner (refused access
  // right after connecting, a statement failing every time) keeps backing off: resetting when it
  // connected made such a worker reconnect at the shortest delay forever, opening a database
  // backend and a broker connection each time.
  std::chrono::milliseconds worked_for{5000};
};

// Runs `session` until `stop` is requested. `session` connects to what it needs and works until
// stop (then returns) or a failure (then throws a std::exception). After a failure the error is
// logged with `what` and the session starts over after the backoff (see ReconnectPolicy). This
// is the edge of a worker thread: nothing escapes it.
void RunWithReconnect(std::string_view what, std::stop_token stop, const std::function<void()>& session,
                      ReconnectPolicy policy = {});

}  // namespace kpo::core

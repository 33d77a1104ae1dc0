#pragma once
// Brakes password guessing: after a few failed logins for one username, or from one client
// address, each further attempt has to wait, twice as long after every failure.
//
// A username's failures from every address count together (guesses spread over many addresses are
// braked too), but an address that has signed in to the account before is held only to its own
// failures for it: otherwise anyone could keep the owner out with a wrong guess every few minutes.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kpo::gateway {

struct LoginThrottlePolicy {
  int free_failures_per_user = 5;     // failures for one username before delays start
  int free_failures_per_client = 20;  // failures from one address (many usernames) before delays start
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{300};
  std::chrono::seconds forget_after{900};  // a key with no failure for this long starts afresh
  // An address that signed in to an account within this long is not held to the username's
  // failures from other addresses (only to its own, and to its own address's).
  std::chrono::hours remember_sign_ins{24 * 30};
  std::size_t max_keys = 100'000;  // memory bound; beyond it expired keys are swept
};

// Thread safe. Every attempt it admits counts as a failure until Succeeded says otherwise, so a
// burst of parallel guesses is throttled as if they had been made one after another.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LoginThrottle() = default;
  explicit LoginThrottle(LoginThrottlePolicy policy) : policy_(policy) {}

  // Zero when the attempt for `username` from `client` may be checked now (it is then counted);
  // otherwise how long to wait before trying again (nothing is counted). An empty `username` stands
  // for one no account can have: only the client's failures count, and no key is kept for the name.
  std::chrono::milliseconds Admit(std::string_view username, std::string_view client, Clock::time_point now);

  // The admitted attempt had the right password: the username starts afresh, the attempt no
  // longer counts against the client (whose earlier failures stay), and the client is known to the
  // account from now on.
  void Succeeded(std::string_view username, std::string_view client, Clock::time_point now = Clock::now());

  // The account `username` was just created from `client`: the client is known to it from now on,
  // as after a sign-in, and failures counted against the name before it existed are dropped. The
  // client's own failures stay (no attempt of its was admitted to be forgiven).
  void Registered(std::string_view username, std::string_view client, Clock::time_point now = Clock::now());

 private:
  // The client is known to the account from now on and the username's failures start afresh.
  // Under mutex_.
  void Know(std::string_view username, std::string_view client, Clock::time_point now);
  struct Failures {
    int count = 0;
    Clock::time_point last{};
  };
  using Table = std::unordered_map<std::string, Failures>;

  std::chrono::milliseconds Wait(const Table& table, std::string_view key, int free_failures,
                                 Clock::time_point now) const;
  void Count(Table& table, std::string_view key, Clock::time_point now);
  // Drops the keys last touched `keep` or longer ago; clears a table still full after that.
  void Sweep(Table& table, Clock::time_point now, Clock::duration keep) const;

  LoginThrottlePolicy policy_;
  std::mutex mutex_;
  Table users_;    // by username, from every address
  Table pairs_;    // by username and address
  Table clients_;  // by address, for every username
  Table known_;    // username and address of a past sign-in; `last` is when
};

}  // namespace kpo::gateway

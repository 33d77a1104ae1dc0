#include "gateway/domain/login_throttle.hpp"

#include <algorithm>

namespace kpo::gateway {

namespace {

std::string PairKey(std::string_view username, std::string_view client) {
  std::string key(username);
  key += '\n';  // no username or address holds one
  key += client;
  return key;
}

}  // namespace

std::chrono::milliseconds LoginThrottle::Admit(std::string_view username, std::string_view client,
                                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (username.empty()) {
    const auto wait = Wait(clients_, client, policy_.free_failures_per_client, now);
    if (wait.count() == 0) Count(clients_, client, now);
    return wait;
  }
  const auto pair = PairKey(username, client);
  const auto known = known_.find(pair);
  const bool known_client = known != known_.end() && now - known->second.last < policy_.remember_sign_ins;
  const auto wait = std::max({known_client ? std::chrono::milliseconds(0)
                                           : Wait(users_, username, policy_.free_failures_per_user, now),
                              Wait(pairs_, pair, policy_.free_failures_per_user, now),
                              Wait(clients_, client, policy_.free_failures_per_client, now)});
  if (wait.count() > 0) return wait;
  Count(users_, username, now);
  Count(pairs_, pair, now);
  Count(clients_, client, now);
  return std::chrono::milliseconds(0);
}

void LoginThrottle::Succeeded(std::string_view username, std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Know(username, client, now);
  if (auto it = clients_.find(std::string(client)); it != clients_.end() && --it->second.count <= 0) {
    clients_.erase(it);
  }
}

void LoginThrottle::Registered(std::string_view username, std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Know(username, client, now);
}

void LoginThrottle::Know(std::string_view username, std::string_view client, Clock::time_point now) {
  const auto pair = PairKey(username, client);
  if (known_.size() >= policy_.max_keys) Sweep(known_, now, policy_.remember_sign_ins);
  known_[pair] = {.count = 1, .last = now};
  pairs_.erase(pair);
  users_.erase(std::string(username));
}

std::chrono::milliseconds LoginThrottle::Wait(const Table& table, std::string_view key, int free_failures,
                                              Clock::time_point now) const {
  const auto it = table.find(std::string(key));
  if (it == table.end() || now - it->second.last >= policy_.forget_after) return std::chrono::milliseconds(0);
  const int over = it->second.count - free_failures;
  if (over < 0) return std::chrono::milliseconds(0);
  // 1 s, 2 s, 4 s ... capped; the shift is bounded so that it cannot overflow.
  const auto delay = std::min<std::chrono::milliseconds>(policy_.first_delay * (1LL << std::min(over, 20)),
                                                         policy_.max_delay);
  const auto until = it->second.last + delay;
  return until > now ? std::chrono::ceil<std::chrono::milliseconds>(until - now)
                     : std::chrono::milliseconds(0);
}

void LoginThrottle::Count(Table& table, std::string_view key, Clock::time_point now) {
  if (table.size() >= policy_.max_keys) Sweep(table, now, policy_.forget_after);
  auto& failures = table[std::string(key)];
  if (now - failures.last >= policy_.forget_after) failures.count = 0;
  ++failures.count;
  failures.last = now;
}

void LoginThrottle::Sweep(Table& table, Clock::time_point now, Clock::duration keep) const {
  std::erase_if(table, [&](const auto& entry) { return now - entry.second.last >= keep; });
  // Still full of recent keys (a wide attack): start afresh rather than grow without bound. The
  // attacker's own keys go too, which costs them nothing they could not get from new addresses.
  if (table.size() >= policy_.max_keys) table.clear();
}

}  // namespace kpo::gateway

#pragma once
// How many live-update streams one client address may hold open through this gateway. A stream
// costs the gateway two descriptors for as long as it lasts, and guest tokens are cheap to mint:
// without a bound per address, one client could hold every descriptor the gateway has (orders caps
// streams per user, which a client minting users goes around).
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kpo::gateway {

class StreamQuota {
 public:
  // `per_key`: streams one key may hold at once; 0 means no bound.
  explicit StreamQuota(std::size_t per_key) : per_key_(per_key) {}

  // Takes one stream for `key`: false (nothing taken) when it already holds `per_key`. Thread safe.
  bool TryOpen(std::string_view key);
  // Gives back a stream TryOpen took. Thread safe.
  void Close(std::string_view key);
  // Streams `key` holds now.
  std::size_t Open(std::string_view key) const;

 private:
  std::size_t per_key_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;  // keys holding none are erased
};

}  // namespace kpo::gateway

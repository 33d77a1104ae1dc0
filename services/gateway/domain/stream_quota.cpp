#include "gateway/domain/stream_quota.hpp"

namespace kpo::gateway {

bool StreamQuota::TryOpen(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto& open = open_[std::string(key)];
  if (per_key_ > 0 && open >= per_key_) return false;
  ++open;
  return true;
}

void StreamQuota::Close(std::string_view key) {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(std::string(key));
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

std::size_t StreamQuota::Open(std::string_view key) const {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(std::string(key));
  return it == open_.end() ? 0 : it->second;
}

}  // namespace kpo::gateway

#include "messaging/outbox_handoff.hpp"

namespace kpo::messaging {

void OutboxHandoff::Offer(std::span<const Message> messages) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    for (const Message& message : messages) {
      if (held_.size() >= capacity_) break;  // the rest wait in the outbox for the poll
      if (held_.contains(message.message_id)) continue;
      // Queued first: should the insert fail, the message is still published, just not excluded.
      waiting_.push_back({message, now});
      held_.insert(message.message_id);
    }
  }
  offered_.notify_one();
}

bool OutboxHandoff::Wait(const std::stop_token& stop, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return offered_.wait_for(lock, stop, timeout, [this] { return !waiting_.empty(); });
}

std::vector<OutboxHandoff::Handed> OutboxHandoff::Take(std::size_t max) {
  std::vector<Handed> taken;
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    while (!waiting_.empty() && taken.size() < max) {
      taken.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    more = !waiting_.empty();
  }
  // What is left is another relay's, while this one publishes.
  if (more) offered_.notify_one();
  return taken;
}

void OutboxHandoff::Release(std::span<const std::string> message_ids) {
  std::lock_guard lock(mutex_);
  for (const auto& id : message_ids) held_.erase(id);
}

std::optional<std::vector<std::string>> OutboxHandoff::Held(std::size_t max) const {
  std::lock_guard lock(mutex_);
  if (held_.size() > max) return std::nullopt;
  return std::vector<std::string>(held_.begin(), held_.end());
}

}  // namespace kpo::messaging

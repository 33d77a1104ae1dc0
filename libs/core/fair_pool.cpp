#include "core/fair_pool.hpp"

#include <algorithm>
#include <utility>

namespace kpo::core {

FairPool::FairPool(std::size_t threads) {
  const std::size_t count = std::max<std::size_t>(1, threads);
  threads_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
}

FairPool::~FairPool() { Join(); }

void FairPool::Post(const std::string& key, Job job) {
  {
    std::lock_guard lock(mutex_);
    if (joining_) return;
    auto& queue = jobs_[key];
    if (queue.empty()) turn_.push_back(key);
    queue.push_back(std::move(job));
    ++waiting_;
  }
  posted_.notify_one();
}

std::size_t FairPool::Waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void FairPool::Join() {
  {
    std::lock_guard lock(mutex_);
    joining_ = true;
  }
  posted_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void FairPool::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    posted_.wait(lock, [this] { return !turn_.empty() || joining_; });
    if (turn_.empty()) return;  // joining, and nothing is left to run
    // The key whose turn it is gives up its oldest job and, if it has more, goes to the end of the
    // turn: every other key waiting gets one job run before its next.
    std::string key = std::move(turn_.front());
    turn_.pop_front();
    auto found = jobs_.find(key);
    Job job = std::move(found->second.front());
    found->second.pop_front();
    if (found->second.empty()) {
      jobs_.erase(found);
    } else {
      turn_.push_back(std::move(key));
    }
    --waiting_;
    lock.unlock();
    job();
    job = nullptr;  // whatever it holds goes before the lock is taken again
    lock.lock();
  }
}

}  // namespace kpo::core

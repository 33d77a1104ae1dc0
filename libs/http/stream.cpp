#include "http/stream.hpp"

namespace kpo::http {

bool EventStream::Push(std::string chunk) {
  std::function<void()> waker;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || abandoned_) return false;
    chunks_.push_back(std::move(chunk));
    waker = waker_;
  }
  if (waker) waker();
  return true;
}

void EventStream::Close() {
  std::function<void()> waker;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    waker = waker_;
  }
  if (waker) waker();
}

bool EventStream::Abandoned() const {
  std::lock_guard lock(mutex_);
  return abandoned_;
}

EventStream::Batch EventStream::Take() {
  std::lock_guard lock(mutex_);
  Batch batch{{chunks_.begin(), chunks_.end()}, closed_};
  chunks_.clear();
  return batch;
}

void EventStream::SetWaker(std::function<void()> waker) {
  std::lock_guard lock(mutex_);
  waker_ = std::move(waker);
}

void EventStream::Abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  chunks_.clear();
  waker_ = nullptr;
}

}  // namespace kpo::http

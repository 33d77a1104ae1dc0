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

void EventStream::OnAbandon(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (!abandoned_) {
      on_abandon_.push_back(std::move(callback));
      return;
    }
  }
  if (callback) callback();
}

EventStream::Batch EventStream::Take() {
  std::lock_guard lock(mutex_);
  // The queue's storage leaves with the batch: between events the stream holds none.
  Batch batch{std::move(chunks_), closed_};
  chunks_ = {};
  return batch;
}

void EventStream::SetWaker(std::function<void()> waker) {
  std::lock_guard lock(mutex_);
  waker_ = std::move(waker);
}

void EventStream::Abandon() {
  std::vector<std::function<void()>> on_abandon;
  std::function<void()> waker;
  {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    chunks_ = {};
    // Moved out, so that what they capture is released here and not when the stream is.
    waker = std::move(waker_);
    waker_ = nullptr;
    on_abandon = std::move(on_abandon_);
    on_abandon_ = {};
  }
  for (const auto& callback : on_abandon) {
    if (callback) callback();
  }
}

}  // namespace kpo::http

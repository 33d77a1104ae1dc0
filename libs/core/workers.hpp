#pragma once
// Threads that are started together and stopped together.
#include <cstddef>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/thread_name.hpp"

namespace kpo::core {

// A group of threads, each running a function that takes a std::stop_token. Destroying the group
// asks every thread to stop before it waits for any, so stopping takes as long as the slowest
// thread, not the sum of all: a std::vector<std::jthread> asks and joins its threads one after the
// other, and a service's relays and consumers may each take up to a broker confirm's or a
// statement's timeout to finish their batch.
class Workers {
 public:
  Workers() = default;
  ~Workers() { RequestStop(); }  // then the threads' own destructors join them
  Workers(Workers&&) noexcept = default;
  // Assigning would stop and join the threads it replaces one by one: not offered.
  Workers& operator=(Workers&&) = delete;
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // Starts a thread named `name` (core/thread_name.hpp) running `work(stop_token)`.
  template <class Work>
  void Start(std::string name, Work&& work) {
    threads_.emplace_back(
        [name = std::move(name), work = std::forward<Work>(work)](std::stop_token stop) mutable {
          NameThisThread(name);
          work(std::move(stop));
        });
  }

  // Asks every thread to stop and returns at once (the destructor waits for them).
  void RequestStop() noexcept {
    for (auto& thread : threads_) thread.request_stop();
  }

  std::size_t Size() const { return threads_.size(); }

 private:
  std::vector<std::jthread> threads_;
};

}  // namespace kpo::core

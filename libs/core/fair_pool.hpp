#pragma once
// Threads that run jobs fairly between the clients that send them. Each job is queued under a key
// (e.g. the client's address); the keys with jobs waiting take turns, one job each, so a client that
// sends a burst waits behind its own burst and not in front of everyone else. A FIFO pool instead
// lets one client's 40 parallel requests for an expensive job (a password hash: ~0.1 s of a core
// on purpose) hold every thread and make every other client wait for all of them.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kpo::core {

class FairPool {
 public:
  using Job = std::function<void()>;

  // Starts `threads` threads (at least one).
  explicit FairPool(std::size_t threads);
  // Join().
  ~FairPool();
  FairPool(const FairPool&) = delete;
  FairPool& operator=(const FairPool&) = delete;

  // Queues `job` under `key`; it runs on one of the pool's threads once the keys ahead of `key` in
  // the turn have had theirs (a key with nothing waiting joins the end of the turn). Jobs of one key
  // run in the order they were posted. A job must not throw. Thread safe. After Join() began, the
  // job is dropped (destroyed without running).
  void Post(const std::string& key, Job job);

  // Jobs waiting for a thread now.
  std::size_t Waiting() const;

  // Runs every job posted so far, then stops the threads and returns. Idempotent.
  void Join();

 private:
  void Run();

  mutable std::mutex mutex_;
  std::condition_variable posted_;                         // a job was queued, or joining began
  std::unordered_map<std::string, std::deque<Job>> jobs_;  // each key with jobs waiting
  std::deque<std::string> turn_;                           // those keys, next to be served first
  std::size_t waiting_ = 0;
  bool joining_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kpo::core

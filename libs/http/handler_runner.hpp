#pragma once
// Running a route's handler for the HTTP server: blocking handlers on bounded worker pools, async
// ones on the caller's loop. Includes Asio: only for translation units that already do I/O.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "core/fair_pool.hpp"
#include "core/queue_codel.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace kpo::http {

struct WorkerQueueMetrics;

class HandlerRunner {
 public:
  HandlerRunner(const ServerOptions& options, const Router& router);

  // Answers `request` with `route`'s handler, or with `route`'s error when there is none. A blocking
  // handler runs on a worker (Lane::kRequests; in turns by ServerOptions::fair_key when it is set)
  // or the operations pool (Lane::kOperations) while the calling coroutine waits without holding
  // its I/O thread. A request for a worker is refused
  // with 503 + Retry-After when `max_queued` already wait or when it waited too long
  // (ServerOptions::queue). The edge of a request: every exception of a handler becomes an answer
  // (a ProblemError its own, others through Router::MapError, the rest a logged 500).
  boost::asio::awaitable<Response> Run(Request& request, const Router::Found& route);

  // Requests waiting for a worker now.
  std::size_t Queued() const { return queued_.load(std::memory_order_relaxed); }

  // Waits for the handlers already handed to a worker to finish.
  void Join();

 private:
  // A blocking handler: on a worker or the operations pool, awaited without holding the I/O thread.
  boost::asio::awaitable<Response> RunOnAWorker(Request& request, const Router::Found& route);
  // On the worker: the handler's answer (or its failure's), or Busy() when the request of a bounded
  // lane waited too long since `enqueued`.
  Response Answer(Request& request, const Router::Found& route, bool bounded,
                  std::chrono::steady_clock::time_point enqueued);
  Response Busy();
  Response AnswerFailure(const Request& request, std::exception_ptr failure) const;

  const Router& router_;
  std::size_t max_queued_;
  // The requests' workers: first come, first served, or in turns by key (one of the two).
  std::optional<boost::asio::thread_pool> workers_;
  std::function<std::string(const Request&)> fair_key_;
  std::optional<core::FairPool> fair_workers_;
  // Lane::kOperations: two threads, so that a scrape answers while readiness checks run (see
  // AddOperationalRoutes: only one thread at a time runs them).
  static constexpr std::size_t kOperationThreads = 2;
  boost::asio::thread_pool operations_{kOperationThreads};
  std::atomic<std::size_t> queued_{0};
  core::QueueCodel queue_codel_;
  WorkerQueueMetrics& queue_metrics_;
};

}  // namespace kpo::http

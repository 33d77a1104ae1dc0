#include "http/handler_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/thread_name.hpp"
#include "http/access_log.hpp"
#include "http/problem.hpp"

namespace kpo::http {
namespace asio = boost::asio;

namespace {

// Names every thread of a pool that starts them unnamed: `post` queues one job per thread, and each
// job waits until all have started (a second at most), so that no thread takes two of them.
template <class Post>
void NamePoolThreads(std::size_t threads, const std::string& name, Post post) {
  struct Started {
    std::mutex mutex;
    std::condition_variable all;
    std::size_t count = 0;
  };
  auto started = std::make_shared<Started>();
  for (std::size_t i = 0; i < threads; ++i) {
    post([started, threads, name] {
      core::NameThisThread(name);
      std::unique_lock lock(started->mutex);
      ++started->count;
      started->all.notify_all();
      started->all.wait_for(lock, std::chrono::seconds(1), [&] { return started->count >= threads; });
    });
  }
}

}  // namespace

HandlerRunner::HandlerRunner(const ServerOptions& options, const Router& router)
    : router_(router),
      max_queued_(options.max_queued),
      fair_key_(options.fair_key),
      queue_codel_(options.queue),
      queue_metrics_(GlobalWorkerQueueMetrics()) {
  const auto workers = std::max<std::size_t>(1, static_cast<std::size_t>(options.workers));
  if (fair_key_) {
    fair_workers_.emplace(workers);
    NamePoolThreads(workers, "http-worker", [this, key = 0](auto job) mutable {
      // A key each, so that no naming job waits for another's turn.
      fair_workers_->Post(std::to_string(key++), std::move(job));
    });
  } else {
    workers_.emplace(workers);
    NamePoolThreads(workers, "http-worker", [this](auto job) { asio::post(*workers_, std::move(job)); });
  }
  NamePoolThreads(kOperationThreads, "http-ops",
                  [this](auto job) { asio::post(operations_, std::move(job)); });
}

void HandlerRunner::Join() {
  if (workers_) workers_->join();
  if (fair_workers_) fair_workers_->Join();
}

Response HandlerRunner::Busy() {
  queue_metrics_.busy_refusals.Add();
  return ProblemError(503, "The service is busy; try again in a second")
      .WithRetryAfter(1)
      .WithReason("busy")
      .ToResponse();
}

asio::awaitable<Response> HandlerRunner::Run(Request& request, const Router::Found& route) {
  // No such resource or method (404/405, or the not-found handler's answer) comes first: what the
  // body is matters only to a route's handler.
  if (route.handler == nullptr && route.async_handler == nullptr) co_return route.error;
  if (!AcceptsBodyType(request, route)) {
    co_return ProblemResponse(415, "Request bodies must be sent as Content-Type: application/json (UTF-8)");
  }
  if (route.async_handler == nullptr) co_return co_await RunOnAWorker(request, route);
  std::exception_ptr failure;
  try {
    co_return co_await (*route.async_handler)(request);
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  co_return AnswerFailure(request, failure);
}

asio::awaitable<Response> HandlerRunner::RunOnAWorker(Request& request, const Router::Found& route) {
  const bool bounded = route.lane == Lane::kRequests;
  if (bounded && max_queued_ > 0 && queued_.load(std::memory_order_relaxed) >= max_queued_) co_return Busy();
  auto executor = co_await asio::this_coro::executor;
  auto done = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  if (bounded)
    queue_metrics_.depth.Set(static_cast<double>(queued_.fetch_add(1, std::memory_order_relaxed) + 1));
  Response response;
  // `request` and `response` live in this coroutine's frame, which waits on `done` until the job ends.
  auto job = [this, &request, &route, &response, done, executor, bounded,
              enqueued = std::chrono::steady_clock::now()] {
    response = Answer(request, route, bounded, enqueued);
    // Runs on the session's loop, so only after the session is suspended on `done`.
    asio::post(executor, [done] { done->cancel(); });
  };
  if (!bounded) {
    asio::post(operations_, std::move(job));
  } else if (fair_workers_) {
    fair_workers_->Post(fair_key_(request), std::move(job));
  } else {
    asio::post(*workers_, std::move(job));
  }
  co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
  co_return response;
}

Response HandlerRunner::Answer(Request& request, const Router::Found& route, bool bounded,
                               std::chrono::steady_clock::time_point enqueued) {
  if (bounded) {
    queue_metrics_.depth.Set(static_cast<double>(queued_.fetch_sub(1, std::memory_order_relaxed) - 1));
    const auto now = std::chrono::steady_clock::now();
    queue_metrics_.wait.Observe(std::chrono::duration<double>(now - enqueued).count());
    if (queue_codel_.Refuse(now - enqueued, now)) return Busy();
  }
  const auto log_context = LogContextOf(request);
  try {
    return (*route.handler)(request);
  } catch (const std::exception&) {
    return AnswerFailure(request, std::current_exception());
  }
}

Response HandlerRunner::AnswerFailure(const Request& request, std::exception_ptr failure) const {
  // An async handler's failure arrives here without the ids the worker's path already set.
  const auto log_context = LogContextOf(request);
  try {
    std::rethrow_exception(std::move(failure));
  } catch (const ProblemError& problem) {
    return problem.ToResponse();
  } catch (const std::exception& error) {
    if (auto answer = router_.MapError(error)) return std::move(*answer);
    spdlog::error("unhandled error in {} {}: {}", request.method, request.path, error.what());
    return ProblemResponse(500, "The server could not complete the request; it has been logged");
  }
}

}  // namespace kpo::http

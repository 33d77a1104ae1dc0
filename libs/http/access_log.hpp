#pragma once
// What the HTTP server records about each request: the ids it is known by, metrics, the access log.
#include <functional>
#include <string>
#include <string_view>

#include "core/log.hpp"
#include "http/message.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {

// Stamps a parsed request with where it came from and the ids it is known by downstream: the
// client's X-Request-Id when acceptable (else a new one), and a child of its traceparent (else a
// new trace). With `client_address` (ServerOptions::client_address), the client's own address too,
// when it differs from the peer's.
void IdentifyRequest(Request& request, const std::string& remote,
                     const std::function<std::string(const Request&)>& client_address = nullptr);

// Attaches `request`'s ids (request_id, trace_id) to the lines this thread writes while the
// result lives. A coroutine must not hold it across a suspension: it may resume on another thread.
core::LogContext LogContextOf(const Request& request);

class Router;

// Concludes `request` with `response`, which took `seconds`: counts it (http_requests_total by
// method, route and status), observes its duration (http_request_duration_seconds by method, route
// and status class) and writes an access log line (none for the operational routes); then readies
// the answer for sending: the router's finisher (Router::SetFinisher) runs on it and the request's
// ids move into it (X-Request-Id, traceparent). One call, because the log line needs the ids
// before they move: the request is done with afterwards.
void ConcludeRequest(const Router& router, Request& request, std::string_view route, Response& response,
                     double seconds);

// The workers' queue on /metrics: requests refused because it was over its bounds
// (http_busy_refusals_total), requests waiting (http_worker_queue_depth) and how long each waited
// (http_worker_queue_wait_seconds). One set for the process, shared by its servers.
struct WorkerQueueMetrics {
  observability::Counter& busy_refusals;
  observability::Gauge& depth;
  observability::Histogram& wait;
};
WorkerQueueMetrics& GlobalWorkerQueueMetrics();

}  // namespace kpo::http

#include "http/access_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "http/router.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {
namespace {

bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// The method as a metric label: a client may send any token as a method, and each distinct label
// value is a series kept for the life of the process, so the public port must not let a client
// choose them.
std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace

void IdentifyRequest(Request& request, const std::string& remote,
                     const std::function<std::string(const Request&)>& client_address) {
  request.remote_address = remote;
  if (client_address) {
    auto client = client_address(request);
    if (client != remote) request.client_address = std::move(client);
  }
  auto client_id = request.Header("X-Request-Id");
  request.request_id =
      client_id && IsAcceptableRequestId(*client_id) ? std::string(*client_id) : core::NewUuid();
  auto incoming = request.Header("traceparent");
  auto parent = incoming ? core::TraceParent::Parse(*incoming) : std::nullopt;
  request.traceparent = (parent ? parent->Child() : core::TraceParent::New()).ToString();
}

core::LogContext LogContextOf(const Request& request) {
  return {request.request_id, std::string(core::TraceIdOf(request.traceparent))};
}

namespace {

void RecordRequest(const Request& request, std::string_view route, const Response& response, double seconds) {
  const int status = response.status;
  // Registry lookups take a lock and format labels: each I/O thread remembers what it found,
  // under a key built in a reused buffer (no allocation once seen).
  thread_local std::unordered_map<std::string, observability::Counter*> counters;
  thread_local std::unordered_map<std::string, observability::Histogram*> histograms;
  thread_local std::string key;
  auto& registry = observability::Registry::Global();
  const std::string_view method = MethodLabel(request.method);
  key.assign(method).append(1, ' ').append(route).append(1, ' ').append(std::to_string(status));
  auto counter = counters.find(key);
  if (counter == counters.end()) {
    counter = counters
                  .emplace(key, &registry.GetCounter("http_requests_total", "HTTP requests served.",
                                                     fmt::format(R"(method="{}",route="{}",status="{}")",
                                                                 method, route, status)))
                  .first;
  }
  counter->second->Add();
  // By status class as well: refusals (429, 503) answer in microseconds and would hide how slow
  // the accepted requests are.
  const char status_class = static_cast<char>('0' + std::clamp(status / 100, 1, 5));
  key.assign(method).append(1, ' ').append(route).append(1, ' ').append(1, status_class);
  auto histogram = histograms.find(key);
  if (histogram == histograms.end()) {
    histogram =
        histograms
            .emplace(key, &registry.GetHistogram("http_request_duration_seconds",
                                                 "HTTP request latency by method, route and status class.",
                                                 fmt::format(R"(method="{}",route="{}",status_class="{}xx")",
                                                             method, route, status_class)))
            .first;
  }
  histogram->second->Observe(seconds);
  if (route == "/healthz" || route == "/readyz" || route == "/metrics") return;
  if (!spdlog::should_log(spdlog::level::info)) return;
  // The ids come from the LogContext (trace_id, request_id) and the traceparent (span_id); the
  // rest are fields, so that a log query filters on them instead of parsing the message.
  const auto log_context = LogContextOf(request);
  core::LogFields fields;
  if (const auto span = core::SpanIdOf(request.traceparent); !span.empty()) fields.Add("span_id", span);
  fields.Add("method", request.method)
      .Add("route", route)
      .Add("path", request.path)
      .Add("status", status)
      .Add("duration_ms", seconds * 1000)
      .Add("remote", request.remote_address);
  // Behind a proxy every request comes from the proxy: the client is what it reported.
  if (!request.client_address.empty()) fields.Add("client", request.client_address);
  // What a request created (201/202 name it): at info, the one line that ties a new order's id to
  // its request and trace ids, which scripts/trace.sh follows through the other services' logs.
  if (const auto location = FindHeader(response.headers, "Location")) fields.Add("location", *location);
  // Which of the server's own refusals or failures it was: a 503 may be shed load, a busy worker
  // queue or an unreachable dependency, and only the metrics' counters told them apart.
  if (!response.reason.empty()) fields.Add("reason", response.reason);
  core::ScopedLogFields scope(fields);
  spdlog::info("access");
}

}  // namespace

void ConcludeRequest(const Router& router, Request& request, std::string_view route, Response& response,
                     double seconds) {
  RecordRequest(request, route, response, seconds);
  router.Finish(request, response);
  response.SetHeader("X-Request-Id", std::move(request.request_id));
  response.SetHeader("traceparent", std::move(request.traceparent));
}

WorkerQueueMetrics& GlobalWorkerQueueMetrics() {
  auto& registry = observability::Registry::Global();
  static WorkerQueueMetrics metrics{
      .busy_refusals =
          registry.GetCounter("http_busy_refusals_total",
                              "Requests refused with 503 because the workers' queue was over its bounds."),
      .depth = registry.GetGauge("http_worker_queue_depth", "Requests waiting for an HTTP worker."),
      .wait = registry.GetHistogram("http_worker_queue_wait_seconds",
                                    "Time a request waited for an HTTP worker.")};
  return metrics;
}

}  // namespace kpo::http

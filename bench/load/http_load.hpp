#pragma once
// The HTTP side of the load: POST /api/orders through the gateway, open loop (requests at fixed
// times, latency from the scheduled time, so a slow answer never delays the next request) or
// closed loop (C connections, each sending its next request when the previous one is answered).
// One thread, asynchronous I/O, a pool of keep-alive connections that grows as needed up to a cap.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kpo::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5005;
};

// What one phase's requests got. Latencies in milliseconds.
struct HttpTotals {
  std::int64_t offered = 0;    // requests scheduled
  std::int64_t sent = 0;       // requests written to a connection
  std::int64_t accepted = 0;   // 202
  std::int64_t rejected = 0;   // 503 (backpressure)
  std::int64_t limited = 0;    // 429 (rate limits: the bench spreads load so it expects none)
  std::int64_t other = 0;      // any other status
  std::int64_t errors = 0;     // connect/write/read failures and deadlines
  std::int64_t cap_waits = 0;  // requests that waited for a connection: "client could not keep up"
  std::size_t peak_connections = 0;
  std::vector<double> latency_202;
  std::vector<double> latency_503;
  std::vector<double> latency_all;   // every answer and every failure (a timeout counts its deadline)
  std::vector<double> send_lag;      // actual send time - scheduled time (open loop)
  std::vector<std::string> samples;  // the first unexpected answers, for diagnosis
};

struct LoadOptions {
  Endpoint target;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds request_deadline{5000};
};

// Not thread safe: one phase at a time. Idle connections are kept from one phase to the next.
class LoadClient {
 public:
  explicit LoadClient(LoadOptions options);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // `rate` orders per second for `duration`, round-robin over `tokens`. Returns when every request
  // has been answered or has failed (each has a deadline).
  HttpTotals RunOpen(double rate, std::chrono::milliseconds duration, const std::vector<std::string>& tokens);
  HttpTotals RunClosed(int connections, std::chrono::milliseconds duration,
                       const std::vector<std::string>& tokens);

  struct State;  // the coroutines' shared state (http_load.cpp)

 private:
  LoadOptions options_;
  boost::asio::io_context io_;
  std::unique_ptr<State> state_;
};

}  // namespace kpo::bench

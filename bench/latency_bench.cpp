// Single-order latency: places N orders one after another for a funded user and reports the
// distribution of created → finished, from each order's own timeline (the services' clocks),
// plus the hop latencies (created → published → payment → finished).
//   kpo-latency-bench [orders=200] [orders_port=5001] [payments_port=5002]
// Through the gateway pass the same port twice (e.g. 5005 5005) and set KPO_BENCH_TOKEN.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/client.hpp"

namespace {

using kpo::http::Fetch;

double Millis(const std::string& from, const std::string& to) {
  return static_cast<double>((*kpo::core::ParseRfc3339(to) - *kpo::core::ParseRfc3339(from)).count()) /
         1000.0;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 200;
  const auto orders_port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 5001);
  const auto payments_port = static_cast<std::uint16_t>(argc > 3 ? std::atoi(argv[3]) : 5002);
  const auto user = kpo::core::NewUuid();
  kpo::http::Headers headers{{"X-User-Id", user}, {"Content-Type", "application/json"}};
  if (const char* token = std::getenv("KPO_BENCH_TOKEN"))
    headers.emplace_back("Authorization", std::string("Bearer ") + token);
  Fetch("127.0.0.1", payments_port, "POST", "/api/accounts", headers);
  Fetch("127.0.0.1", payments_port, "POST", "/api/accounts/me/deposits", headers,
        R"({"amount":1000000000000})");

  std::map<std::string, std::vector<double>> hops;
  for (int i = 0; i < count; ++i) {
    auto created = Fetch("127.0.0.1", orders_port, "POST", "/api/orders", headers,
                         R"({"amount":100,"description":"bench"})");
    if (created.status != 202) {
      std::fprintf(stderr, "order rejected: %d %s\n", created.status, created.body.c_str());
      return 1;
    }
    const std::string id(boost::json::parse(created.body).at("id").as_string());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto order =
          boost::json::parse(Fetch("127.0.0.1", orders_port, "GET", "/api/orders/" + id, headers).body);
      if (order.at("status").as_string() != "Created") {
        std::map<std::string, std::string> at;
        for (const auto& step : order.at("timeline").as_array()) {
          at[std::string(step.at("step").as_string())] = std::string(step.at("at").as_string());
        }
        hops["created->published"].push_back(Millis(at["created"], at["published"]));
        hops["published->payment_succeeded"].push_back(Millis(at["published"], at["payment_succeeded"]));
        hops["payment_succeeded->finished"].push_back(Millis(at["payment_succeeded"], at["finished"]));
        hops["created->finished (total)"].push_back(Millis(at["created"], at["finished"]));
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "order %s did not finish in 30 s\n", id.c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling interval
    }
  }
  std::printf("%d orders, one at a time\n%-32s %9s %9s %9s\n", count, "hop", "p50 ms", "p90 ms", "p99 ms");
  for (const auto& [name, values] : hops) {
    std::printf("%-32s %9.2f %9.2f %9.2f\n", name.c_str(), Percentile(values, 0.5), Percentile(values, 0.9),
                Percentile(values, 0.99));
  }
  return 0;
}

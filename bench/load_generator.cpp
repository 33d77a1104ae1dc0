// kpo-load: the load generator of `make bench` (bench/run.sh runs it once per configuration).
// Creates funded users through the gateway, runs the phases of bench/load/plan.hpp against it and
// writes the configuration's result document (JSON) for kpo-bench-report.
//   kpo-load --config=ours --out=bench/results/ours.json [--search=100,200,...] [--step-s=10]
//            [--common-rate=100] [--max-p99-ms=1000] [--min-completed-share=0.95] [--overload-s=30]
//            [--recovery-s=5] [--half-s=15]
//            [--closed-connections=16] [--closed-s=10] [--drain-s=30] [--warmup-s=2]
//            [--max-connections=1024] [--guests-per-s=40] [--orders-per-user-s=40]
// Environment: GATEWAY_LISTEN (the gateway to load), ORDERS_/PAYMENTS_/GATEWAY_DATABASE_URL,
// KPO_RUN_DIR (where the services' pid files are), all with the scripts' defaults.
#include <sys/resource.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/args.hpp"
#include "load/plan.hpp"
#include "load/stats.hpp"

namespace {

using namespace kpo::bench;

std::string Env(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// "0.0.0.0:5005" → 127.0.0.1:5005: the bench always talks over loopback.
Endpoint GatewayEndpoint() {
  const auto listen = Env("GATEWAY_LISTEN", "0.0.0.0:5005");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("GATEWAY_LISTEN must be host:port: " + listen);
  return {"127.0.0.1", static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)))};
}

std::vector<double> Rates(const std::string& list) {
  std::vector<double> rates;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) rates.push_back(std::stod(item));
  return rates;
}

PlanOptions ReadPlan(const Args& args) {
  PlanOptions plan;
  if (args.Has("search")) plan.search = Rates(args.At("search"));
  plan.step_s = args.Number("step-s", plan.step_s);
  plan.common_rate = args.Number("common-rate", plan.common_rate);
  plan.max_p99_ms = args.Number("max-p99-ms", plan.max_p99_ms);
  plan.min_completed_share = args.Number("min-completed-share", plan.min_completed_share);
  plan.overload_s = args.Number("overload-s", plan.overload_s);
  plan.overload_factor = args.Number("overload-factor", plan.overload_factor);
  plan.max_rejected_share = args.Number("max-rejected-share", plan.max_rejected_share);
  plan.recovery_s = args.Number("recovery-s", plan.recovery_s);
  plan.half_s = args.Number("half-s", plan.half_s);
  plan.closed_connections = static_cast<int>(args.Number("closed-connections", plan.closed_connections));
  plan.closed_s = args.Number("closed-s", plan.closed_s);
  return plan;
}

// Each keep-alive connection is a descriptor; the default soft limit (1024) would cap the pool.
void RaiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int Run(const Args& args) {
  RaiseFileLimit();
  const auto gateway = GatewayEndpoint();
  const auto orders_url = Env("ORDERS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/orders");
  const std::vector<std::string> databases{
      DatabaseName(orders_url),
      DatabaseName(Env("PAYMENTS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/payments")),
      DatabaseName(Env("GATEWAY_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/gateway"))};
  const auto plan = ReadPlan(args);
  PhaseSettings settings;
  settings.orders_per_user_s = args.Number("orders-per-user-s", settings.orders_per_user_s);
  settings.drain_timeout = std::chrono::milliseconds(std::llround(args.Number("drain-s", 30) * 1000));
  settings.warmup = std::chrono::milliseconds(std::llround(args.Number("warmup-s", 2) * 1000));

  LoadClient client(
      {.target = gateway, .max_connections = static_cast<std::size_t>(args.Number("max-connections", 1024))});
  UserPool users(gateway, args.Number("guests-per-s", 40));
  DbProbe db(orders_url, databases);
  CpuSampler cpu(Env("KPO_RUN_DIR", ".run"));
  const DiskStallMonitor disk;
  PhaseRunner runner(client, users, db, cpu, disk, settings);
  const auto config = args.Text("config", "ours");
  std::fprintf(stderr, "kpo-load: configuration '%s', gateway 127.0.0.1:%u\n", config.c_str(), gateway.port);
  const auto started = UnixMillis();
  auto result = RunPlan(runner, plan);
  result["config"] = config;
  result["gateway_port"] = gateway.port;
  result["started_unix_ms"] = started;
  result["finished_unix_ms"] = UnixMillis();
  result["plan"] = {{"search", boost::json::array(plan.search.begin(), plan.search.end())},
                    {"step_s", plan.step_s},
                    {"common_rate", plan.common_rate},
                    {"overload_factor", plan.overload_factor},
                    {"overload_s", plan.overload_s},
                    {"recovery_s", plan.recovery_s},
                    {"half_s", plan.half_s},
                    {"closed_connections", plan.closed_connections},
                    {"closed_s", plan.closed_s}};
  result["search_limits"] = {{"min_completed_share", plan.min_completed_share},
                             {"max_c2t_p99_ms", plan.max_p99_ms},
                             {"max_rejected_share", plan.max_rejected_share}};
  const auto out = args.Text("out", "bench/results/" + config + ".json");
  std::ofstream file(out);
  file << boost::json::serialize(result) << '\n';
  if (!file) throw std::runtime_error("cannot write " + out);
  std::fprintf(stderr, "kpo-load: wrote %s\n", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The edge of the program: any failure is reported and makes the run fail.
  try {
    return Run(Args::Parse(argc, argv));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "kpo-load: %s\n", error.what());
    return 1;
  }
}

#include "gateway/settings.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "gateway/middleware/client_address.hpp"

namespace kpo::gateway {
namespace {

// As many workers as cores: they mostly hash passwords, which only takes longer for each when more
// run than there are cores (40 parallel sign-ups from one address kept another's login waiting
// 1.5 s with 8 workers on 2 cores, 0.35 s with 2; helper-48's audit).
int Workers(core::Config& config) {
  const auto cores = static_cast<std::int64_t>(std::max(2U, std::thread::hardware_concurrency()));
  return static_cast<int>(config.Int("GATEWAY_WORKERS", cores, 1, 256));
}

// The workers hash passwords (register, login: ~0.1 s of a core each, on purpose). Served in turns
// by client address, one address's burst queues behind itself: helper-48's 40 parallel
// registrations from one address, well inside its rate limit, made another's login take 4.3 s.
std::string FairKey(const http::Request& request) { return std::string(request.Client()); }

double Rate(core::Config& config, std::string_view name, std::int64_t fallback, std::int64_t min) {
  return static_cast<double>(config.Int(name, fallback, min, 1'000'000));
}

// The HTTP server's options, read after everything else (the effective configuration logs them last).
void ReadServerOptions(core::Config& config, const std::string& host, std::uint16_t port,
                       const AddressSet& trusted_proxies, http::ServerOptions& server) {
  server.service = "gateway";
  server.host = host;
  server.port = port;
  server.threads = static_cast<int>(config.Int("GATEWAY_IO_THREADS", 2, 1, 64));
  server.io_nice = static_cast<int>(config.Int("GATEWAY_IO_NICE", http::kDefaultIoNice, -20, 19));
  server.workers = Workers(config);
  // The gateway's blocking handlers hash passwords (deliberately slow): a burst of sign-ins may
  // queue longer than a database call would before it counts as overload.
  server.max_queued = static_cast<std::size_t>(config.Int("GATEWAY_MAX_QUEUE", 512, 0, 100'000));
  server.queue.target = config.Millis("GATEWAY_QUEUE_TARGET_MS", server.queue.target);
  server.queue.interval =
      config.Millis("GATEWAY_QUEUE_INTERVAL_MS", server.queue.interval, std::chrono::milliseconds(10));
  server.queue.max_wait = config.Millis("GATEWAY_MAX_QUEUE_WAIT_MS", std::chrono::milliseconds(5000));
  server.client_address = [trusted = trusted_proxies](const http::Request& request) {
    return std::string(ClientAddress(request, trusted));
  };
  server.fair_key = FairKey;
  server.read_timeout = config.Millis("GATEWAY_HEADER_TIMEOUT_MS", std::chrono::milliseconds(10'000),
                                      std::chrono::milliseconds(100));
  // A proxy in front that keeps idle connections to the gateway longer than the gateway does may
  // send a request on one the gateway is closing, and a proxy does not repeat a POST: it answers 502.
  // Behind ingress-nginx (60 s upstream keep-alive) the Kubernetes manifests set 75 s.
  server.idle_timeout =
      config.Millis("GATEWAY_IDLE_TIMEOUT_MS", server.idle_timeout, std::chrono::milliseconds(1000));
  server.header_limit = static_cast<std::size_t>(config.Int(
      "GATEWAY_HEADER_LIMIT", 8192, 1024, static_cast<std::int64_t>(http::kBehindProxyHeaderLimit) - 4096));
  // One address held all ~9,700 connections the descriptors allow (idle ones, or streams on a few
  // guest tokens), and every other client waited in the listen backlog (helper-70's audit). A
  // trusted proxy is not counted: its clients are, by the proxy (the UI's nginx: 128 each).
  server.max_connections_per_peer =
      static_cast<std::size_t>(config.Int("GATEWAY_CONNECTIONS_PER_ADDRESS", 256, 0, 1'000'000));
  server.unbounded_peer = [trusted = trusted_proxies](std::string_view peer) {
    return trusted.Contains(peer);
  };
}

}  // namespace

// Variables are read in the order the effective configuration logs them.
GatewaySettings ReadGatewaySettings(core::Config& config) {
  GatewaySettings settings;
  const auto [host, port] = core::ParseListenAddress(config.String("GATEWAY_LISTEN", "0.0.0.0:5005"));
  settings.database_url =
      config.String("GATEWAY_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/gateway");
  settings.jwt_secret = config.Secret("GATEWAY_JWT_SECRET", "");
  if (settings.jwt_secret.empty()) throw MissingSecret();
  settings.token_ttl =
      std::chrono::seconds(config.Int("GATEWAY_TOKEN_TTL_S", 7LL * 24 * 3600, 60, 365LL * 24 * 3600));
  auto& orders = settings.orders;
  orders.name = "orders";
  orders.addresses = ParseAddresses(config.String("GATEWAY_ORDERS_UPSTREAMS", "127.0.0.1:5001"));
  orders.ejection = config.Millis("GATEWAY_EJECTION_MS", std::chrono::milliseconds(10'000));
  orders.response_timeout = config.Millis("GATEWAY_UPSTREAM_TIMEOUT_MS", std::chrono::milliseconds(30'000),
                                          std::chrono::milliseconds(100));
  // Past the longest an answer takes when the service works (its database waits are bounded by a few
  // seconds), short of the 30 s a request held by a frozen replica waits for its 504.
  orders.stall = config.Millis("GATEWAY_UPSTREAM_STALL_MS", std::chrono::milliseconds(5'000),
                               std::chrono::milliseconds(100));
  settings.payments = orders;  // the same timeouts
  settings.payments.name = "payments";
  settings.payments.addresses = ParseAddresses(config.String("GATEWAY_PAYMENTS_UPSTREAMS", "127.0.0.1:5002"));
  settings.user_rps = Rate(config, "GATEWAY_RATE_USER_RPS", 100, 0);
  settings.user_burst = Rate(config, "GATEWAY_RATE_USER_BURST", 400, 1);
  settings.ip_rps = Rate(config, "GATEWAY_RATE_IP_RPS", 50, 0);
  settings.ip_burst = Rate(config, "GATEWAY_RATE_IP_BURST", 200, 1);
  settings.cors_origins = core::SplitList(config.String("GATEWAY_CORS_ORIGINS", "http://localhost:3000"));
  settings.docs_dir = config.String("GATEWAY_DOCS_DIR", KPO_DEFAULT_DOCS_DIR);
  // Not loopback as a whole: a client on this host talking to the gateway's port directly could then
  // name any address in X-Real-IP and slip past the per-IP limits. The UI's nginx here connects from
  // 127.0.0.2 (proxy_bind in deploy/nginx.conf), an address nothing else uses.
  settings.trusted_proxies =
      AddressSet(core::SplitList(config.String("GATEWAY_TRUSTED_PROXIES", "127.0.0.2")));
  settings.metrics_readers =
      AddressSet(core::SplitList(config.String("GATEWAY_METRICS_FROM", "127.0.0.1,::1")));
  // Percent of what orders accepted that is passed on while it refuses some; less than all it
  // accepts would refuse orders it could take, so values under 100 count as 100.
  const auto shed_pass_percent = config.Int("GATEWAY_SHED_PASS_PERCENT", 150, 0, 10'000);
  settings.shed_max_share = static_cast<double>(config.Int("GATEWAY_SHED_MAX_PERCENT", 80, 0, 100)) / 100.0;
  settings.shed_multiplier =
      shed_pass_percent == 0 ? 0.0
                             : static_cast<double>(std::max<std::int64_t>(shed_pass_percent, 100)) / 100.0;
  settings.streams_per_address =
      static_cast<std::size_t>(config.Int("GATEWAY_STREAMS_PER_ADDRESS", 0, 0, 1'000'000));
  ReadServerOptions(config, host, port, settings.trusted_proxies, settings.server);
  return settings;
}

}  // namespace kpo::gateway

// The gateway: wiring only.
#include <spdlog/spdlog.h>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/log.hpp"
#include "db/pool.hpp"
#include "gateway/routes.hpp"
#include "http/server.hpp"
#include "service/database.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& gateway_identity_migrations();
}

namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

int main() {
  using namespace kpo;
  core::Config config;
  core::InitLogging("gateway", config.String("LOG_LEVEL", "info"));
  const auto open_files = core::RaiseOpenFileLimit();
  // The edge of the process: a configuration or start-up failure is logged and exits non-zero.
  try {
    const auto [host, port] = core::ParseListenAddress(config.String("GATEWAY_LISTEN", "0.0.0.0:5005"));
    const auto database_url =
        config.String("GATEWAY_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/gateway");
    const auto secret = config.Secret("GATEWAY_JWT_SECRET", "");
    if (secret.empty()) {
      spdlog::critical("GATEWAY_JWT_SECRET is not set: refusing to start without a token signing secret");
      return 2;
    }
    const auto ttl =
        std::chrono::seconds(config.Int("GATEWAY_TOKEN_TTL_S", 7LL * 24 * 3600, 60, 365LL * 24 * 3600));
    gateway::UpstreamOptions orders_options;
    orders_options.name = "orders";
    orders_options.addresses =
        gateway::ParseAddresses(config.String("GATEWAY_ORDERS_UPSTREAMS", "127.0.0.1:5001"));
    orders_options.ejection = config.Millis("GATEWAY_EJECTION_MS", std::chrono::milliseconds(10'000));
    orders_options.response_timeout =
        config.Millis("GATEWAY_UPSTREAM_TIMEOUT_MS", std::chrono::milliseconds(30'000));
    auto payments_options = orders_options;
    payments_options.name = "payments";
    payments_options.addresses =
        gateway::ParseAddresses(config.String("GATEWAY_PAYMENTS_UPSTREAMS", "127.0.0.1:5002"));
    const double user_rps = static_cast<double>(config.Int("GATEWAY_RATE_USER_RPS", 100, 0, 1'000'000));
    const double user_burst = static_cast<double>(config.Int("GATEWAY_RATE_USER_BURST", 400, 1, 1'000'000));
    const double ip_rps = static_cast<double>(config.Int("GATEWAY_RATE_IP_RPS", 50, 0, 1'000'000));
    const double ip_burst = static_cast<double>(config.Int("GATEWAY_RATE_IP_BURST", 200, 1, 1'000'000));
    const auto cors = SplitList(config.String("GATEWAY_CORS_ORIGINS", "http://localhost:3000"));
    const auto docs_dir = config.String("GATEWAY_DOCS_DIR", KPO_DEFAULT_DOCS_DIR);
    const auto trusted_proxies = SplitList(config.String("GATEWAY_TRUSTED_PROXIES", "127.0.0.1,::1"));
    const auto shed_window = config.Millis("GATEWAY_SHED_MS", std::chrono::milliseconds(100));
    http::ServerOptions server_options{.service = "gateway", .host = host, .port = port};
    server_options.threads = static_cast<int>(config.Int("GATEWAY_IO_THREADS", 2, 1, 64));
    server_options.workers = static_cast<int>(config.Int("GATEWAY_WORKERS", 8, 1, 256));
    server_options.read_timeout =
        config.Millis("GATEWAY_HEADER_TIMEOUT_MS", std::chrono::milliseconds(10'000));
    server_options.header_limit =
        static_cast<std::size_t>(config.Int("GATEWAY_HEADER_LIMIT", 8192, 1024, 1 << 20));
    // A proxied request or stream holds two descriptors, the client's and the upstream's; capping
    // the connections to fit means a client waits in the listen backlog instead of getting a 502
    // because the gateway ran out of descriptors for the upstream. The reserve covers pooled idle
    // upstream connections, the database pool and the process's own files.
    server_options.max_connections = core::ConnectionsWithin(open_files, 2, 512);
    config.LogEffective("gateway");

    const auth::TokenSigner signer(secret, ttl);
    const auth::CachingVerifier verifier(signer);
    auth::DummyHash();  // computed now, so the first unknown-user login costs what every other one does
    service::MigrateWithRetry(database_url, generated::gateway_identity_migrations(), "gateway-migrations");
    db::Pool users(database_url, static_cast<std::size_t>(server_options.workers),
                   {.application_name = "gateway"});
    gateway::Upstream orders(orders_options);
    gateway::Upstream payments(payments_options);
    gateway::RateLimiter per_user(user_rps, user_burst);
    gateway::RateLimiter per_ip(ip_rps, ip_burst);
    gateway::GatewayDeps deps{
        users,
        signer,
        verifier,
        orders,
        payments,
        per_user,
        per_ip,
        cors,
        docs_dir,
        trusted_proxies,
        shed_window,
        {{"database", [&users] { return users.Acquire()->Exec("SELECT 1 AS ok").Int(0, "ok") == 1; }},
         {"orders", [&orders] { return orders.AnyReplicaReady("/readyz"); }},
         {"payments", [&payments] { return payments.AnyReplicaReady("/readyz"); }}}};

    http::Router router;
    gateway::RegisterRoutes(router, deps);
    http::Server server(server_options, router);
    server.Listen();
    server.Run();
    orders.CloseIdleConnections();
    payments.CloseIdleConnections();
  } catch (const std::exception& error) {
    spdlog::critical("gateway failed: {}", error.what());
    return 1;
  }
  return 0;
}

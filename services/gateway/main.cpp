// The gateway: wiring only.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/process.hpp"
#include "db/pool.hpp"
#include "gateway/routes.hpp"
#include "gateway/settings.hpp"
#include "http/operational.hpp"
#include "http/server.hpp"
#include "service/database.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& gateway_identity_migrations();
}

namespace {

// /readyz: the users database is required; whether a replica of each service can serve (its
// database answers: the broker is shared and reported by the services themselves) is reported, not
// required: the gateway still signs users in and serves the other service while one is down, and
// answers the calls to it with 503 itself.
kpo::http::ReadinessChecks Readiness(const std::string& users_database_url, kpo::gateway::Upstream& orders,
                                     kpo::gateway::Upstream& payments) {
  return {kpo::service::DatabaseReadiness(users_database_url, "gateway-readiness"),
          {"orders", [&orders] { return orders.AnyReplicaReady("/readyz?exclude=broker"); }, false},
          {"payments", [&payments] { return payments.AnyReplicaReady("/readyz?exclude=broker"); }, false}};
}

// A misplaced GATEWAY_DOCS_DIR is no reason to refuse to start, but it should not go unnoticed.
void WarnIfTheDocsAreMissing(const std::string& docs_dir) {
  if (std::error_code error; !std::filesystem::is_regular_file(docs_dir + "/index.html", error)) {
    spdlog::warn("GATEWAY_DOCS_DIR={} holds no index.html: /api/docs answers 404", docs_dir);
  }
}

// Serves until SIGTERM/SIGINT. Throws gateway::MissingSecret (exit status 2) without a token secret,
// and what start-up fails with otherwise.
void Serve(kpo::core::Config& config, const kpo::core::OpenFileLimit& open_files) {
  using namespace kpo;
  auto settings = gateway::ReadGatewaySettings(config);
  // A proxied request or stream holds two descriptors, the client's and the upstream's; capping
  // the connections to fit means a client over the cap is answered 503 (or waits in the listen
  // backlog) instead of getting a 502 because the gateway ran out of descriptors for the upstream.
  // The reserve covers pooled idle upstream connections, the database pool, the process's own files
  // and the refusals at the cap (http::ServerOptions::refusals_at_cap, one each).
  settings.server.max_connections = core::ConnectionsWithin(open_files, 2, 512);
  config.LogEffective("gateway");
  WarnIfTheDocsAreMissing(settings.docs_dir);
  const auth::TokenSigner signer(settings.jwt_secret, settings.token_ttl);
  const auth::CachingVerifier verifier(signer);
  auth::DummyHash();  // computed now, so the first unknown-user login costs what every other one does
  service::MigrateWithRetry(settings.database_url, generated::gateway_identity_migrations(),
                            "gateway-migrations");
  db::Pool users(settings.database_url, static_cast<std::size_t>(settings.server.workers),
                 {.application_name = "gateway"});
  gateway::Upstream orders(settings.orders);
  gateway::Upstream payments(settings.payments);
  gateway::RateLimiter per_user(settings.user_rps, settings.user_burst);
  gateway::RateLimiter per_ip(settings.ip_rps, settings.ip_burst);
  gateway::LoginThrottle login_throttle;
  gateway::GatewayDeps deps{.users = users,
                            .signer = signer,
                            .verifier = verifier,
                            .orders = orders,
                            .payments = payments,
                            .per_user = per_user,
                            .per_ip = per_ip,
                            .login_throttle = login_throttle,
                            .cors_origins = settings.cors_origins,
                            .docs_dir = settings.docs_dir,
                            .metrics_readers = settings.metrics_readers,
                            .shed_multiplier = settings.shed_multiplier,
                            .shed_max_share = settings.shed_max_share,
                            .streams_per_address = settings.streams_per_address,
                            .readiness = Readiness(settings.database_url, orders, payments)};

  http::Router router;
  gateway::RegisterRoutes(router, deps);
  http::Server server(settings.server, router);
  server.Listen();
  server.Run();
  orders.CloseIdleConnections();
  payments.CloseIdleConnections();
}

}  // namespace

int main() { return kpo::core::RunService("gateway", Serve); }

#pragma once
// The gateway's configuration, read from the environment in one place.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/process.hpp"
#include "gateway/domain/address_set.hpp"
#include "gateway/proxy/proxy.hpp"
#include "http/server.hpp"

namespace kpo::gateway {

// Every GATEWAY_* variable (README "Configuration"), with its local default.
struct GatewaySettings {
  http::ServerOptions
      server;  // GATEWAY_LISTEN, _IO_THREADS, _IO_NICE, _WORKERS, _HEADER_TIMEOUT_MS, _HEADER_LIMIT
  std::string database_url;  // the users database
  std::string jwt_secret;    // never empty (see MissingSecret)
  std::chrono::seconds token_ttl{7LL * 24 * 3600};
  UpstreamOptions orders;
  UpstreamOptions payments;
  double user_rps = 100;  // 0 disables the per-user limit
  double user_burst = 400;
  double ip_rps = 50;  // 0 disables the per-IP limit
  double ip_burst = 200;
  std::vector<std::string> cors_origins;
  std::string docs_dir;
  AddressSet trusted_proxies;  // GATEWAY_TRUSTED_PROXIES: addresses or networks
  AddressSet metrics_readers;  // GATEWAY_METRICS_FROM: who may GET /metrics
  double shed_multiplier = 1.5;
  double shed_max_share = 0.8;          // GATEWAY_SHED_MAX_PERCENT / 100: the most it refuses itself
  std::size_t streams_per_address = 0;  // GATEWAY_STREAMS_PER_ADDRESS (0: no bound)
};

// GATEWAY_JWT_SECRET is unset or empty: tokens cannot be signed, so the gateway must not start (exit
// status 2: a configuration to fix, not a crash to restart).
struct MissingSecret : core::StartupRefused {
  MissingSecret()
      : core::StartupRefused(
            2, "GATEWAY_JWT_SECRET is not set: refusing to start without a token signing secret") {}
};

// Reads the settings through `config` (which remembers them for LogEffective). Throws MissingSecret
// as soon as the secret turns out to be missing (the rest is not read then), std::invalid_argument
// for a malformed value. server.max_connections is left for the caller, which knows the open file
// limit.
GatewaySettings ReadGatewaySettings(core::Config& config);

}  // namespace kpo::gateway

#pragma once
// The identity schema (migrations/*.sql), compiled into gateway_identity by kpo_embed_migrations.
// Apply with db::Migrate(connection, generated::gateway_identity_migrations(), "gateway-migrations").
#include <vector>

#include "db/migrations.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& gateway_identity_migrations();
}  // namespace kpo::generated

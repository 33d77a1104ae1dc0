#pragma once
// Every statement the gateway's identity part runs. All are parameterised and prepared per
// connection.
#include <string_view>

namespace kpo::gateway::sql {

inline constexpr std::string_view kInsertGuest = R"sql(
INSERT INTO users (id, guest) VALUES ($1, true))sql";

// A taken username inserts nothing (and returns no row) instead of failing the transaction.
inline constexpr std::string_view kInsertRegisteredUser = R"sql(
INSERT INTO users (id, username, password_hash, guest) VALUES ($1, $2, $3, false)
ON CONFLICT (username) DO NOTHING
RETURNING id)sql";

// Whether a user (a guest or registered) with this id exists: how a lost COMMIT of its creation is settled.
inline constexpr std::string_view kUserExists = R"sql(
SELECT EXISTS (SELECT 1 FROM users WHERE id = $1) AS found)sql";

inline constexpr std::string_view kSelectCredentialsByUsername = R"sql(
SELECT id, password_hash FROM users WHERE username = $1 AND password_hash IS NOT NULL)sql";

}  // namespace kpo::gateway::sql

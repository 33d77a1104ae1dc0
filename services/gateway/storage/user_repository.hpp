#pragma once
// Users in the gateway's database. Every method runs on the caller's connection or transaction
// and throws db::DbError on database failures.
#include <optional>
#include <string>

#include "db/connection.hpp"

namespace kpo::gateway {

struct StoredCredentials {
  std::string user_id;
  std::string password_hash;
};

class UserRepository {
 public:
  // Creates an anonymous user; returns its new id.
  static std::string CreateGuest(db::Transaction& tx);

  // Creates a registered user with an already normalised username and a password hash; returns
  // the new id, or nullopt when the username is taken (the transaction stays usable).
  static std::optional<std::string> Register(db::Transaction& tx, const std::string& username,
                                             const std::string& password_hash);

  // Whether the user with this id exists (a creation whose COMMIT's answer was lost is settled by it).
  static bool Exists(db::Connection& db, const std::string& user_id);

  // The id and password hash of the registered user with this normalised username, if any.
  static std::optional<StoredCredentials> FindByUsername(db::Connection& db, const std::string& username);
};

}  // namespace kpo::gateway

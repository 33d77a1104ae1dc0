#include "gateway/storage/user_repository.hpp"

#include "core/ids.hpp"
#include "gateway/storage/sql.hpp"

namespace kpo::gateway {

std::string UserRepository::CreateGuest(db::Transaction& tx) {
  auto id = core::NewUuid();
  tx.Exec(sql::kInsertGuest, {id});
  return id;
}

std::optional<std::string> UserRepository::Register(db::Transaction& tx, const std::string& username,
                                                    const std::string& password_hash) {
  auto rows = tx.Exec(sql::kInsertRegisteredUser, {core::NewUuid(), username, password_hash});
  if (rows.Empty()) return std::nullopt;
  return rows.Text(0, "id");
}

bool UserRepository::Exists(db::Connection& db, const std::string& user_id) {
  return db.Exec(sql::kUserExists, {user_id}).Bool(0, "found");
}

std::optional<StoredCredentials> UserRepository::FindByUsername(db::Connection& db,
                                                                const std::string& username) {
  auto rows = db.Exec(sql::kSelectCredentialsByUsername, {username});
  if (rows.Empty()) return std::nullopt;
  return StoredCredentials{rows.Text(0, "id"), rows.Text(0, "password_hash")};
}

}  // namespace kpo::gateway

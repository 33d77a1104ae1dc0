#pragma once
// Funded users created through the gateway, as a client would: guest session, account, deposit.
#include <string>
#include <vector>

#include "load/http_load.hpp"

namespace kpo::bench {

struct User {
  std::string id;
  std::string token;
};

// Grows as phases need more users; users are reused by later phases (each phase reads back only
// the orders created in its own time window).
class UserPool {
 public:
  // `guests_per_second` paces guest creation under the gateway's anonymous per-IP limit.
  UserPool(Endpoint gateway, double guests_per_second);

  // Makes sure at least `count` users exist. Throws std::runtime_error when the gateway refuses.
  void Ensure(std::size_t count);
  std::vector<std::string> Tokens(std::size_t count) const;
  // The first `count` user ids as a PostgreSQL uuid[] literal.
  std::string IdArray(std::size_t count) const;
  std::size_t Size() const { return users_.size(); }

 private:
  User CreateOne() const;

  Endpoint gateway_;
  double guests_per_second_;
  std::vector<User> users_;
};

}  // namespace kpo::bench

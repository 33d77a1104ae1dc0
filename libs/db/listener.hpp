#pragma once
// LISTEN/NOTIFY on a dedicated connection: wakes workers (outbox relay) and streams live events.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace kpo::db {

struct Notification {
  std::string channel;
  std::string payload;
};

class Listener {
 public:
  // Connects and LISTENs on each channel (plain identifiers only). Throws DbError.
  Listener(const std::string& url, const ConnectionOptions& options,
           const std::vector<std::string>& channels);

  // Returns the next notification, or nullopt when none arrived within `timeout`.
  // Throws DbError when the connection is lost (make a new Listener then).
  std::optional<Notification> Wait(std::chrono::milliseconds timeout);

 private:
  Connection connection_;
};

}  // namespace kpo::db

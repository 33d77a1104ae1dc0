#include "db/listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cctype>

namespace kpo::db {
namespace {

std::optional<Notification> Take(PGconn* conn) {
  PGnotify* notify = PQnotifies(conn);
  if (notify == nullptr) return std::nullopt;
  Notification out{notify->relname, notify->extra != nullptr ? notify->extra : ""};
  PQfreemem(notify);
  return out;
}

}  // namespace

Listener::Listener(const std::string& url, const ConnectionOptions& options,
                   const std::vector<std::string>& channels)
    : connection_(url, options) {
  for (const auto& channel : channels) {
    for (char c : channel) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
        throw DbError("bad channel name " + channel);
    }
    // Identifiers cannot be bound as parameters; the name was checked above.
    connection_.ExecScript("LISTEN " + channel);
  }
}

std::optional<Notification> Listener::Wait(std::chrono::milliseconds timeout) {
  PGconn* conn = connection_.Raw();
  if (auto ready = Take(conn)) return ready;
  pollfd fd{PQsocket(conn), POLLIN, 0};
  if (fd.fd < 0) throw DbError("listener connection lost", "08006");
  const int polled = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  if (polled < 0) throw DbError("poll on listener failed", "08006");
  if (polled == 0) return std::nullopt;
  if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK) {
    throw DbError(std::string("listener connection lost: ") + PQerrorMessage(conn), "08006");
  }
  return Take(conn);
}

}  // namespace kpo::db

#pragma once
// What the databases say about a phase: when each accepted order reached its end, and how many
// commits and WAL flushes the whole cluster made.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "load/flow.hpp"

namespace kpo::bench {

struct PgCounters {
  std::map<std::string, std::int64_t> commits;  // by database
  std::int64_t deadlocks = 0;                   // all of the system's databases together
  std::int64_t wal_syncs = 0;
  std::int64_t wal_writes = 0;
  // When PostgreSQL's counters last restarted from zero: two snapshots with different values cannot be
  // subtracted (an immediate restart under a fault test resets them).
  std::string stats_reset;
  // The probe's own transactions on its database so far (every statement is one): not the system's work.
  std::string probe_database;
  std::int64_t probe_transactions = 0;
};

// The orders in a phase: created by `users` (uuid[] literal) in [from_ms, to_ms).
struct PhaseWindow {
  std::string users;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
};

// Database name of a postgresql:// URL ("orders" for postgresql://kpo:kpo@localhost:5432/orders).
std::string DatabaseName(const std::string& url);

// One libpq connection to the orders database. Its statements only read, so after the connection is
// lost (a fault test restarts or stops PostgreSQL during the run) it opens a new one and asks again,
// for up to kReconnectFor, instead of ending the run. Throws db::DbError on any other failure, or when
// the database stayed unreachable that long.
class DbProbe {
 public:
  DbProbe(const std::string& orders_url, const std::vector<std::string>& databases);

  std::int64_t Pending(const PhaseWindow& window);
  std::vector<OrderTimes> Orders(const PhaseWindow& window);
  PgCounters Counters();

 private:
  static constexpr std::chrono::seconds kReconnectFor{120};

  db::Result Exec(std::string_view sql, const db::Params& params = {});

  std::string url_;
  std::optional<db::Connection> connection_;
  std::string database_;
  std::string databases_;  // text[] literal
  std::int64_t transactions_ = 0;
};

}  // namespace kpo::bench

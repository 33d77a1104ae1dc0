#include "load/db_probe.hpp"

#include <iostream>
#include <thread>

#include "core/retry.hpp"
#include "load/sql.hpp"

namespace kpo::bench {

namespace {

db::ConnectionOptions ProbeOptions() {
  return {.statement_timeout = std::chrono::seconds(30), .application_name = "kpo-load"};
}

// A PostgreSQL text[] literal; database names need no quoting.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out(1, '{');
  for (const auto& item : items) {
    if (out.size() > 1) out.push_back(',');
    out.append(item);
  }
  out.push_back('}');
  return out;
}

}  // namespace

std::string DatabaseName(const std::string& url) {
  const auto path = url.rfind('/');
  if (path == std::string::npos) return url;
  auto name = url.substr(path + 1);
  return name.substr(0, name.find('?'));
}

DbProbe::DbProbe(const std::string& orders_url, const std::vector<std::string>& databases)
    : url_(orders_url),
      connection_(std::in_place, orders_url, ProbeOptions()),
      database_(DatabaseName(orders_url)),
      databases_(TextArray(databases)) {}

db::Result DbProbe::Exec(std::string_view sql, const db::Params& params) {
  const auto give_up = std::chrono::steady_clock::now() + kReconnectFor;
  core::Backoff backoff;
  while (true) {
    try {
      if (!connection_) connection_.emplace(url_, ProbeOptions());
      auto result = connection_->Exec(sql, params);
      ++transactions_;
      return result;
    } catch (const db::DbError& error) {
      if (!error.IsTransient() || std::chrono::steady_clock::now() >= give_up) throw;
      std::cerr << "kpo-load: the database probe lost its connection (" << error.what()
                << "); asking again on a new one\n";
      connection_.reset();
      std::this_thread::sleep_for(backoff.Next());
    }
  }
}

std::int64_t DbProbe::Pending(const PhaseWindow& window) {
  return Exec(sql::kPendingOrders,
              {window.users, std::to_string(window.from_ms), std::to_string(window.to_ms)})
      .Int(0, "pending");
}

std::vector<OrderTimes> DbProbe::Orders(const PhaseWindow& window) {
  auto rows =
      Exec(sql::kOrderTimes, {window.users, std::to_string(window.from_ms), std::to_string(window.to_ms)});
  std::vector<OrderTimes> orders;
  orders.reserve(static_cast<std::size_t>(rows.Rows()));
  for (int i = 0; i < rows.Rows(); ++i) {
    OrderTimes order;
    order.created_us = rows.Int(i, "created_us");
    if (!rows.IsNull(i, "terminal_us")) order.terminal_us = rows.Int(i, "terminal_us");
    if (!rows.IsNull(i, "published_us")) order.published_us = rows.Int(i, "published_us");
    if (!rows.IsNull(i, "paid_us")) order.paid_us = rows.Int(i, "paid_us");
    order.cancelled = rows.Text(i, "status") == "Cancelled";
    orders.push_back(order);
  }
  return orders;
}

PgCounters DbProbe::Counters() {
  PgCounters counters;
  counters.probe_database = database_;
  counters.probe_transactions = transactions_;  // this snapshot's own statements commit after reading
  auto commits = Exec(sql::kCommits, {databases_});
  for (int i = 0; i < commits.Rows(); ++i) {
    counters.commits[commits.Text(i, "datname")] = commits.Int(i, "xact_commit");
    counters.deadlocks += commits.Int(i, "deadlocks");
  }
  auto wal = Exec(sql::kWal);
  counters.wal_syncs = wal.Int(0, "wal_sync");
  counters.wal_writes = wal.Int(0, "wal_write");
  counters.stats_reset = wal.Text(0, "stats_reset");
  return counters;
}

}  // namespace kpo::bench

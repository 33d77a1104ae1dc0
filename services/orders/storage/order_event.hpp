#pragma once
// The stored changes of orders that live updates stream (table order_events), without the database.
#include <cstdint>
#include <string>
#include <vector>

namespace kpo::orders {

// Where a stored change stands in the order live updates send changes: the id of the transaction
// that wrote it, then its own id (ids are taken before commit, so they alone are not commit order).
struct EventPosition {
  std::int64_t tx = 0;
  std::int64_t id = 0;
  // Spelled out: clang-tidy's modernize-use-nullptr flags the 0 a defaulted <=> compares with.
  friend bool operator<(const EventPosition& a, const EventPosition& b) {
    return a.tx != b.tx ? a.tx < b.tx : a.id < b.id;
  }
  friend bool operator==(const EventPosition& a, const EventPosition& b) = default;
};

// One stored change of an order, as live updates carry it.
struct OrderEvent {
  EventPosition position;
  std::string user_id;
  std::string order_json;
};

// The current snapshot's transactions: every one below xmin has ended, every one that starts
// writing from now on gets an id of at least xmax, and those in between that are still running
// (holding an id) are `running`, in ascending order.
struct TransactionBounds {
  std::int64_t xmin = 0;
  std::int64_t xmax = 0;
  std::vector<std::int64_t> running;
};

}  // namespace kpo::orders

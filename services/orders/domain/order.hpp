#pragma once
// The order and its life cycle: Created → Finished | Cancelled, decided by the payment result.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/money.hpp"

namespace kpo::orders {

inline constexpr std::size_t kMaxDescriptionChars = 500;

enum class OrderStatus { kCreated, kFinished, kCancelled };
enum class FailureReason { kInsufficientFunds, kAccountNotFound };

std::string_view ToString(OrderStatus status);
std::string_view ToString(FailureReason reason);
std::optional<OrderStatus> ParseOrderStatus(std::string_view text);
std::optional<FailureReason> ParseFailureReason(std::string_view text);

// Timeline steps in the order they happen. The stored order keeps each step's time in a column of its
// own (storage/), so a timeline is read back in this order whatever the services' clocks said.
inline constexpr std::string_view kStepCreated = "created";
inline constexpr std::string_view kStepPublished = "published";
inline constexpr std::string_view kStepPaymentSucceeded = "payment_succeeded";
inline constexpr std::string_view kStepPaymentFailed = "payment_failed";
inline constexpr std::string_view kStepFinished = "finished";
inline constexpr std::string_view kStepCancelled = "cancelled";

struct TimelineEntry {
  std::string step;
  std::string at;  // RFC 3339 UTC
};

struct Order {
  std::string id;
  std::string user_id;
  core::Minor amount = 0;
  std::string description;
  OrderStatus status = OrderStatus::kCreated;
  std::optional<FailureReason> failure_reason;
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
  std::vector<TimelineEntry> timeline;
};

// A new order in status Created with its "created" step. Inputs must already be validated.
Order NewOrder(std::string id, std::string user_id, core::Minor amount, std::string description,
               core::TimePoint now);

// What payments decided about an order.
struct PaymentOutcome {
  bool succeeded = false;
  std::optional<FailureReason> reason;  // set when !succeeded
};

// The status an order moves to on `outcome`, or nullopt when it is no longer Created (a
// duplicate or late result must not move a finished order again).
std::optional<OrderStatus> NextStatus(OrderStatus current, const PaymentOutcome& outcome);

// Moves a Created order to its final status on `outcome`: status, failure reason, updated_at =
// `now`, and the payment step (at `paid_at`, when payments decided) and the final step (at `now`)
// appended to its timeline; a "published" step later than `paid_at` (a repeated publish) takes
// `paid_at`. Returns the two new steps, or nothing (the order unchanged) when it
// had already left Created.
std::vector<TimelineEntry> ApplyPaymentOutcome(Order& order, const PaymentOutcome& outcome,
                                               const std::string& paid_at, const std::string& now);

}  // namespace kpo::orders

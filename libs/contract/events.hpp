#pragma once
// The names of the message contract between orders and payments (docs/architecture.md, "Message
// contract"): what both sides must spell alike, in one place. Each service keeps its own encoders
// and decoders of the fields it writes and reads, and its own queue. Constants only: the services'
// pure domains may use them.
#include <string_view>

namespace kpo::contract {

// Durable topic exchanges, one per publishing service.
inline constexpr std::string_view kOrdersExchange = "orders";
inline constexpr std::string_view kPaymentsExchange = "payments";

// Routing keys and the event names (the AMQP `type` property) published with them.
inline constexpr std::string_view kOrderCreatedKey = "order.created";
inline constexpr std::string_view kOrderCreatedType = "OrderCreated";
inline constexpr std::string_view kPaymentSucceededKey = "payment.succeeded";
inline constexpr std::string_view kPaymentSucceededType = "PaymentSucceeded";
inline constexpr std::string_view kPaymentFailedKey = "payment.failed";
inline constexpr std::string_view kPaymentFailedType = "PaymentFailed";

// PaymentFailed's `reason`, which orders also shows as an order's `failureReason`.
inline constexpr std::string_view kInsufficientFunds = "insufficient_funds";
inline constexpr std::string_view kAccountNotFound = "account_not_found";

}  // namespace kpo::contract

// The bodies of the messages the services consume, through the decoders their consumers call:
// payment.succeeded / payment.failed in orders (ParsePaymentResult), order.created in payments
// (ParseOrderCreated) and the traceparent header payments continues (ContinueTrace). Anything that
// breaks the contract must be a PoisonMessage (dead-lettered); any other exception, a crash or an
// accepted message that breaks the contract is a finding.
#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/money.hpp"
#include "fuzz_check.hpp"
#include "messaging/inbox.hpp"
#include "orders/messaging/events.hpp"
#include "payments/messaging/events.hpp"

namespace {

bool IsLowerUuid(const std::string& text) { return kpo::core::NormalizeUuid(text) == text; }

// RFC 3339's date-time has digits at these places: "YYYY-MM-DDTHH:MM:SS".
bool HasDigitsWhereRfc3339Does(std::string_view text) {
  constexpr std::array<std::size_t, 14> kDigits = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
  return text.size() >= 19 && std::all_of(kDigits.begin(), kDigits.end(),
                                          [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; });
}

void CheckPaymentResult(const kpo::messaging::Delivery& delivery) {
  const auto result = kpo::orders::ParsePaymentResult(delivery);
  KPO_FUZZ_CHECK(IsLowerUuid(result.order_id) && IsLowerUuid(result.user_id));
  KPO_FUZZ_CHECK(kpo::core::IsValidAmount(result.amount));
  KPO_FUZZ_CHECK(result.outcome.succeeded == result.entry_id.has_value());
  KPO_FUZZ_CHECK(result.outcome.succeeded || result.outcome.reason.has_value());
  if (result.entry_id) KPO_FUZZ_CHECK(IsLowerUuid(*result.entry_id));
  // processedAt is normalised: the stored text parses back to itself, and was a date-time at all.
  const auto at = kpo::core::ParseRfc3339(result.processed_at);
  KPO_FUZZ_CHECK(at && kpo::core::FormatRfc3339(*at) == result.processed_at);
  // ...and what was sent was an RFC 3339 date-time (digits where it has digits), not merely parseable.
  const auto sent = boost::json::parse(delivery.message.body).as_object().at("processedAt").as_string();
  KPO_FUZZ_CHECK(HasDigitsWhereRfc3339Does(sent));
}

void CheckOrderCreated(const kpo::messaging::Delivery& delivery) {
  const auto order = kpo::payments::ParseOrderCreated(delivery);
  KPO_FUZZ_CHECK(IsLowerUuid(order.order_id) && IsLowerUuid(order.user_id));
  KPO_FUZZ_CHECK(kpo::core::IsValidAmount(order.amount));
  // The trace the result event carries is always a valid one.
  KPO_FUZZ_CHECK(kpo::core::TraceParent::Parse(kpo::payments::ContinueTrace(delivery)).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = kpo::fuzz::AsText(data, size);
  const auto selector = kpo::fuzz::TakeSelector(input);
  kpo::messaging::Delivery delivery;
  // Bits 0-1: the routing key; bit 2: the traceparent header is the body's first line.
  constexpr std::array<const char*, 4> kKeys = {"order.created", "payment.succeeded", "payment.failed",
                                                "payment.unknown"};
  delivery.message.routing_key = kKeys[selector & 3U];
  if ((selector & 4U) != 0) {
    const auto line = input.find('\n');
    delivery.message.headers.emplace_back("traceparent", std::string(input.substr(0, line)));
    input = line == std::string_view::npos ? std::string_view() : input.substr(line + 1);
  }
  delivery.message.body = std::string(input);
  try {
    if ((selector & 3U) == 0) {
      CheckOrderCreated(delivery);
    } else {
      CheckPaymentResult(delivery);
    }
  } catch (const kpo::messaging::PoisonMessage&) {
    // Refused as the contract says: the consumer dead-letters it.
  }
  return 0;
}

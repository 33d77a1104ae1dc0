// JSON request bodies, read the way each handler reads its own with kpo::http::JsonBody: orders'
// POST /api/orders, payments' deposits, the gateway's register and login, and the bodies that must
// be empty or {} (guest sessions, account creation). A bad body must be a 422 whose problem+json is
// valid JSON; an accepted body must hold values within the handler's bounds that validate again.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

#include "core/money.hpp"
#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "gateway/domain/credentials.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace {

using kpo::http::JsonBody;

// orders' kMaxDescriptionChars (orders/domain/order.hpp; a fuzz target links no service's domain).
constexpr std::size_t kMaxDescriptionChars = 500;
constexpr auto kAnyLength = std::numeric_limits<std::size_t>::max();

struct Order {
  std::int64_t amount;
  std::string description;
};

Order ReadOrder(std::string_view text) {
  JsonBody body(text, {"amount", "description"});
  const auto amount = body.Int("amount", kpo::core::kMinAmount, kpo::core::kMaxAmount);
  auto description = body.String("description", 1, kMaxDescriptionChars);
  body.Finish();
  return {*amount, std::move(*description)};
}

void CheckOrder(std::string_view text) {
  const auto order = ReadOrder(text);
  KPO_FUZZ_CHECK(kpo::core::IsValidAmount(order.amount));
  const auto chars = kpo::core::Utf8Length(order.description);
  KPO_FUZZ_CHECK(chars && *chars >= 1 && *chars <= kMaxDescriptionChars);
  // What was accepted, written out again, is accepted with the same values.
  const auto again = ReadOrder(boost::json::serialize(
      boost::json::object{{"amount", order.amount}, {"description", order.description}}));
  KPO_FUZZ_CHECK(again.amount == order.amount && again.description == order.description);
}

void CheckDeposit(std::string_view text) {
  JsonBody body(text, {"amount"});
  const auto amount = body.Int("amount", kpo::core::kMinAmount, kpo::core::kMaxAmount);
  body.Finish();
  KPO_FUZZ_CHECK(amount && kpo::core::IsValidAmount(*amount));
}

void CheckCredentials(std::string_view text) {
  JsonBody body(text, {"username", "password"});
  const auto username = body.String("username", 0, kAnyLength);
  const auto password = body.String("password", 0, kAnyLength);
  if (username) {
    if (auto error = kpo::gateway::UsernameError(*username)) body.AddError("username", std::move(*error));
  }
  if (password) {
    if (auto error = kpo::gateway::PasswordError(*password)) body.AddError("password", std::move(*error));
  }
  body.Finish();
  KPO_FUZZ_CHECK(username && password && kpo::core::Utf8Length(*password).has_value());
  const auto name = kpo::gateway::NormalizeUsername(*username);
  KPO_FUZZ_CHECK(!kpo::gateway::UsernameError(name).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = kpo::fuzz::AsText(data, size);
  const auto selector = kpo::fuzz::TakeSelector(text);
  try {
    switch (selector % 4U) {
      case 0:
        CheckOrder(text);
        break;
      case 1:
        CheckDeposit(text);
        break;
      case 2:
        CheckCredentials(text);
        break;
      default:
        JsonBody(text, {}, true).Finish();
        break;
    }
  } catch (const kpo::http::ProblemError& problem) {
    KPO_FUZZ_CHECK(problem.Status() == 422 && !problem.Errors().empty());
    // The answer is problem+json that any client can parse (strict: valid UTF-8 only).
    const auto response = problem.ToResponse();
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(response.body, ec);
    KPO_FUZZ_CHECK(!ec && parsed.is_object() && parsed.as_object().contains("errors"));
  }
  return 0;
}

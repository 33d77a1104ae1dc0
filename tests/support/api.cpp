#include "support/api.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>

#include "core/ids.hpp"
#include "http/client.hpp"
#include "support/process.hpp"

namespace kpo::testing {

ApiResponse Send(std::uint16_t port, const std::string& method, const std::string& target,
                 const std::string& body, http::Headers headers) {
  if (!body.empty() && !http::FindHeader(headers, "Content-Type")) {
    headers.emplace_back("Content-Type", "application/json");
  }
  auto raw = http::Fetch("127.0.0.1", port, method, target, headers, body, std::chrono::seconds(15));
  ApiResponse response{raw.status, std::move(raw.headers), std::move(raw.body), nullptr};
  boost::system::error_code ec;
  auto parsed = boost::json::parse(response.body, ec);
  if (!ec) response.json = std::move(parsed);
  return response;
}

ApiResponse Api::Call(const std::string& method, const std::string& target,
                      const std::optional<std::string>& user, const std::string& body,
                      http::Headers headers) const {
  const auto port = target.rfind("/api/accounts", 0) == 0 ? payments_port_ : orders_port_;
  if (user) headers.emplace_back("X-User-Id", *user);
  return Send(port, method, target, body, std::move(headers));
}

std::string Api::NewFundedUser(std::int64_t balance) const {
  auto user = core::NewUuid();
  auto created = Call("POST", "/api/accounts", user);
  EXPECT_EQ(created.status, 201) << created.body;
  if (balance > 0) {
    auto deposit =
        Call("POST", "/api/accounts/me/deposits", user, R"({"amount":)" + std::to_string(balance) + "}");
    EXPECT_EQ(deposit.status, 200) << deposit.body;
  }
  return user;
}

boost::json::object Api::PlaceOrder(const std::string& user, std::int64_t amount,
                                    const std::string& description) const {
  boost::json::object body{{"amount", amount}, {"description", description}};
  // As a well-behaved client does: an order refused by backpressure (503, nothing was stored) is
  // sent again after Retry-After, for up to 30 s. Tests of backpressure itself use Call().
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto response = Call("POST", "/api/orders", user, boost::json::serialize(body));
  while (response.status == 503 && std::chrono::steady_clock::now() < give_up) {
    const auto retry_after = response.Header("Retry-After");
    std::this_thread::sleep_for(std::chrono::seconds(retry_after ? std::stoi(std::string(*retry_after)) : 1));
    response = Call("POST", "/api/orders", user, boost::json::serialize(body));
  }
  EXPECT_EQ(response.status, 202) << response.body;
  return response.json.is_object() ? response.Object() : boost::json::object{};
}

boost::json::object Api::GetOrder(const std::string& user, const std::string& id) const {
  auto response = Call("GET", "/api/orders/" + id, user);
  EXPECT_EQ(response.status, 200) << response.body;
  return response.json.is_object() ? response.Object() : boost::json::object{};
}

std::int64_t Api::Balance(const std::string& user) const {
  auto response = Call("GET", "/api/accounts/me", user);
  EXPECT_EQ(response.status, 200) << response.body;
  return response.json.is_object() ? response.Object().at("balance").as_int64() : -1;
}

boost::json::object WaitForOrderToLeaveCreated(const std::function<ApiResponse()>& get_order,
                                               std::chrono::milliseconds deadline) {
  boost::json::object order;
  WaitUntil(
      [&] {
        auto response = get_order();
        if (response.status != 200) return false;
        order = response.Object();
        return order.at("status").as_string() != "Created";
      },
      deadline);
  return order;
}

boost::json::object Api::WaitForFinalStatus(const std::string& user, const std::string& id,
                                            std::chrono::milliseconds deadline) const {
  return WaitForOrderToLeaveCreated([&] { return Call("GET", "/api/orders/" + id, user); }, deadline);
}

}  // namespace kpo::testing

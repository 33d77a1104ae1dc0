#pragma once
// A client of the public HTTP API for black-box tests, routing /api/accounts to payments and
// /api/orders to orders (as the gateway does).
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "http/message.hpp"

namespace kpo::testing {

struct ApiResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
  boost::json::value json;  // null when the body is not JSON
  std::optional<std::string_view> Header(std::string_view name) const {
    return http::FindHeader(headers, name);
  }
  const boost::json::object& Object() const { return json.as_object(); }
};

// Sends one request; a non-empty body goes as application/json unless `headers` names another
// Content-Type. The body is parsed as JSON when it is JSON.
ApiResponse Send(std::uint16_t port, const std::string& method, const std::string& target,
                 const std::string& body, http::Headers headers);

// Polls `get_order` (a GET of one order) until it answers 200 with a status other than Created;
// returns that order (empty, or still Created, if `deadline` passed first).
boost::json::object WaitForOrderToLeaveCreated(const std::function<ApiResponse()>& get_order,
                                               std::chrono::milliseconds deadline);

class Api {
 public:
  Api(std::uint16_t orders_port, std::uint16_t payments_port)
      : orders_port_(orders_port), payments_port_(payments_port) {}

  // One request. `user` becomes X-User-Id; a non-empty body is sent as application/json unless
  // `headers` names another Content-Type.
  ApiResponse Call(const std::string& method, const std::string& target,
                   const std::optional<std::string>& user, const std::string& body = {},
                   http::Headers headers = {}) const;

  // Shortcuts that assert the contract's success statuses.
  std::string NewFundedUser(std::int64_t balance) const;  // account created and topped up
  boost::json::object PlaceOrder(const std::string& user, std::int64_t amount,
                                 const std::string& description = "test order") const;
  boost::json::object GetOrder(const std::string& user, const std::string& id) const;
  std::int64_t Balance(const std::string& user) const;
  // Polls until the order leaves Created; returns it (still Created if the deadline passed).
  boost::json::object WaitForFinalStatus(const std::string& user, const std::string& id,
                                         std::chrono::milliseconds deadline = std::chrono::seconds(30)) const;

 private:
  std::uint16_t orders_port_;
  std::uint16_t payments_port_;
};

}  // namespace kpo::testing

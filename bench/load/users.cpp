#include "load/users.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <stdexcept>
#include <thread>

#include "http/client.hpp"

namespace kpo::bench {
namespace {

constexpr int kAttempts = 5;
// A balance no bench run can spend at one minor unit per order.
constexpr std::string_view kDeposit = R"({"amount":1000000000000})";

// One call, retried (bounded) while the gateway answers 429; any other failure throws.
http::ClientResponse Call(const Endpoint& gateway, const std::string& method, const std::string& target,
                          const std::string& token, const std::string& body, int expected) {
  http::Headers headers{{"Content-Type", "application/json"}};
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  for (int attempt = 1;; ++attempt) {
    auto response = http::Fetch(gateway.host, gateway.port, method, target, headers, body);
    if (response.status == expected) return response;
    if (response.status != 429 || attempt == kAttempts) {
      throw std::runtime_error(fmt::format("{} {} answered {}: {}", method, target, response.status,
                                           response.body.substr(0, 200)));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

UserPool::UserPool(Endpoint gateway, double guests_per_second)
    : gateway_(std::move(gateway)), guests_per_second_(guests_per_second) {}

User UserPool::CreateOne() const {
  const auto session = boost::json::parse(Call(gateway_, "POST", "/api/auth/guest", "", "", 201).body);
  User user{std::string(session.at("userId").as_string()), std::string(session.at("token").as_string())};
  Call(gateway_, "POST", "/api/accounts", user.token, "", 201);
  Call(gateway_, "POST", "/api/accounts/me/deposits", user.token, std::string(kDeposit), 200);
  return user;
}

void UserPool::Ensure(std::size_t count) {
  const auto pace = std::chrono::duration<double>(guests_per_second_ > 0 ? 1.0 / guests_per_second_ : 0.0);
  while (users_.size() < count) {
    const auto next = std::chrono::steady_clock::now() + pace;
    users_.push_back(CreateOne());
    std::this_thread::sleep_until(next);
  }
}

std::vector<std::string> UserPool::Tokens(std::size_t count) const {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < count && i < users_.size(); ++i) tokens.push_back(users_[i].token);
  return tokens;
}

std::string UserPool::IdArray(std::size_t count) const {
  std::string out = "{";
  for (std::size_t i = 0; i < count && i < users_.size(); ++i) {
    if (i > 0) out += ',';
    out += users_[i].id;
  }
  return out + "}";
}

}  // namespace kpo::bench

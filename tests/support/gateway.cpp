#include "support/gateway.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/client.hpp"

namespace kpo::testing {

ApiResponse GatewayClient::Call(const std::string& method, const std::string& target,
                                const std::optional<std::string>& token, const std::string& body,
                                http::Headers headers) const {
  if (token) headers.emplace_back("Authorization", "Bearer " + *token);
  return Send(port_, method, target, body, std::move(headers));
}

Session GatewayClient::Guest() const {
  auto response = Call("POST", "/api/auth/guest", std::nullopt);
  EXPECT_EQ(response.status, 201) << response.body;
  if (!response.json.is_object()) return {};
  return {std::string(response.Object().at("token").as_string()),
          std::string(response.Object().at("userId").as_string())};
}

Session GatewayClient::FundedGuest(std::int64_t balance) const {
  auto session = Guest();
  EXPECT_EQ(Call("POST", "/api/accounts", session.token).status, 201);
  if (balance > 0) {
    auto deposit = Call("POST", "/api/accounts/me/deposits", session.token,
                        R"({"amount":)" + std::to_string(balance) + "}");
    EXPECT_EQ(deposit.status, 200) << deposit.body;
  }
  return session;
}

std::string GatewayClient::PlaceOrder(const Session& session, std::int64_t amount) const {
  auto response = Call("POST", "/api/orders", session.token,
                       R"({"amount":)" + std::to_string(amount) + R"(,"description":"via gateway"})");
  EXPECT_EQ(response.status, 202) << response.body;
  return response.json.is_object() ? std::string(response.Object().at("id").as_string()) : std::string();
}

boost::json::object GatewayClient::GetOrder(const Session& session, const std::string& id) const {
  auto response = Call("GET", "/api/orders/" + id, session.token);
  EXPECT_EQ(response.status, 200) << response.body;
  return response.json.is_object() ? response.Object() : boost::json::object{};
}

std::int64_t GatewayClient::Balance(const Session& session) const {
  auto response = Call("GET", "/api/accounts/me", session.token);
  EXPECT_EQ(response.status, 200) << response.body;
  return response.json.is_object() ? response.Object().at("balance").as_int64() : -1;
}

boost::json::object GatewayClient::WaitForFinalStatus(const Session& session, const std::string& id,
                                                      std::chrono::milliseconds deadline) const {
  return WaitForOrderToLeaveCreated([&] { return Call("GET", "/api/orders/" + id, session.token); },
                                    deadline);
}

GatewaySystem::GatewaySystem(int replicas, EnvVars gateway_env) {
  const auto& environment = Environment::Get();
  std::string orders_list;
  std::string payments_list;
  for (int i = 0; i < replicas; ++i) {
    const auto orders_port = static_cast<std::uint16_t>(kOrdersTestPort + 10 * i);
    const auto payments_port = static_cast<std::uint16_t>(kPaymentsTestPort + 10 * i);
    orders.push_back(std::make_unique<ServiceProcess>(
        "orders-" + std::to_string(i), KPO_ORDERS_BIN,
        OrdersEnv(orders_port, {{"ORDERS_SSE_HEARTBEAT_MS", "1000"}}), orders_port));
    payments.push_back(std::make_unique<ServiceProcess>("payments-" + std::to_string(i), KPO_PAYMENTS_BIN,
                                                        PaymentsEnv(payments_port), payments_port));
    orders_list += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(orders_port);
    payments_list += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(payments_port);
  }
  EnvVars env{{"GATEWAY_LISTEN", "127.0.0.1:" + std::to_string(kGatewayTestPort)},
              {"GATEWAY_DATABASE_URL", environment.gateway_database_url},
              {"GATEWAY_JWT_SECRET", kTestJwtSecret},
              {"GATEWAY_ORDERS_UPSTREAMS", orders_list},
              {"GATEWAY_PAYMENTS_UPSTREAMS", payments_list},
              {"GATEWAY_RATE_USER_RPS", "0"},
              {"GATEWAY_RATE_IP_RPS", "0"}};
  env.insert(env.end(), gateway_env.begin(), gateway_env.end());
  gateway = std::make_unique<ServiceProcess>("gateway", KPO_GATEWAY_BIN, env, kGatewayTestPort);
}

void GatewaySystem::Start() {
  for (auto& p : payments) p->Start();
  for (auto& o : orders) o->Start();
  for (auto& o : orders) WaitUntilOrdersAdmit(o->Port());
  gateway->Start();
}

SseReader::SseReader(std::uint16_t port, const std::string& target, const http::Headers& headers) {
  socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot connect to the SSE endpoint");
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request.append(name).append(": ").append(value).append("\r\n");
  request += "\r\n";
  ::send(socket_, request.data(), request.size(), MSG_NOSIGNAL);
  reader_ = std::thread([this] {
    char buffer[4096];
    for (;;) {
      const auto n = ::recv(socket_, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      std::lock_guard lock(mutex_);
      received_.append(buffer, static_cast<std::size_t>(n));
    }
  });
}

SseReader::~SseReader() {
  ::shutdown(socket_, SHUT_RDWR);
  reader_.join();
  ::close(socket_);
}

std::string SseReader::Received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::string SseReader::Body() const {
  // The stream is chunked (RFC 9112 §7.1): undo the framing, which may split an event anywhere.
  const auto raw = Received();
  auto at = raw.find("\r\n\r\n");
  if (at == std::string::npos) return {};
  at += 4;
  std::string body;
  while (at < raw.size()) {
    const auto line_end = raw.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const auto size = std::stoul(raw.substr(at, line_end - at), nullptr, 16);
    if (size == 0 || line_end + 2 + size > raw.size()) break;
    body.append(raw, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return body;
}

std::vector<boost::json::object> SseReader::Orders() const {
  const auto text = Body();
  std::vector<boost::json::object> orders;
  const std::string marker = "event: order\ndata: ";
  for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    const auto start = at + marker.size();
    const auto end = text.find('\n', start);
    if (end == std::string::npos) break;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(text.substr(start, end - start), ec);
    if (!ec && parsed.is_object()) orders.push_back(parsed.as_object());
  }
  return orders;
}

}  // namespace kpo::testing

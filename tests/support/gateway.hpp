#pragma once
// The whole system behind the gateway for black-box tests: N replicas of orders and payments
// and one gateway process, plus a client that speaks the public API with bearer tokens.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/api.hpp"
#include "support/process.hpp"
#include "support/stack.hpp"

namespace kpo::testing {

inline const std::uint16_t kGatewayTestPort = static_cast<std::uint16_t>(TestPortBase() + 5);
// A secret the tests know, so they can forge expired or foreign tokens.
inline constexpr const char* kTestJwtSecret = "test-secret-0123456789abcdef0123456789abcdef";

struct Session {
  std::string token;
  std::string user_id;
};

class GatewayClient {
 public:
  explicit GatewayClient(std::uint16_t port = kGatewayTestPort) : port_(port) {}

  ApiResponse Call(const std::string& method, const std::string& target,
                   const std::optional<std::string>& token, const std::string& body = {},
                   http::Headers headers = {}) const;

  Session Guest() const;
  // A guest with an account holding `balance`.
  Session FundedGuest(std::int64_t balance) const;
  std::string PlaceOrder(const Session& session, std::int64_t amount) const;
  boost::json::object GetOrder(const Session& session, const std::string& id) const;
  std::int64_t Balance(const Session& session) const;
  boost::json::object WaitForFinalStatus(const Session& session, const std::string& id,
                                         std::chrono::milliseconds deadline = std::chrono::seconds(30)) const;
  std::uint16_t Port() const { return port_; }

 private:
  std::uint16_t port_;
};

class GatewaySystem {
 public:
  // `replicas` of orders and of payments; `gateway_env` overrides the gateway's settings.
  explicit GatewaySystem(int replicas = 1, EnvVars gateway_env = {});
  // Starts payments and orders, waits until each orders replica admits new orders
  // (WaitUntilOrdersAdmit), then starts the gateway.
  void Start();

  std::vector<std::unique_ptr<ServiceProcess>> orders;
  std::vector<std::unique_ptr<ServiceProcess>> payments;
  std::unique_ptr<ServiceProcess> gateway;
  GatewayClient client;
};

// Reads a Server-Sent Events stream on a background thread.
class SseReader {
 public:
  SseReader(std::uint16_t port, const std::string& target, const http::Headers& headers = {});
  ~SseReader();
  SseReader(const SseReader&) = delete;
  SseReader& operator=(const SseReader&) = delete;

  // Everything received so far (status line and headers included).
  std::string Received() const;
  // The event stream itself, with the chunked transfer framing removed.
  std::string Body() const;
  // The data lines of `event: order` events received so far, parsed.
  std::vector<boost::json::object> Orders() const;

 private:
  int socket_ = -1;
  mutable std::mutex mutex_;
  std::string received_;
  std::thread reader_;
};

}  // namespace kpo::testing

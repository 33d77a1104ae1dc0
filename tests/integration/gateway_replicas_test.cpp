// Two replicas of each service behind the gateway; one of each is killed (SIGKILL) during a stream
// of requests. Idempotent GETs never fail for the client, and every accepted order completes.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>

#include "support/gateway.hpp"

namespace kpo::testing {
namespace {

TEST(GatewayReplicas, KillingOneReplicaOfEachLosesNothing) {
  GatewaySystem system(2, {{"GATEWAY_EJECTION_MS", "5000"}});
  system.Start();
  const auto& client = system.client;
  const auto session = client.FundedGuest(1'000'000);

  std::atomic<bool> done{false};
  std::atomic<int> get_failures{0};
  std::atomic<int> gets{0};
  std::mutex mutex;
  std::vector<std::string> accepted;
  int rejected_posts = 0;
  std::jthread readers([&] {
    while (!done.load()) {
      auto orders = client.Call("GET", "/api/orders?limit=5", session.token);
      auto account = client.Call("GET", "/api/accounts/me", session.token);
      gets += 2;
      if (orders.status != 200) ++get_failures;
      if (account.status != 200) ++get_failures;
    }
  });
  int retried_posts = 0;
  std::jthread writers([&] {
    const auto place = [&] {
      return client.Call("POST", "/api/orders", session.token, R"({"amount":100,"description":"r"})");
    };
    for (int i = 0; i < 150; ++i) {
      auto response = place();
      // While the survivors take over the killed replicas' work the pipeline may fall behind, and
      // orders refuses new ones with 503 + Retry-After (backpressure): a client waits and sends
      // again, as the contract says. A bounded number of such rounds.
      for (int round = 0; response.status == 503 && response.Header("Retry-After") && round < 20; ++round) {
        std::this_thread::sleep_for(
            std::chrono::seconds(std::stoi(std::string(*response.Header("Retry-After")))));
        response = place();
        std::lock_guard lock(mutex);
        ++retried_posts;
      }
      std::lock_guard lock(mutex);
      if (response.status == 202) {
        accepted.emplace_back(response.Object().at("id").as_string());
      } else {
        ++rejected_posts;  // 502 when the request hit the dying replica: not accepted, never charged
      }
    }
  });
  auto accepted_count = [&] {
    std::lock_guard lock(mutex);
    return accepted.size();
  };
  ASSERT_TRUE(WaitUntil([&] { return accepted_count() >= 40; }, std::chrono::seconds(30)));
  system.orders[0]->Signal(SIGKILL);
  system.payments[0]->Signal(SIGKILL);
  writers.join();
  done = true;
  readers.join();

  EXPECT_EQ(get_failures.load(), 0) << "of " << gets.load() << " GETs";
  EXPECT_LE(rejected_posts, 4) << retried_posts << " more were refused with 503 + Retry-After and sent again";
  ASSERT_GE(accepted.size(), 140U);
  for (const auto& id : accepted) {
    EXPECT_EQ(client.WaitForFinalStatus(session, id, std::chrono::seconds(60)).at("status").as_string(),
              "Finished")
        << id;
  }
}

}  // namespace
}  // namespace kpo::testing

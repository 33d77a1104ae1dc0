// scripts/trace.sh (make trace ORDER=<id>) against the logs of a real run: one order placed
// through the gateway, its lines found in all three services' logs, in time order.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "support/fixture.hpp"
#include "support/gateway.hpp"

namespace kpo::testing {
namespace {

// The whole system with the per-message lines (relay, consumer, decisions) switched on: the
// services inherit this process's environment.
class DebugLoggingSystem : public GatewaySystem {
 public:
  DebugLoggingSystem() : GatewaySystem((::setenv("LOG_LEVEL", "debug", 1), 1)) {}
};

class Trace : public SharedSystemTest<DebugLoggingSystem> {};

std::string RunTrace(const std::string& order_id) {
  const std::string command = std::string(KPO_TRACE_SCRIPT) + " " + order_id + " " + KPO_TEST_LOG_DIR;
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  ::pclose(pipe);
  return output;
}

// The script's lines as JSON objects; `unreadable` gets the lines that are not. While the services
// write, a file may end in half a line (their output is flushed in blocks, at the latest every
// second), so an unreadable line means "not yet", and the test waits for it to be completed.
std::vector<boost::json::object> Lines(const std::string& output, std::vector<std::string>& unreadable) {
  std::vector<boost::json::object> lines;
  unreadable.clear();
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (!ec && value.is_object()) {
      lines.push_back(value.as_object());
    } else {
      unreadable.push_back(line);
    }
  }
  return lines;
}

// The trace id of the first line of `service` whose msg starts with `msg` (and, when given, whose
// method is `method`); empty when there is none.
std::string TraceOf(const std::vector<boost::json::object>& lines, const std::string& service,
                    const std::string& msg, const std::string& method = "") {
  for (const auto& line : lines) {
    if (line.at("service").as_string() != service || !line.at("msg").as_string().starts_with(msg)) continue;
    if (!method.empty() && (!line.contains("method") || line.at("method").as_string() != method)) continue;
    return line.contains("trace_id") ? std::string(line.at("trace_id").as_string()) : "?";
  }
  return {};
}

TEST_F(Trace, FollowsOneOrderThroughTheGatewayOrdersAndPayments) {
  const auto& client = system().client;
  const auto session = client.FundedGuest(5'000);
  const auto id = client.PlaceOrder(session, 1'234);
  EXPECT_EQ(client.WaitForFinalStatus(session, id).at("status").as_string(), "Finished");

  // Lines reach the files within a second (the logger flushes info and debug lines every second).
  // Every step of the order, from the gateway's POST to the orders service taking the result,
  // belongs to the one trace the gateway started.
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"orders", "relay published"},   {"payments", "consumed"}, {"payments", "decided payment_succeeded"},
      {"payments", "relay published"}, {"orders", "consumed"},   {"orders", "order " + id + " is now"}};
  std::vector<boost::json::object> lines;
  std::vector<std::string> unreadable;
  std::string trace;
  const bool complete = WaitUntil(
      [&] {
        lines = Lines(RunTrace(id), unreadable);
        if (!unreadable.empty()) return false;
        trace = TraceOf(lines, "gateway", "access", "POST");
        if (trace.empty() || TraceOf(lines, "orders", "access", "POST") != trace) return false;
        return std::all_of(steps.begin(), steps.end(), [&](const auto& step) {
          return TraceOf(lines, step.first, step.second) == trace;
        });
      },
      std::chrono::seconds(10));
  std::string dump;
  for (const auto& line : lines) dump += boost::json::serialize(line) + "\n";
  for (const auto& line : unreadable) dump += "(not JSON) " + line + "\n";
  ASSERT_TRUE(complete) << dump;

  std::string previous;
  for (const auto& line : lines) {
    const std::string ts(line.at("ts").as_string());
    EXPECT_LE(previous, ts) << "out of time order:\n" << dump;
    previous = ts;
    if (line.contains("decision")) {
      EXPECT_EQ(line.at("order_id").as_string(), id);
    }
  }
}

}  // namespace
}  // namespace kpo::testing

#include "idempotency/idempotency.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kpo::idempotency {
namespace {

http::Request Keyed(std::string body, std::string path = "/api/orders") {
  http::Request request;
  request.method = "POST";
  request.path = std::move(path);
  request.body = std::move(body);
  request.headers.emplace_back("Idempotency-Key", "k-1");
  return request;
}

std::string FingerprintOf(const http::Request& request) { return ReadKey(request, "u-1")->fingerprint; }

// A retry whose client serialised the same values again (another key order, other spacing, escapes)
// is the same request; other values, another path or another body are not.
TEST(IdempotencyFingerprint, ASameJsonBodySerialisedAgainIsTheSameRequest) {
  const auto first =
      FingerprintOf(Keyed(R"({"amount":10,"description":"a","x":{"b":1,"a":[2,{"d":0,"c":1}]}})"));
  EXPECT_EQ(first, FingerprintOf(
                       Keyed(R"({"x":{"a":[2,{"c":1,"d":0}],"b":1},"description":"\u0061", "amount": 10})")));
  EXPECT_EQ(first,
            FingerprintOf(Keyed(
                "{ \"amount\" : 10 ,\n \"description\":\"a\",\"x\":{\"a\":[2,{\"d\":0,\"c\":1}],\"b\":1}}")));
  EXPECT_NE(first,
            FingerprintOf(Keyed(R"({"amount":11,"description":"a","x":{"b":1,"a":[2,{"d":0,"c":1}]}})")));
  EXPECT_NE(first,
            FingerprintOf(Keyed(R"({"amount":10,"description":"a","x":{"b":1,"a":[{"d":0,"c":1},2]}})")))
      << "an array's order counts";
  EXPECT_NE(first, FingerprintOf(Keyed(R"({"amount":10,"description":"a","x":{"b":1,"a":[2,{"d":0,"c":1}]}})",
                                       "/api/accounts/deposit")));
}

TEST(IdempotencyFingerprint, ABodyThatIsNotJsonCountsAsSent) {
  const auto request = Keyed("amount=10");
  const auto keyed = ReadKey(request, "u-1");
  EXPECT_EQ(keyed->fingerprint, keyed->sent_fingerprint);
  EXPECT_NE(keyed->fingerprint, FingerprintOf(Keyed("amount=10 ")));
}

// Keys stored before the bodies were put in key order hold the fingerprint of the body as sent.
TEST(IdempotencyFingerprint, TheBodyAsSentIsKeptForKeysStoredBeforeTheKeyOrder) {
  const auto keyed = ReadKey(Keyed(R"({"description":"a", "amount":10})"), "u-1");
  EXPECT_NE(keyed->fingerprint, keyed->sent_fingerprint);
  EXPECT_EQ(keyed->fingerprint, FingerprintOf(Keyed(R"({"amount":10,"description":"a"})")));
}

}  // namespace
}  // namespace kpo::idempotency

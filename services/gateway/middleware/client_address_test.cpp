// The client's address is the peer's unless a trusted proxy in front names it in X-Real-IP.
#include "gateway/middleware/client_address.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

const AddressSet kTrusted({"127.0.0.1", "::1", "172.18.0.0/16"});

http::Request From(std::string peer, std::optional<std::string> real_ip = std::nullopt) {
  http::Request request;
  request.remote_address = std::move(peer);
  if (real_ip) request.headers.emplace_back("X-Real-IP", std::move(*real_ip));
  return request;
}

TEST(ClientAddress, ATrustedProxyNamesTheClient) {
  EXPECT_EQ(ClientAddress(From("127.0.0.1", "203.0.113.7"), kTrusted), "203.0.113.7");
  EXPECT_EQ(ClientAddress(From("::1", "2001:db8::1"), kTrusted), "2001:db8::1");
  EXPECT_EQ(ClientAddress(From("172.18.0.5", "203.0.113.7"), kTrusted), "203.0.113.7") << "a proxy's network";
}

TEST(ClientAddress, AnyOtherPeerIsTheClientWhateverItClaims) {
  EXPECT_EQ(ClientAddress(From("198.51.100.2", "203.0.113.7"), kTrusted), "198.51.100.2");
  EXPECT_EQ(ClientAddress(From("127.0.0.1", "203.0.113.7"), AddressSet()), "127.0.0.1");
}

TEST(ClientAddress, ATrustedProxyWithoutAUsableHeaderIsTheClient) {
  EXPECT_EQ(ClientAddress(From("127.0.0.1"), kTrusted), "127.0.0.1");
  EXPECT_EQ(ClientAddress(From("127.0.0.1", "not an address"), kTrusted), "127.0.0.1");
  EXPECT_EQ(ClientAddress(From("127.0.0.1", ""), kTrusted), "127.0.0.1");
}

TEST(ClientAddress, OnlyAddressShapedTextLooksLikeAnAddress) {
  EXPECT_TRUE(LooksLikeIpAddress("10.0.0.1"));
  EXPECT_TRUE(LooksLikeIpAddress("fe80::1:abcd"));
  EXPECT_FALSE(LooksLikeIpAddress(""));
  EXPECT_FALSE(LooksLikeIpAddress("10.0.0.1, 10.0.0.2"));
  EXPECT_FALSE(LooksLikeIpAddress("localhost"));
  EXPECT_FALSE(LooksLikeIpAddress(std::string(46, '1')));
  EXPECT_TRUE(LooksLikeIpAddress(std::string(45, '1')));
}

}  // namespace
}  // namespace kpo::gateway

#include "http/peer_connections.hpp"

#include <gtest/gtest.h>

namespace kpo::http {
namespace {

using Slot = PeerConnections::Slot;

TEST(PeerConnections, AnAddressGetsItsBoundAndOneMoreOnlyOnceOneIsReturned) {
  PeerConnections connections(2, nullptr);
  EXPECT_EQ(connections.Take("192.0.2.1"), Slot::kTaken);
  EXPECT_EQ(connections.Take("192.0.2.1"), Slot::kTaken);
  EXPECT_EQ(connections.Take("192.0.2.1"), Slot::kRefused);
  EXPECT_EQ(connections.Take("192.0.2.2"), Slot::kTaken) << "each address has a bound of its own";
  connections.Return("192.0.2.1");
  EXPECT_EQ(connections.Take("192.0.2.1"), Slot::kTaken);
}

TEST(PeerConnections, AnAddressThatReturnedEverySlotIsForgotten) {
  PeerConnections connections(1, nullptr);
  EXPECT_EQ(connections.Take("192.0.2.1"), Slot::kTaken);
  EXPECT_EQ(connections.Take("192.0.2.1"), Slot::kRefused);
  EXPECT_EQ(connections.Peers(), 1U);
  connections.Return("192.0.2.1");
  EXPECT_EQ(connections.Peers(), 0U) << "a refusal leaves nothing behind, a return of the last slot neither";
}

TEST(PeerConnections, NoBoundOrAnUnboundedPeerCountsNothing) {
  PeerConnections unbounded(0, nullptr);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(unbounded.Take("192.0.2.1"), Slot::kNotCounted);
  PeerConnections proxied(1, [](std::string_view peer) { return peer == "127.0.0.2"; });
  EXPECT_EQ(proxied.Take("127.0.0.2"), Slot::kNotCounted);
  EXPECT_EQ(proxied.Take("127.0.0.2"), Slot::kNotCounted);
  EXPECT_EQ(proxied.Take("127.0.0.1"), Slot::kTaken);
  EXPECT_EQ(proxied.Peers(), 1U);
}

}  // namespace
}  // namespace kpo::http

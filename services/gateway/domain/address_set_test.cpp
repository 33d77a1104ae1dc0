#include "gateway/domain/address_set.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace kpo::gateway {
namespace {

TEST(AddressSet, SingleAddressesMatchOnlyThemselves) {
  const AddressSet set({"127.0.0.1", "::1"});
  EXPECT_TRUE(set.Contains("127.0.0.1"));
  EXPECT_TRUE(set.Contains("::1"));
  EXPECT_TRUE(set.Contains("::ffff:127.0.0.1")) << "an IPv4-mapped peer is its IPv4 address";
  EXPECT_FALSE(set.Contains("127.0.0.2"));
  EXPECT_FALSE(set.Contains("::2"));
}

TEST(AddressSet, NetworksMatchEveryAddressUnderTheirPrefix) {
  const AddressSet set({"10.0.0.0/8", "172.16.0.0/12", "fd00::/8", "192.168.1.128/25"});
  EXPECT_TRUE(set.Contains("10.255.3.4"));
  EXPECT_TRUE(set.Contains("172.31.255.255"));
  EXPECT_FALSE(set.Contains("172.32.0.1"));
  EXPECT_TRUE(set.Contains("fd12:3456::1"));
  EXPECT_FALSE(set.Contains("fe80::1"));
  EXPECT_TRUE(set.Contains("192.168.1.200"));
  EXPECT_FALSE(set.Contains("192.168.1.127"));
  EXPECT_TRUE(AddressSet({"0.0.0.0/0"}).Contains("8.8.8.8"));
  EXPECT_FALSE(AddressSet({"0.0.0.0/0"}).Contains("::1")) << "families do not mix";
}

TEST(AddressSet, TextThatIsNoAddressIsInNoSet) {
  const AddressSet set({"0.0.0.0/0", "::/0"});
  for (const char* text : {"", "localhost", "10.0.0.1, 10.0.0.2", "10.0.0.1:80", "1.2.3.4.5"}) {
    EXPECT_FALSE(set.Contains(text)) << text;
  }
  EXPECT_FALSE(AddressSet().Contains("127.0.0.1"));
}

TEST(AddressSet, AMalformedEntryIsRefusedByName) {
  for (const char* entry : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x", "ten", "10.0.0.0/-1"}) {
    try {
      AddressSet set({entry});
      ADD_FAILURE() << entry << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(entry), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace kpo::gateway

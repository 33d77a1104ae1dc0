#include "messaging/broker_urls.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

namespace kpo::messaging {
namespace {

using Urls = std::vector<std::string>;

TEST(SplitBrokerUrls, OneUrlIsAListOfOne) {
  EXPECT_EQ(SplitBrokerUrls("amqp://kpo:kpo@localhost:5672/"), Urls{"amqp://kpo:kpo@localhost:5672/"});
}

TEST(SplitBrokerUrls, SplitsOnCommasKeepingOrderAndTrimmingBlanks) {
  EXPECT_EQ(SplitBrokerUrls(" amqp://a:1@h1:5681/ ,amqp://a:1@h2:5682/,\tamqp://a:1@h3:5683/vh\n"),
            (Urls{"amqp://a:1@h1:5681/", "amqp://a:1@h2:5682/", "amqp://a:1@h3:5683/vh"}));
}

TEST(SplitBrokerUrls, IgnoresEmptyItems) {
  EXPECT_EQ(SplitBrokerUrls(",amqp://h1/,, ,amqp://h2/,"), (Urls{"amqp://h1/", "amqp://h2/"}));
}

TEST(SplitBrokerUrls, KeepsPercentEncodedCommas) {
  EXPECT_EQ(SplitBrokerUrls("amqp://u:p%2Cw@h1/,amqp://h2/"), (Urls{"amqp://u:p%2Cw@h1/", "amqp://h2/"}));
}

TEST(SplitBrokerUrls, RefusesAListWithoutUrls) {
  EXPECT_THROW(SplitBrokerUrls(""), std::invalid_argument);
  EXPECT_THROW(SplitBrokerUrls(" , ,"), std::invalid_argument);
}

TEST(SplitBrokerUrls, RefusesWhatIsNotAnAmqpUrlWithoutShowingItsPassword) {
  // Retrying such a URL would never succeed: a service refuses it at start instead.
  for (const char* list : {"amqp//kpo:S3cret@localhost/", "amqp://kpo:S3cret@localhost:notaport/",
                           "amqp://h1/,http://kpo:S3cret@h2/"}) {
    try {
      SplitBrokerUrls(list);
      ADD_FAILURE() << list << " was taken";
    } catch (const std::invalid_argument& error) {
      EXPECT_EQ(std::string(error.what()).find("S3cret"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("is not an AMQP URL"), std::string::npos) << error.what();
    }
  }
  EXPECT_EQ(SplitBrokerUrls("amqps://u:p@h1:5671/vh"), Urls{"amqps://u:p@h1:5671/vh"});
}

TEST(ConnectOrder, VisitsEveryAddressOnceFromTheStartWrappingAround) {
  using Order = std::vector<std::size_t>;
  EXPECT_EQ(ConnectOrder(3, 0), (Order{0, 1, 2}));
  EXPECT_EQ(ConnectOrder(3, 1), (Order{1, 2, 0}));
  EXPECT_EQ(ConnectOrder(3, 5), (Order{2, 0, 1}));
  EXPECT_EQ(ConnectOrder(1, 7), (Order{0}));
  EXPECT_TRUE(ConnectOrder(0, 3).empty());
}

TEST(NextConnectStart, RotatesSoThatSuccessiveConnectsStartAtEveryNode) {
  std::set<std::size_t> firsts;
  for (int i = 0; i < 3; ++i) firsts.insert(ConnectOrder(3, NextConnectStart()).front());
  EXPECT_EQ(firsts, (std::set<std::size_t>{0, 1, 2}));
}

}  // namespace
}  // namespace kpo::messaging

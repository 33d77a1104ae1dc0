// A stream that fails before the server holds it lets go of its subscription, without a database:
// the pool points at a port nobody listens on, so the replay read fails as in a database restart.
#include <gtest/gtest.h>

#include "db/connection.hpp"
#include "http/problem.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/live/live_updates.hpp"

namespace kpo::orders {
namespace {

constexpr std::string_view kSubscriber = "0b9d3c3e-6a0e-4c57-9c1e-7c1f0a8b2d41";

http::Request StreamRequest(std::optional<std::string> last_event_id) {
  http::Request request;
  request.method = "GET";
  request.path = "/api/events";
  request.headers.emplace_back("X-User-Id", std::string(kSubscriber));
  if (last_event_id) request.headers.emplace_back("Last-Event-ID", *last_event_id);
  return request;
}

db::Pool UnreachableDatabase() {
  return {"postgresql://kpo@127.0.0.1:1/orders?connect_timeout=2", 1, {}, std::chrono::milliseconds(100)};
}

TEST(StreamEvents, AStreamWhoseReplayFailsIsReleasedAndDoesNotCountTowardsTheCap) {
  auto pool = UnreachableDatabase();
  LiveUpdates live({.database_url = "", .max_streams_per_user = 1});
  EXPECT_THROW(StreamEvents(pool, live, StreamRequest("5")), db::DbError);

  // The poller, which would forget it, is down with the database: the failed stream still does not
  // count. Without a Last-Event-ID nothing is read, so the user's one allowed stream opens.
  const auto response = StreamEvents(pool, live, StreamRequest(std::nullopt));
  ASSERT_NE(response.stream, nullptr);
  EXPECT_FALSE(response.stream->Abandoned());
  live.ReleaseAbandoned();
  EXPECT_EQ(live.Subscribers(), 1U) << "a stream handed to the server stays subscribed";
}

// One stream more than the user's quota is refused: 429, come back in 5 s, and the access line
// names the quota.
TEST(StreamEvents, AStreamBeyondTheUsersQuotaIsRefusedWithRetryAfter) {
  auto pool = UnreachableDatabase();
  LiveUpdates live({.database_url = "", .max_streams_per_user = 1});
  const auto open = StreamEvents(pool, live, StreamRequest(std::nullopt));
  ASSERT_NE(open.stream, nullptr);
  try {
    StreamEvents(pool, live, StreamRequest(std::nullopt));
    ADD_FAILURE() << "a second stream was opened";
  } catch (const http::ProblemError& refused) {
    const auto response = refused.ToResponse();
    EXPECT_EQ(response.status, 429);
    EXPECT_EQ(http::FindHeader(response.headers, "Retry-After"), "5");
    EXPECT_EQ(response.reason, "stream_quota");
  }
}

}  // namespace
}  // namespace kpo::orders

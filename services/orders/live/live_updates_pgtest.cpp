// Live updates against a real PostgreSQL: what a stream is sent while transactions commit out of id
// order, and what a stream resumed from its last id is sent after that. The tests poll in step with
// the transactions they open and commit.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "orders/live/live_updates.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace kpo::orders {
namespace {

using namespace std::chrono_literals;

// What one client has received so far.
struct Client {
  std::shared_ptr<Subscription> subscription;
  std::string received;

  const std::string& Received() {
    for (auto& chunk : subscription->Stream()->Take().chunks) received += chunk;
    return received;
  }
  bool Has(std::int64_t id) {
    return Received().find("id: " + std::to_string(id) + "\n") != std::string::npos;
  }
  // The id of the last event received: what EventSource sends back as Last-Event-ID.
  std::int64_t LastEventId() {
    const auto& text = Received();
    const auto at = text.rfind("id: ");
    return at == std::string::npos ? 0 : std::stoll(text.substr(at + 4));
  }
};

class LiveUpdatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::Migrate(db_, service::StandardSchemas(generated::orders_app_migrations()), "orders-migrations");
  }
  void TearDown() override { db_.Exec("DELETE FROM order_events WHERE user_id = $1", {user_}); }

  // Stores an event of the test's user on `db` (in its open transaction, if any); returns its id.
  std::int64_t AddEvent(db::Connection& db, std::string_view label) {
    return db
        .Exec("INSERT INTO order_events (user_id, payload) VALUES ($1, $2) RETURNING id",
              {user_, "{\"label\":\"" + std::string(label) + "\"}"})
        .Int(0, "id");
  }
  Client NewStream() {
    Client client{live_.Subscribe(user_), {}};
    client.subscription->FinishReplay(std::nullopt, {});
    return client;
  }
  // Polls until `done` holds. Transactions of other processes on the same server may hold events
  // back for a moment, so this waits for the condition rather than assuming one poll is enough.
  void PollUntil(LiveUpdates& live, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    live.Poll(db_);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "live updates never sent what was expected";
      std::this_thread::sleep_for(10ms);
      live.Poll(db_);
    }
  }
  void PollUntil(const std::function<bool()>& done) { PollUntil(live_, done); }

  const std::string user_ = core::NewUuid();
  db::Connection db_{db::TestDatabaseUrl(), {}};
  LiveUpdatesOptions options_{.database_url = db::TestDatabaseUrl()};
  LiveUpdates live_{options_};
};

// The audit's case: an event whose id was taken first commits after a later one. A stream sent the
// later one before the earlier committed would let its client resume past an event it never got.
TEST_F(LiveUpdatesTest, AnEventCommittedLateIsSentBeforeLaterOnesAndAResumeMissesNothing) {
  live_.Poll(db_);  // the poller starts from now
  auto first = NewStream();
  const auto before = AddEvent(db_, "before");
  PollUntil([&] { return first.Has(before); });

  db::Connection late(db::TestDatabaseUrl(), {});
  late.Exec("BEGIN");
  const auto committed_late = AddEvent(late, "committed late");
  const auto committed_first = AddEvent(db_, "committed first");
  ASSERT_LT(committed_late, committed_first);
  live_.Poll(db_);
  EXPECT_FALSE(first.Has(committed_first)) << "sent while an earlier transaction could still add an event";

  // The client leaves with Last-Event-ID = the last id it got; the late transaction then commits and
  // the poller moves past both events while no stream of the user is open.
  const auto last_id_received = first.LastEventId();
  first.subscription->Stream()->Abandon();
  late.Exec("COMMIT");
  auto observer = NewStream();  // tells the test when the poller has passed both
  PollUntil([&] { return observer.Has(committed_first); });
  EXPECT_EQ(observer.Received(), FormatOrderEvent(committed_late, R"({"label":"committed late"})") +
                                     FormatOrderEvent(committed_first, R"({"label":"committed first"})"))
      << "in the order of their transactions";

  Client resumed{live_.Subscribe(user_), {}};
  live_.Replay(db_, user_, *resumed.subscription, last_id_received);
  live_.Poll(db_);
  EXPECT_EQ(resumed.Received(), observer.Received()) << "each missed event once, none the client had";
}

// A transaction left open (here: one that never writes an event) holds events back only for the
// hold-back limit; then it is passed, and the transactions after it hold back what follows them.
TEST_F(LiveUpdatesTest, ATransactionLeftOpenIsPassedAfterTheLimitAndOnlyIt) {
  options_.hold_back_limit = 2s;
  LiveUpdates live(options_);
  live.Poll(db_);
  Client client{live.Subscribe(user_), {}};
  client.subscription->FinishReplay(std::nullopt, {});

  db::Connection left_open(db::TestDatabaseUrl(), {});
  left_open.Exec("BEGIN");
  left_open.Exec("SELECT pg_current_xact_id()");  // holds a transaction id, as a writer does
  const auto first = AddEvent(db_, "after the open transaction");
  const auto start = std::chrono::steady_clock::now();
  live.Poll(db_);
  EXPECT_FALSE(client.Has(first));
  PollUntil(live, [&] { return client.Has(first); });
  EXPECT_GE(std::chrono::steady_clock::now() - start, options_.hold_back_limit);

  // Still open, and passed: a writer that starts now holds back the events after it again.
  db::Connection writer(db::TestDatabaseUrl(), {});
  writer.Exec("BEGIN");
  const auto written = AddEvent(writer, "written by a later transaction");
  const auto next = AddEvent(db_, "after the writer");
  live.Poll(db_);
  EXPECT_FALSE(client.Has(next)) << "the writer has run for less than the limit";
  writer.Exec("COMMIT");
  const auto committed = std::chrono::steady_clock::now();
  PollUntil(live, [&] { return client.Has(next); });
  // Not a further hold-back limit behind the transaction passed (a bound that only moves on with the
  // time would have kept it that long).
  EXPECT_LT(std::chrono::steady_clock::now() - committed, options_.hold_back_limit);
  EXPECT_TRUE(client.Has(written));
  EXPECT_LT(client.Received().find("id: " + std::to_string(written) + "\n"),
            client.Received().find("id: " + std::to_string(next) + "\n"));
  left_open.Exec("ROLLBACK");
}

// A Last-Event-ID that is no longer stored (older than the retention, or never issued) replays every
// event of the user still kept, in stream order.
TEST_F(LiveUpdatesTest, AnUnknownLastEventIdReplaysEveryKeptEventOfTheUser) {
  const auto one = AddEvent(db_, "one");
  const auto two = AddEvent(db_, "two");
  Client resumed{live_.Subscribe(user_), {}};
  // The replay reads below the snapshot's xmin: wait until no older transaction holds the events.
  PollUntil([&] {
    Client probe{live_.Subscribe(user_), {}};
    live_.Replay(db_, user_, *probe.subscription, /*unknown id*/ 0);
    return probe.Has(two);
  });
  live_.Replay(db_, user_, *resumed.subscription, 0);
  EXPECT_EQ(resumed.Received(),
            FormatOrderEvent(one, R"({"label":"one"})") + FormatOrderEvent(two, R"({"label":"two"})"));
}

}  // namespace
}  // namespace kpo::orders

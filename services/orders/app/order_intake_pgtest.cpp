// The intake of new orders against a real PostgreSQL (KPO_TEST_DATABASE_URL, migrated here as the
// service does at start-up): orders handed in at once share transactions, and each still gets its
// own answer — including when another one in its batch is refused by the database.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <future>
#include <latch>
#include <memory>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/stopped_backend_testing.hpp"
#include "db/test_database.hpp"
#include "observability/metrics.hpp"
#include "orders/app/order_intake.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace kpo::orders {
namespace {

class OrderIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::Migrate(db_, service::StandardSchemas(generated::orders_app_migrations()), "orders-migrations");
  }
  // The test's orders must not stay waiting: that would hold back the admission of a stack running
  // against the same database for 30 s. Their events are dropped unless a relay of such a stack has
  // one in hand (its charge then fails for want of an account, which changes nothing here).
  void TearDown() override {
    db_.Exec(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE payload::jsonb ->> 'userId' = $1 "
        "FOR UPDATE SKIP LOCKED)",
        {user_});
    db_.Exec("UPDATE orders SET status = 'Cancelled' WHERE user_id = $1 AND status = 'Created'", {user_});
  }

  OrderSubmission Order(std::string description, std::optional<std::string> key = std::nullopt) const {
    OrderSubmission submission{
        .order = {.user_id = user_, .amount = 700, .description = std::move(description), .traceparent = ""},
        .key = {}};
    if (key)
      submission.key = idempotency::KeyedRequest{user_, *key, "fingerprint of " + *key, "as sent: " + *key};
    return submission;
  }

  std::int64_t Stored(const std::string& sql) { return db_.Exec(sql, {user_}).Int(0, "n"); }

  db::Connection db_{db::TestDatabaseUrl(), {}};
  db::Pool pool_{db::TestDatabaseUrl(), 4, {}};
  std::string user_ = core::NewUuid();
};

double WrittenBatches() {
  const auto text = observability::Registry::Global().Render();
  const auto at = text.find("orders_intake_batch_size_count ");
  return at == std::string::npos ? 0 : std::stod(text.substr(at + 31));
}

TEST_F(OrderIntakeTest, OrdersHandedInAtOnceShareTransactionsAndEachGetsItsOwnAnswer) {
  OrderIntake intake(pool_, {.max_batch = 64, .max_writers = 1});
  constexpr int kThreads = 16;
  constexpr int kEach = 25;
  const double batches_before = WrittenBatches();
  std::vector<std::vector<std::string>> locations(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          auto answer = intake.Submit(Order("order " + std::to_string(t) + "/" + std::to_string(i)));
          ASSERT_EQ(answer.status, 202) << answer.body;
          locations[t].emplace_back(http::FindHeader(answer.headers, "Location").value_or(""));
        }
      });
    }
  }
  std::set<std::string> distinct;
  for (const auto& each : locations) distinct.insert(each.begin(), each.end());
  EXPECT_EQ(distinct.size(), kThreads * kEach) << "every order its own id";
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1"), kThreads * kEach);
  // Each order's event is in the outbox, or already published by a relay of a stack running against
  // the same database (which deletes the row and records the step in one transaction).
  EXPECT_EQ(
      Stored("SELECT (SELECT count(*) FROM outbox WHERE payload::jsonb ->> 'userId' = $1) + "
             "(SELECT count(*) FROM orders WHERE user_id = $1::uuid AND published_at IS NOT NULL) AS n"),
      kThreads * kEach);
  // One writer at a time for 16 threads: most orders waited for a batch in progress and went into
  // the next one together.
  EXPECT_LT(WrittenBatches() - batches_before, kThreads * kEach / 2);
}

// Many threads hand in an order at once, round after round, into small batches with two writers:
// the turn to write passes from thread to thread many times, and each thread is woken only for its
// own answer or for its turn (no wake-up for all). A turn handed to no one leaves a round's last
// threads waiting for good: this test then hangs until CTest's timeout stops it.
TEST_F(OrderIntakeTest, WithTwoWritersAndSmallBatchesEveryThreadGetsItsAnswer) {
  OrderIntake intake(pool_, {.max_batch = 3, .max_writers = 2});
  constexpr int kThreads = 24;
  constexpr int kRounds = 15;
  std::atomic<int> accepted = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::latch start(kThreads);
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        const auto answer = intake.Submit(Order("turns " + std::to_string(round) + "/" + std::to_string(t)));
        EXPECT_EQ(answer.status, 202) << answer.body;
        if (answer.status == 202) ++accepted;
      });
    }
  }
  EXPECT_EQ(accepted.load(), kThreads * kRounds);
  EXPECT_EQ(intake.Waiting(), 0U);
}

TEST_F(OrderIntakeTest, AnOrderTheDatabaseRefusesFailsAloneAndTheRestOfItsBatchIsAccepted) {
  OrderIntake intake(pool_, {.max_batch = 64, .max_writers = 1});
  constexpr int kThreads = 12;
  std::atomic<int> accepted = 0;
  std::atomic<int> refused = 0;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 10; ++i) {
          // Not UTF-8: the statement of this one order fails (22021). (The handler never lets such
          // a description through; the database is the last line.)
          const bool bad = t == 0 && i % 3 == 0;
          try {
            EXPECT_EQ(intake.Submit(Order(bad ? "bad \xff\xfe order" : "good")).status, 202);
            EXPECT_FALSE(bad);
            ++accepted;
          } catch (const db::DbError& error) {
            EXPECT_TRUE(bad) << error.what();
            ++refused;
          }
        }
      });
    }
  }
  EXPECT_EQ(refused.load(), 4);
  EXPECT_EQ(accepted.load(), kThreads * 10 - 4);
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1"), kThreads * 10 - 4);
}

// Polls `done` until it holds or 10 s pass.
template <typename Condition>
bool WaitUntil(Condition done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Waits until a writer's statement waits for a lock on the outbox (held by a test's transaction).
bool WaitUntilAWriterWaitsForTheOutbox(db::Connection& observer) {
  return WaitUntil([&] {
    return observer
               .Exec(
                   "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE "
                   "'%outbox%'")
               .Int(0, "n") > 0;
  });
}

// Hands `submission` in `copies` times at once while the only writer is held up by a lock on the
// outbox, so that all copies go into the next batch together; returns their answers.
std::vector<http::Response> InOneBatch(OrderIntake& intake, db::Connection& observer,
                                       const OrderSubmission& submission, int copies,
                                       const OrderSubmission& held_up) {
  db::Connection blocker(db::TestDatabaseUrl(), {});
  blocker.ExecScript("BEGIN; LOCK TABLE outbox IN EXCLUSIVE MODE");
  std::jthread held([&] { EXPECT_EQ(intake.Submit(held_up).status, 202); });
  EXPECT_TRUE(WaitUntilAWriterWaitsForTheOutbox(observer));
  std::vector<http::Response> answers(static_cast<std::size_t>(copies));
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < copies; ++t) {
      threads.emplace_back([&, t] { answers[static_cast<std::size_t>(t)] = intake.Submit(submission); });
    }
    EXPECT_TRUE(WaitUntil([&] { return intake.Waiting() == static_cast<std::size_t>(copies); }));
    blocker.ExecScript("COMMIT");
  }
  return answers;
}

TEST_F(OrderIntakeTest, OneIdempotencyKeyTwiceInOneBatchMakesOneOrder) {
  OrderIntake intake(pool_, {.max_batch = 64, .max_writers = 1});
  const auto answers = InOneBatch(intake, db_, Order("same", "key-1"), 12, Order("held up"));
  // One ran (202); the others found it running in their own batch (409).
  int accepted = 0;
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer.status == 202 || answer.status == 409) << answer.status;
    accepted += answer.status == 202 ? 1 : 0;
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1 AND description = 'same'"), 1);
  auto other = Order("other", "key-1");
  other.key->fingerprint = "another request";
  EXPECT_EQ(intake.Submit(other).status, 422);
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1 AND description <> 'held up'"), 1);
}

TEST_F(OrderIntakeTest, AKeyAlreadyAnsweredIsReplayedToEveryCopyInABatch) {
  OrderIntake intake(pool_, {.max_batch = 64, .max_writers = 1});
  const auto first = intake.Submit(Order("same", "key-2"));
  ASSERT_EQ(first.status, 202);
  const auto answers = InOneBatch(intake, db_, Order("same", "key-2"), 8, Order("held up"));
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.status, 202);
    EXPECT_EQ(answer.body, first.body);
    EXPECT_EQ(http::FindHeader(answer.headers, "Idempotent-Replayed").value_or(""), "true");
  }
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1 AND description = 'same'"), 1);
}

// A stop (the service shutting down) first writes every order already handed in, even while a
// batch is held up; an order handed in afterwards fails at once instead of waiting for no writer.
// The intake's one session is stopped, so the batch's one round trip (BEGIN, the inserts and the
// COMMIT, pipelined) goes out and its answer never comes: the intake gives up after 1.1 s (four
// statements' 200 ms and 300 ms of grace); the session is resumed at 3 s and ends. The order is then answered
// as the database says: 202 if it is stored, a failure that says nothing was applied (08006) if not, and
// never the lost COMMIT's "may have been applied" (08007).
TEST_F(OrderIntakeTest, ABatchWhoseCommitAnswerWasLostIsAnsweredAsTheDatabaseSays) {
  using namespace std::chrono_literals;
  db::ConnectionOptions impatient;
  impatient.statement_timeout = 200ms;
  impatient.reply_grace = 300ms;
  db::Pool pool(db::TestDatabaseUrl(), 1, impatient);
  const auto backend = static_cast<pid_t>(pool.Acquire()->BackendPid());
  if (!db::IsLocalPostgres(backend)) GTEST_SKIP() << "the test database's server is not on this machine";
  OrderIntake intake(pool, {.max_batch = 64, .max_writers = 1, .lost_commit_patience = 10s});
  const db::ResumeGuard resume(backend, std::chrono::seconds(3));
  if (::kill(backend, SIGSTOP) != 0) GTEST_SKIP() << "cannot stop the backend (needs root): errno " << errno;
  try {
    const auto answer = intake.Submit(Order("lost commit"));
    EXPECT_EQ(answer.status, 202) << answer.body;
    EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1"), 1);
  } catch (const db::DbError& error) {
    EXPECT_EQ(error.SqlState(), "08006") << error.what();
    EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1"), 0);
  }
}

TEST_F(OrderIntakeTest, StoppingWritesWhatWasHandedInAndRefusesWhatComesAfter) {
  OrderIntake intake(pool_, {.max_batch = 64, .max_writers = 1});
  db::Connection blocker(db::TestDatabaseUrl(), {});
  blocker.ExecScript("BEGIN; LOCK TABLE outbox IN EXCLUSIVE MODE");
  std::atomic<int> accepted = 0;
  const auto count = [&](const std::exception_ptr& failure, const http::Response& answer) {
    if (!failure && answer.status == 202) ++accepted;
  };
  intake.Hand(Order("held up"), count);
  ASSERT_TRUE(WaitUntilAWriterWaitsForTheOutbox(db_));
  for (int i = 0; i < 5; ++i) intake.Hand(Order("handed in before the stop"), count);
  std::jthread stopping([&] { intake.Stop(); });
  blocker.ExecScript("COMMIT");
  stopping.join();
  EXPECT_EQ(accepted, 6);
  EXPECT_EQ(intake.Waiting(), 0U);

  std::exception_ptr refused;
  intake.Hand(Order("after the stop"),
              [&](const std::exception_ptr& failure, const http::Response&) { refused = failure; });
  ASSERT_TRUE(refused);
  EXPECT_THROW(std::rethrow_exception(refused), db::DbError);
}

// The answer `intake` will give `submission`, or its failure, as a future.
std::future<http::Response> AnswerOf(OrderIntake& intake, OrderSubmission submission) {
  auto answered = std::make_shared<std::promise<http::Response>>();
  auto answer = answered->get_future();
  intake.Hand(std::move(submission), [answered](const std::exception_ptr& failure, http::Response response) {
    if (failure) {
      answered->set_exception(failure);
    } else {
      answered->set_value(std::move(response));
    }
  });
  return answer;
}

// Behind a batch the database holds up, a submission waits max_wait for a writer, no longer: it is
// answered 503 while the lock is still held, and never written. The held-up batch is not cut short.
TEST_F(OrderIntakeTest, AnOrderThatWaitedTooLongForAWriterIsRefusedAndNotWritten) {
  using namespace std::chrono_literals;
  OrderIntake intake(pool_, {.max_batch = 64, .max_writers = 1, .max_wait = 300ms});
  db::Connection blocker(db::TestDatabaseUrl(), {});
  blocker.ExecScript("BEGIN; LOCK TABLE outbox IN EXCLUSIVE MODE");
  auto held_up = AnswerOf(intake, Order("held up"));
  ASSERT_TRUE(WaitUntilAWriterWaitsForTheOutbox(db_));
  const auto handed_in = std::chrono::steady_clock::now();
  auto answer = AnswerOf(intake, Order("waited too long"));
  // Well within the writer's lock_timeout (5 s), which would end the held-up batch.
  const bool answered_while_held = answer.wait_for(3s) == std::future_status::ready;
  const auto waited = std::chrono::steady_clock::now() - handed_in;
  blocker.ExecScript("COMMIT");
  EXPECT_EQ(held_up.get().status, 202);
  ASSERT_TRUE(answered_while_held) << "no answer while the outbox was locked";
  const auto refused = answer.get();
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(http::FindHeader(refused.headers, "Retry-After").value_or(""), "1");
  EXPECT_NE(refused.body.find("/problems/unavailable"), std::string::npos) << refused.body;
  EXPECT_GE(waited, 300ms) << "not before its time";
  EXPECT_EQ(intake.Waiting(), 0U);
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1 AND description = 'waited too long'"),
            0);
  EXPECT_EQ(Stored("SELECT count(*) AS n FROM orders WHERE user_id = $1 AND description = 'held up'"), 1);
}

}  // namespace
}  // namespace kpo::orders

// The inbox sweep against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the tests' orders
// database orders_test, whose inbox table this applies if it is missing).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "db/retention_test_support.hpp"
#include "db/test_database.hpp"
#include "messaging/inbox.hpp"

namespace kpo::messaging {
namespace {

std::string Url() { return db::TestDatabaseUrl(); }

class InboxRetention : public ::testing::Test {
 protected:
  void SetUp() override { db::Migrate(db_, {InboxSchema()}, "inbox-sweep-test"); }

  std::string Insert(int days_ago) {
    auto id = core::NewUuid();
    db_.Exec(
        "INSERT INTO inbox (message_id, type, received_at) VALUES ($1, 'Test', now() - make_interval(days => "
        "$2))",
        {id, std::to_string(days_ago)});
    return id;
  }
  bool Remembered(const std::string& id) {
    return !db_.Exec("SELECT 1 FROM inbox WHERE message_id = $1", {id}).Empty();
  }

  db::Connection db_{Url(), {}};
};

TEST_F(InboxRetention, ForgetsOnlyMessagesOlderThanTheRetentionAChunkAtATime) {
  std::vector<std::string> inserted;
  db::ExpectSweepForgetsOldRowsAChunkAtATime(
      db_, InboxSweep(), [&](int days_ago) { return inserted.emplace_back(Insert(days_ago)); },
      [&](const std::string& id) { return Remembered(id); });
  for (const auto& id : inserted) db_.Exec("DELETE FROM inbox WHERE message_id = $1", {id});
}

TEST(InboxSweep, ReadsOnlyTheChunkItDeletesNotTheWholeTable) {
  db::Connection db(Url(), {});
  db::Migrate(db, {InboxSchema()}, "inbox-sweep-test");
  db::ExpectSweepReadsOnlyItsChunk(
      Url(), InboxSweep(), "inbox",
      "INSERT INTO inbox (message_id, type, received_at) "
      "SELECT gen_random_uuid(), 'Test', now() - interval '3700 days' - i * interval '1 ms' "
      "FROM generate_series(1, 20000) AS i");
}

Delivery TestDelivery() {
  Delivery delivery;
  delivery.message.message_id = core::NewUuid();
  delivery.message.type = "Test";
  return delivery;
}

// Applies `delivery` alone through ProcessBatch, running `body` in each attempt's transaction.
std::vector<Disposition> ApplyAlone(db::Pool& pool, const Delivery& delivery,
                                    const std::function<void(db::Transaction&)>& body) {
  std::vector<Disposition> dispositions;
  EXPECT_NO_THROW(dispositions = ProcessBatch(
                      pool, {delivery},
                      [&](db::Transaction& tx, const std::vector<const Delivery*>&) {
                        body(tx);
                        return std::vector<Rejection>{};
                      },
                      std::stop_token{}));
  return dispositions;
}

// A table someone else holds locked makes the batch's statements fail with a lock timeout. That says
// nothing about the messages: the batch waits and is applied once the lock is gone, instead of
// being requeued (each requeue spends one of the messages' deliveries towards the DLQ).
TEST(ProcessBatch, ALockTimeoutIsWaitedOutNotRequeued) {
  db::Connection admin(Url(), {});
  db::Migrate(admin, {InboxSchema()}, "inbox-sweep-test");
  const std::string table = "inbox_lock_test_" + core::RandomHex(6);
  admin.ExecScript("CREATE TABLE " + table + " (n int)");
  db::Connection holder(Url(), {});
  holder.ExecScript("BEGIN; LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
  std::thread release([&holder] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several lock timeouts long
    holder.ExecScript("COMMIT");
  });

  db::ConnectionOptions options;
  options.lock_timeout = std::chrono::milliseconds(200);
  db::Pool pool(Url(), 1, options);
  const Delivery delivery = TestDelivery();
  int attempts = 0;
  const auto dispositions = ApplyAlone(pool, delivery, [&](db::Transaction& tx) {
    ++attempts;
    tx.Exec("SELECT count(*) AS n FROM " + table);
  });
  release.join();
  EXPECT_EQ(dispositions, std::vector{Disposition::kAck});
  EXPECT_GT(attempts, 1) << "the lock should have timed out at least once";
  admin.ExecScript("DROP TABLE " + table);
  admin.Exec("DELETE FROM inbox WHERE message_id = $1", {delivery.message.message_id});
}

// A statement timeout (a stalled disk) and a read-only transaction (a failover under way) are the
// database's trouble too. Before, a batch of one was rethrown and requeued at once, and a few
// seconds of such errors dead-lettered valid messages.
TEST(ProcessBatch, TransientDatabaseFailuresAreWaitedOutNotRequeued) {
  db::Connection admin(Url(), {});
  db::Migrate(admin, {InboxSchema()}, "inbox-sweep-test");
  db::Pool pool(Url(), 1, {});
  const Delivery delivery = TestDelivery();
  int attempts = 0;
  const auto dispositions = ApplyAlone(pool, delivery, [&](db::Transaction& tx) {
    ++attempts;
    if (attempts == 1) {
      tx.Exec("SET LOCAL statement_timeout = '20ms'");
      tx.Exec("SELECT pg_sleep(1)");  // 57014
    } else if (attempts == 2) {
      tx.Exec("SET LOCAL transaction_read_only = on");
      tx.Exec("CREATE TEMP TABLE refused (n int)");  // 25006
    }
  });
  EXPECT_EQ(dispositions, std::vector{Disposition::kAck});
  EXPECT_EQ(attempts, 3);
  admin.Exec("DELETE FROM inbox WHERE message_id = $1", {delivery.message.message_id});
}

class ProcessBatchSplit : public ::testing::Test {
 protected:
  void SetUp() override { db::Migrate(admin_, {InboxSchema()}, "inbox-sweep-test"); }
  void TearDown() override {
    for (const auto& delivery : batch_) {
      admin_.Exec("DELETE FROM inbox WHERE message_id = $1", {delivery.message.message_id});
    }
  }
  // Which fresh delivery of the transaction is `delivery`, if it is one of them.
  static std::optional<std::size_t> IndexOf(const std::vector<const Delivery*>& fresh,
                                            const Delivery& delivery) {
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      if (fresh[i]->message.message_id == delivery.message.message_id) return i;
    }
    return std::nullopt;
  }

  db::Connection admin_{Url(), {}};
  db::Pool pool_{Url(), 1, {}};
  std::vector<Delivery> batch_{TestDelivery(), TestDelivery()};
};

// The batch refuses its first message; the one left then fails on its own (a deadlock, say). The
// refused message still goes to the dead letters with its reason, and only the other is retried.
TEST_F(ProcessBatchSplit, ARefusedMessageStaysRefusedWhenTheLastOneLeftFails) {
  const auto dispositions = ProcessBatch(
      pool_, batch_,
      [&](db::Transaction&, const std::vector<const Delivery*>& fresh) {
        if (auto poison = IndexOf(fresh, batch_[0])) return std::vector<Rejection>{{*poison, "bad body"}};
        throw std::runtime_error("deadlock detected");
      },
      std::stop_token{});
  EXPECT_EQ(dispositions, (std::vector{Disposition::kDeadLetter, Disposition::kRetry}));
  EXPECT_EQ(batch_[0].failure, "bad body");
  EXPECT_EQ(batch_[1].failure, "deadlock detected");
}

// A deadlock is the moment's, not a message's: the batch runs again whole and commits, instead of
// being split into a transaction per message.
TEST_F(ProcessBatchSplit, ABatchThatDeadlockedRunsAgainWholeNotSplit) {
  std::vector<std::size_t> sizes;
  const auto dispositions = ProcessBatch(
      pool_, batch_,
      [&](db::Transaction&, const std::vector<const Delivery*>& fresh) {
        sizes.push_back(fresh.size());
        if (sizes.size() == 1) throw db::DbError("deadlock detected", "40P01");
        return std::vector<Rejection>{};
      },
      std::stop_token{});
  EXPECT_EQ(dispositions, (std::vector{Disposition::kAck, Disposition::kAck}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2}));
}

// The batch fails as a whole; applied alone, one message is refused and the other commits. The
// refused one's dead letter says why.
TEST_F(ProcessBatchSplit, AMessageRefusedWhenAppliedAloneKeepsItsReason) {
  const auto dispositions = ProcessBatch(
      pool_, batch_,
      [&](db::Transaction&, const std::vector<const Delivery*>& fresh) {
        if (fresh.size() > 1) throw std::runtime_error("the batch violates a constraint");
        if (auto poison = IndexOf(fresh, batch_[1]))
          return std::vector<Rejection>{{*poison, "amount out of range"}};
        return std::vector<Rejection>{};
      },
      std::stop_token{});
  EXPECT_EQ(dispositions, (std::vector{Disposition::kAck, Disposition::kDeadLetter}));
  EXPECT_EQ(batch_[1].failure, "amount out of range");
}

// A value PostgreSQL cannot take (here text for a number; in the wild a time in year 0) fails the
// message the same way on every delivery: applied alone, it is dead-lettered at once with the
// database's reason instead of being retried until the broker's delivery limit.
TEST_F(ProcessBatchSplit, AMessageWhoseValuesTheDatabaseRejectsIsDeadLetteredNotRetried) {
  const auto dispositions = ProcessBatch(
      pool_, batch_,
      [&](db::Transaction& tx, const std::vector<const Delivery*>& fresh) {
        for (const auto* delivery : fresh) {
          const bool bad = delivery->message.message_id == batch_[0].message.message_id;
          tx.Exec("SELECT $1::bigint AS n", {std::string(bad ? "twelve" : "12")});
        }
        return std::vector<Rejection>{};
      },
      std::stop_token{});
  EXPECT_EQ(dispositions, (std::vector{Disposition::kDeadLetter, Disposition::kAck}));
  EXPECT_NE(batch_[0].failure.find("twelve"), std::string::npos) << batch_[0].failure;
}

// The same holds for a batch of one, which has nothing to split (any other failure of it is thrown
// for the consumer to retry).
TEST_F(ProcessBatchSplit, ABatchOfOneWhoseValuesTheDatabaseRejectsIsDeadLettered) {
  const std::vector<Delivery> alone{batch_[0]};
  const auto dispositions = ProcessBatch(
      pool_, alone,
      [&](db::Transaction& tx, const std::vector<const Delivery*>&) {
        tx.Exec("SELECT '0000-06-01T00:00:00Z'::timestamptz AS at");
        return std::vector<Rejection>{};
      },
      std::stop_token{});
  EXPECT_EQ(dispositions, std::vector{Disposition::kDeadLetter});
  EXPECT_FALSE(alone[0].failure.empty());
}

}  // namespace
}  // namespace kpo::messaging

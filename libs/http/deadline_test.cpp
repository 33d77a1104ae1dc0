#include "http/deadline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

namespace kpo::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A connected loopback pair whose server end never sends anything.
struct SocketPair {
  asio::io_context io{1};
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket client{io};
  tcp::socket server{io};
  SocketPair() {
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
  // Starts reading a byte that never comes; read_result is set when the read ends.
  void StartRead() {
    asio::async_read(client, asio::buffer(&byte, 1), [this](auto ec, std::size_t) { read_result = ec; });
  }
  char byte = 0;
  std::optional<boost::system::error_code> read_result;
};

TEST(SocketDeadline, ClosesASocketThatMissesItsDeadline) {
  SocketPair pair;
  SocketDeadline deadline(pair.client);
  deadline.ExpiresAfter(50ms);
  pair.StartRead();
  pair.io.run_for(5s);
  ASSERT_TRUE(pair.read_result);
  EXPECT_TRUE(*pair.read_result);  // the read failed
  EXPECT_TRUE(deadline.Expired());
  EXPECT_FALSE(pair.client.is_open());
}

TEST(SocketDeadline, CancelsAndKeepsOpenASocketThatMayStillBeAnswered) {
  SocketPair pair;
  SocketDeadline deadline(pair.client);
  deadline.ExpiresAfter(50ms, SocketDeadline::OnExpiry::kCancel);
  pair.StartRead();
  // The deadline keeps the loop busy (it cancels again and again): run until the read completed.
  const auto run_until_read = [&pair] {
    for (int turn = 0; turn < 100 && !pair.read_result; ++turn) pair.io.run_one_for(50ms);
  };
  run_until_read();
  ASSERT_TRUE(pair.read_result);
  EXPECT_EQ(*pair.read_result, asio::error::operation_aborted);
  EXPECT_TRUE(deadline.Expired());
  EXPECT_TRUE(pair.client.is_open());
  // A read started after the expiry is cancelled too (a loop's next read must not wait forever).
  pair.read_result.reset();
  pair.StartRead();
  run_until_read();
  ASSERT_TRUE(pair.read_result);
  EXPECT_EQ(*pair.read_result, asio::error::operation_aborted);
  // The next deadline is a new one: not expired until it passes too.
  deadline.ExpiresAfter(10s);
  EXPECT_FALSE(deadline.Expired());
}

TEST(SocketDeadline, AMovedDeadlineIsTheOneThatCounts) {
  SocketPair pair;
  SocketDeadline deadline(pair.client);
  deadline.ExpiresAfter(300ms);
  asio::steady_timer extend(pair.io, 200ms);
  extend.async_wait([&](auto) { deadline.ExpiresAfter(300ms); });  // now due at ~500 ms
  bool open_after_first_deadline = false;
  asio::steady_timer check(pair.io, 400ms);
  check.async_wait([&](auto) { open_after_first_deadline = pair.client.is_open() && !deadline.Expired(); });
  pair.StartRead();
  pair.io.run_for(5s);
  EXPECT_TRUE(open_after_first_deadline);
  ASSERT_TRUE(pair.read_result);
  EXPECT_TRUE(deadline.Expired());
}

TEST(SocketDeadline, AClearedDeadlineNeverFires) {
  SocketPair pair;
  SocketDeadline deadline(pair.client);
  deadline.ExpiresAfter(50ms);
  deadline.Clear();
  pair.io.run_for(300ms);
  EXPECT_FALSE(deadline.Expired());
  EXPECT_TRUE(pair.client.is_open());
}

TEST(SocketDeadline, OutlivedByItsPendingWakeUp) {
  SocketPair pair;
  {
    SocketDeadline deadline(pair.client);
    deadline.ExpiresAfter(50ms);
  }
  pair.io.run_for(300ms);  // the wake-up finds its owner gone and leaves the socket alone
  EXPECT_TRUE(pair.client.is_open());
}

}  // namespace
}  // namespace kpo::http

// Streamed responses at the connection level: what a client that goes away, a burst of events, a
// stray byte or a shutdown do to a stream. Waits are bounded and wait for the event itself.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "http/client.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"
#include "http/stream.hpp"

namespace kpo::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kStreamRequest = "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n";

// A server whose GET /stream answers with an event stream the test then holds (first event
// "data: hello"), and whose GET /burst streams `kBurst` events pushed from a thread of its own.
class StreamingServer : public ::testing::Test {
 protected:
  static constexpr int kBurst = 2000;

  void Start(ServerOptions options = {}) {
    router_.Add("GET", "/stream", [this](Request&) {
      auto response = EventStreamResponse();
      response.stream->Push("data: hello\n\n");
      {
        std::lock_guard lock(mutex_);
        streams_.push_back(response.stream);
      }
      published_.notify_all();
      return response;
    });
    router_.Add("GET", "/burst", [this](Request&) {
      auto response = EventStreamResponse();
      producer_ = std::thread([stream = response.stream] {
        for (int i = 0; i < kBurst; ++i) stream->Push("data: " + std::to_string(i) + "\n\n");
        stream->Close();
      });
      return response;
    });
    options.host = "127.0.0.1";
    server_ = std::make_unique<Server>(options, router_);
    server_->Listen();
    thread_ = std::thread([this] { server_->Run(false); });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
    if (producer_.joinable()) producer_.join();
  }

  static Response EventStreamResponse() {
    Response response;
    response.headers.emplace_back("Content-Type", "text/event-stream");
    response.stream = std::make_shared<EventStream>();
    return response;
  }

  // The stream the `index`th GET /stream answered with, once its handler ran (null after 5 s).
  std::shared_ptr<EventStream> StreamNumber(std::size_t index) {
    std::unique_lock lock(mutex_);
    published_.wait_for(lock, 5s, [&] { return streams_.size() > index; });
    return streams_.size() > index ? streams_[index] : nullptr;
  }

  // A client with an open stream whose first event has arrived.
  std::unique_ptr<RawClient> OpenStream() {
    auto client = std::make_unique<RawClient>(server_->Port());
    client->Send(kStreamRequest);
    EXPECT_NE(client->ReadUntil("data: hello\n\n").find("data: hello\n\n"), std::string::npos);
    return client;
  }

  // How long after `client` closes the server abandons `stream` (at most `limit`).
  static Clock::duration TimeToAbandon(RawClient& client, EventStream& stream, bool reset,
                                       std::chrono::milliseconds limit) {
    auto abandoned = std::make_shared<std::promise<void>>();
    const auto started = Clock::now();
    client.Close(reset);
    // Nothing is pushed from here on: a server that only noticed at its next write never would.
    stream.OnAbandon([abandoned] { abandoned->set_value(); });
    abandoned->get_future().wait_for(limit);
    return Clock::now() - started;
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::thread producer_;
  std::mutex mutex_;
  std::condition_variable published_;
  std::vector<std::shared_ptr<EventStream>> streams_;
};

TEST_F(StreamingServer, AClientThatClosesIsReleasedWithinTwoSeconds) {
  Start();
  auto client = OpenStream();
  auto stream = StreamNumber(0);
  ASSERT_TRUE(stream);
  EXPECT_LT(TimeToAbandon(*client, *stream, false, 5s), 2s);
  EXPECT_TRUE(stream->Abandoned());
  EXPECT_FALSE(stream->Push("data: late\n\n"));  // the producer learns it may let go
}

TEST_F(StreamingServer, AClientThatResetsIsReleasedWithinTwoSeconds) {
  Start();
  auto client = OpenStream();
  auto stream = StreamNumber(0);
  ASSERT_TRUE(stream);
  EXPECT_LT(TimeToAbandon(*client, *stream, true, 5s), 2s);
  EXPECT_TRUE(stream->Abandoned());
}

TEST_F(StreamingServer, ABurstOfEventsArrivesWholeAndInOrder) {
  Start();
  const auto response = Fetch("127.0.0.1", server_->Port(), "GET", "/burst");
  std::string expected;
  for (int i = 0; i < kBurst; ++i) expected += "data: " + std::to_string(i) + "\n\n";
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, expected);
}

TEST_F(StreamingServer, ABacklogLargerThanTheSocketBuffersIsWrittenWhole) {
  Start();
  auto client = OpenStream();
  auto stream = StreamNumber(0);
  ASSERT_TRUE(stream);
  // The client reads nothing meanwhile: the server's writes stop fitting and must wait their turn.
  constexpr int kChunks = 128;
  for (int i = 0; i < kChunks; ++i) {
    ASSERT_TRUE(stream->Push("data: " + std::to_string(i) + " " + std::string(64UL * 1024, 'x') + "\n\n"));
  }
  stream->Close();
  const auto& received = client->ReadUntil("\r\n0\r\n\r\n", 20s);
  ASSERT_TRUE(received.ends_with("\r\n0\r\n\r\n")) << received.size();
  std::size_t at = 0;
  for (int i = 0; i < kChunks; ++i) {
    at = received.find("data: " + std::to_string(i) + " ", at);
    ASSERT_NE(at, std::string::npos) << i;
  }
}

TEST_F(StreamingServer, StrayBytesFromTheClientDoNotEndTheStream) {
  Start();
  auto client = OpenStream();
  auto stream = StreamNumber(0);
  ASSERT_TRUE(stream);
  client->Send("x");
  ASSERT_TRUE(stream->Push("data: later\n\n"));
  EXPECT_NE(client->ReadUntil("data: later\n\n").find("data: later\n\n"), std::string::npos);
  EXPECT_FALSE(stream->Abandoned());
}

TEST_F(StreamingServer, StoppingEndsAQuietStreamWithItsLastChunk) {
  Start();
  auto client = OpenStream();
  server_->Stop();
  const auto& received = client->ReadUntil("\r\n0\r\n\r\n");
  EXPECT_TRUE(received.ends_with("\r\n0\r\n\r\n")) << received;
  thread_.join();  // Run returns once the stream ended
  EXPECT_TRUE(StreamNumber(0)->Abandoned());
}

// Over the cap a client is answered 503 at once, from the reserve; with the reserve in use too, a
// client waits in the listen backlog until a connection closes, and is then served.
TEST_F(StreamingServer, ConnectionsOverTheCapAreRefusedAtOnceThenWaitOnceTheReserveIsInUse) {
  ServerOptions options;
  options.max_connections = 1;
  options.refusals_at_cap = 1;
  Start(options);
  auto first = OpenStream();
  RawClient refused(server_->Port());  // not reading its answer's close: it holds the reserve a second
  const auto answer = refused.ReadUntil("\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 ")) << answer;
  EXPECT_NE(answer.find("Retry-After: 5"), std::string::npos) << answer;
  EXPECT_NE(answer.find("application/problem+json"), std::string::npos) << answer;
  RawClient second(server_->Port());  // the kernel completes the handshake; the server does not accept
  second.Send(kStreamRequest);
  EXPECT_EQ(second.ReadUntil("data: hello", 300ms), "");  // not served while the first holds the cap
  first->Close();
  EXPECT_NE(second.ReadUntil("data: hello\n\n").find("data: hello\n\n"), std::string::npos);
}

TEST(EventStream, OnAbandonRunsOnceAndAtOnceWhenAlreadyAbandoned) {
  EventStream stream;
  int calls = 0;
  stream.OnAbandon([&] { ++calls; });
  stream.Abandon();
  stream.Abandon();
  EXPECT_EQ(calls, 1);
  stream.OnAbandon([&] { ++calls; });
  EXPECT_EQ(calls, 2);
}

TEST(EventStream, EveryCallbackRegisteredRunsOnceInOrder) {
  EventStream stream;
  std::string calls;
  stream.OnAbandon([&] { calls += 'a'; });
  stream.OnAbandon([&] { calls += 'b'; });
  stream.Abandon();
  stream.Abandon();
  EXPECT_EQ(calls, "ab");
}

TEST(EventStream, TakeHandsOverTheQueueAndTheClose) {
  EventStream stream;
  ASSERT_TRUE(stream.Push("a"));
  ASSERT_TRUE(stream.Push("b"));
  stream.Close();
  EXPECT_FALSE(stream.Push("c"));
  auto batch = stream.Take();
  EXPECT_EQ(batch.chunks, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(batch.closed);
  EXPECT_TRUE(stream.Take().chunks.empty());
}

}  // namespace
}  // namespace kpo::http

#pragma once
// The proxy's replicas and their connections (proxy.cpp alone includes this: Asio and Beast stay out of
// the gateway's other headers).
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/domain/stall_watch.hpp"
#include "gateway/proxy/upstream_error.hpp"
#include "http/deadline.hpp"
#include "http/parsers.hpp"

namespace kpo::gateway::proxy {

using Clock = std::chrono::steady_clock;

// Beast reads at most the buffer's free capacity (512 bytes when empty): room for a typical
// answer saves reads.
constexpr std::size_t kReadBufferBytes = 8192;

// A keep-alive connection to one replica with its I/O deadline and read buffer. Kept on the heap
// and never moved: the deadline refers to the socket.
struct UpstreamConnection {
  explicit UpstreamConnection(const boost::asio::any_io_executor& executor)
      : socket(executor), deadline(socket) {
    buffer.reserve(kReadBufferBytes);
  }

  // The failure of an operation on this connection: "<what> <replica>: <error>", of the kind the error
  // code and the deadline say.
  UpstreamError Failure(std::string_view what, const std::string& replica, const boost::beast::error_code& ec,
                        bool connecting = false) const {
    const bool expired = deadline.Expired();
    return {KindOf(ec, expired, connecting),
            std::string(what) + ' ' + replica + ": " + (expired ? "timed out" : ec.message())};
  }

  boost::asio::ip::tcp::socket socket;
  http::SocketDeadline deadline;
  boost::beast::flat_buffer buffer;
  Clock::time_point idle_since;
  std::uint64_t pooled_in_generation = 0;  // of its replica, when it was pooled
  // The answer being read; kept here rather than in a coroutine frame, so a stream's pump owns it
  // with the connection and frames stay small enough for Asio's recycling allocator.
  std::optional<http::ResponseParser> parser;
};

using ConnectionPtr = std::unique_ptr<UpstreamConnection>;

// A socket belongs to the event loop it was opened on, so each loop keeps its own idle connections.
using LoopKey = const boost::asio::execution_context*;

// One replica of an upstream: its address, its health and its pooled connections.
struct Replica {
  std::string host;
  std::uint16_t port = 0;
  std::string label;
  std::atomic<int> consecutive_failures{0};
  std::atomic<Clock::rep> ejected_until{0};
  std::mutex mutex;
  std::unordered_map<LoopKey, std::vector<ConnectionPtr>> idle;
  // Bumped when the replica is ejected: connections pooled before are not reused. They are dropped
  // by their own loop when it next looks (a socket must not be closed from another loop's thread).
  std::atomic<std::uint64_t> generation{0};

  StallWatch answers;  // of the requests written to it, for their heads

  bool Ejected(Clock::time_point now) const { return now.time_since_epoch().count() < ejected_until.load(); }
  bool Stalled(Clock::time_point now, std::chrono::milliseconds stall) const {
    return answers.Stalled(now, stall);
  }
};

// A request written to a replica, until its answer's head comes or it fails (StallWatch).
class AwaitedAnswer {
 public:
  explicit AwaitedAnswer(Replica& replica) : replica_(replica) { replica_.answers.Sent(Clock::now()); }
  ~AwaitedAnswer() {
    if (!arrived_) replica_.answers.Abandoned();
  }
  AwaitedAnswer(const AwaitedAnswer&) = delete;
  AwaitedAnswer& operator=(const AwaitedAnswer&) = delete;

  void Arrived() {
    replica_.answers.Answered(Clock::now());
    arrived_ = true;
  }

 private:
  Replica& replica_;
  bool arrived_ = false;
};

}  // namespace kpo::gateway::proxy

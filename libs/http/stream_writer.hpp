#pragma once
// Writes a streamed response (Server-Sent Events) to a client, for the HTTP server. Includes Asio:
// only for translation units that already do I/O.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <unordered_set>

#include "http/deadline.hpp"

namespace kpo::http {

class EventStream;
struct StreamWake;

// The streams being written on one event loop, so that a shutdown wakes each of them at once
// instead of every stream polling for it. Used on that loop's thread only.
class StreamRegistry {
 public:
  // Ends every stream (each writes its last chunk) and any that starts from now on.
  void StopAll();
  bool Stopped() const { return stopped_; }

  void Add(StreamWake* stream) { streams_.insert(stream); }
  void Remove(StreamWake* stream) { streams_.erase(stream); }
  std::size_t Size() const { return streams_.size(); }

 private:
  std::unordered_set<StreamWake*> streams_;
  bool stopped_ = false;
};

// Writes `head`, then the stream's chunks as they come (chunked encoding), until the producer
// closes it (a last chunk ends the body), the registry stops, or the client goes away. A client
// that closes or resets its connection is noticed at once: the socket is watched for it the whole
// time, not found out at the next write. Marks the stream abandoned when it returns. While the
// stream is quiet it holds no buffer and no timer that fires: only a wait on the socket and one
// that producers end. Each write has `write_timeout`; the quiet time between events has none.
boost::asio::awaitable<void> WriteStream(boost::asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                         EventStream& events, std::string head, StreamRegistry& registry,
                                         std::chrono::milliseconds write_timeout);

}  // namespace kpo::http

#pragma once
// Writes a streamed response (Server-Sent Events) to a client, for the HTTP server. Includes Asio:
// only for translation units that already do I/O.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

namespace kpo::http {

class EventStream;
class StreamWriter;

// The streams being written on one event loop, so that a shutdown wakes each of them at once
// instead of every stream polling for it. Used on that loop's thread only.
class StreamRegistry {
 public:
  // Ends every stream (each writes its last chunk) and any that starts from now on.
  void StopAll();
  bool Stopped() const { return stopped_; }
  std::size_t Size() const { return streams_.size(); }

  void Add(StreamWriter* stream) { streams_.insert(stream); }
  void Remove(StreamWriter* stream) { streams_.erase(stream); }

 private:
  std::unordered_set<StreamWriter*> streams_;
  bool stopped_ = false;
};

struct StreamSettings {
  StreamRegistry* registry = nullptr;  // of the socket's loop
  std::chrono::milliseconds write_timeout{10'000};
  std::function<void()> on_finished;  // called once on the loop when the stream is over
  bool chunked = true;                // false for an HTTP/1.0 client: the close ends the body
};

// Takes over a client connection whose response streams: writes `head`, then the stream's chunks as
// they come (chunked encoding; as they are for HTTP/1.0), until the producer closes it (a last chunk ends the
// body), the registry stops, or the client goes away. Then it marks the stream abandoned and closes the
// connection. A client that closes or resets its connection is noticed at once: the socket is
// watched for it the whole time, not found out at the next write. Each write has `write_timeout`;
// the quiet time between events has none. Callbacks, not a coroutine: an idle stream costs its
// socket, one small object and one pending wait, with no coroutine frames, buffers or timers.
// Call on the socket's loop.
void StartStream(boost::asio::ip::tcp::socket socket, std::shared_ptr<EventStream> events, std::string head,
                 StreamSettings settings);

}  // namespace kpo::http

#include "http/stream_writer.hpp"

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <vector>

#include "http/deadline.hpp"
#include "http/stream.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Reads, without blocking, what made the client's socket readable. False when that was the end
// of the connection (EOF or an error) or more than a stray request's worth of bytes: nothing is
// expected from a client while its response streams.
bool ClientStillThere(tcp::socket& socket, std::size_t& discarded) {
  constexpr std::size_t kMaxDiscarded = 64UL * 1024;
  std::array<char, 512> scratch{};
  boost::system::error_code ec;
  const auto read = socket.read_some(asio::buffer(scratch), ec);  // the socket is non-blocking
  if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
  if (ec) return false;
  discarded += read;
  return discarded <= kMaxDiscarded;
}

// Streams being written to clients now: on orders, live-update subscriptions; on the gateway,
// the ones it relays.
observability::Gauge& OpenStreams() {
  static auto& gauge = observability::Registry::Global().GetGauge(
      "http_streams_open", "Streamed responses (server-sent events) being written to clients.");
  return gauge;
}

// A batch in one buffer for one send: chunked, with the last chunk when `last`; or as it is, for an
// HTTP/1.0 client, whose body ends when the connection closes.
std::string Frame(const std::vector<std::string>& chunks, bool last, bool chunked) {
  std::string out;
  for (const auto& chunk : chunks) {
    if (!chunked) {
      out += chunk;
      continue;
    }
    if (chunk.empty()) continue;  // a zero-size chunk would end the body
    std::array<char, 20> size{};
    const int length = std::snprintf(size.data(), size.size(), "%zx\r\n", chunk.size());
    out.append(size.data(), static_cast<std::size_t>(length)).append(chunk).append("\r\n");
  }
  if (last && chunked) out += "0\r\n\r\n";
  return out;
}

}  // namespace

// Owned by its pending operations (the socket watch, a write): when the last completes after the
// stream finished, it is freed. Everything runs on the socket's loop.
class StreamWriter : public std::enable_shared_from_this<StreamWriter> {
 public:
  StreamWriter(tcp::socket socket, std::shared_ptr<EventStream> events, StreamSettings settings)
      : socket_(std::move(socket)),
        deadline_(socket_),
        events_(std::move(events)),
        settings_(std::move(settings)) {
    OpenStreams().Add(1);
  }
  ~StreamWriter() { OpenStreams().Add(-1); }
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  void Start(std::string head) {
    settings_.registry->Add(this);
    // Producers push from any thread; the writer picks the chunks up on its loop. A weak reference:
    // the stream must not keep a finished writer alive.
    events_->SetWaker([weak = weak_from_this(), executor = socket_.get_executor()] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->Wake();
      });
    });
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);  // for the reads and writes tried at once; async I/O is unaffected
    if (ec) return Finish();
    Watch();
    Write(std::move(head), false);
    Wake();  // the handler may have queued chunks already
  }

  // New chunks, a closed producer or a stopping server: write what there is.
  void Wake() {
    while (!finished_ && !writing_) {  // a write in flight looks again when it completes
      auto batch = events_->Take();
      const bool last = batch.closed || settings_.registry->Stopped();
      auto bytes = Frame(batch.chunks, last, settings_.chunked);
      if (bytes.empty()) return;
      Write(std::move(bytes), last);
    }
  }

 private:
  void Write(std::string bytes, bool last) {
    // Most writes fit in the socket's send buffer: sent at once, they need neither a wait nor a
    // deadline, so a heartbeat touches no timer.
    boost::system::error_code ec;
    const auto sent = socket_.write_some(asio::buffer(bytes), ec);  // the socket is non-blocking
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return Finish();
    if (!ec && sent == bytes.size()) {
      if (last) Finish();
      return;
    }
    writing_ = true;
    out_ = std::move(bytes);
    out_.erase(0, sent);
    deadline_.ExpiresAfter(settings_.write_timeout);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), last](const boost::system::error_code& error, std::size_t) {
                        self->Written(error, last);
                      });
  }

  void Written(const boost::system::error_code& ec, bool last) {
    // The deadline bounds each write, not the quiet time between events.
    deadline_.Clear();
    writing_ = false;
    out_ = std::string();  // an idle stream holds no bytes
    if (ec || last) return Finish();
    Wake();  // chunks may have come while writing
  }

  // Waits for the socket to turn readable, which for a client whose response streams means it
  // closed or reset the connection. The wait needs no buffer.
  void Watch() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         if (self->finished_) return;
                         if (!ec && ClientStillThere(self->socket_, self->discarded_)) return self->Watch();
                         self->Finish();
                       });
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    settings_.registry->Remove(this);
    events_->Abandon();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);  // completes the pending watch (or write), which releases this writer
    if (settings_.on_finished) settings_.on_finished();
  }

  tcp::socket socket_;
  SocketDeadline deadline_;
  std::shared_ptr<EventStream> events_;
  StreamSettings settings_;
  std::string out_;  // the bytes being written
  std::size_t discarded_ = 0;
  bool writing_ = false;
  bool finished_ = false;
};

void StreamRegistry::StopAll() {
  stopped_ = true;
  // Wake may finish a stream, which removes it from the set: iterate over a copy.
  const std::vector<StreamWriter*> streams(streams_.begin(), streams_.end());
  for (auto* stream : streams) {
    if (streams_.contains(stream)) stream->Wake();
  }
}

void StartStream(tcp::socket socket, std::shared_ptr<EventStream> events, std::string head,
                 StreamSettings settings) {
  std::make_shared<StreamWriter>(std::move(socket), std::move(events), std::move(settings))
      ->Start(std::move(head));
}

}  // namespace kpo::http

#include "http/stream_writer.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "http/stream.hpp"

namespace kpo::http {
namespace asio = boost::asio;
using asio::ip::tcp;

// What wakes a stream's writer: new chunks (posted by producers), the client going away (the
// socket watch), or the server stopping (the registry). Used on the stream's loop only.
struct StreamWake {
  explicit StreamWake(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}

  void Wake() {
    signalled = true;
    timer.cancel();
  }

  asio::steady_timer timer;  // never expires: a wait on it ends only when Wake cancels it
  bool signalled = false;    // woken since the writer last looked (it may not have been waiting)
  bool client_gone = false;
  bool finished = false;      // the writer returned: the socket may be gone
  std::size_t discarded = 0;  // bytes the client sent while its response streamed
};

void StreamRegistry::StopAll() {
  stopped_ = true;
  for (auto* stream : streams_) stream->Wake();
}

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Reads, without blocking, what made the client's socket readable. False when that was the end
// of the connection (EOF or an error) or more than a stray request's worth of bytes: nothing is
// expected from a client while its response streams.
bool ClientStillThere(tcp::socket& socket, StreamWake& wake) {
  constexpr std::size_t kMaxDiscarded = 64UL * 1024;
  std::array<char, 512> scratch{};
  boost::system::error_code ec;
  const auto read = socket.read_some(asio::buffer(scratch), ec);  // the socket is non-blocking
  if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
  if (ec) return false;
  wake.discarded += read;
  return wake.discarded <= kMaxDiscarded;
}

// Waits for the socket to turn readable, which for a client whose response streams means it
// closed or reset the connection. The wait needs no buffer; it ends with the socket.
void WatchClient(tcp::socket& socket, const std::shared_ptr<StreamWake>& wake) {
  socket.async_wait(tcp::socket::wait_read, [&socket, wake](const boost::system::error_code& ec) {
    if (wake->finished) return;  // the writer is gone, and the socket with it
    if (!ec && ClientStillThere(socket, *wake)) {
      WatchClient(socket, wake);
      return;
    }
    wake->client_gone = true;
    wake->Wake();
  });
}

// The chunked framing of a batch, in one buffer for one send; with the last chunk when `last`.
std::string Frame(const std::vector<std::string>& chunks, bool last) {
  std::string out;
  for (const auto& chunk : chunks) {
    if (chunk.empty()) continue;  // a zero-size chunk would end the body
    std::array<char, 16> size{};
    const int length = std::snprintf(size.data(), size.size(), "%zx\r\n", chunk.size());
    out.append(size.data(), static_cast<std::size_t>(length)).append(chunk).append("\r\n");
  }
  if (last) out += "0\r\n\r\n";
  return out;
}

asio::awaitable<boost::system::error_code> Write(tcp::socket& socket, SocketDeadline& deadline,
                                                 const std::string& bytes,
                                                 std::chrono::milliseconds timeout) {
  if (bytes.empty()) co_return boost::system::error_code{};
  deadline.ExpiresAfter(timeout);
  auto [ec, written] = co_await asio::async_write(socket, asio::buffer(bytes), kTuple);
  // The deadline bounds each write, not the quiet time between events.
  deadline.Clear();
  co_return ec;
}

}  // namespace

asio::awaitable<void> WriteStream(tcp::socket& socket, SocketDeadline& deadline, EventStream& events,
                                  std::string head, StreamRegistry& registry,
                                  std::chrono::milliseconds write_timeout) {
  const auto executor = socket.get_executor();
  const auto wake = std::make_shared<StreamWake>(executor);
  registry.Add(wake.get());
  // Producers push from any thread; the wake-up itself runs on this stream's loop.
  events.SetWaker([wake, executor] { asio::post(executor, [wake] { wake->Wake(); }); });
  auto ec = co_await Write(socket, deadline, head, write_timeout);
  head = std::string();                    // not held for the life of the stream
  if (!ec) socket.non_blocking(true, ec);  // for ClientStillThere's read; async I/O is unaffected
  if (!ec) WatchClient(socket, wake);
  while (!ec) {
    auto batch = events.Take();
    const bool last = batch.closed || registry.Stopped();
    ec = co_await Write(socket, deadline, Frame(batch.chunks, last), write_timeout);
    if (last || wake->client_gone) break;
    if (!wake->signalled) co_await wake->timer.async_wait(kTuple);
    wake->signalled = false;
  }
  wake->finished = true;
  registry.Remove(wake.get());
  events.Abandon();
}

}  // namespace kpo::http

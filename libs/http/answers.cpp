#include "http/answers.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <string_view>

#include "http/access_log.hpp"
#include "http/problem.hpp"

namespace kpo::http {
namespace asio = boost::asio;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// How long a client that is refused, or cut off for sending its request too slowly, may take to read
// the answer.
constexpr std::chrono::milliseconds kReadTheAnswer{1000};

}  // namespace

asio::awaitable<void> WriteResponse(asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                    Response response, unsigned version, bool keep_alive, bool head,
                                    std::chrono::milliseconds write_timeout) {
  const auto length = response.stream ? std::nullopt : std::optional(response.body.size());
  const std::string header = ResponseHead(response, length, version, keep_alive);
  deadline.ExpiresAfter(write_timeout);
  // One send for the head and the body.
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(header),
                                                  head ? asio::const_buffer() : asio::buffer(response.body)};
  co_await asio::async_write(socket, buffers, kTuple);
}

asio::awaitable<void> RefuseUnreadRequest(asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                          const ReadResult& read, const boost::beast::flat_buffer& buffer,
                                          const RequestParser& parser, Request& request,
                                          const std::string& remote, const Router& router,
                                          const ServerOptions& options) {
  // Bytes the parser stopped at are still in the buffer: a request line it refused was sent.
  const std::string_view unread(static_cast<const char*>(buffer.data().data()), buffer.size());
  auto error =
      AnswerToUnreadRequest(read.error, read.bytes, unread, parser, options.header_limit, options.body_limit);
  // A request begun but not finished in time (a body trickled in a byte at a time, say); an idle
  // keep-alive connection that sent nothing is just closed.
  const bool too_slow = !error && deadline.Expired() && read.bytes + unread.size() > 0;
  if (too_slow) {
    error = ProblemResponse(
        408, "The request did not arrive within " + std::to_string(options.read_timeout.count()) + " ms");
  }
  if (!error) co_return;
  // Whatever of the head was parsed still identifies the request (no handler ran, so no time is taken).
  IdentifyRequest(request, remote, options.client_address);
  ConcludeRequest(router, request, "unread", *error, 0.0);
  co_await WriteResponse(socket, deadline, std::move(*error), 11, false, false, options.write_timeout);
  // A client too slow to send its request gets a second to read the answer, not another read_timeout
  // of holding the connection.
  co_await DrainBeforeClose(socket, deadline,
                            too_slow ? std::min(options.read_timeout, kReadTheAnswer) : options.read_timeout);
}

asio::awaitable<void> RefuseConnection(asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                       const Router& router, const std::string& peer, Response refusal,
                                       std::chrono::milliseconds write_timeout) {
  Request unread;
  IdentifyRequest(unread, peer);
  ConcludeRequest(router, unread, "unread", refusal, 0);
  co_await WriteResponse(socket, deadline, std::move(refusal), 11, false, false, write_timeout);
  co_await DrainBeforeClose(socket, deadline, kReadTheAnswer);
  boost::beast::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace kpo::http

#pragma once
// Reading one request from a client connection, for the HTTP server. Includes Asio and Beast: only
// for translation units that already do I/O.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstddef>

#include "http/deadline.hpp"
#include "http/message.hpp"
#include "http/parsers.hpp"

namespace kpo::http {

struct ReadResult {
  boost::beast::error_code error;
  std::size_t bytes = 0;  // consumed by the parser
};

// Reads the head of a request into `request` (through `parser`, built on it), then its body. A
// client that waits to be told before it sends the body ("Expect: 100-continue", RFC 9110 §10.1.1)
// is sent "100 Continue" once the head was accepted; a head refused (a body over the limit, say)
// is answered before the body is sent at all. Without it such a client waits (curl: a second)
// before sending anyway. The caller's deadline on the socket bounds the whole. A chunked body's
// framing is refused as soon as the parser waits for more of it when a line ended in a bare LF
// (bad_chunk) or a size line or the trailer section is still unended past `framing_limit` bytes
// (buffer_overflow; the read buffer's own bound is the backstop).
boost::asio::awaitable<ReadResult> ReadRequest(boost::asio::ip::tcp::socket& socket,
                                               boost::beast::flat_buffer& buffer, RequestParser& parser,
                                               const Request& request, std::size_t framing_limit);

// Drops the empty lines (CRLF) the buffer starts with: RFC 9112 §2.2 has a server skip them before a
// request line. A lone CR is left (its LF may be in the next read).
void DropLeadingEmptyLines(boost::beast::flat_buffer& buffer);

// After an answer to a request that was not read whole (a body over the limit): stops sending,
// then reads and discards what the client still sends, for at most `read_timeout` (on `deadline`,
// the socket's) and 4 MiB. Closing at once would reset the connection while the client (or a
// proxy in front) is still sending, and it would see the reset instead of the answer.
boost::asio::awaitable<void> DrainBeforeClose(boost::asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                              std::chrono::milliseconds read_timeout);

}  // namespace kpo::http

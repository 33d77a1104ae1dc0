#pragma once
// Writing answers on a client connection, for the HTTP server: an answer to a request read, and the
// refusals of requests not read (whole, or at all). Includes Asio and Beast: only for translation
// units that already do I/O.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <string>

#include "http/deadline.hpp"
#include "http/message.hpp"
#include "http/parsers.hpp"
#include "http/request_reader.hpp"
#include "http/server.hpp"

namespace kpo::http {

class Router;

// Writes `response` (its head alone for a HEAD request, `head`) in one send within `write_timeout`
// on `deadline`, the socket's. A streamed response's head says what a GET gets: no set length.
boost::asio::awaitable<void> WriteResponse(boost::asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                           Response response, unsigned version, bool keep_alive, bool head,
                                           std::chrono::milliseconds write_timeout);

// A request that could not be read whole (`read`: the error, after how many bytes) is answered if it
// can be (a 4xx of AnswerToUnreadRequest, or 408 when it did not arrive within the read timeout):
// counted and logged like any other under the route "unread", then the connection is drained for the
// close. A connection that sent nothing is left to close without an answer.
boost::asio::awaitable<void> RefuseUnreadRequest(boost::asio::ip::tcp::socket& socket,
                                                 SocketDeadline& deadline, const ReadResult& read,
                                                 const boost::beast::flat_buffer& buffer,
                                                 const RequestParser& parser, Request& request,
                                                 const std::string& remote, const Router& router,
                                                 const ServerOptions& options);

// Answers a connection the server will not serve, without reading its request (it may never come):
// `refusal` is concluded as every answer is (counted, logged under the route "unread", the router's
// headers, a new request id), written within `write_timeout`, and the client then has a second to
// read it (what it sends meanwhile is discarded) before the connection is shut down.
boost::asio::awaitable<void> RefuseConnection(boost::asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                              const Router& router, const std::string& peer, Response refusal,
                                              std::chrono::milliseconds write_timeout);

}  // namespace kpo::http

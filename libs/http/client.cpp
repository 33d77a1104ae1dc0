#include "http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace kpo::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

ClientResponse Fetch(const std::string& host, std::uint16_t port, const std::string& method,
                     const std::string& target, const Headers& headers, const std::string& body,
                     std::chrono::milliseconds deadline) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, host);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") request.prepare_payload();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64UL * 1024 * 1024);
  parser.skip(method == "HEAD");  // the answer has a GET's Content-Length and no body
  beast::flat_buffer buffer;
  beast::error_code failure;

  // One deadline over resolve, connect, write and read: the stream's timer covers them all.
  stream.expires_after(deadline);
  resolver.async_resolve(host, std::to_string(port), [&](beast::error_code ec, auto results) {
    if (ec) return void(failure = ec);
    stream.async_connect(results, [&](beast::error_code ec, auto) {
      if (ec) return void(failure = ec);
      bhttp::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
        if (ec) return void(failure = ec);
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) { failure = ec; });
      });
    });
  });
  io.run();
  if (failure) throw std::system_error(failure, method + " " + target);
  auto& raw = parser.get();
  ClientResponse response;
  response.status = static_cast<int>(raw.result_int());
  for (const auto& field : raw) response.headers.emplace_back(field.name_string(), field.value());
  response.body = std::move(raw.body());
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return response;
}

}  // namespace kpo::http

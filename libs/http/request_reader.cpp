#include "http/request_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/read.hpp>
#include <memory>
#include <string_view>

#include "core/ascii.hpp"

namespace kpo::http {
namespace {

// Whether a line in what the parser left unread ends with a bare LF. A chunked body's framing (size
// lines, the CRLF after each chunk's data, the trailer) must end its lines with CRLF, and what the
// parser leaves unread of such a body is always framing: the head was read up to the body's
// start, chunk data is taken as it comes, and the last chunk's line waits for the whole trailer.
bool EndsALineWithABareLf(const boost::beast::flat_buffer& buffer) {
  const std::string_view unread(static_cast<const char*>(buffer.data().data()), buffer.size());
  for (auto line_end = unread.find('\n'); line_end != std::string_view::npos;
       line_end = unread.find('\n', line_end + 1)) {
    if (line_end == 0 || unread[line_end - 1] != '\r') return true;
  }
  return false;
}

// Beast's async_read of a body, with the framing checked whenever the parser needs more: Beast
// ends a chunked body's lines at CRLF only, and its own reads go on until the parser takes
// something, so a line that ended in a bare LF, or a size line just over the head limit, had the
// server wait for more until the read deadline closed the connection without an answer.
boost::asio::awaitable<ReadResult> ReadBody(boost::asio::ip::tcp::socket& socket,
                                            boost::beast::flat_buffer& buffer, RequestParser& parser,
                                            std::size_t framing_limit) {
  namespace asio = boost::asio;
  namespace bhttp = boost::beast::http;
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  constexpr std::size_t kMaxRead = 65536;
  std::size_t used_total = 0;
  while (!parser.is_done()) {
    if (buffer.size() > 0) {
      boost::beast::error_code ec;
      const auto used = parser.put(buffer.data(), ec);
      used_total += used;
      buffer.consume(used);
      if (!ec && used > 0) continue;
      if (ec && ec != bhttp::error::need_more) co_return ReadResult{ec, used_total};
    }
    if (parser.chunked() && EndsALineWithABareLf(buffer))
      co_return ReadResult{bhttp::error::bad_chunk, used_total};
    if (parser.chunked() && buffer.size() > framing_limit) {
      co_return ReadResult{bhttp::error::buffer_overflow, used_total};
    }
    // As Beast sizes its reads: the buffer's free capacity first, so that it grows only as needed.
    const auto room = boost::beast::read_size(buffer, kMaxRead);
    if (room == 0) co_return ReadResult{bhttp::error::buffer_overflow, used_total};
    auto [read_error, bytes] = co_await socket.async_read_some(buffer.prepare(room), kTuple);
    buffer.commit(bytes);
    if (read_error == asio::error::eof) {
      // The head was read, so the parser got some: an end of stream within the body.
      boost::beast::error_code ec;
      parser.put_eof(ec);
      co_return ReadResult{ec, used_total};
    }
    if (read_error) co_return ReadResult{read_error, used_total};
  }
  co_return ReadResult{{}, used_total};
}

}  // namespace

void DropLeadingEmptyLines(boost::beast::flat_buffer& buffer) {
  while (buffer.size() >= 2 &&
         std::string_view(static_cast<const char*>(buffer.data().data()), 2) == "\r\n") {
    buffer.consume(2);
  }
}

namespace {

// RFC 9112 §2.2: empty lines before a request line are skipped (a client may end a body with a stray
// CRLF, and Beast's parser would refuse the next request as a bad method). Reads until the buffer
// holds something else; the caller's deadline bounds a client that sends nothing but empty lines.
// An end of stream before anything else is what Beast reports for it (end_of_stream).
boost::asio::awaitable<ReadResult> SkipEmptyLines(boost::asio::ip::tcp::socket& socket,
                                                  boost::beast::flat_buffer& buffer) {
  namespace asio = boost::asio;
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  constexpr std::size_t kMaxRead = 65536;
  const auto front = [&] {
    return std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size());
  };
  for (;;) {
    DropLeadingEmptyLines(buffer);
    if (!front().empty() && front() != "\r") co_return ReadResult{};
    const auto room = boost::beast::read_size(buffer, kMaxRead);
    auto [read_error, bytes] = co_await socket.async_read_some(buffer.prepare(room), kTuple);
    buffer.commit(bytes);
    if (read_error == asio::error::eof && buffer.size() == 0)
      co_return ReadResult{boost::beast::http::error::end_of_stream, 0};
    if (read_error) co_return ReadResult{read_error, 0};
  }
}

}  // namespace

boost::asio::awaitable<ReadResult> ReadRequest(boost::asio::ip::tcp::socket& socket,
                                               boost::beast::flat_buffer& buffer, RequestParser& parser,
                                               const Request& request, std::size_t framing_limit) {
  namespace asio = boost::asio;
  namespace bhttp = boost::beast::http;
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  const auto skipped = co_await SkipEmptyLines(socket, buffer);
  if (skipped.error) co_return skipped;
  auto [head_error, head_bytes] = co_await bhttp::async_read_header(socket, buffer, parser, kTuple);
  // The bytes the parser consumed for the head are its exact size (see RequestParser::LimitHead).
  if (!head_error && head_bytes > parser.HeadLimit())
    co_return ReadResult{bhttp::error::header_limit, head_bytes};
  if (head_error || parser.is_done()) co_return ReadResult{head_error, head_bytes};
  const auto expect = request.Header("Expect");
  if (expect && parser.Version() >= 11 && core::EqualsIgnoringAsciiCase(*expect, "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(kContinue), kTuple);
    if (write_error) co_return ReadResult{write_error, head_bytes};
  }
  auto [body_error, body_bytes] = co_await ReadBody(socket, buffer, parser, framing_limit);
  co_return ReadResult{body_error, head_bytes + body_bytes};
}

boost::asio::awaitable<void> DrainBeforeClose(boost::asio::ip::tcp::socket& socket, SocketDeadline& deadline,
                                              std::chrono::milliseconds read_timeout) {
  namespace asio = boost::asio;
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  constexpr std::size_t kMaxDrainBytes = 4U << 20U;
  boost::beast::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  deadline.ExpiresAfter(read_timeout);
  constexpr std::size_t kScratchBytes = 16UL * 1024;
  const auto scratch = std::make_unique<char[]>(kScratchBytes);  // not in the session's frame
  std::size_t drained = 0;
  while (drained < kMaxDrainBytes) {
    auto [read_error, n] =
        co_await socket.async_read_some(asio::buffer(scratch.get(), kScratchBytes), kTuple);
    if (read_error) break;  // the client is done (EOF), gone, or too slow (deadline)
    drained += n;
  }
  deadline.Clear();
}

}  // namespace kpo::http

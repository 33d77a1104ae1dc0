// An HTTP/1.1 request as the server reads it off a connection: kpo::http::RequestParser fed the way
// Beast's async_read feeds it (in pieces, put_eof at the end), with the server's default limits, then
// what the server does with a request it read whole before routing it: the header count limit,
// ParseTarget, IdentifyRequest (X-Request-Id, traceparent), and the error answers of a failed read.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "core/ascii.hpp"
#include "core/ids.hpp"
#include "fuzz_check.hpp"
#include "http/access_log.hpp"
#include "http/parsers.hpp"
#include "http/server.hpp"

namespace {

namespace bhttp = boost::beast::http;

// Feeds `input` to `parser` in pieces of at most `piece` bytes, keeping unconsumed bytes in `buffered`
// as a stream reader's buffer does; put_eof once the input ends before the message does.
boost::beast::error_code Feed(kpo::http::RequestParser& parser, std::string_view input, std::size_t piece,
                              std::string& buffered) {
  boost::beast::error_code ec;
  while (!parser.is_done()) {
    if (input.empty()) {
      // As Beast's read: the end of a stream that sent nothing is end_of_stream, else put_eof.
      if (!parser.got_some()) return bhttp::error::end_of_stream;
      parser.put_eof(ec);
      return ec;
    }
    const auto next = input.substr(0, piece);
    input.remove_prefix(next.size());
    buffered.append(next);
    while (!buffered.empty() && !parser.is_done()) {
      const auto used = parser.put(boost::asio::buffer(buffered.data(), buffered.size()), ec);
      buffered.erase(0, used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return ec;
    }
  }
  return ec;
}

bool HasHeader(const kpo::http::Request& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (kpo::core::EqualsIgnoringAsciiCase(key, name)) return true;
  }
  return false;
}

void CheckIdentified(kpo::http::Request& request) {
  kpo::http::IdentifyRequest(request, "192.0.2.1");
  KPO_FUZZ_CHECK(!request.request_id.empty() && request.request_id.size() <= 128);
  for (char c : request.request_id) KPO_FUZZ_CHECK(c >= 0x21 && c <= 0x7E);
  // The server logs core::TraceIdOf(request.traceparent) as the trace id: it must be a valid header.
  KPO_FUZZ_CHECK(kpo::core::TraceParent::Parse(request.traceparent).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = kpo::fuzz::AsText(data, size);
  // The first byte picks how the bytes arrive: 1 to 256 at a time.
  const std::size_t piece = kpo::fuzz::TakeSelector(input) + 1U;
  const kpo::http::ServerOptions options;
  kpo::http::Request request;
  kpo::http::RequestParser parser(request);
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
  std::string unread;
  const auto ec = Feed(parser, input, piece, unread);
  if (ec) {
    // A read that failed is answered with a client error, or not at all (nothing was sent).
    if (const auto answer = kpo::http::AnswerToUnreadRequest(ec, input.size() - unread.size(), unread, parser,
                                                             options.header_limit, options.body_limit)) {
      KPO_FUZZ_CHECK(answer->status >= 400 && answer->status <= 501);
    }
    CheckIdentified(request);  // an error answer still carries the request's ids
    return 0;
  }
  KPO_FUZZ_CHECK(parser.is_done() && !request.method.empty());
  KPO_FUZZ_CHECK(request.body.size() <= options.body_limit);
  // Request smuggling: a Transfer-Encoding beside a Content-Length, or one that does not end in
  // chunked, is never read as a request.
  if (HasHeader(request, "Transfer-Encoding"))
    KPO_FUZZ_CHECK(parser.chunked() && !HasHeader(request, "Content-Length"));
  if (request.headers.size() > options.max_header_count) return 0;  // 431 before anything else
  CheckIdentified(request);
  const auto target = kpo::http::ParseTarget(request.target);
  if (target) KPO_FUZZ_CHECK(!target->path.empty());
  return 0;
}

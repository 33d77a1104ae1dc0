#include "http/parsers.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

#include "http/stream.hpp"

namespace kpo::http {
namespace {

namespace bhttp = boost::beast::http;

// Feeds bytes to a parser as reads would deliver them: what the parser leaves unconsumed (an
// incomplete line) is offered again with the next bytes.
template <class Parser>
class Feeder {
 public:
  explicit Feeder(Parser& parser) : parser_(parser) {}

  // The parse error, if any, after offering `bytes`.
  boost::beast::error_code operator()(std::string_view bytes) {
    pending_ += bytes;
    boost::beast::error_code ec;
    while (!pending_.empty()) {
      const auto used = parser_.put(boost::asio::buffer(pending_.data(), pending_.size()), ec);
      pending_.erase(0, used);
      if (ec == bhttp::error::need_more) return {};
      if (ec || used == 0) break;
    }
    return ec;
  }

  // What the parser has not consumed.
  std::string_view Pending() const { return pending_; }

 private:
  Parser& parser_;
  std::string pending_;
};

template <class Parser>
boost::beast::error_code Feed(Parser& parser, std::string_view bytes) {
  return Feeder<Parser>(parser)(bytes);
}

TEST(RequestParser, FillsTheRequestInArrivalOrder) {
  Request request;
  RequestParser parser(request);
  ASSERT_FALSE(Feed(parser,
                    "POST /api/orders?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                    "X-Twice: a\r\nX-Twice: b\r\nContent-Length: 13\r\n\r\n{\"amount\": 1}"));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api/orders?x=1");
  EXPECT_EQ(request.body, R"({"amount": 1})");
  ASSERT_EQ(request.headers.size(), 5U);
  EXPECT_EQ(request.headers[2], (std::pair<std::string, std::string>{"X-Twice", "a"}));
  EXPECT_EQ(request.headers[3], (std::pair<std::string, std::string>{"X-Twice", "b"}));
  EXPECT_EQ(parser.Version(), 11U);
  EXPECT_FALSE(parser.IsHead());
  EXPECT_TRUE(parser.keep_alive());
}

TEST(RequestParser, KnowsHeadAndHttp10) {
  Request request;
  RequestParser parser(request);
  ASSERT_FALSE(Feed(parser, "HEAD /healthz HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(parser.is_done());
  EXPECT_TRUE(parser.IsHead());
  EXPECT_EQ(parser.Version(), 10U);
  EXPECT_FALSE(parser.keep_alive());
}

TEST(RequestParser, JoinsAChunkedBody) {
  Request request;
  RequestParser parser(request);
  ASSERT_FALSE(Feed(parser,
                    "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n"));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(request.body, "abcdefg");
}

// Trailer fields would bypass the head's checks (a second Content-Type, an Authorization): dropped.
TEST(RequestParser, DropsAChunkedBodysTrailerFields) {
  Request request;
  RequestParser parser(request);
  ASSERT_FALSE(Feed(parser,
                    "POST /x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nContent-Type: text/plain\r\n"
                    "Authorization: Bearer x\r\nContent-Encoding: gzip\r\n\r\n"));
  ASSERT_TRUE(parser.is_done());
  EXPECT_FALSE(parser.HeadRefusal());
  EXPECT_EQ(request.body, "{}");
  ASSERT_EQ(request.headers.size(), 3U);
  EXPECT_EQ(request.headers[1], (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
  EXPECT_EQ(request.headers[2], (std::pair<std::string, std::string>{"Transfer-Encoding", "chunked"}));
}

// Well-formed heads that ask for what the server does not do stop before the body, with the answer.
TEST(RequestParser, RefusesMissingOrRepeatedHostsRepeatedSingletonHeadersAndCodedBodies) {
  const struct {
    const char* head;
    int status;
  } cases[] = {
      {"GET /x HTTP/1.1\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a b/c@@\r\n", 400},
      {"GET /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\nauthorization: Bearer y\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: a\r\nIdempotency-Key: k1\r\nidempotency-key: k2\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\ncontent-type: text/plain\r\n", 400},
      {"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n", 501},
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n", 400},  // RFC 9112 §6.1
      {"POST /x HTTP/1.1\r\nHost: a\r\nContent-Encoding: br\r\nContent-Length: 4\r\n", 415}};
  for (const auto& [head, status] : cases) {
    Request request;
    RequestParser parser(request);
    EXPECT_TRUE(Feed(parser, std::string(head) + "\r\nabcd")) << head;
    ASSERT_TRUE(parser.HeadRefusal()) << head;
    EXPECT_EQ(parser.HeadRefusal()->status, status) << head;
    EXPECT_TRUE(request.body.empty()) << head;
  }
}

TEST(RequestParser, AcceptsHostsWithPortsAddressesAndEmptyValues) {
  for (const char* host : {"localhost:5005", "api.example.com", "127.0.0.1:80", "[::1]:5005", ""}) {
    Request request;
    RequestParser parser(request);
    EXPECT_FALSE(Feed(parser, std::string("GET /x HTTP/1.1\r\nHost: ") + host + "\r\n\r\n")) << host;
    EXPECT_FALSE(parser.HeadRefusal()) << host;
  }
}

// Framing that two readers could disagree on (RFC 9112 §6.3): a proxy reading one way and this
// server another is how requests get smuggled past the proxy.
TEST(RequestParser, RefusesATransferEncodingThatIsNotChunkedOrSitsBesideAContentLength) {
  for (const char* head : {"Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n",
                           "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
                           "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                           "Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, gzip\r\n"}) {
    Request request;
    RequestParser parser(request);
    const auto ec = Feed(parser, std::string("POST /x HTTP/1.1\r\n") + head + "\r\n4\r\nabcd\r\n0\r\n\r\n");
    EXPECT_TRUE(ec == bhttp::error::bad_transfer_encoding || ec == bhttp::error::bad_content_length)
        << head << ": " << ec.message();
  }
}

TEST(RequestParser, RefusesABodyOverTheLimitBeforeReadingIt) {
  Request request;
  RequestParser parser(request);
  parser.body_limit(10);
  EXPECT_EQ(Feed(parser, "POST /x HTTP/1.1\r\nContent-Length: 11\r\n\r\n"), bhttp::error::body_limit);
  EXPECT_TRUE(request.body.empty());
}

TEST(RequestParser, RefusesHeadersOverTheLimit) {
  Request request;
  RequestParser parser(request);
  parser.header_limit(64);
  EXPECT_EQ(Feed(parser, "GET /x HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n"),
            bhttp::error::header_limit);
}

// A head over the limit, whole or still arriving: the request line is to blame only when it alone
// is over the limit.
TEST(AnswerToUnreadRequest, AnOverLongRequestLineIs414AndOverLongFieldsAre431) {
  const std::string long_target = "GET /x?q=" + std::string(100, 'a');
  const std::string long_field = "GET /x HTTP/1.1\r\nX-Long: " + std::string(100, 'a');
  const std::pair<std::string, int> cases[] = {
      {long_target, 414},                                   // still arriving
      {long_target + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},  // whole
      {long_field, 431},                                    // still arriving
      {long_field + "\r\n\r\n", 431},                       // whole: the request line was read
  };
  for (const auto& [head, status] : cases) {
    Request request;
    RequestParser parser(request);
    parser.header_limit(64);
    Feeder<RequestParser> feed(parser);
    const auto ec = feed(head);
    ASSERT_EQ(ec, bhttp::error::header_limit) << head;
    const auto answer =
        AnswerToUnreadRequest(ec, head.size() - feed.Pending().size(), feed.Pending(), parser, 64, 1024);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, status) << head;
  }
}

bool NotSecret(std::string_view name) { return name != "X-Secret"; }

TEST(ResponseParser, KeepsTheStatusTheAcceptedHeadersAndTheBody) {
  Response response;
  ResponseParser parser(response, NotSecret);
  ASSERT_FALSE(Feed(parser,
                    "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nX-Secret: s\r\n"
                    "Location: /api/orders/1\r\nContent-Length: 2\r\n\r\n{}"));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "{}");
  ASSERT_EQ(response.headers.size(), 3U);  // Content-Length is kept too: NotSecret accepts it
  EXPECT_EQ(response.headers[1].first, "Location");
  EXPECT_FALSE(parser.IsEventStream());
}

TEST(ResponseParser, AnswerToHeadEndsAfterTheHeaderWhateverItsLength) {
  Response response;
  ResponseParser parser(response, NotSecret);
  parser.skip(true);
  ASSERT_FALSE(Feed(parser, "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"));
  EXPECT_TRUE(parser.is_done());
  EXPECT_TRUE(response.body.empty());
}

TEST(ResponseParser, StreamsAnEventStreamChunkByChunkUntilAbandoned) {
  Response response;
  ResponseParser parser(response, NotSecret);
  Feeder feed(parser);
  ASSERT_FALSE(
      feed("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_TRUE(parser.is_header_done());
  ASSERT_TRUE(parser.IsEventStream());
  auto events = std::make_shared<EventStream>();
  parser.StreamTo(events);
  ASSERT_FALSE(feed("7\r\n: ping\n\r\n"));
  ASSERT_FALSE(feed("e\r\nevent: order\n\n\r\n"));
  auto batch = events->Take();
  ASSERT_EQ(batch.chunks.size(), 2U);
  EXPECT_EQ(batch.chunks[0], ": ping\n");
  EXPECT_EQ(batch.chunks[1], "event: order\n\n");
  EXPECT_FALSE(parser.is_done());

  events->Abandon();
  EXPECT_EQ(feed("3\r\nabc\r\n"), boost::asio::error::operation_aborted);
}

}  // namespace
}  // namespace kpo::http

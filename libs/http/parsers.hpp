#pragma once
// HTTP/1.1 parsers that fill kpo::http::Request / Response directly, for the server and the
// gateway's proxy. Beast's own parsers build a field container (an allocation per header) that
// would then be copied once more into our message types; these skip that step. Includes Beast:
// only for translation units that already do I/O.
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "http/message.hpp"

namespace kpo::http {

class EventStream;

namespace detail {

// What both parsers do alike: body bytes, chunked or not, go to OnBody; the start line of the
// other kind of message is an error; the remaining callbacks have nothing to do.
template <bool isRequest>
class MessageParser : public boost::beast::http::basic_parser<isRequest> {
 protected:
  using Field = boost::beast::http::field;
  using BeastView = boost::beast::string_view;
  using ErrorCode = boost::beast::error_code;

  static std::string_view View(BeastView text) { return {text.data(), text.size()}; }
  // A piece of the body; returns how much of it was consumed.
  virtual std::size_t OnBody(std::string_view body, ErrorCode& ec) = 0;

  void on_request_impl(boost::beast::http::verb /*method*/, BeastView /*method_string*/, BeastView /*target*/,
                       int /*version*/, ErrorCode& ec) override {
    ec = boost::beast::http::error::bad_method;
  }
  void on_response_impl(int /*code*/, BeastView /*reason*/, int /*version*/, ErrorCode& ec) override {
    ec = boost::beast::http::error::bad_status;
  }

 private:
  void on_header_impl(ErrorCode& /*ec*/) override {}
  std::size_t on_body_impl(BeastView body, ErrorCode& ec) override { return OnBody(View(body), ec); }
  void on_chunk_header_impl(std::uint64_t /*size*/, BeastView /*extensions*/, ErrorCode& /*ec*/) override {}
  std::size_t on_chunk_body_impl(std::uint64_t /*remain*/, BeastView body, ErrorCode& ec) override {
    return OnBody(View(body), ec);
  }
  void on_finish_impl(ErrorCode& /*ec*/) override {}
};

}  // namespace detail

// Parses one request into `request` (method, target, headers in arrival order, body). Limits are
// the basic_parser's: header_limit() and body_limit() answer error::header_limit / body_limit.
// `request` must outlive the parser.
class RequestParser final : public detail::MessageParser<true> {
 public:
  explicit RequestParser(Request& request);

  // Bounds the whole head, request line included, at `bytes`: ReadRequest refuses a longer one
  // (error::header_limit). Beast's own header_limit, set with it, counts the line and the fields
  // apart, and so alone let a head of up to twice the bound through.
  void LimitHead(std::uint32_t bytes) {
    head_limit_ = bytes;
    header_limit(bytes);
  }
  std::uint32_t HeadLimit() const { return head_limit_; }

  unsigned Version() const { return version_; }
  bool IsHead() const { return head_; }
  // Set when the request line or headers were well-formed HTTP but ask for what this server does
  // not do (parsing then stops with an error before the body): the status and detail to answer.
  struct Refusal {
    int status;
    const char* detail;
  };
  const std::optional<Refusal>& HeadRefusal() const { return refusal_; }
  // Whether the request line was parsed (Beast parses it once the whole head has arrived).
  bool RequestLineRead() const { return request_line_read_; }

 private:
  void on_request_impl(boost::beast::http::verb method, BeastView method_string, BeastView target,
                       int version, ErrorCode& ec) override;
  void on_field_impl(Field name, BeastView name_string, BeastView value, ErrorCode& ec) override;
  // Refuses a Transfer-Encoding whose last coding is not chunked, and one beside a Content-Length:
  // either framing could be read two ways, the start of request smuggling (RFC 9112 §6.1, §6.3).
  void on_header_impl(ErrorCode& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, ErrorCode& ec) override;
  std::size_t OnBody(std::string_view body, ErrorCode& ec) override;

  void Refuse(int status, const char* detail, ErrorCode& ec);

  Request& request_;
  bool transfer_encoding_ = false;
  bool only_chunked_ = true;  // every Transfer-Encoding coding is "chunked"
  bool content_length_ = false;
  bool coded_content_ = false;  // a Content-Encoding other than identity
  int hosts_ = 0;
  bool valid_host_ = true;  // the last Host value (one is required; two are refused anyway)
  int authorizations_ = 0;
  int content_types_ = 0;
  int idempotency_keys_ = 0;
  std::uint32_t head_limit_ = 8 * 1024;  // Beast's default header_limit
  unsigned version_ = 11;
  bool head_ = false;
  bool request_line_read_ = false;
  bool head_read_ = false;  // fields from here on are a chunked body's trailer
  std::optional<Refusal> refusal_;
};

// The answer to a request that could not be read whole (`ec` from reading it with `parser`, which
// consumed `consumed` bytes and left `unread` in the buffer, with the limits it was given): the
// parser's refusal, 413 for the body limit (named in the answer), 414 when the request line alone
// is over the header limit, 431 when the header fields are, 400 for malformed HTTP (a chunk size
// line or trailer section that overflowed the read buffer included); nothing when
// there is no one to answer (the client closed, reset, or was too slow).
std::optional<Response> AnswerToUnreadRequest(const boost::beast::error_code& ec, std::size_t consumed,
                                              std::string_view unread, const RequestParser& parser,
                                              std::uint64_t header_limit, std::uint64_t body_limit);

// Parses one response: the status and the headers `keep_header` accepts go to `response`; the
// body is appended to response.body, or, after StreamTo, pushed to an event stream chunk by chunk
// as it arrives. No body limit: the peer is one of our own services. For the answer to a HEAD
// request call skip(true) first. `response` must outlive the parser until StreamTo.
class ResponseParser final : public detail::MessageParser<false> {
 public:
  using HeaderFilter = bool (*)(std::string_view name);
  ResponseParser(Response& response, HeaderFilter keep_header);

  // Whether the Content-Type is text/event-stream (known once the header is parsed).
  bool IsEventStream() const { return event_stream_; }
  // From now on body bytes go to `events`; parsing fails (operation_aborted) once it is abandoned.
  void StreamTo(std::shared_ptr<EventStream> events);

 private:
  void on_response_impl(int code, BeastView reason, int version, ErrorCode& ec) override;
  void on_field_impl(Field name, BeastView name_string, BeastView value, ErrorCode& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, ErrorCode& ec) override;
  std::size_t OnBody(std::string_view body, ErrorCode& ec) override;

  Response* response_;
  HeaderFilter keep_header_;
  std::shared_ptr<EventStream> events_;
  bool event_stream_ = false;
};

}  // namespace kpo::http

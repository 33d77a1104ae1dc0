#pragma once
// HTTP/1.1 parsers that fill kpo::http::Request / Response directly, for the server and the
// gateway's proxy. Beast's own parsers build a field container (an allocation per header) that
// would then be copied once more into our message types; these skip that step. Includes Beast:
// only for translation units that already do I/O.
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <memory>
#include <string_view>

#include "http/message.hpp"

namespace kpo::http {

class EventStream;

// Parses one request into `request` (method, target, headers in arrival order, body). Limits are
// the basic_parser's: header_limit() and body_limit() answer error::header_limit / body_limit.
// `request` must outlive the parser.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestParser(Request& request);

  unsigned Version() const { return version_; }
  bool IsHead() const { return head_; }

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_string,
                       boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  Request& request_;
  unsigned version_ = 11;
  bool head_ = false;
};

// Parses one response: the status and the headers `keep_header` accepts go to `response`; the
// body is appended to response.body, or, after StreamTo, pushed to an event stream chunk by chunk
// as it arrives. No body limit: the peer is one of our own services. For the answer to a HEAD
// request call skip(true) first. `response` must outlive the parser until StreamTo.
class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  using HeaderFilter = bool (*)(std::string_view name);
  ResponseParser(Response& response, HeaderFilter keep_header);

  // Whether the Content-Type is text/event-stream (known once the header is parsed).
  bool IsEventStream() const { return event_stream_; }
  // From now on body bytes go to `events`; parsing fails (operation_aborted) once it is abandoned.
  void StreamTo(std::shared_ptr<EventStream> events);

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_string,
                       boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;
  std::size_t Take(std::string_view body, boost::beast::error_code& ec);

  Response* response_;
  HeaderFilter keep_header_;
  std::shared_ptr<EventStream> events_;
  bool event_stream_ = false;
};

}  // namespace kpo::http

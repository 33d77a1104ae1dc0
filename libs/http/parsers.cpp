#include "http/parsers.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "http/stream.hpp"

namespace kpo::http {
namespace bhttp = boost::beast::http;

namespace {

// Room for a browser's usual dozen headers in one allocation (a pair of strings is 64 bytes).
constexpr std::size_t kExpectedHeaders = 12;
// Bodies are reserved up to this size from their Content-Length; beyond it they grow as they
// arrive, so a length the peer announces but never sends cannot reserve much memory.
constexpr std::uint64_t kMaxReserve = 1U << 20U;

void Reserve(std::string& body, const boost::optional<std::uint64_t>& length) {
  if (length) body.reserve(static_cast<std::size_t>(std::min(*length, kMaxReserve)));
}

}  // namespace

RequestParser::RequestParser(Request& request) : request_(request) {
  request_.headers.reserve(kExpectedHeaders);
}

void RequestParser::on_request_impl(bhttp::verb method, BeastView method_string, BeastView target,
                                    int version, ErrorCode& /*ec*/) {
  request_.method.assign(View(method_string));
  request_.target.assign(View(target));
  version_ = static_cast<unsigned>(version);
  head_ = method == bhttp::verb::head;
}

void RequestParser::on_field_impl(Field name, BeastView name_string, BeastView value, ErrorCode& /*ec*/) {
  transfer_encoding_ = transfer_encoding_ || name == Field::transfer_encoding;
  content_length_ = content_length_ || name == Field::content_length;
  request_.headers.emplace_back(View(name_string), View(value));
}

void RequestParser::on_header_impl(ErrorCode& ec) {
  if (transfer_encoding_ && (!chunked() || content_length_)) ec = bhttp::error::bad_transfer_encoding;
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      ErrorCode& /*ec*/) {
  Reserve(request_.body, content_length);
}

std::size_t RequestParser::OnBody(std::string_view body, ErrorCode& /*ec*/) {
  request_.body.append(body);
  return body.size();
}

ResponseParser::ResponseParser(Response& response, HeaderFilter keep_header)
    : response_(&response), keep_header_(keep_header) {
  body_limit(boost::none);
  // The upstream's few headers plus the ones the gateway adds (ids, CORS) without regrowing.
  response_->headers.reserve(kExpectedHeaders);
}

void ResponseParser::StreamTo(std::shared_ptr<EventStream> events) {
  events_ = std::move(events);
  response_ = nullptr;
}

void ResponseParser::on_response_impl(int code, BeastView /*reason*/, int /*version*/, ErrorCode& /*ec*/) {
  response_->status = code;
}

void ResponseParser::on_field_impl(Field name, BeastView name_string, BeastView value, ErrorCode& /*ec*/) {
  if (name == Field::content_type) event_stream_ = value.starts_with("text/event-stream");
  if (keep_header_(View(name_string))) response_->headers.emplace_back(View(name_string), View(value));
}

void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                       ErrorCode& /*ec*/) {
  if (response_ != nullptr) Reserve(response_->body, content_length);
}

std::size_t ResponseParser::OnBody(std::string_view body, ErrorCode& ec) {
  if (events_ == nullptr) {
    response_->body.append(body);
  } else if (!events_->Push(std::string(body))) {
    ec = boost::asio::error::operation_aborted;  // the client went away: stop reading
  }
  return body.size();
}

}  // namespace kpo::http

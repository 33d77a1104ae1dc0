#include "http/parsers.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "core/ascii.hpp"
#include "http/problem.hpp"
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

void RequestParser::Refuse(int status, const char* detail, ErrorCode& ec) {
  refusal_ = Refusal{status, detail};
  ec = bhttp::error::bad_field;  // stops the parser; the refusal says what to answer
}

void RequestParser::on_request_impl(bhttp::verb method, BeastView method_string, BeastView target,
                                    int version, ErrorCode& /*ec*/) {
  request_line_read_ = true;
  request_.method.assign(View(method_string));
  request_.target.assign(View(target));
  // Beast reads HTTP/1.0 and HTTP/1.1 only; any other version is a bad_version error (400).
  version_ = static_cast<unsigned>(version);
  head_ = method == bhttp::verb::head;
}

namespace {

// Whether every coding of a Transfer-Encoding or Content-Encoding list is `only` (case-insensitive).
bool AllCodingsAre(std::string_view list, std::string_view only) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto coding = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    if (!coding.empty() && !core::EqualsIgnoringAsciiCase(coding, only)) return false;
  }
  return true;
}

}  // namespace

void RequestParser::on_field_impl(Field name, BeastView name_string, BeastView value, ErrorCode& /*ec*/) {
  // A chunked body's trailer fields arrive after the head was judged (one Content-Type, one
  // Authorization, no coding...): taken in, they would pass by those checks and be forwarded as head
  // fields. RFC 9110 §6.5.1 lets a recipient discard them, and nothing here needs them.
  if (head_read_) return;
  if (name == Field::transfer_encoding) {
    transfer_encoding_ = true;
    only_chunked_ = only_chunked_ && AllCodingsAre(View(value), "chunked");
  }
  content_length_ = content_length_ || name == Field::content_length;
  coded_content_ =
      coded_content_ || (name == Field::content_encoding && !AllCodingsAre(View(value), "identity"));
  if (name == Field::host) {
    ++hosts_;
    valid_host_ = IsValidHost(View(value));
  }
  authorizations_ += name == Field::authorization ? 1 : 0;
  content_types_ += name == Field::content_type ? 1 : 0;
  idempotency_keys_ +=
      name == Field::unknown && core::EqualsIgnoringAsciiCase(View(name_string), "Idempotency-Key") ? 1 : 0;
  request_.headers.emplace_back(View(name_string), View(value));
}

void RequestParser::on_header_impl(ErrorCode& ec) {
  head_read_ = true;
  if (transfer_encoding_ && (!chunked() || content_length_)) {
    ec = bhttp::error::bad_transfer_encoding;
  } else if (transfer_encoding_ && version_ < 11) {
    // RFC 9112 §6.1: HTTP/1.0 has no transfer codings, so its framing is faulty (a proxy before
    // this server may have read the body by its length or to the close).
    Refuse(400, "An HTTP/1.0 request cannot carry Transfer-Encoding", ec);
  } else if (hosts_ > 1 || (hosts_ == 0 && version_ == 11)) {
    // RFC 9112 §3.2: the one Host header names the origin; none in HTTP/1.1, or two, is a bad request.
    Refuse(400, "An HTTP/1.1 request needs exactly one Host header", ec);
  } else if (!valid_host_) {
    Refuse(400, "The Host header is not a valid host name or address with an optional port", ec);
  } else if (authorizations_ > 1) {
    // Two sets of credentials: which one counts would be a guess, and a proxy may guess otherwise.
    Refuse(400, "A request may carry one Authorization header only", ec);
  } else if (content_types_ > 1) {
    // RFC 9110 §5.3: Content-Type is a singleton; taking the first would judge the body by a guess.
    Refuse(400, "A request may carry one Content-Type header only", ec);
  } else if (idempotency_keys_ > 1) {
    // Two keys: replaying under one and ignoring the other would make a retry's outcome a guess.
    Refuse(400, "A request may carry one Idempotency-Key header only", ec);
  } else if (!only_chunked_) {
    Refuse(501, "Transfer codings other than chunked are not supported", ec);
  } else if (coded_content_) {
    Refuse(415, "Content codings are not supported: send the body without Content-Encoding", ec);
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      ErrorCode& /*ec*/) {
  Reserve(request_.body, content_length);
}

std::size_t RequestParser::OnBody(std::string_view body, ErrorCode& /*ec*/) {
  request_.body.append(body);
  return body.size();
}

std::optional<Response> AnswerToUnreadRequest(const boost::beast::error_code& ec, std::size_t consumed,
                                              std::string_view unread, const RequestParser& parser,
                                              std::uint64_t header_limit, std::uint64_t body_limit) {
  if (const auto& refusal = parser.HeadRefusal()) return ProblemResponse(refusal->status, refusal->detail);
  if (ec == bhttp::error::body_limit) {
    return ProblemResponse(413, "The request body exceeds " + std::to_string(body_limit) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    // Until the request line is parsed nothing is consumed, so `unread` starts with it.
    const auto line_end = unread.find('\n');
    if (!parser.RequestLineRead() && (line_end == std::string_view::npos || line_end >= header_limit))
      return ProblemResponse(414, "The request line is too long: shorten the URL");
    return ProblemResponse(431, "The request headers are too large");
  }
  if (ec == bhttp::error::buffer_overflow) {
    // The head fits the buffer (header_limit fires first), so what overflowed it is the chunked
    // framing: a chunk's size line or the trailer section that never ended.
    return ProblemResponse(400,
                           "Malformed HTTP request: a chunk size line or the trailer section is too long");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
      consumed + unread.size() > 0) {
    return ProblemResponse(400, "Malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
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

#pragma once
// HTTP request/response values handed to handlers. Free of Beast/Asio so that handlers and
// their tests compile fast.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpo::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; the first match.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method;                              // upper case, e.g. "POST"
  std::string target;                              // as received: path and query
  std::string path;                                // percent-decoded path without the query
  std::map<std::string, std::string> query;        // percent-decoded; the last value wins
  std::set<std::string> repeated_query;            // query names given more than once
  std::map<std::string, std::string> path_params;  // filled by the router, e.g. {"id": "..."}
  Headers headers;
  std::string body;
  std::string remote_address;
  // The client's own address when a proxy the server trusts reported another one
  // (ServerOptions::client_address); empty when it is remote_address.
  std::string client_address;
  std::string request_id;   // X-Request-Id, echoed or generated
  std::string traceparent;  // W3C traceparent for calls this request makes downstream

  std::optional<std::string_view> Header(std::string_view name) const { return FindHeader(headers, name); }
  // The client's address as the server identified it: client_address, or the peer's when none was
  // reported. Computed once per request (IdentifyRequest), so handlers need not repeat the proxy rules.
  std::string_view Client() const { return client_address.empty() ? remote_address : client_address; }
};

class EventStream;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, `body` is ignored and the response is streamed (chunked) from it until the
  // producer closes it, the client goes away or the server shuts down.
  std::shared_ptr<EventStream> stream;
  // Why this server answered with a refusal or failure of its own ("shed", "rate_limit_user",
  // "upstream_timeout", ...), for its access line; never sent. Empty when the answer is a handler's
  // own or an upstream's. Always names a string literal.
  std::string_view reason;

  void SetHeader(std::string name, std::string value);
};

// 200-style response with a JSON body and `Content-Type: application/json; charset=utf-8`.
Response JsonResponse(int status, std::string body);

// The origin form ("/path?query") of a request target in absolute form ("http://host/path?query"),
// which a server must accept (RFC 9112 §3.2.2); nullopt for any other target or scheme. The
// authority it names is not used: requests are routed by path.
std::optional<std::string> OriginFormOf(std::string_view target);

// Whether a Host header value is a valid uri-host with an optional port (RFC 9110 §7.2; an empty
// value is valid, RFC 9112 §3.2). A request with an invalid one must be answered 400.
bool IsValidHost(std::string_view host);

// A request target split into its decoded parts.
struct Target {
  std::string path;
  std::map<std::string, std::string> query;  // a name given more than once keeps its last value
  std::set<std::string> repeated;            // the query names given more than once
};

// Splits "/a/b?x=1&y=%20" into a decoded path and query map. An encoded '/' stays "%2F" in the
// path (it is not a separator). Returns nullopt for a target that is not a valid origin-form (bad
// percent-encoding included).
std::optional<Target> ParseTarget(std::string_view target);

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view content_type);

// Whether a Content-Type value declares a JSON body the services can read: media type
// application/json, and no charset or UTF-8 (RFC 8259: JSON exchanged between systems is UTF-8). A
// body declared in another charset is refused (415) rather than read as if it were UTF-8.
bool IsUtf8Json(std::string_view content_type);

// Whether requests with `method` carry a body (POST, PUT, PATCH): they are sent with a length even
// when it is 0, and a body they carry must be JSON.
bool MethodMayCarryBody(std::string_view method);

// Appends the header line "name: value\r\n" to a message head written by hand.
void AppendHeaderLine(std::string& head, std::string_view name, std::string_view value);

// The status line and headers of `response` with a `content_length` byte body, or of a chunked one
// when there is no length (a stream; for an HTTP/1.0 `version`, one the connection's close ends).
// The framing headers (Content-Length, Transfer-Encoding, Connection) and Date (now) are the
// server's: a handler's own are dropped, as is any header that would break the framing with a CR,
// LF or colon. Written by hand: Beast's serializer walks a buffer sequence per field, which cost
// more than the proxying itself.
std::string ResponseHead(const Response& response, std::optional<std::size_t> content_length,
                         unsigned version, bool keep_alive);

}  // namespace kpo::http

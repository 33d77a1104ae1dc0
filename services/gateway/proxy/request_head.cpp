#include "gateway/proxy/request_head.hpp"

#include <algorithm>
#include <iterator>

#include "core/ascii.hpp"

namespace kpo::gateway {

// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the gateway sets itself. Expect too: the gateway
// answered it (100 Continue) and has the whole body; passed on, the service's interim answer would
// be taken for its final one.
bool IsHopByHop(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "connection",  "keep-alive",    "proxy-connection", "transfer-encoding",
      "te",          "trailer",       "upgrade",          "content-length",
      "host",        "authorization", "x-user-id",        "x-request-id",
      "traceparent", "expect"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [name](std::string_view hop) { return core::EqualsIgnoringAsciiCase(hop, name); });
}

// The request line and headers for the upstream, written by hand (Beast's field container and
// serializer cost more than the proxying itself): the client's end-to-end headers, minus the
// ones `extra_headers` replace, then those.
std::string UpstreamRequestHead(const http::Request& request, HeaderViews extra_headers,
                                const std::string& host) {
  std::string head;
  head.reserve(512 + request.target.size());
  // HEAD goes upstream as GET: the server drops the body and keeps its true Content-Length.
  head += request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
  head += ' ';
  head += request.target;
  head += " HTTP/1.1\r\n";
  http::AppendHeaderLine(head, "Host", host);
  for (const auto& header : request.headers) {
    const std::string_view name = header.first;
    if (IsHopByHop(name)) continue;
    if (std::any_of(extra_headers.begin(), extra_headers.end(),
                    [name](const auto& extra) { return core::EqualsIgnoringAsciiCase(extra.first, name); })) {
      continue;
    }
    http::AppendHeaderLine(head, name, header.second);
  }
  for (const auto& [name, value] : extra_headers) http::AppendHeaderLine(head, name, value);
  if (!request.body.empty() || http::MethodMayCarryBody(request.method)) {
    http::AppendHeaderLine(head, "Content-Length", std::to_string(request.body.size()));
  }
  head += "\r\n";
  return head;
}

}  // namespace kpo::gateway

#pragma once
// What the gateway sends upstream in place of the client's request line and headers.
#include <string>
#include <string_view>

#include "gateway/proxy/proxy.hpp"
#include "http/message.hpp"

namespace kpo::gateway {

// Whether `name` is a hop-by-hop header (RFC 9110 §7.6.1) or one the gateway sets itself: such
// headers are neither forwarded upstream nor relayed back to the client. Case-insensitive.
bool IsHopByHop(std::string_view name);

// The request line and headers for an upstream `host`: the client's end-to-end headers, minus the
// ones `extra_headers` replace, then those, and the Content-Length of the body. Ends with the blank line.
std::string UpstreamRequestHead(const http::Request& request, HeaderViews extra_headers,
                                const std::string& host);

}  // namespace kpo::gateway

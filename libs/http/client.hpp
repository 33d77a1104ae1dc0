#pragma once
// A small blocking HTTP/1.1 client with a deadline per call: for tests, tools and readiness
// probes. One connection per call; not for hot paths.
#include <chrono>
#include <string>

#include "http/message.hpp"

namespace kpo::http {

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::optional<std::string_view> Header(std::string_view name) const { return FindHeader(headers, name); }
};

// Sends one request to host:port and reads the whole response. Throws std::system_error on
// connection failure or when `deadline` passes.
ClientResponse Fetch(const std::string& host, std::uint16_t port, const std::string& method,
                     const std::string& target, const Headers& headers = {}, const std::string& body = {},
                     std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace kpo::http

#pragma once
// Cross-origin access for the browser app (CORS): which origins may read the gateway's answers, and
// the answer to a preflight.
#include <string>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace kpo::gateway {

// The origins allowed to call the API ("*" allows any). Immutable once built; thread safe.
class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins) : allowed_(std::move(allowed_origins)) {}

  // When `request` comes from an allowed Origin, lets it read `response`: Access-Control-Allow-Origin
  // (that origin), Vary: Origin and the headers the app reads (Location, Retry-After, …). Otherwise
  // leaves `response` as it is.
  void Apply(http::Response& response, const http::Request& request) const;

  // 204 for an OPTIONS preflight: the methods and request headers the API accepts, cached 10 minutes,
  // with Apply's headers for an allowed origin.
  http::Response Preflight(const http::Request& request) const;

 private:
  std::vector<std::string> allowed_;
};

}  // namespace kpo::gateway

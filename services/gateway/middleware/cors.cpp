#include "gateway/middleware/cors.hpp"

#include <string_view>

namespace kpo::gateway {
namespace {

constexpr std::string_view kAllowedHeaders =
    "Authorization, Content-Type, Idempotency-Key, X-Request-Id, Last-Event-ID, traceparent";
constexpr std::string_view kExposedHeaders =
    "Location, X-Request-Id, Idempotent-Replayed, Retry-After, traceparent";

}  // namespace

void CorsPolicy::Apply(http::Response& response, const http::Request& request) const {
  if (allowed_.empty()) return;
  // Every answer depends on the Origin sent (allowed, another, none), so a shared cache must key
  // on it, not only the answers that allow one.
  response.SetHeader("Vary", "Origin");
  auto origin = request.Header("Origin");
  if (!origin) return;
  for (const auto& allowed : allowed_) {
    if (allowed == *origin || allowed == "*") {
      response.SetHeader("Access-Control-Allow-Origin", std::string(*origin));
      response.SetHeader("Access-Control-Expose-Headers", std::string(kExposedHeaders));
      return;
    }
  }
}

http::Response CorsPolicy::Preflight(const http::Request& request) const {
  http::Response response;
  response.status = 204;
  Apply(response, request);
  response.SetHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  response.SetHeader("Access-Control-Allow-Headers", std::string(kAllowedHeaders));
  response.SetHeader("Access-Control-Max-Age", "600");
  return response;
}

}  // namespace kpo::gateway

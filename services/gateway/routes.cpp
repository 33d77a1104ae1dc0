#include "gateway/routes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/ascii.hpp"
#include "gateway/domain/shedder.hpp"
#include "gateway/handlers/handlers.hpp"
#include "http/problem.hpp"

namespace kpo::gateway {
namespace {

using http::Request;
using http::Response;

const std::vector<RouteSpec> kRoutes = {
    {"POST", "/api/auth/guest"},
    {"POST", "/api/auth/register"},
    {"POST", "/api/auth/login"},
    {"POST", "/api/accounts"},
    {"GET", "/api/accounts/me"},
    {"POST", "/api/accounts/me/deposits"},
    {"GET", "/api/accounts/me/entries"},
    {"POST", "/api/orders"},
    {"GET", "/api/orders"},
    {"GET", "/api/orders/{id}"},
    {"GET", "/api/events"},
    {"GET", "/api/openapi.yaml"},
    {"GET", "/api/docs"},
    {"GET", "/api/docs/{file}"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
};

constexpr std::string_view kAllowedHeaders =
    "Authorization, Content-Type, Idempotency-Key, X-Request-Id, Last-Event-ID, traceparent";
constexpr std::string_view kExposedHeaders =
    "Location, X-Request-Id, Idempotent-Replayed, Retry-After, traceparent";

Response TooManyRequests(std::chrono::milliseconds retry_after) {
  auto response = http::ProblemResponse(429, "Too many requests; slow down and retry later");
  response.SetHeader(
      "Retry-After",
      std::to_string(std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::ceil(static_cast<double>(retry_after.count()) / 1000.0)))));
  return response;
}

// What orders answers while it refuses new orders, answered here while the gateway sheds them.
Response Overloaded() {
  auto response =
      http::ProblemResponse(503, "Too many orders are waiting for payment right now; try again in a second");
  response.SetHeader("Retry-After", "1");
  return response;
}

// An IPv4 or IPv6 address in text form (a rate-limit key, not parsed further).
bool LooksLikeIpAddress(std::string_view text) {
  return !text.empty() && text.size() <= 45 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':';
  });
}

// The bearer token from Authorization, or from ?access_token= where a header cannot be set
// (EventSource in browsers).
std::optional<std::string_view> TokenOf(const Request& request, bool allow_query) {
  if (auto header = request.Header("Authorization")) {
    // The scheme is case-insensitive (RFC 9110 §11.1); spaces may pad the token.
    constexpr std::string_view kBearer = "bearer ";
    if (header->size() <= kBearer.size() ||
        !core::EqualsIgnoringAsciiCase(header->substr(0, kBearer.size()), kBearer)) {
      return std::nullopt;
    }
    auto token = header->substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty()) return std::nullopt;
    return token;
  }
  if (allow_query) {
    if (auto it = request.query.find("access_token"); it != request.query.end())
      return std::string_view(it->second);
  }
  return std::nullopt;
}

class Routes {
 public:
  explicit Routes(GatewayDeps& deps) : deps_(deps), place_orders_(deps.shed_window) {}

  void AddCors(Response& response, const Request& request) const {
    auto origin = request.Header("Origin");
    if (!origin) return;
    for (const auto& allowed : deps_.cors_origins) {
      if (allowed == *origin || allowed == "*") {
        response.SetHeader("Access-Control-Allow-Origin", std::string(*origin));
        response.SetHeader("Vary", "Origin");
        response.SetHeader("Access-Control-Expose-Headers", std::string(kExposedHeaders));
        return;
      }
    }
  }

  // The client's address: the peer's own, or the X-Real-IP a trusted proxy in front set.
  std::string_view ClientAddress(const Request& request) const {
    const auto& trusted = deps_.trusted_proxies;
    if (std::find(trusted.begin(), trusted.end(), request.remote_address) != trusted.end()) {
      if (auto real = request.Header("X-Real-IP"); real && LooksLikeIpAddress(*real)) return *real;
    }
    return request.remote_address;
  }

  std::optional<Response> LimitIp(const Request& request) const {
    std::chrono::milliseconds retry{0};
    if (!deps_.per_ip.Allow(std::string(ClientAddress(request)), retry)) return TooManyRequests(retry);
    return std::nullopt;
  }

  // A blocking endpoint (identity, docs) behind the per-IP limit, with CORS headers.
  http::Handler Open(std::function<Response(const Request&)> handler) const {
    return [this, handler = std::move(handler)](Request& request) {
      auto response = LimitIp(request).value_or(Response{});
      if (response.status != 429) response = handler(request);
      AddCors(response, request);
      return response;
    };
  }

  // An authenticated proxy route: verifies the token, applies the per-IP and per-user limits,
  // replaces any client-sent X-User-Id with the token's subject, and forwards.
  // `shedder` (optional) refuses the route here while the service said it is overloaded.
  http::AsyncHandler Proxied(Upstream& upstream, bool token_in_query, Shedder* shedder = nullptr) const {
    return [this, &upstream, token_in_query, shedder](Request& request) -> boost::asio::awaitable<Response> {
      Response response;
      std::chrono::milliseconds retry{0};
      auto token = TokenOf(request, token_in_query);
      auto claims = token ? deps_.verifier.Verify(*token, core::Now()) : std::nullopt;
      // Authenticated traffic is limited per user; the per-IP bucket guards what is anonymous
      // (identity endpoints, and guessing tokens), so users behind one address do not starve each other.
      if (!claims) {
        response = LimitIp(request).value_or(Unauthorized());
      } else if (!deps_.per_user.Allow(claims->user_id, retry)) {
        response = TooManyRequests(retry);
      } else if (shedder != nullptr && shedder->Shedding(Shedder::Clock::now())) {
        response = Overloaded();
      } else {
        const std::array<std::pair<std::string_view, std::string_view>, 4> identity{{
            {"X-User-Id", claims->user_id},
            {"X-Request-Id", request.request_id},
            {"traceparent", request.traceparent},
            {"X-Forwarded-For", ClientAddress(request)},
        }};
        response = co_await upstream.Forward(request, identity);
        if (shedder != nullptr) {
          shedder->Observe(response.status, http::FindHeader(response.headers, "Retry-After").has_value(),
                           Shedder::Clock::now());
        }
      }
      AddCors(response, request);
      co_return response;
    };
  }

  // A path no route serves. Under /api/ a caller without a valid token gets the 401 every API call
  // gives it (which routes exist is not revealed to strangers); with one, 404.
  Response NotFound(const Request& request) const {
    auto token = TokenOf(request, false);
    const bool anonymous = !token || !deps_.verifier.Verify(*token, core::Now());
    Response response;
    // Identity and docs are open to everyone, so a miss under them is a plain 404.
    const bool open_area = request.path.starts_with("/api/auth/") || request.path.starts_with("/api/docs/");
    if (request.path.starts_with("/api/") && !open_area && anonymous) {
      response = LimitIp(request).value_or(Unauthorized());
    } else {
      response = http::ProblemResponse(404, "No resource at " + request.path);
    }
    AddCors(response, request);
    return response;
  }

  static Response Unauthorized() {
    auto response = http::ProblemResponse(401, "A valid bearer token is required");
    response.SetHeader("WWW-Authenticate", R"(Bearer realm="kpo")");
    return response;
  }

  Response Preflight(const Request& request) const {
    Response response;
    response.status = 204;
    AddCors(response, request);
    response.SetHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    response.SetHeader("Access-Control-Allow-Headers", std::string(kAllowedHeaders));
    response.SetHeader("Access-Control-Max-Age", "600");
    return response;
  }

  Response StaticFile(const std::string& name) const {
    // Only plain file names from the docs directory: no path traversal.
    if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos) {
      throw http::ProblemError(404, "No such document");
    }
    std::filesystem::path path = deps_.docs_dir;
    path /= name == "index.html" ? "index.html" : name;
    if (name != "index.html") {
      auto dist = std::filesystem::path(deps_.docs_dir) / "node_modules" / "swagger-ui-dist" / name;
      if (std::filesystem::exists(dist)) path = dist;
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) throw http::ProblemError(404, "No such document");
    std::ostringstream content;
    content << file.rdbuf();
    Response response;
    response.body = content.str();
    const auto ext = path.extension().string();
    const char* type = ext == ".html"  ? "text/html; charset=utf-8"
                       : ext == ".css" ? "text/css; charset=utf-8"
                       : ext == ".js"  ? "application/javascript; charset=utf-8"
                       : ext == ".png" ? "image/png"
                                       : "application/octet-stream";
    response.headers.emplace_back("Content-Type", type);
    response.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return response;
  }

  Shedder& PlaceOrders() { return place_orders_; }

 private:
  GatewayDeps& deps_;
  Shedder place_orders_;  // POST /api/orders
};

}  // namespace

const std::vector<RouteSpec>& PublicRoutes() { return kRoutes; }

void RegisterRoutes(http::Router& router, GatewayDeps& deps) {
  // Lives as long as the process: the handlers refer to it.
  static std::vector<std::unique_ptr<Routes>> keep;
  auto& routes = *keep.emplace_back(std::make_unique<Routes>(deps));

  router.SetNotFound([&routes](Request& r) { return routes.NotFound(r); });
  router.Add("POST", "/api/auth/guest",
             routes.Open([&deps](const Request& r) { return Guest(deps.users, deps.signer, r); }));
  router.Add("POST", "/api/auth/register",
             routes.Open([&deps](const Request& r) { return Register(deps.users, deps.signer, r); }));
  router.Add("POST", "/api/auth/login",
             routes.Open([&deps](const Request& r) { return Login(deps.users, deps.signer, r); }));

  router.AddAsync("POST", "/api/accounts", routes.Proxied(deps.payments, false));
  router.AddAsync("GET", "/api/accounts/me", routes.Proxied(deps.payments, false));
  router.AddAsync("POST", "/api/accounts/me/deposits", routes.Proxied(deps.payments, false));
  router.AddAsync("GET", "/api/accounts/me/entries", routes.Proxied(deps.payments, false));
  router.AddAsync("POST", "/api/orders", routes.Proxied(deps.orders, false, &routes.PlaceOrders()));
  router.AddAsync("GET", "/api/orders", routes.Proxied(deps.orders, false));
  router.AddAsync("GET", "/api/orders/{id}", routes.Proxied(deps.orders, false));
  router.AddAsync("GET", "/api/events", routes.Proxied(deps.orders, true));

  router.Add("GET", "/api/openapi.yaml", routes.Open([](const Request&) {
    Response response;
    response.body = std::string(OpenApiDocument());
    response.headers.emplace_back("Content-Type", "application/yaml; charset=utf-8");
    return response;
  }));
  router.Add("GET", "/api/docs",
             routes.Open([&routes](const Request&) { return routes.StaticFile("index.html"); }));
  router.Add("GET", "/api/docs/{file}", routes.Open([&routes](const Request& r) {
    return routes.StaticFile(r.path_params.at("file"));
  }));

  std::set<std::string> preflighted;
  for (const auto& spec : kRoutes) {
    if (spec.pattern.rfind("/api/", 0) == 0 && preflighted.insert(spec.pattern).second) {
      router.Add("OPTIONS", spec.pattern, [&routes](Request& r) { return routes.Preflight(r); });
    }
  }
}

}  // namespace kpo::gateway

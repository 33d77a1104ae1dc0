#include "gateway/routes.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "gateway/domain/shedder.hpp"
#include "gateway/domain/stream_quota.hpp"
#include "gateway/handlers/api_docs.hpp"
#include "gateway/handlers/handlers.hpp"
#include "gateway/middleware/authenticate.hpp"
#include "gateway/middleware/cors.hpp"
#include "gateway/middleware/rate_limit.hpp"
#include "http/problem.hpp"
#include "http/stream.hpp"
#include "service/database.hpp"

namespace kpo::gateway {
namespace {

using http::Request;
using http::Response;
using LocalHandler = std::function<Response(const Request&)>;

// A uniform draw in [0, 1) for the shedder, from a generator of the calling I/O thread's own.
double UniformDraw() {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

// Ends `stream` when the token it was opened with expires: a stream outlives no token. The
// browser's EventSource then reconnects with the token it holds, and an expired one gets 401 like
// any other request. Before, a stream opened a minute before its token expired went on for as long
// as the connection lasted. The timer holds the stream weakly and is cancelled when the stream ends
// first (client gone, service gone), so an idle stream costs one pending timer and nothing more.
void EndAtExpiry(const std::shared_ptr<http::EventStream>& stream, core::TimePoint expires_at,
                 const boost::asio::any_io_executor& executor) {
  auto timer = std::make_shared<boost::asio::system_timer>(executor, expires_at);
  timer->async_wait([weak = std::weak_ptr<http::EventStream>(stream)](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the stream ended first
    if (auto expired = weak.lock()) expired->Close();
  });
  // OnAbandon may run on any thread; the timer is touched on its own executor only.
  stream->OnAbandon([timer] { boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); }); });
}

// What every route shares: the middleware, in the order a request meets it. Owned by the router's
// handlers (each holds a reference), so it lives as long as the router.
class Edge : public std::enable_shared_from_this<Edge> {
  // A shed route's shedder, and the words of the service's last refusal there, which its own repeat.
  struct ShedRoute {
    ShedRoute(double multiplier, double max_share)
        : shedder(multiplier, std::chrono::seconds(1), max_share) {}
    Shedder shedder;
    RefusalWords words;
  };

 public:
  explicit Edge(GatewayDeps& deps)
      : deps_(deps), cors_(deps.cors_origins), streams_(deps.streams_per_address) {
    ShedCounter();
  }

  // A route answered here (identity, docs): the route's rate limit, then `handler`. Blocking: it runs
  // on the server's workers.
  http::Handler Local(const RouteSpec& route, LocalHandler handler) {
    return [self = shared_from_this(), route, handler = std::move(handler)](Request& request) {
      auto response = self->Limit(route.rate, request, nullptr).value_or(Response{});
      if (response.status != 429) response = handler(request);
      return response;
    };
  }

  // A route answered by `upstream`. Never blocks: it runs on the I/O threads.
  http::AsyncHandler Proxied(const RouteSpec& route, Upstream& upstream) {
    ShedRoute* shedding =
        route.shed ? &shed_routes_.emplace_back(deps_.shed_multiplier, deps_.shed_max_share) : nullptr;
    return [self = shared_from_this(), route, &upstream, shedding](Request& request) {
      return self->Forward(request, route, upstream, shedding);
    };
  }

  // A path no route serves. Under /api/ a caller without a valid token gets the 401 every API call
  // gives it (which routes exist is not revealed to strangers); with one, 404.
  Response NotFound(const Request& request) const {
    const bool anonymous = !Authenticate(deps_.verifier, request, false);
    // Identity and docs are open to everyone, so a miss under them is a plain 404.
    const bool open_area = request.path.starts_with("/api/auth/") || request.path.starts_with("/api/docs/");
    Response response;
    if (request.path.starts_with("/api/") && !open_area && anonymous) {
      response = LimitIp(request).value_or(Unauthorized());
    } else {
      response = http::ProblemResponse(404, "No resource at " + request.path);
    }
    return response;
  }

  Response Preflight(const Request& request) const { return cors_.Preflight(request); }

  // Every answer of the public port, whoever made it (a route, the router's 404/405, the server's
  // own 400/413/431/503): readable by the app across origins (a refusal the browser cannot read
  // looks like a network failure to it), never sniffed as another media type, and kept by no cache
  // unless the route says otherwise: the API's answers are one user's, a token among them (RFC 6749
  // §5.1). The internal routes (the route table's, e.g. /metrics) are for the cluster, not for browsers.
  void Finish(const Request& request, Response& response) const {
    const auto& routes = RouteTable();
    if (std::any_of(routes.begin(), routes.end(), [&](const RouteSpec& route) {
          return route.access == Access::kInternal && route.pattern == request.path;
        })) {
      return;
    }
    cors_.Apply(response, request);
    response.SetHeader("X-Content-Type-Options", "nosniff");
    if (!http::FindHeader(response.headers, "Cache-Control")) response.SetHeader("Cache-Control", "no-store");
  }

 private:
  // Verifies the token, applies the limits and the route's shedding, replaces any client-sent
  // X-User-Id with the token's subject, and forwards.
  boost::asio::awaitable<Response> Forward(Request& request, RouteSpec route, Upstream& upstream,
                                           ShedRoute* shedding) {
    Response response;
    const auto claims = Authenticate(deps_.verifier, request, route.token_in_query);
    if (!claims) {
      response = LimitIp(request).value_or(Unauthorized());
    } else if (auto refused = Limit(route.rate, request, &*claims)) {
      response = std::move(*refused);
    } else if (shedding != nullptr && shedding->shedder.Shed(Shedder::Clock::now(), UniformDraw())) {
      CountShed();
      shedding->shedder.Record(Shedder::Clock::now(), false);
      response = shedding->words.Shed();
    } else if (route.stream) {
      response = co_await ForwardStream(request, upstream, *claims);
    } else {
      response = co_await upstream.Forward(request, Identity(request, *claims));
      // Only an overload refusal counts against the service: a 503 for an unreachable database is
      // passed on as it is, and the requests after it find out for themselves.
      if (shedding != nullptr) {
        const bool refused = IsOverloadRefusal(response);
        shedding->shedder.Record(Shedder::Clock::now(), !refused);
        if (refused) shedding->words.Remember(response);
      }
    }
    co_return response;
  }

  // What the service is told about the caller: the token's subject (replacing anything the client
  // sent), the request's ids and the client's address.
  std::array<std::pair<std::string_view, std::string_view>, 4> Identity(const Request& request,
                                                                        const auth::Claims& claims) const {
    return {{
        {"X-User-Id", claims.user_id},
        {"X-Request-Id", request.request_id},
        {"traceparent", request.traceparent},
        {"X-Forwarded-For", request.Client()},
    }};
  }

  // A live-update stream, held to the client address's quota from its request until the stream ends
  // (or at once, when the service answers without one).
  boost::asio::awaitable<Response> ForwardStream(Request& request, Upstream& upstream,
                                                 const auth::Claims& claims) {
    std::string address(request.Client());
    if (!streams_.TryOpen(address)) {
      co_return http::StreamQuotaExceeded(
          "Too many live-update streams are open from this address; close one first")
          .ToResponse();
    }
    // Given back however this coroutine ends, unless the stream takes it over.
    struct Held {
      StreamQuota& quota;
      std::string address;
      bool handed_over = false;
      ~Held() {
        if (!handed_over) quota.Close(address);
      }
    } held{streams_, address};
    auto response = co_await upstream.Forward(request, Identity(request, claims));
    if (response.stream) {
      held.handed_over = true;
      EndAtExpiry(response.stream, claims.expires_at, co_await boost::asio::this_coro::executor);
      response.stream->OnAbandon([self = shared_from_this(), address] { self->streams_.Close(address); });
    }
    co_return response;
  }

  // Authenticated traffic is limited per user; the per-IP bucket guards what is anonymous (identity
  // endpoints, and guessing tokens), so users behind one address do not starve each other.
  std::optional<Response> Limit(RateClass rate, const Request& request, const auth::Claims* claims) const {
    switch (rate) {
      case RateClass::kNone:
        return std::nullopt;
      case RateClass::kPerIp:
        return LimitIp(request);
      case RateClass::kPerUser:
        return claims != nullptr ? gateway::Limit(deps_.per_user, claims->user_id, LimitScope::kUser)
                                 : LimitIp(request);
    }
    return std::nullopt;
  }

  std::optional<Response> LimitIp(const Request& request) const {
    return gateway::Limit(deps_.per_ip, std::string(request.Client()), LimitScope::kIp);
  }

  GatewayDeps& deps_;
  CorsPolicy cors_;
  std::deque<ShedRoute> shed_routes_;  // one per shed route; a deque never moves them
  StreamQuota streams_;                // live-update streams open per client address
};

// The handler of a route answered here.
LocalHandler LocalHandlerFor(Target target, GatewayDeps& deps) {
  switch (target) {
    case Target::kGuest:
      return [&deps](const Request& r) { return Guest(deps.users, deps.signer, r); };
    case Target::kRegister:
      return [&deps](const Request& r) {
        return Register(deps.users, deps.signer, deps.login_throttle, r, r.Client());
      };
    case Target::kLogin:
      return [&deps](const Request& r) {
        return Login(deps.users, deps.signer, deps.login_throttle, r, r.Client());
      };
    case Target::kOpenApi:
      return [](const Request&) { return OpenApiYaml(OpenApiDocument()); };
    case Target::kDocs:
      return [&deps](const Request&) { return DocsFile(deps.docs_dir, "index.html"); };
    case Target::kDocsFile:
      return [&deps](const Request& r) { return DocsFile(deps.docs_dir, r.path_params.at("file")); };
    case Target::kOrders:
    case Target::kPayments:
    case Target::kOperational:
      break;
  }
  throw std::logic_error("not a route the gateway answers itself");
}

// Every public path answers OPTIONS (a CORS preflight), saying in Allow what the path serves. The
// paths keep the table's order: the router takes the first route that matches, and a literal path
// added later (say "/api/orders/export") must come before the pattern that would also match it
// ("/api/orders/{id}").
void AddPreflights(http::Router& router, const std::shared_ptr<Edge>& edge) {
  std::vector<std::pair<std::string_view, std::string>> allowed;
  for (const auto& route : RouteTable()) {
    if (route.access == Access::kInternal) continue;
    auto it =
        std::find_if(allowed.begin(), allowed.end(), [&](const auto& p) { return p.first == route.pattern; });
    if (it == allowed.end()) it = allowed.insert(allowed.end(), {route.pattern, ""});
    it->second += std::string(it->second.empty() ? "" : ", ") + std::string(route.method);
    if (route.method == "GET") it->second += ", HEAD";  // the router answers HEAD with the GET route
  }
  for (const auto& [pattern, methods] : allowed) {
    router.Add("OPTIONS", std::string(pattern), [edge, allow = methods + ", OPTIONS"](Request& r) {
      auto response = edge->Preflight(r);
      response.SetHeader("Allow", allow);
      return response;
    });
  }
}

}  // namespace

void RegisterRoutes(http::Router& router, GatewayDeps& deps) {
  auto edge = std::make_shared<Edge>(deps);
  // The identity routes write to the users database: while it is unreachable (or failing over to
  // a standby) they answer 503 + Retry-After, as the services do, rather than a 500.
  router.SetErrorMapper(service::UnavailableWhenTheDatabaseIs());
  router.SetNotFound([edge](Request& r) { return edge->NotFound(r); });
  router.SetFinisher([edge](const Request& r, Response& response) { edge->Finish(r, response); });
  // The order of registration is visible: a 405's Allow lists a path's methods in that order. The
  // table's routes come first, then the preflights, then the operational routes.
  bool operational = false;
  for (const auto& route : RouteTable()) {
    const std::string method(route.method);
    const std::string pattern(route.pattern);
    switch (route.target) {
      case Target::kOrders:
        router.AddAsync(method, pattern, edge->Proxied(route, deps.orders));
        break;
      case Target::kPayments:
        router.AddAsync(method, pattern, edge->Proxied(route, deps.payments));
        break;
      case Target::kOperational:
        operational = true;
        break;
      default:
        router.Add(method, pattern, edge->Local(route, LocalHandlerFor(route.target, deps)));
    }
  }
  AddPreflights(router, edge);
  // http::AddOperationalRoutes serves all three at once; route_table_test checks the table lists
  // exactly those.
  if (operational) {
    http::AddOperationalRoutes(router, std::move(deps.readiness), [&deps](const Request& request) {
      return deps.metrics_readers.Contains(request.remote_address);
    });
  }
}

}  // namespace kpo::gateway

#pragma once
// Method + path pattern routing: "/api/orders/{id}" binds "id" in Request::path_params.
#include <boost/asio/awaitable.hpp>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace kpo::http {

// A handler that may block (database calls): the server runs it on its worker pool.
using Handler = std::function<Response(Request&)>;
// A handler that never blocks (e.g. a proxy doing async I/O): it runs on the I/O threads. It gets a
// body of any Content-Type: a proxy leaves judging it to the service behind, after it has decided
// who may call at all (a caller without a token gets 401 there, not 415).
using AsyncHandler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Where the server runs a blocking handler. Requests share the worker pool, whose queue is bounded
// (ServerOptions::max_queued, max_queue_wait: under overload they are refused with 503). Operations
// (readiness, metrics) run on workers of their own and are never refused, so that probes and
// scrapes still answer while the requests' workers are saturated.
enum class Lane { kRequests, kOperations };

// Which request bodies a route's handler reads: UTF-8 JSON only (others get 415 before it runs),
// or any (a proxy leaves judging them to the service behind).
enum class BodyTypes { kJson, kAny };

class Router {
 public:
  // Registers a handler; `pattern` segments in braces are parameters. Not thread safe: register
  // everything before the server starts; Find is then safe from any thread.
  // A route's gate runs on the I/O thread as the request is routed, before it waits for a worker:
  // a refusal from it is sent at once instead of running the handler (e.g. 503 while a service
  // sheds load), so refusals never queue behind the work they protect. It must not block.
  // A request it lets in may hold a ticket: the server keeps it until the request's answer is
  // ready, whatever the answer (the handler's, a refusal of the workers' queue, an error), so a
  // gate can count the requests it let in that are still unanswered.
  struct GateAnswer {
    std::optional<Response> refusal;
    std::shared_ptr<void> ticket;
  };
  using Gate = std::function<GateAnswer()>;
  void Add(std::string method, std::string pattern, Handler handler, Lane lane = Lane::kRequests,
           Gate gate = {});
  void AddAsync(std::string method, std::string pattern, AsyncHandler handler,
                BodyTypes bodies = BodyTypes::kAny, Gate gate = {});
  // Answers requests whose path matches no route (instead of the default 404 problem); a known
  // path with another method still answers 405.
  void SetNotFound(Handler handler);
  // Turns an exception a handler threw (other than ProblemError) into an answer, e.g. a lost
  // database into 503; nullopt leaves it a logged 500. Called by the server's edge.
  using ErrorMapper = std::function<std::optional<Response>(const std::exception&)>;
  void SetErrorMapper(ErrorMapper mapper) { error_mapper_ = std::move(mapper); }
  std::optional<Response> MapError(const std::exception& error) const {
    return error_mapper_ ? error_mapper_(error) : std::nullopt;
  }
  // Completes every answer the server sends for this router, whoever made it: a handler, the
  // router's 404/405, the server's own refusals (400, 413, 431, 503) and its 500; e.g. the
  // headers every answer of a public port carries. Called by the server on the I/O thread just
  // before the answer's head is written (for a request it could not read, with what it parsed of
  // the head: the path may be empty). Must not block.
  using Finisher = std::function<void(const Request&, Response&)>;
  void SetFinisher(Finisher finisher) { finisher_ = std::move(finisher); }
  void Finish(const Request& request, Response& response) const {
    if (finisher_) finisher_(request, response);
  }

  // The route for `request` (path parameters bound into it), or the 404/405 answer, or its gate's
  // refusal (in `error`, with no handler).
  struct Found {
    const Handler* handler = nullptr;
    const AsyncHandler* async_handler = nullptr;
    bool matched = false;  // a route's own handler, not the not-found handler (SetNotFound)
    Lane lane = Lane::kRequests;
    BodyTypes bodies = BodyTypes::kJson;
    std::string_view pattern = "unmatched";  // refers to the router, which outlives the request
    Response error;
    std::shared_ptr<void> ticket;  // the gate's, held until the answer is ready
  };
  Found Find(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    AsyncHandler async_handler;
    Lane lane = Lane::kRequests;
    Gate gate;
    BodyTypes bodies = BodyTypes::kJson;
  };
  const Route* Match(const Request& request, bool& path_matched, std::string& allow,
                     std::map<std::string, std::string>& params) const;
  std::vector<Route> routes_;
  Handler not_found_;
  ErrorMapper error_mapper_;
  Finisher finisher_;
};

// Whether `route`'s handler takes `request`'s body as it is typed: blocking handlers and async ones
// registered with BodyTypes::kJson read bodies as UTF-8 JSON (else 415); other async handlers (the
// gateway's proxy) and unmatched routes take any.
bool AcceptsBodyType(const Request& request, const Router::Found& route);

// The caller's user id from the X-User-Id header the gateway sets from the verified token.
// Throws ProblemError(401) when it is missing or not a UUID. Returns it lower-cased.
std::string RequireUserId(const Request& request);

}  // namespace kpo::http

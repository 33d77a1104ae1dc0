#include "http/router.hpp"

#include <algorithm>

#include "core/ids.hpp"
#include "http/problem.hpp"

namespace kpo::http {
namespace {

// The non-empty segments of a request path, as views into it.
std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(8);  // deeper than any route: one allocation
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// Whether the comma-separated `list` ("GET, HEAD, POST") names `method`.
bool ListsMethod(std::string_view list, std::string_view method) {
  while (!list.empty()) {
    const auto comma = list.find(", ");
    if (list.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 2);
  }
  return false;
}

std::vector<std::string> SplitPath(std::string_view path) {
  const auto views = PathSegments(path);
  return {views.begin(), views.end()};
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, Lane lane, Gate gate) {
  auto segments = SplitPath(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments), std::move(handler),
                          nullptr, lane, std::move(gate)});
}

void Router::AddAsync(std::string method, std::string pattern, AsyncHandler handler, BodyTypes bodies,
                      Gate gate) {
  auto segments = SplitPath(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments), nullptr,
                          std::move(handler), Lane::kRequests, std::move(gate), bodies});
}

void Router::SetNotFound(Handler handler) { not_found_ = std::move(handler); }

Router::Found Router::Find(Request& request) const {
  bool path_matched = false;
  std::string allow;
  Found found;
  if (const Route* route = Match(request, path_matched, allow, request.path_params)) {
    found.pattern = route->pattern;
    found.lane = route->lane;
    found.bodies = route->bodies;
    if (route->gate) {
      auto answer = route->gate();
      if (answer.refusal) {
        found.error = std::move(*answer.refusal);
        return found;
      }
      found.ticket = std::move(answer.ticket);
    }
    found.matched = true;
    if (route->async_handler) {
      found.async_handler = &route->async_handler;
    } else {
      found.handler = &route->handler;
    }
    return found;
  }
  if (!path_matched && not_found_) {
    found.handler = &not_found_;
    return found;
  }
  if (path_matched) {
    found.error = ProblemResponse(405, "Method " + request.method + " is not allowed on " + request.path);
    found.error.SetHeader("Allow", allow);
  } else {
    found.error = ProblemResponse(404, "No resource at " + request.path);
  }
  return found;
}

const Router::Route* Router::Match(const Request& request, bool& path_matched, std::string& allow,
                                   std::map<std::string, std::string>& params) const {
  const auto parts = PathSegments(request.path);
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i)
      ok = IsParam(route.segments[i]) || route.segments[i] == parts[i];
    if (!ok) continue;
    path_matched = true;
    if (route.method == request.method || (request.method == "HEAD" && route.method == "GET")) {
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (IsParam(route.segments[i])) {
          params[route.segments[i].substr(1, route.segments[i].size() - 2)] = std::string(parts[i]);
        }
      }
      return &route;
    }
    // A GET route answers HEAD too (above), so HEAD is allowed wherever GET is.
    for (const std::string& method : route.method == "GET" ? std::vector<std::string>{"GET", "HEAD"}
                                                           : std::vector<std::string>{route.method}) {
      if (ListsMethod(allow, method)) continue;
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
  }
  return nullptr;
}

bool AcceptsBodyType(const Request& request, const Router::Found& route) {
  if (!route.matched || route.bodies == BodyTypes::kAny || !MethodMayCarryBody(request.method) ||
      request.body.empty()) {
    return true;
  }
  const auto type = request.Header("Content-Type");
  return type && IsUtf8Json(*type);
}

std::string RequireUserId(const Request& request) {
  auto header = request.Header("X-User-Id");
  auto user = header ? core::NormalizeUuid(*header) : std::nullopt;
  if (!user) throw ProblemError(401, "Authentication required: no valid user identity on the request");
  return *user;
}

}  // namespace kpo::http

#pragma once
// For tests of routes without a server: a request as the server hands it to the router, and what
// the server does with it.
#include <string>

#include "http/router.hpp"

namespace kpo::http {

inline Request RequestTo(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

// Runs the route's handler, or answers the router's 404/405, as the server would.
inline Response Dispatch(const Router& router, Request& request) {
  const Router::Found found = router.Find(request);
  return found.handler != nullptr ? (*found.handler)(request) : found.error;
}

}  // namespace kpo::http

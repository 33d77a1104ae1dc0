#pragma once
// RFC 7807 problem details (application/problem+json).
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "http/message.hpp"

namespace kpo::http {

using FieldErrors = std::map<std::string, std::string>;

// Builds a problem+json response: {"type","title","status","detail"} and "errors" when non-empty.
// The type is /problems/<slug of the status> unless `type` names one.
Response ProblemResponse(int status, std::string_view detail, const FieldErrors& errors = {},
                         std::string_view type = {});

// The type of a 503 that refuses work because there is more of it than can be finished (as opposed
// to a dependency that cannot be reached): the gateway sheds further requests on seeing it.
inline constexpr std::string_view kOverloadedProblemType = "/problems/overloaded";

// Whether `response` is a problem of type `type`.
bool IsProblemOfType(const Response& response, std::string_view type);

// Thrown by validation helpers and handlers to answer the client with a problem; the server's
// connection handler (the edge) catches it and renders it. Not an error of the service.
class ProblemError : public std::runtime_error {
 public:
  ProblemError(int status, std::string detail, FieldErrors errors = {})
      : std::runtime_error(detail), status_(status), detail_(std::move(detail)), errors_(std::move(errors)) {}
  int Status() const { return status_; }
  const FieldErrors& Errors() const { return errors_; }
  // Adds Retry-After (seconds) to the answer: for 503 and 429, when the client may try again.
  ProblemError& WithRetryAfter(int seconds) {
    retry_after_seconds_ = seconds;
    return *this;
  }
  // Names why this server refused, for its access line (Response::reason): a string literal.
  ProblemError& WithReason(std::string_view reason) {
    reason_ = reason;
    return *this;
  }
  // Names the problem's type instead of the status's default.
  ProblemError& WithType(std::string type) {
    type_ = std::move(type);
    return *this;
  }
  Response ToResponse() const {
    Response response = ProblemResponse(status_, detail_, errors_, type_);
    if (retry_after_seconds_ > 0) response.SetHeader("Retry-After", std::to_string(retry_after_seconds_));
    response.reason = reason_;
    return response;
  }

 private:
  int status_;
  std::string detail_;
  FieldErrors errors_;
  int retry_after_seconds_ = 0;
  std::string type_;
  std::string_view reason_;
};

// A live-update stream refused by a quota (orders' per user, the gateway's per address): 429, to be
// tried again in 5 s, once a stream of the same client may have closed.
inline ProblemError StreamQuotaExceeded(std::string detail) {
  return ProblemError(429, std::move(detail)).WithRetryAfter(5).WithReason("stream_quota");
}

// The standard reason phrase for a status ("Not Found").
std::string_view ReasonPhrase(int status);

}  // namespace kpo::http

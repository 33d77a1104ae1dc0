#pragma once
// RFC 7807 problem details (application/problem+json).
#include <map>
#include <stdexcept>
#include <string>

#include "http/message.hpp"

namespace kpo::http {

using FieldErrors = std::map<std::string, std::string>;

// Builds a problem+json response: {"type","title","status","detail"} and "errors" when non-empty.
Response ProblemResponse(int status, std::string_view detail, const FieldErrors& errors = {});

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
  Response ToResponse() const {
    Response response = ProblemResponse(status_, detail_, errors_);
    if (retry_after_seconds_ > 0) response.SetHeader("Retry-After", std::to_string(retry_after_seconds_));
    return response;
  }

 private:
  int status_;
  std::string detail_;
  FieldErrors errors_;
  int retry_after_seconds_ = 0;
};

// The standard reason phrase for a status ("Not Found").
std::string_view ReasonPhrase(int status);

}  // namespace kpo::http

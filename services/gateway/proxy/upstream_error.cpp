#include "gateway/proxy/upstream_error.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "http/problem.hpp"

namespace kpo::gateway {

int StatusFor(UpstreamErrorKind kind, bool safe_to_repeat) {
  switch (kind) {
    case UpstreamErrorKind::kConnect:
      return 503;
    case UpstreamErrorKind::kTimeout:
      return 504;
    case UpstreamErrorKind::kTransport:
      return safe_to_repeat ? 503 : 502;
    case UpstreamErrorKind::kProtocol:
      return 502;
  }
  return 502;
}

namespace {

std::string_view ReasonFor(UpstreamErrorKind kind) {
  switch (kind) {
    case UpstreamErrorKind::kConnect:
      return "upstream_connect";
    case UpstreamErrorKind::kTimeout:
      return "upstream_timeout";
    case UpstreamErrorKind::kTransport:
      return "upstream_transport";
    case UpstreamErrorKind::kProtocol:
      return "upstream_protocol";
  }
  return "upstream_transport";
}

}  // namespace

std::string FailureDetail(const std::string& service, int status, bool read, bool maybe_applied) {
  if (status == 503 && maybe_applied) {
    return "The " + service +
           " service is unavailable now, and an attempt may have applied the request: send it again with "
           "the same Idempotency-Key, which makes the repeat safe";
  }
  if (status == 503) return "The " + service + " service cannot be reached; try again shortly";
  if (read) return "The " + service + " service did not answer; try again shortly";
  return "The " + service +
         " service did not answer, and the request may have been applied: check before sending it again (an "
         "Idempotency-Key makes a repeat safe)";
}

bool MayRetryElsewhere(bool read, bool keyed, UpstreamErrorKind kind) {
  return kind == UpstreamErrorKind::kConnect || read || (keyed && kind == UpstreamErrorKind::kTransport);
}

bool MayRetryOnSameReplica(bool read, bool keyed, UpstreamErrorKind kind) {
  return kind == UpstreamErrorKind::kTransport && (read || keyed);
}

UpstreamErrorKind KindOf(const boost::system::error_code& error, bool deadline_expired, bool connecting) {
  if (deadline_expired || error == boost::asio::error::timed_out || error == boost::beast::error::timeout) {
    return UpstreamErrorKind::kTimeout;
  }
  namespace bhttp = boost::beast::http;
  // The replica closed the connection before its answer was complete: the connection failed, not
  // the replica's HTTP.
  if (error == bhttp::error::end_of_stream || error == bhttp::error::partial_message) {
    return connecting ? UpstreamErrorKind::kConnect : UpstreamErrorKind::kTransport;
  }
  if (error.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    return UpstreamErrorKind::kProtocol;
  }
  return connecting ? UpstreamErrorKind::kConnect : UpstreamErrorKind::kTransport;
}

http::Response UnansweredResponse(const std::string& service, const Unanswered& unanswered) {
  const int status = StatusFor(unanswered.failure, unanswered.read || unanswered.keyed);
  auto problem = http::ProblemResponse(
      status, FailureDetail(service, status, unanswered.read, unanswered.maybe_applied));
  // A read that timed out is safe to ask again, and a client told when gets its answer sooner than one
  // that guesses; a write that timed out may have been applied, and is not invited back blindly.
  if (status == 503 || (status == 504 && unanswered.read)) problem.SetHeader("Retry-After", "1");
  problem.reason = unanswered.stalled ? "upstream_stalled" : ReasonFor(unanswered.failure);
  return problem;
}

}  // namespace kpo::gateway

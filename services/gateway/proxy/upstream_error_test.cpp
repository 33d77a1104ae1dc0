// Upstream failures are classified by their error code: an unreachable service is a 503, a timeout
// a 504, anything after the request went out a 502.
#include "gateway/proxy/upstream_error.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace kpo::gateway {
namespace {

namespace asio_error = boost::asio::error;
namespace http_error = boost::beast::http;

TEST(UpstreamError, AnUnreachableServiceIsUnavailableAndOnlyATimeoutIsAGatewayTimeout) {
  for (const bool safe_to_repeat : {false, true}) {
    EXPECT_EQ(StatusFor(UpstreamErrorKind::kTimeout, safe_to_repeat), 504);
    EXPECT_EQ(StatusFor(UpstreamErrorKind::kConnect, safe_to_repeat), 503);
    EXPECT_EQ(StatusFor(UpstreamErrorKind::kProtocol, safe_to_repeat), 502);
  }
}

// A broken connection leaves an unkeyed write's outcome unknown and its repeat unsafe (502, no
// Retry-After); a read or a keyed write the client can simply repeat: the service is unavailable.
TEST(UpstreamError, ABrokenConnectionIsABadGatewayOnlyForWhatIsNotSafeToRepeat) {
  EXPECT_EQ(StatusFor(UpstreamErrorKind::kTransport, false), 502);
  EXPECT_EQ(StatusFor(UpstreamErrorKind::kTransport, true), 503);
}

TEST(UpstreamError, AWriteWithoutAnAnswerIsNotCalledSafeToRepeat) {
  EXPECT_NE(FailureDetail("orders", 502, false).find("may have been applied"), std::string::npos);
  EXPECT_NE(FailureDetail("orders", 504, false).find("may have been applied"), std::string::npos);
  EXPECT_NE(FailureDetail("orders", 502, true).find("try again"), std::string::npos);
  EXPECT_NE(FailureDetail("orders", 503, false).find("cannot be reached"), std::string::npos);
  // A keyed write whose first attempt got no answer and whose retry reached no replica (helper-48:
  // two of three such orders had been committed).
  EXPECT_NE(FailureDetail("orders", 503, false, true).find("same Idempotency-Key"), std::string::npos);
}

TEST(UpstreamError, ARequestGoesToAnotherReplicaOnlyWhenTheFirstCannotHaveAppliedItOrRepeatingIsHarmless) {
  // Never connected: nothing was sent, whatever the method.
  EXPECT_TRUE(MayRetryElsewhere(false, false, UpstreamErrorKind::kConnect));
  // Reads are repeated after any failure.
  EXPECT_TRUE(MayRetryElsewhere(true, false, UpstreamErrorKind::kTransport));
  EXPECT_TRUE(MayRetryElsewhere(true, false, UpstreamErrorKind::kTimeout));
  // A keyed write after its connection failed (a replica shutting down closed it): the key makes it safe.
  EXPECT_TRUE(MayRetryElsewhere(false, true, UpstreamErrorKind::kTransport));
  // A keyed write that timed out may still be running there; an unkeyed one may have been applied.
  EXPECT_FALSE(MayRetryElsewhere(false, true, UpstreamErrorKind::kTimeout));
  EXPECT_FALSE(MayRetryElsewhere(false, true, UpstreamErrorKind::kProtocol));
  EXPECT_FALSE(MayRetryElsewhere(false, false, UpstreamErrorKind::kTransport));
  EXPECT_FALSE(MayRetryElsewhere(false, false, UpstreamErrorKind::kTimeout));
}

TEST(UpstreamError, TheOnlyReplicaGetsARequestAgainOnlyAfterItsConnectionBrokeAndOnlyWhatIsSafeToRepeat) {
  // The replica died holding it, or its connection did: a new connection may find it back.
  EXPECT_TRUE(MayRetryOnSameReplica(true, false, UpstreamErrorKind::kTransport));
  EXPECT_TRUE(MayRetryOnSameReplica(false, true, UpstreamErrorKind::kTransport));
  // An unkeyed write may have been applied.
  EXPECT_FALSE(MayRetryOnSameReplica(false, false, UpstreamErrorKind::kTransport));
  // Refused or timed out: the same replica would refuse again, or keep the client waiting twice.
  EXPECT_FALSE(MayRetryOnSameReplica(true, false, UpstreamErrorKind::kConnect));
  EXPECT_FALSE(MayRetryOnSameReplica(true, false, UpstreamErrorKind::kTimeout));
  EXPECT_FALSE(MayRetryOnSameReplica(false, true, UpstreamErrorKind::kTimeout));
  EXPECT_FALSE(MayRetryOnSameReplica(true, false, UpstreamErrorKind::kProtocol));
}

// The answer for a request no replica answered: its status, Retry-After with a 503 and with a read's
// 504 (never with a write's, which may have been applied), and the reason its access line names
// (never sent).
TEST(UpstreamError, AnUnansweredRequestsAnswerNamesWhyOnTheAccessLine) {
  const auto stalled =
      UnansweredResponse("orders", {.failure = UpstreamErrorKind::kConnect, .stalled = true, .read = true});
  EXPECT_EQ(stalled.status, 503);
  EXPECT_EQ(http::FindHeader(stalled.headers, "Retry-After"), "1");
  EXPECT_EQ(stalled.reason, "upstream_stalled");
  const auto timed_out = UnansweredResponse("orders", {.failure = UpstreamErrorKind::kTimeout});
  EXPECT_EQ(timed_out.status, 504);
  EXPECT_FALSE(http::FindHeader(timed_out.headers, "Retry-After"));
  EXPECT_EQ(timed_out.reason, "upstream_timeout");
  const auto read_timed_out =
      UnansweredResponse("orders", {.failure = UpstreamErrorKind::kTimeout, .read = true});
  EXPECT_EQ(read_timed_out.status, 504);
  EXPECT_EQ(http::FindHeader(read_timed_out.headers, "Retry-After"), "1");
  const auto reset_unkeyed =
      UnansweredResponse("orders", {.failure = UpstreamErrorKind::kTransport, .maybe_applied = true});
  EXPECT_EQ(reset_unkeyed.status, 502);
  EXPECT_EQ(reset_unkeyed.reason, "upstream_transport");
  EXPECT_NE(reset_unkeyed.body.find("may have been applied"), std::string::npos) << reset_unkeyed.body;
  const auto reset_keyed = UnansweredResponse(
      "orders", {.failure = UpstreamErrorKind::kTransport, .keyed = true, .maybe_applied = true});
  EXPECT_EQ(reset_keyed.status, 503);
  EXPECT_NE(reset_keyed.body.find("same Idempotency-Key"), std::string::npos) << reset_keyed.body;
  EXPECT_EQ(UnansweredResponse("orders", {.failure = UpstreamErrorKind::kConnect}).reason,
            "upstream_connect");
  EXPECT_EQ(UnansweredResponse("orders", {.failure = UpstreamErrorKind::kProtocol}).reason,
            "upstream_protocol");
}

TEST(UpstreamError, AnExpiredDeadlineIsATimeoutWhateverTheErrorCodeSays) {
  const auto aborted = make_error_code(asio_error::operation_aborted);
  EXPECT_EQ(KindOf(aborted, true, true), UpstreamErrorKind::kTimeout);
  EXPECT_EQ(KindOf(aborted, true, false), UpstreamErrorKind::kTimeout);
}

TEST(UpstreamError, TheKernelsTimeoutIsATimeoutToo) {
  EXPECT_EQ(KindOf(make_error_code(asio_error::timed_out), false, true), UpstreamErrorKind::kTimeout);
  EXPECT_EQ(KindOf(make_error_code(asio_error::timed_out), false, false), UpstreamErrorKind::kTimeout);
  EXPECT_EQ(KindOf(make_error_code(boost::beast::error::timeout), false, false), UpstreamErrorKind::kTimeout);
}

TEST(UpstreamError, ARefusedConnectionIsAConnectFailure) {
  EXPECT_EQ(KindOf(make_error_code(asio_error::connection_refused), false, true),
            UpstreamErrorKind::kConnect);
  EXPECT_EQ(KindOf(make_error_code(asio_error::host_unreachable), false, true), UpstreamErrorKind::kConnect);
}

TEST(UpstreamError, AConnectionLostMidExchangeIsATransportFailure) {
  EXPECT_EQ(KindOf(make_error_code(asio_error::connection_reset), false, false),
            UpstreamErrorKind::kTransport);
  EXPECT_EQ(KindOf(make_error_code(asio_error::eof), false, false), UpstreamErrorKind::kTransport);
  EXPECT_EQ(KindOf(make_error_code(http_error::error::end_of_stream), false, false),
            UpstreamErrorKind::kTransport);
  EXPECT_EQ(KindOf(make_error_code(http_error::error::partial_message), false, false),
            UpstreamErrorKind::kTransport);
}

TEST(UpstreamError, AnUnreadableAnswerIsAProtocolFailure) {
  EXPECT_EQ(KindOf(make_error_code(http_error::error::bad_version), false, false),
            UpstreamErrorKind::kProtocol);
  EXPECT_EQ(KindOf(make_error_code(http_error::error::bad_status), false, false),
            UpstreamErrorKind::kProtocol);
}

TEST(UpstreamError, CarriesItsKindAndMessage) {
  const UpstreamError error(UpstreamErrorKind::kConnect, "connect to 127.0.0.1:1: refused");
  EXPECT_EQ(error.Kind(), UpstreamErrorKind::kConnect);
  EXPECT_STREQ(error.what(), "connect to 127.0.0.1:1: refused");
}

}  // namespace
}  // namespace kpo::gateway

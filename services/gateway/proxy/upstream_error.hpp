#pragma once
// Why a call to an upstream replica failed, and what the gateway answers for it. The kind is decided
// where the failure happens (from the error code and the connection's deadline), never by reading the
// message afterwards.
#include <boost/system/error_code.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace kpo::gateway {

enum class UpstreamErrorKind {
  kConnect,    // no connection to the replica: refused, unreachable, not a usable address
  kTimeout,    // a connect, write or read deadline passed (ours, or the kernel's ETIMEDOUT)
  kTransport,  // the connection failed after it was made: reset, closed early, any other error
  kProtocol,   // the replica's answer is not an HTTP response the gateway can read
};

// The status the gateway answers when no replica could answer: 503 when none could be reached (the
// service is down or restarting: nothing was sent, so the client may simply come back; the
// gateway adds Retry-After), 504 when the service timed out, 502 when the answer was unreadable.
// A connection that failed after the request went out (a replica killed holding it) is 503 too for
// a request that is safe to repeat (`safe_to_repeat`: a read, or a write with an Idempotency-Key,
// which the service replays): the service is unavailable, and the client should simply repeat it
// (a keyed write with the same key). Only an unkeyed write gets 502 then: it may have been applied,
// and a Retry-After would invite a blind repeat that places it twice.
int StatusFor(UpstreamErrorKind kind, bool safe_to_repeat);

// What became of a request no replica answered.
struct Unanswered {
  UpstreamErrorKind failure = UpstreamErrorKind::kConnect;  // the last attempt's
  bool stalled = false;        // refused at once: every replica left held requests it had not answered
  bool read = false;           // GET or HEAD
  bool keyed = false;          // a write with an Idempotency-Key
  bool maybe_applied = false;  // a write reached a replica and got no answer
};

// The problem the gateway answers for `unanswered` by `service`: StatusFor's status, FailureDetail's
// words, Retry-After: 1 with a 503 and with a read's 504, and the reason on its access line
// (http::Response::reason): "upstream_stalled", or by the failure's kind "upstream_connect",
// "upstream_timeout", "upstream_transport" or "upstream_protocol".
http::Response UnansweredResponse(const std::string& service, const Unanswered& unanswered);

// What the client is told when no replica could answer with `status` (StatusFor). A write that
// reached a replica and got no answer may have been applied: the client is told so, not invited to
// repeat it (without an Idempotency-Key a repeat would place it twice). `maybe_applied`: an earlier
// attempt of this write (or the last) reached a replica and got no answer, so a 503 does not mean
// nothing was done: the client is told to repeat it with the same key, not with a new one.
std::string FailureDetail(const std::string& service, int status, bool read, bool maybe_applied = false);

// Whether a request whose attempt on one replica failed with `kind` may be sent to another replica.
// A connection that was never made carried nothing, so any request may. Otherwise the replica may
// have applied it, and only a request that is safe to repeat goes again: a read (`read`: GET or HEAD),
// after any failure; a write with an Idempotency-Key (`keyed`), after its connection failed — the
// services' idempotency store, shared by their replicas, turns a second attempt into a replay of the
// first's answer, or a 409 while the first still runs — but not after a timeout, which would double
// the client's wait for an answer that may still come from the first replica.
bool MayRetryElsewhere(bool read, bool keyed, UpstreamErrorKind kind);

// Whether a request may go once more to the same (only) replica, on a new connection: only after
// the connection broke (kTransport) and only what is safe to repeat (a read, or a write with an
// Idempotency-Key). Not after a refused connect or a timeout: the same replica would refuse or keep
// the client waiting again.
bool MayRetryOnSameReplica(bool read, bool keyed, UpstreamErrorKind kind);

// The kind of a failed socket or parser operation. `deadline_expired`: the connection's own deadline
// closed the socket (the error code then only says "operation aborted"). `connecting`: the error came
// from the connect itself.
UpstreamErrorKind KindOf(const boost::system::error_code& error, bool deadline_expired, bool connecting);

// A failed exchange with one replica. The message names the replica and what failed, for the log.
class UpstreamError : public std::runtime_error {
 public:
  UpstreamError(UpstreamErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  UpstreamErrorKind Kind() const { return kind_; }

 private:
  UpstreamErrorKind kind_;
};

}  // namespace kpo::gateway

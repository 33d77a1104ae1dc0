#include <charconv>

#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/stream.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/live/live_updates.hpp"

namespace kpo::orders {
namespace {

// Last-Event-ID from the header (EventSource reconnects) or the query (a fresh page load).
std::optional<std::int64_t> LastEventId(const http::Request& request) {
  std::string_view text;
  if (auto header = request.Header("Last-Event-ID")) {
    text = *header;
  } else if (auto it = request.query.find("lastEventId"); it != request.query.end()) {
    text = it->second;
  } else {
    return std::nullopt;
  }
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id < 0) return std::nullopt;
  return id;
}

}  // namespace

http::Response StreamEvents(db::Pool& pool, LiveUpdates& live, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  // Subscribe before reading what was missed: an event committed in between is held back by the
  // subscription instead of falling into the gap.
  const auto last = LastEventId(request);
  auto subscription = live.Subscribe(user_id);
  if (!subscription) {
    throw http::StreamQuotaExceeded("Too many live-update streams are open for this user; close one first");
  }
  // Until the server holds the stream, nothing else would ever let go of its subscription: if this
  // handler fails first (the replay read finds the pool exhausted or the database restarting), the
  // stream is abandoned here, or the subscription would gather the user's events and heartbeats
  // for good and count towards the user's cap. The gateway's stream quota is held the same way.
  struct AbandonUnlessHandedOver {
    http::EventStream& stream;
    bool handed_over = false;
    ~AbandonUnlessHandedOver() {
      if (!handed_over) stream.Abandon();
    }
  } guard{*subscription->Stream()};
  subscription->Stream()->Push("retry: 2000\n\n");
  if (last) {
    auto lease = pool.Acquire();
    live.Replay(*lease, user_id, *subscription, *last);
  } else {
    subscription->FinishReplay(std::nullopt, {});  // a new stream: live events from now on
  }

  http::Response response;
  response.headers.emplace_back("Content-Type", "text/event-stream; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass events through at once
  response.stream = subscription->Stream();
  guard.handed_over = true;
  return response;
}

}  // namespace kpo::orders

#include <charconv>

#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/stream.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/live/live_updates.hpp"
#include "orders/storage/order_repository.hpp"

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

// The most events one stream replays; a client that missed more gets them over several streams.
constexpr int kReplayLimit = 1000;

// Until the server holds a stream, nothing else would ever let go of its subscription: when the
// handler fails before handing it over (the replay read finds the pool exhausted or the database
// restarting), the subscription would stay registered for good, keep gathering the user's events
// and heartbeats, and count towards the user's cap. This abandons the stream unless it was handed
// over, so the poller releases the subscription.
class AbandonUnlessHandedOver {
 public:
  explicit AbandonUnlessHandedOver(std::shared_ptr<http::EventStream> stream) : stream_(std::move(stream)) {}
  ~AbandonUnlessHandedOver() {
    if (stream_) stream_->Abandon();
  }
  AbandonUnlessHandedOver(const AbandonUnlessHandedOver&) = delete;
  AbandonUnlessHandedOver& operator=(const AbandonUnlessHandedOver&) = delete;
  AbandonUnlessHandedOver(AbandonUnlessHandedOver&&) = delete;
  AbandonUnlessHandedOver& operator=(AbandonUnlessHandedOver&&) = delete;

  std::shared_ptr<http::EventStream> HandOver() { return std::move(stream_); }

 private:
  std::shared_ptr<http::EventStream> stream_;
};

}  // namespace

http::Response StreamEvents(db::Pool& pool, LiveUpdates& live, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  // Subscribe before reading what was missed: an event committed in between is held back by the
  // subscription instead of falling into the gap.
  const auto last = LastEventId(request);
  auto subscription = live.Subscribe(user_id, last.value_or(0));
  if (!subscription) {
    throw http::ProblemError(429, "Too many live-update streams are open for this user; close one first")
        .WithRetryAfter(5);
  }
  AbandonUnlessHandedOver stream(subscription->Stream());
  subscription->Stream()->Push("retry: 2000\n\n");
  std::vector<std::pair<std::int64_t, std::string>> missed;
  if (last) {
    auto lease = pool.Acquire();
    missed = OrderRepository::EventsAfter(*lease, user_id, *last, kReplayLimit);
  }
  subscription->FinishReplay(missed, missed.size() < kReplayLimit);

  http::Response response;
  response.headers.emplace_back("Content-Type", "text/event-stream; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass events through at once
  response.stream = stream.HandOver();
  return response;
}

}  // namespace kpo::orders

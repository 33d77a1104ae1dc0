#include "http/deadline.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>
#include <cstdint>

namespace kpo::http {
namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds kCancelRepeat{50};
}  // namespace

struct SocketDeadline::State {
  explicit State(asio::ip::tcp::socket& s) : socket(&s), timer(s.get_executor()) {}

  asio::ip::tcp::socket* socket;  // null once the owner is gone
  asio::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point wakes_at = Clock::time_point::max();  // of the pending wait; max: none
  std::uint64_t generation = 0;                           // of the pending wait
  bool expired = false;
  OnExpiry on_expiry = OnExpiry::kClose;
};

void SocketDeadline::OnWake(const std::shared_ptr<State>& state, std::uint64_t generation) {
  if (generation != state->generation) return;  // superseded by an earlier wake-up
  state->wakes_at = Clock::time_point::max();
  if (state->socket == nullptr || state->deadline == Clock::time_point::max()) return;
  if (Clock::now() < state->deadline) {
    WakeAt(state, state->deadline);
    return;
  }
  state->expired = true;
  boost::system::error_code ignored;
  if (state->on_expiry == OnExpiry::kCancel) {
    state->socket->cancel(ignored);
    // A cancel reaches only the operations pending now: one started later (the next read of a
    // loop whose last read had just completed) is cancelled at the next wake-up, until the owner
    // sets a new deadline or clears it.
    WakeAt(state, Clock::now() + kCancelRepeat);
  } else {
    state->socket->close(ignored);
  }
}

void SocketDeadline::WakeAt(const std::shared_ptr<State>& state, Clock::time_point at) {
  const auto generation = ++state->generation;
  state->wakes_at = at;
  state->timer.expires_at(at);  // a pending wait completes as cancelled and sees a newer generation
  state->timer.async_wait(
      [state, generation](const boost::system::error_code&) { OnWake(state, generation); });
}

SocketDeadline::SocketDeadline(asio::ip::tcp::socket& socket) : state_(std::make_shared<State>(socket)) {}

SocketDeadline::~SocketDeadline() {
  state_->socket = nullptr;
  // cancel() throws only if the reactor cannot cancel the wait; the wait then completes at its time
  // and finds no socket to close, so the failure costs nothing but a late wake-up.
  try {
    state_->timer.cancel();
  } catch (const boost::system::system_error& error) {
    spdlog::debug("socket deadline: the timer's wait was not cancelled: {}", error.what());
  }
}

void SocketDeadline::ExpiresAfter(Clock::duration timeout, OnExpiry on_expiry) {
  state_->deadline = Clock::now() + timeout;
  state_->on_expiry = on_expiry;
  state_->expired = false;
  // Only a deadline earlier than the pending wake-up needs the timer touched.
  if (state_->deadline < state_->wakes_at) WakeAt(state_, state_->deadline);
}

void SocketDeadline::Clear() { state_->deadline = Clock::time_point::max(); }

bool SocketDeadline::Expired() const { return state_->expired; }

}  // namespace kpo::http

#pragma once
// The signals a serving process answers (http::Server::Run with `handle_signals`). Asio's header:
// server.cpp alone includes this one.
#include <boost/asio/signal_set.hpp>
#include <functional>

namespace kpo::http {

// Adds SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 to `signals` and waits for them on its loop: SIGTERM or
// SIGINT calls `stop` and ends the wait; SIGUSR1 and SIGUSR2 change the log level
// (core::LogMoreVerbosely, core::RestoreStartupLogLevel) and the wait goes on. `signals` must outlive
// the wait (cancelling it, or stopping its loop, ends it).
void AwaitServerSignals(boost::asio::signal_set& signals, std::function<void()> stop);

}  // namespace kpo::http

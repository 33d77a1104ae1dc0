#include "http/server_signals.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <utility>

#include "core/log.hpp"

namespace kpo::http {
namespace {

void AwaitNext(boost::asio::signal_set& signals, std::function<void()> stop) {
  signals.async_wait([&signals, stop = std::move(stop)](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGUSR1 || signal == SIGUSR2) {
      (signal == SIGUSR1 ? core::LogMoreVerbosely : core::RestoreStartupLogLevel)();
      AwaitNext(signals, stop);
      return;
    }
    spdlog::info("signal {} received: draining", signal);
    stop();
  });
}

}  // namespace

void AwaitServerSignals(boost::asio::signal_set& signals, std::function<void()> stop) {
  for (const int signal : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2}) signals.add(signal);
  AwaitNext(signals, std::move(stop));
}

}  // namespace kpo::http

#include "core/signals.hpp"

#include <unistd.h>

#include <csignal>

namespace kpo::core {
namespace {

extern "C" void ExitAtOnce(int signal) {
  _exit(128 + signal);  // async-signal-safe, unlike exit() and anything that logs
}

}  // namespace

void ExitOnTerminationSignals() {
  struct sigaction action {};
  action.sa_handler = ExitAtOnce;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGUSR1, &ignore, nullptr);
  sigaction(SIGUSR2, &ignore, nullptr);
}

}  // namespace kpo::core

#pragma once
// The edge of a service process: what each service's main() does around its own start-up and serving.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

#include "core/config.hpp"
#include "core/limits.hpp"

namespace kpo::core {

// A start-up refused for a reason a supervisor should tell from a crash, with the exit status that
// says so (the gateway without a token secret exits 2).
class StartupRefused : public std::runtime_error {
 public:
  StartupRefused(int exit_status, const std::string& reason);
  int ExitStatus() const noexcept { return exit_status_; }

 private:
  int exit_status_;
};

// A service's whole main(): logs as `name` at LOG_LEVEL, exits on SIGTERM/SIGINT while `serve` starts
// up (waiting for the database may take a minute; `serve`'s server handles them from then on), raises
// the open file limit, then runs `serve` with the configuration and that limit. Returns the exit
// status: 0 when `serve` returns; what it throws is logged as critical and gives 1, or a
// StartupRefused's own status. An invalid LOG_LEVEL gives 1 before `serve` runs.
int RunService(const std::string& name, const std::function<void(Config&, const OpenFileLimit&)>& serve);

}  // namespace kpo::core

#include "core/process.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "core/signals.hpp"

namespace kpo::core {

StartupRefused::StartupRefused(int exit_status, const std::string& reason)
    : std::runtime_error(reason), exit_status_(exit_status) {}

int RunService(const std::string& name, const std::function<void(Config&, const OpenFileLimit&)>& serve) {
  Config config;
  if (!InitLogging(name, config.String("LOG_LEVEL", "info"))) return 1;
  ExitOnTerminationSignals();
  const auto open_files = RaiseOpenFileLimit();
  // The edge of the process: a configuration or start-up failure is logged, not left to terminate().
  try {
    serve(config, open_files);
  } catch (const StartupRefused& refused) {
    spdlog::critical("{}: {}", name, refused.what());
    return refused.ExitStatus();
  } catch (const std::exception& error) {
    spdlog::critical("{} failed: {}", name, error.what());
    return 1;
  }
  return 0;
}

}  // namespace kpo::core

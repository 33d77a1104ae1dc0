#pragma once
// Runs a service binary as a child process for black-box tests.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace kpo::testing {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

class ServiceProcess {
 public:
  // `env` is added to this process's environment. The child's output goes to
  // KPO_TEST_LOG_DIR/<name>.log (appended across restarts).
  ServiceProcess(std::string name, std::string binary, EnvVars env, std::uint16_t port);
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Spawns the binary and waits (up to `deadline`) until GET /readyz answers 200. Fails the
  // test (ASSERT-style exception) when it does not.
  void Start(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Starts without waiting for readiness (e.g. while a dependency is down).
  void Spawn();
  // Sends `signal` and reaps the child. SIGKILL simulates a crash; SIGTERM a graceful stop.
  void Signal(int signal);
  // Pauses (SIGSTOP) or resumes (SIGCONT) the process without waiting for it: it keeps its
  // connections, like a process that stalls.
  void Pause(bool paused);
  bool Running() const { return pid_ > 0; }
  // True once the child has exited on its own (reaps it).
  bool HasExited();
  // Exit code after a graceful stop (-1 unknown / killed by a signal).
  int LastExitCode() const { return last_exit_code_; }
  std::uint16_t Port() const { return port_; }
  const std::string& LogPath() const { return log_path_; }

 private:
  std::string name_;
  std::string binary_;
  EnvVars env_;
  std::uint16_t port_;
  std::string log_path_;
  pid_t pid_ = -1;
  int last_exit_code_ = -1;
};

// Polls `condition` every 20 ms until it holds or `deadline` passes; returns the last result.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds deadline);

}  // namespace kpo::testing

#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include "http/client.hpp"

extern char** environ;

namespace kpo::testing {

ServiceProcess::ServiceProcess(std::string name, std::string binary, EnvVars env, std::uint16_t port)
    : name_(std::move(name)), binary_(std::move(binary)), env_(std::move(env)), port_(port) {
  std::filesystem::create_directories(KPO_TEST_LOG_DIR);
  log_path_ = std::string(KPO_TEST_LOG_DIR) + "/" + name_ + ".log";
}

ServiceProcess::~ServiceProcess() {
  if (Running()) Signal(SIGTERM);
}

namespace {

// Whether something accepts connections on 127.0.0.1:`port`.
bool Listening(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

}  // namespace

void ServiceProcess::Spawn() {
  if (Running()) throw std::logic_error(name_ + " is already running");
  // A process left over from an aborted test would answer the readiness check in place of this
  // one (which then fails to bind): the test would run against the wrong configuration.
  if (port_ != 0 && Listening(port_))
    throw std::runtime_error(name_ + ": port " + std::to_string(port_) + " is taken by another process");
  std::vector<std::string> storage;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (const auto& [key, value] : env_) overridden = overridden || entry.rfind(key + "=", 0) == 0;
    if (!overridden) storage.push_back(std::move(entry));
  }
  // A later setting of the same variable wins (callers append overrides).
  for (std::size_t i = 0; i < env_.size(); ++i) {
    bool overridden_later = false;
    for (std::size_t j = i + 1; j < env_.size(); ++j)
      overridden_later = overridden_later || env_[j].first == env_[i].first;
    if (!overridden_later) storage.push_back(env_[i].first + "=" + env_[i].second);
  }
  std::vector<char*> envp;
  for (auto& entry : storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string program = binary_;
  char* argv[] = {program.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + binary_);
  }
}

void ServiceProcess::Start(std::chrono::milliseconds deadline) {
  Spawn();
  const bool ready = WaitUntil(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          throw std::runtime_error(name_ + " exited during start-up; see " + log_path_);
        }
        try {
          return http::Fetch("127.0.0.1", port_, "GET", "/readyz", {}, {}, std::chrono::seconds(3)).status ==
                 200;
        } catch (const std::system_error&) {
          return false;  // not listening yet
        }
      },
      deadline);
  if (!ready) throw std::runtime_error(name_ + " did not become ready; see " + log_path_);
}

void ServiceProcess::Signal(int signal) {
  if (!Running()) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  last_exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
}

void ServiceProcess::Pause(bool paused) {
  if (Running()) ::kill(pid_, paused ? SIGSTOP : SIGCONT);
}

bool ServiceProcess::HasExited() {
  if (!Running()) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  last_exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return true;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    // Polling interval of a condition with a deadline, not a synchronisation by sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace kpo::testing

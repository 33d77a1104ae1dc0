#pragma once
// For tests that stop a PostgreSQL backend (SIGSTOP) to see what a hung server does to its client:
// they need the server on this machine and the right to signal its processes (root in CI).
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>

namespace kpo::db {

// Whether `pid` is a PostgreSQL process of this machine (with a remote server, the backend's pid
// names some other local process or none).
inline bool IsLocalPostgres(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name == "postgres";
}

// Resumes a stopped process when it goes, and after `after` in any case, from a child process of
// its own: a test killed meanwhile (a ctest timeout) must not leave the server's backend stopped
// with its transaction open. The child only sleeps, signals and exits (safe after fork).
class ResumeGuard {
 public:
  ResumeGuard(pid_t pid, std::chrono::seconds after) : pid_(pid), watchdog_(::fork()) {
    if (watchdog_ == 0) {
      ::sleep(static_cast<unsigned>(after.count()));
      ::kill(pid, SIGCONT);
      ::_exit(0);
    }
  }
  ~ResumeGuard() {
    ::kill(pid_, SIGCONT);
    if (watchdog_ > 0) {
      ::kill(watchdog_, SIGKILL);
      ::waitpid(watchdog_, nullptr, 0);
    }
  }
  ResumeGuard(const ResumeGuard&) = delete;
  ResumeGuard& operator=(const ResumeGuard&) = delete;

 private:
  pid_t pid_;
  pid_t watchdog_;
};

}  // namespace kpo::db

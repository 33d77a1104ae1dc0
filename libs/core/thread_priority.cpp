#include "core/thread_priority.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kpo::core {
namespace {

// PRIO_PROCESS with a thread id addresses that one thread on Linux (setpriority(2), BUGS).
id_t ThisThreadId() { return static_cast<id_t>(::syscall(SYS_gettid)); }

}  // namespace

std::error_code SetThisThreadNice(int nice) {
  if (::setpriority(PRIO_PROCESS, ThisThreadId(), nice) != 0) return {errno, std::generic_category()};
  return {};
}

bool PrioritiseThisThread(int nice, std::string_view what) {
  if (nice == 0) return false;
  if (const std::error_code error = SetThisThreadNice(nice)) {
    spdlog::warn("{} stay at nice {}: nice {} was refused ({}); it needs CAP_SYS_NICE", what,
                 ThisThreadNice(), nice, error.message());
    return false;
  }
  spdlog::info("{} at nice {}", what, nice);
  return true;
}

int ThisThreadNice() {
  // -1 is a valid answer too, so only errno tells a failure; for the calling thread there is none.
  errno = 0;
  return ::getpriority(PRIO_PROCESS, ThisThreadId());
}

}  // namespace kpo::core

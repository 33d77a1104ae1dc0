#include "core/thread_priority.hpp"

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

int ThisThreadNice() {
  // -1 is a valid answer too, so only errno tells a failure; for the calling thread there is none.
  errno = 0;
  return ::getpriority(PRIO_PROCESS, ThisThreadId());
}

}  // namespace kpo::core

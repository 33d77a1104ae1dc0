#include "core/limits.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace kpo::core {
namespace {

// The kernel's ceiling for any descriptor limit; RLIM_INFINITY itself is refused for NOFILE.
rlim_t NrOpen() {
  std::ifstream file("/proc/sys/fs/nr_open");
  rlim_t value = 0;
  if (file >> value && value > 0) return value;
  return rlim_t{1} << 20U;  // the kernel's default
}

}  // namespace

OpenFileLimit RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
    return {};
  }
  OpenFileLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? NrOpen() : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    rlimit raised{target, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      result.soft = target;
    } else {
      spdlog::warn("could not raise the open file limit from {} to {}: {}", limit.rlim_cur, target,
                   std::strerror(errno));
    }
  }
  spdlog::info("open file limit: soft {} (was {}), hard {}", result.soft, result.before,
               limit.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(limit.rlim_max));
  return result;
}

std::size_t ConnectionsWithin(const OpenFileLimit& limit, std::size_t per_connection, std::size_t reserved) {
  if (limit.soft <= reserved || per_connection == 0) return 1;
  return std::max<std::size_t>(1, static_cast<std::size_t>(limit.soft - reserved) / per_connection);
}

}  // namespace kpo::core

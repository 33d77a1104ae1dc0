#include "core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>

namespace kpo::core {

void NameThisThread(std::string_view name) {
  // The kernel's limit (TASK_COMM_LEN): 15 bytes and the terminating zero.
  std::array<char, 16> kept{};
  std::copy_n(name.begin(), std::min(name.size(), kept.size() - 1), kept.begin());
  // A name is a diagnostic aid: a refusal (none is expected for the calling thread) changes nothing.
  static_cast<void>(pthread_setname_np(pthread_self(), kept.data()));
}

}  // namespace kpo::core

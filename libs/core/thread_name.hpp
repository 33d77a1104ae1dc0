#pragma once
// Thread names, as `top -H`, `ps -L`, `perf` and gdb show them: which of a service's threads (an
// HTTP I/O loop, a relay, a consumer, the intake's writers) takes the CPU or waits for it, without
// guessing from thread ids.
#include <string_view>

namespace kpo::core {

// Names the calling thread. Linux keeps the first 15 bytes; a longer name is cut there. Naming a
// process's main thread renames the process as `ps` and `pgrep` see it: not for the main thread.
void NameThisThread(std::string_view name);

}  // namespace kpo::core

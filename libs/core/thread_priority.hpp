#pragma once
// Scheduling priority of single threads. On Linux a nice value belongs to a thread, not to the
// process, so a service can let the threads whose waits clients see (the HTTP event loops) take a
// core ahead of its throughput work and of the other processes on the machine.
#include <string_view>
#include <system_error>

namespace kpo::core {

// Sets the calling thread's nice value (-20, first, to 19, last). Threads it creates afterwards
// start with it. Returns the error when refused: a value below the current one needs
// CAP_SYS_NICE or an RLIMIT_NICE that allows it (EACCES/EPERM); the thread then keeps its value.
std::error_code SetThisThreadNice(int nice);

// The calling thread's nice value.
int ThisThreadNice();

// Gives the calling thread `nice` (0: leaves it as it is) and says so in the log, naming the threads
// as `what`; returns whether it took. A refusal is a warning that names what it takes, and the
// thread runs on at its value.
bool PrioritiseThisThread(int nice, std::string_view what);

}  // namespace kpo::core

#pragma once
// What SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 do before a process serves.

namespace kpo::core {

// From now until something installs handlers of its own (the HTTP server does when it runs),
// SIGTERM and SIGINT end the process at once, with exit status 128 + the signal's number. Start-up
// (waiting for the database, applying migrations, connecting) holds nothing that needs draining:
// ending there is what kill -9 does, which every component survives. Without a handler, a process
// that is PID 1 in a container would ignore both (the kernel drops signals that PID 1 does not
// handle), and its pod or container would be killed only when the grace period ran out.
// SIGUSR1 and SIGUSR2, which change the log level once the server runs (core::LogMoreVerbosely), are
// ignored until then, where their default action would end the process.
void ExitOnTerminationSignals();

}  // namespace kpo::core

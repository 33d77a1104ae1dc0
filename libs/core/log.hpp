#pragma once
// Structured JSON logging on spdlog, with the request/trace id of the current unit of work.
#include <string>
#include <string_view>

namespace kpo::core {

// Installs a stdout logger printing one JSON object per line. Level from `level`
// ("debug", "info", ...). Call once at start, before threads are spawned.
void InitLogging(std::string_view service, std::string_view level);

// The ids that are attached to every log line written by this thread while a LogContext lives.
class LogContext {
 public:
  LogContext(std::string request_id, std::string trace_id);
  ~LogContext();
  LogContext(const LogContext&) = delete;
  LogContext& operator=(const LogContext&) = delete;

 private:
  std::string previous_request_id_;
  std::string previous_trace_id_;
};

// Escapes text so it can be embedded inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace kpo::core

#pragma once
// Structured JSON logging on spdlog, with the request/trace id of the current unit of work.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace kpo::core {

// Installs a stdout logger printing one JSON object per line, at `level` (trace, debug, info, warn,
// error, critical or off, in any case). Call once at start, before threads are spawned. Returns false
// when `level` names no level: the logger then logs at info and has logged why (critical), and the
// caller exits rather than run with logging it did not ask for.
[[nodiscard]] bool InitLogging(std::string_view service, std::string_view level);

// What an operator's signals do to a running service's level (the HTTP server calls them on SIGUSR1
// and SIGUSR2), so that one replica can be followed at debug without a restart, which would drop its
// connections and the work it holds. LogMoreVerbosely goes one level more verbose (warn -> info ->
// debug -> trace; trace stays); RestoreStartupLogLevel goes back to the level InitLogging set. Each
// change is logged at warn (seen at any level up to warn).
// Thread-safe.
void LogMoreVerbosely();
void RestoreStartupLogLevel();

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

// Key/value pairs rendered once, when added, as JSON object members (`,"key":value`), so that
// attaching them to a line costs one append. Build them only when the line will be written
// (`spdlog::should_log`): a hot path that logs nothing at the current level then pays nothing.
// Keys are escaped like values; a key the line already has (ts, level, msg, ...) is the caller's
// mistake and yields a duplicate member.
class LogFields {
 public:
  LogFields& Add(std::string_view key, std::string_view value);
  LogFields& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  LogFields& Add(std::string_view key, const std::string& value) { return Add(key, std::string_view(value)); }
  template <std::integral T>
  LogFields& Add(std::string_view key, T value) {
    return AddNumber(key, static_cast<std::int64_t>(value));
  }
  // Written with three decimals (durations in ms); a non-finite value is written as null.
  LogFields& Add(std::string_view key, double value);
  // trace_id and span_id of a W3C traceparent header; nothing when it is not a valid one.
  LogFields& AddTrace(std::string_view traceparent);
  // The rendered members, each preceded by a comma; empty when no field was added.
  const std::string& Json() const { return json_; }

 private:
  LogFields& AddNumber(std::string_view key, std::int64_t value);
  void AddKey(std::string_view key);
  std::string json_;
};

// Attaches `fields` to every line this thread writes while it lives, after the LogContext ids.
// Scopes nest: an inner scope's fields follow the outer ones'. Destroy in reverse order of creation.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(const LogFields& fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  std::size_t previous_size_;
};

// The line as the logger would format it, for tests of the rendering: `{"msg":...,<ids>,<fields>}`.
std::string RenderForTest(std::string_view msg);

// Escapes text so it can be embedded inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace kpo::core

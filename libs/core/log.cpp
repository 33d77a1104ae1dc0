#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>

#include "core/ascii.hpp"
#include "core/ids.hpp"
#include "core/repeat_limit.hpp"
#include "core/utf8.hpp"

namespace kpo::core {
namespace {

thread_local std::string t_request_id;
thread_local std::string t_trace_id;
thread_local std::string t_fields;  // the ScopedLogFields in force, rendered

// The part of a line after "thread": the message as a JSON string, the thread's ids and fields.
std::string RenderMembers(std::string_view payload) {
  std::string out = "\"msg\":\"" + JsonEscape(payload) + "\"";
  if (!t_request_id.empty()) out += ",\"request_id\":\"" + JsonEscape(t_request_id) + "\"";
  if (!t_trace_id.empty()) out += ",\"trace_id\":\"" + JsonEscape(t_trace_id) + "\"";
  out += t_fields;
  return out;
}

class JsonFields final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string out = RenderMembers(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonFields>(); }
};

// Standard output, with warnings and errors that repeat in a tight loop limited (RepeatLimiter):
// a failure that recurs thousands of times a second must not fill the disk. Info and debug lines
// (the access log) are never dropped.
class RepeatLimitedStdout final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level < spdlog::level::warn) return Write(msg);
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const auto verdict = limiter_.Offer(payload, RepeatLimiter::Clock::now());
    if (verdict.left_out_before > 0) {
      const auto note = fmt::format("left out {} more line(s) like this in the last window: {}",
                                    verdict.left_out_before, payload);
      spdlog::details::log_msg summary(msg.time, msg.source, msg.logger_name, msg.level, note);
      Write(summary);
    }
    if (verdict.write) Write(msg);
  }
  void flush_() override { std::fflush(stdout); }

 private:
  void Write(const spdlog::details::log_msg& msg) {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }

  RepeatLimiter limiter_;
};

}  // namespace

namespace {

std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  const std::string lower = AsciiLowered(name);
  const auto level = spdlog::level::from_str(lower);
  // from_str answers "off" for any name it does not know: only "off" itself means it.
  if (level == spdlog::level::off && lower != "off") return std::nullopt;
  return level;
}

// The level InitLogging set, which SIGUSR2 restores.
std::atomic<spdlog::level::level_enum> g_startup_level{spdlog::level::info};

void SetLevelAndSay(spdlog::level::level_enum level, std::string_view why) {
  spdlog::set_level(level);
  spdlog::warn("log level now {} ({}); SIGUSR1 logs more, SIGUSR2 returns to {}",
               spdlog::level::to_string_view(level), why,
               spdlog::level::to_string_view(g_startup_level.load()));
}

}  // namespace

void LogMoreVerbosely() {
  const auto current = spdlog::get_level();
  const auto more =
      current == spdlog::level::trace ? current : static_cast<spdlog::level::level_enum>(current - 1);
  SetLevelAndSay(more, "SIGUSR1");
}

void RestoreStartupLogLevel() { SetLevelAndSay(g_startup_level.load(), "SIGUSR2"); }

bool InitLogging(std::string_view service, std::string_view level) {
  auto logger =
      std::make_shared<spdlog::logger>(std::string(service), std::make_shared<RepeatLimitedStdout>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc,
                                                               spdlog::details::os::default_eol);
  formatter->add_flag<JsonFields>('*');
  formatter->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","service":"%n","thread":%t,%*})");
  logger->set_formatter(std::move(formatter));
  const auto parsed = ParseLogLevel(level);
  g_startup_level.store(parsed.value_or(spdlog::level::info));
  logger->set_level(g_startup_level.load());
  // Flushing every access-log line costs a write(2) per request; warnings and errors still go out
  // at once, the rest within a second.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  spdlog::flush_every(std::chrono::seconds(1));
  if (!parsed) {
    spdlog::critical("LOG_LEVEL={} is not one of trace, debug, info, warn, error, critical, off", level);
  }
  return parsed.has_value();
}

LogContext::LogContext(std::string request_id, std::string trace_id)
    : previous_request_id_(std::exchange(t_request_id, std::move(request_id))),
      previous_trace_id_(std::exchange(t_trace_id, std::move(trace_id))) {}

LogContext::~LogContext() {
  t_request_id = std::move(previous_request_id_);
  t_trace_id = std::move(previous_trace_id_);
}

void LogFields::AddKey(std::string_view key) { json_.append(",\"").append(JsonEscape(key)).append("\":"); }

LogFields& LogFields::Add(std::string_view key, std::string_view value) {
  AddKey(key);
  json_.append(1, '"').append(JsonEscape(value)).append(1, '"');
  return *this;
}

LogFields& LogFields::AddNumber(std::string_view key, std::int64_t value) {
  AddKey(key);
  json_.append(std::to_string(value));
  return *this;
}

LogFields& LogFields::Add(std::string_view key, double value) {
  AddKey(key);
  json_.append(std::isfinite(value) ? fmt::format("{:.3f}", value) : std::string("null"));
  return *this;
}

LogFields& LogFields::AddTrace(std::string_view traceparent) {
  if (auto parsed = TraceParent::Parse(traceparent)) {
    Add("trace_id", parsed->trace_id);
    Add("span_id", parsed->span_id);
  }
  return *this;
}

ScopedLogFields::ScopedLogFields(const LogFields& fields) : previous_size_(t_fields.size()) {
  t_fields += fields.Json();
}

ScopedLogFields::~ScopedLogFields() { t_fields.resize(previous_size_); }

std::string RenderForTest(std::string_view msg) { return "{" + RenderMembers(msg) + "}"; }

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // A log line is JSON, so UTF-8: a byte that starts no valid sequence (a client's path) is U+FFFD.
      const auto length = Utf8SequenceAt(text, i);
      if (length == 0) {
        out += "\\ufffd";
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace kpo::core

#pragma once
// Identifiers: UUIDs for entities and messages, W3C trace context for tracing.
#include <optional>
#include <string>
#include <string_view>

namespace kpo::core {

// A random (version 4) UUID in canonical lowercase form. Thread safe (libsodium CSPRNG).
std::string NewUuid();

// True when `text` is a UUID in canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

// Lowercases a valid UUID; nullopt when `text` is not one.
std::optional<std::string> NormalizeUuid(std::string_view text);

// W3C trace context (https://www.w3.org/TR/trace-context/).
struct TraceParent {
  std::string trace_id;  // 32 hex
  std::string span_id;   // 16 hex
  std::string flags = "01";

  std::string ToString() const;  // "00-<trace>-<span>-<flags>"
  // Same trace, a new span id: what a hop passes downstream.
  TraceParent Child() const;
  static TraceParent New();
  // nullopt for a header that does not follow the version-00 format.
  static std::optional<TraceParent> Parse(std::string_view header);
};

// Random lowercase hex of `bytes` bytes (2*bytes characters).
std::string RandomHex(std::size_t bytes);

}  // namespace kpo::core

#pragma once
// Identifiers: UUIDs for entities and messages, W3C trace context for tracing.
#include <optional>
#include <string>
#include <string_view>

namespace kpo::core {

// A time-ordered UUID (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74 random bits from
// libsodium's CSPRNG) in canonical lowercase form. Thread safe. Time-ordered because every id is a
// primary key somewhere: new rows then land on the right-most pages of each B-tree instead of on a
// random page of an index larger than memory, which PostgreSQL must read and, after each
// checkpoint, write whole into the WAL (measured: 2-4 full-page images per order with version 4).
// Ids made within the same millisecond are in no particular order.
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

// The trace id (32 hex) and span id (16 hex) of a version-00 traceparent such as
// TraceParent::ToString writes; empty for a value too short to be one (no check of its digits).
std::string_view TraceIdOf(std::string_view traceparent);
std::string_view SpanIdOf(std::string_view traceparent);

// Random lowercase hex of `bytes` bytes (2*bytes characters).
std::string RandomHex(std::size_t bytes);

}  // namespace kpo::core

#pragma once
// Private to kpo_messaging (never included from outside libs/messaging): conversions between
// rabbitmq-c's C structures (bytes, field tables, properties) and the public types of amqp.hpp.
#include <amqp.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messaging/amqp.hpp"

namespace kpo::messaging::detail {

// A timeval for rabbitmq-c's timeouts; negative durations become zero.
timeval ToTimeval(std::chrono::microseconds d);

std::string ToString(amqp_bytes_t bytes);

// rabbitmq-c takes non-const pointers in amqp_bytes_t but never writes through them when sending.
inline amqp_bytes_t Bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

// Table entries pointing into `value` / `key`: both must outlive the table they are put in.
amqp_table_entry_t StringEntry(const char* key, const std::string& value);
amqp_table_entry_t IntEntry(const char* key, std::int64_t value);
amqp_table_entry_t BoolEntry(const char* key, bool value);
// A table over `entries`, which must outlive it.
amqp_table_t Table(std::vector<amqp_table_entry_t>& entries);

const amqp_field_value_t* FindField(const amqp_table_t& table, std::string_view key);
// A UTF-8 or byte-string field; nullopt for a missing field or another kind.
std::optional<std::string> FieldString(const amqp_field_value_t* value);
// Any integer field (the broker picks the width); nullopt for a missing field or another kind.
std::optional<std::int64_t> FieldInt(const amqp_field_value_t* value);

std::string MethodName(amqp_method_number_t id);
// "broker closed the connection: 320 CONNECTION_FORCED ..." for a close, else the method's name.
std::string DescribeClose(const amqp_method_t& method);
// The reply code of a connection or channel close (404 NOT_FOUND, 406 PRECONDITION_FAILED, ...), 0 for any
// other method.
int CloseReplyCode(const amqp_method_t& method);

// Properties and body of a message as the public types carry them. Non-string headers
// (x-death, x-delivery-count, ...) are not representable there and are dropped.
Message ToMessage(const amqp_basic_properties_t& props, amqp_bytes_t body, std::string exchange,
                  std::string routing_key);
Delivery ToDelivery(const amqp_message_t& message, std::uint64_t tag, bool redelivered, std::string exchange,
                    std::string routing_key);

// Frees a message read with amqp_read_message on every path out of a scope.
class MessageGuard {
 public:
  explicit MessageGuard(amqp_message_t& message) : message_(message) {}
  ~MessageGuard() { amqp_destroy_message(&message_); }
  MessageGuard(const MessageGuard&) = delete;
  MessageGuard& operator=(const MessageGuard&) = delete;

 private:
  amqp_message_t& message_;
};

class EnvelopeGuard {
 public:
  explicit EnvelopeGuard(amqp_envelope_t& envelope) : envelope_(envelope) {}
  ~EnvelopeGuard() { amqp_destroy_envelope(&envelope_); }
  EnvelopeGuard(const EnvelopeGuard&) = delete;
  EnvelopeGuard& operator=(const EnvelopeGuard&) = delete;

 private:
  amqp_envelope_t& envelope_;
};

}  // namespace kpo::messaging::detail

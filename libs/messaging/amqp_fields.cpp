#include "messaging/amqp_fields.hpp"

#include <algorithm>
#include <limits>

namespace kpo::messaging::detail {

timeval ToTimeval(std::chrono::microseconds d) {
  if (d.count() < 0) {
    d = std::chrono::microseconds{0};
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(d.count() % 1'000'000);
  return tv;
}

std::string ToString(amqp_bytes_t bytes) {
  if (bytes.len == 0 || bytes.bytes == nullptr) {
    return {};
  }
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

amqp_table_entry_t StringEntry(const char* key, const std::string& value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = Bytes(value);
  return entry;
}

amqp_table_entry_t IntEntry(const char* key, std::int64_t value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_I64;
  entry.value.value.i64 = value;
  return entry;
}

amqp_table_entry_t BoolEntry(const char* key, bool value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  entry.value.value.boolean = value ? 1 : 0;
  return entry;
}

amqp_table_t Table(std::vector<amqp_table_entry_t>& entries) {
  return amqp_table_t{static_cast<int>(entries.size()), entries.empty() ? nullptr : entries.data()};
}

const amqp_field_value_t* FindField(const amqp_table_t& table, std::string_view key) {
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& entry = table.entries[i];
    if (std::string_view(static_cast<const char*>(entry.key.bytes), entry.key.len) == key) {
      return &entry.value;
    }
  }
  return nullptr;
}

std::optional<std::string> FieldString(const amqp_field_value_t* value) {
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->kind != AMQP_FIELD_KIND_UTF8 && value->kind != AMQP_FIELD_KIND_BYTES) {
    return std::nullopt;
  }
  return ToString(value->value.bytes);
}

// The broker picks the integer width it encodes x-delivery-count with, so accept all of them.
std::optional<std::int64_t> FieldInt(const amqp_field_value_t* value) {
  if (value == nullptr) {
    return std::nullopt;
  }
  switch (value->kind) {
    case AMQP_FIELD_KIND_I8:
      return value->value.i8;
    case AMQP_FIELD_KIND_U8:
      return value->value.u8;
    case AMQP_FIELD_KIND_I16:
      return value->value.i16;
    case AMQP_FIELD_KIND_U16:
      return value->value.u16;
    case AMQP_FIELD_KIND_I32:
      return value->value.i32;
    case AMQP_FIELD_KIND_U32:
      return value->value.u32;
    case AMQP_FIELD_KIND_I64:
      return value->value.i64;
    case AMQP_FIELD_KIND_U64:
      return static_cast<std::int64_t>(
          std::min<std::uint64_t>(value->value.u64, std::numeric_limits<std::int64_t>::max()));
    default:
      return std::nullopt;
  }
}

std::string MethodName(amqp_method_number_t id) {
  const char* name = amqp_method_name(id);
  return name != nullptr ? name : "unknown method";
}

std::string DescribeClose(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
    return "broker closed the connection: " + std::to_string(close->reply_code) + " " +
           ToString(close->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
    return "broker closed the channel: " + std::to_string(close->reply_code) + " " +
           ToString(close->reply_text);
  }
  return "unexpected " + MethodName(method.id);
}

int CloseReplyCode(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    return static_cast<const amqp_connection_close_t*>(method.decoded)->reply_code;
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    return static_cast<const amqp_channel_close_t*>(method.decoded)->reply_code;
  }
  return 0;
}

Message ToMessage(const amqp_basic_properties_t& props, amqp_bytes_t body, std::string exchange,
                  std::string routing_key) {
  Message message;
  message.exchange = std::move(exchange);
  message.routing_key = std::move(routing_key);
  message.content_type = (props._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) ? ToString(props.content_type) : "";
  if (props._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    message.message_id = ToString(props.message_id);
  }
  if (props._flags & AMQP_BASIC_TYPE_FLAG) {
    message.type = ToString(props.type);
  }
  if (props._flags & AMQP_BASIC_CORRELATION_ID_FLAG) {
    message.correlation_id = ToString(props.correlation_id);
  }
  message.body = ToString(body);
  if (props._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < props.headers.num_entries; ++i) {
      const amqp_table_entry_t& entry = props.headers.entries[i];
      if (auto value = FieldString(&entry.value)) {
        message.headers.emplace_back(ToString(entry.key), *value);
      }
    }
  }
  return message;
}

Delivery ToDelivery(const amqp_message_t& message, std::uint64_t tag, bool redelivered, std::string exchange,
                    std::string routing_key) {
  Delivery delivery;
  delivery.message = ToMessage(message.properties, message.body, std::move(exchange), std::move(routing_key));
  // A renewed copy (kRenewalsHeader) came through the default exchange: it is handled as the
  // original was routed.
  if (delivery.message.exchange.empty()) {
    for (const auto& [name, value] : delivery.message.headers) {
      if (name == kOriginExchangeHeader) delivery.message.exchange = value;
      if (name == kOriginKeyHeader) delivery.message.routing_key = value;
    }
  }
  delivery.delivery_tag = tag;
  delivery.redelivered = redelivered;
  if (message.properties._flags & AMQP_BASIC_HEADERS_FLAG) {
    delivery.delivery_count = FieldInt(FindField(message.properties.headers, "x-delivery-count")).value_or(0);
  }
  return delivery;
}

}  // namespace kpo::messaging::detail

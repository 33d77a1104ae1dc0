#include "messaging/amqp.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/retry.hpp"

namespace kpo::messaging {
namespace {

using Clock = std::chrono::steady_clock;

constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;
// How long one consume wait blocks before the consumer re-checks its stop token.
constexpr std::chrono::milliseconds kConsumePoll{250};

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

// rabbitmq-c takes non-const pointers in amqp_bytes_t but never writes through them when sending.
amqp_bytes_t Bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
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

// Properties and body of a message as the public types carry them. Non-string headers
// (x-death, x-delivery-count, ...) are not representable there and are dropped.
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
  delivery.delivery_tag = tag;
  delivery.redelivered = redelivered;
  if (message.properties._flags & AMQP_BASIC_HEADERS_FLAG) {
    delivery.delivery_count = FieldInt(FindField(message.properties.headers, "x-delivery-count")).value_or(0);
  }
  return delivery;
}

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

}  // namespace

struct Connection::Impl {
  // One publish awaiting its confirm. Returns are matched by message id plus destination because
  // basic.return carries no delivery tag.
  struct Outstanding {
    std::uint64_t seq = 0;
    std::string exchange;
    std::string routing_key;
    std::string message_id;
    bool settled = false;
    bool acked = false;
    bool returned = false;
  };

  amqp_connection_state_t conn = nullptr;
  AmqpSettings settings;
  bool socket_usable = false;  // false after a transport error or a connection.close from the broker
  bool channel_open = false;
  bool failed = false;  // an operation threw: the object must not be used any more
  bool confirm_mode = false;
  std::uint64_t next_publish_seq = 1;  // publisher-confirm sequence numbers start at 1 per channel

  explicit Impl(AmqpSettings s) : settings(std::move(s)) {}

  ~Impl() {
    if (conn == nullptr) {
      return;
    }
    // Best effort: a graceful close returns unacked messages at once instead of after a timeout.
    if (socket_usable) {
      if (channel_open) {
        amqp_channel_close(conn, kChannel, AMQP_REPLY_SUCCESS);
      }
      amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  [[noreturn]] void Throw(const std::string& what) {
    failed = true;
    throw AmqpError(what);
  }

  // Answers a close from the broker (the protocol requires close-ok) and throws.
  [[noreturn]] void FailOnClose(const std::string& what, const amqp_method_t& method) {
    if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      socket_usable = false;
      channel_open = false;
    } else if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      channel_open = false;
    }
    Throw(what + ": " + DescribeClose(method));
  }

  [[noreturn]] void FailStatus(const std::string& what, int status) {
    // After a library error the framing state is unknown, so no graceful close is attempted.
    socket_usable = false;
    channel_open = false;
    Throw(what + ": " + amqp_error_string2(status));
  }

  void CheckReply(const std::string& what, const amqp_rpc_reply_t& reply) {
    switch (reply.reply_type) {
      case AMQP_RESPONSE_NORMAL:
        return;
      case AMQP_RESPONSE_NONE:
        socket_usable = false;
        Throw(what + ": missing RPC reply");
      case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        FailStatus(what, reply.library_error);
      case AMQP_RESPONSE_SERVER_EXCEPTION:
        FailOnClose(what, reply.reply);
    }
    Throw(what + ": unknown reply type");
  }

  void CheckRpc(const std::string& what) { CheckReply(what, amqp_get_rpc_reply(conn)); }

  void CheckStatus(const std::string& what, int status) {
    if (status != AMQP_STATUS_OK) {
      FailStatus(what, status);
    }
  }

  void EnsureUsable() {
    if (failed) {
      throw AmqpError("AMQP connection is unusable after an earlier error");
    }
  }

  void Open() {
    // amqp_parse_url writes into its argument and points the result into it.
    std::string url = settings.url;
    amqp_connection_info info{};
    if (int status = amqp_parse_url(url.data(), &info); status != AMQP_STATUS_OK) {
      Throw("invalid AMQP URL: " + std::string(amqp_error_string2(status)));
    }
    // By the URI spec "amqp://host/" names the empty vhost, but the project's URLs end in "/" and
    // mean the default one; an empty vhost is never what anyone wants.
    if (info.vhost == nullptr || *info.vhost == '\0') {
      info.vhost = const_cast<char*>("/");
    }
    conn = amqp_new_connection();
    if (conn == nullptr) {
      Throw("amqp_new_connection failed");
    }
    amqp_socket_t* socket = amqp_tcp_socket_new(conn);
    if (socket == nullptr) {
      Throw("amqp_tcp_socket_new failed");
    }

    const timeval timeout = ToTimeval(settings.timeout);
    CheckStatus("set handshake timeout", amqp_set_handshake_timeout(conn, &timeout));
    CheckStatus("set RPC timeout", amqp_set_rpc_timeout(conn, &timeout));
    const std::string where = std::string(info.host) + ":" + std::to_string(info.port);
    if (int status = amqp_socket_open_noblock(socket, info.host, info.port, &timeout);
        status != AMQP_STATUS_OK) {
      Throw("cannot connect to " + where + ": " + amqp_error_string2(status));
    }
    socket_usable = true;

    // rabbitmq-c does not announce consumer_cancel_notify, and without it the broker silently
    // drops a consumer whose queue is deleted; with it we get basic.cancel and reconnect.
    std::vector<amqp_table_entry_t> capabilities = {BoolEntry("consumer_cancel_notify", true)};
    std::vector<amqp_table_entry_t> entries;
    amqp_table_entry_t capabilities_entry{};
    capabilities_entry.key = amqp_cstring_bytes("capabilities");
    capabilities_entry.value.kind = AMQP_FIELD_KIND_TABLE;
    capabilities_entry.value.value.table = Table(capabilities);
    entries.push_back(capabilities_entry);
    if (!settings.connection_name.empty()) {
      entries.push_back(StringEntry("connection_name", settings.connection_name));
    }
    const amqp_table_t properties = Table(entries);
    CheckReply("login to " + where,
               amqp_login_with_properties(conn, info.vhost, 0, kFrameMax, settings.heartbeat_seconds,
                                          &properties, AMQP_SASL_METHOD_PLAIN, info.user, info.password));
    amqp_channel_open(conn, kChannel);
    CheckRpc("open channel");
    channel_open = true;
  }

  void DeclareExchange(const std::string& name, const std::string& type) {
    EnsureUsable();
    amqp_exchange_declare(conn, kChannel, Bytes(name), Bytes(type), /*passive=*/0, /*durable=*/1,
                          /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
    CheckRpc("declare exchange " + name);
  }

  void DeclareQuorumQueue(const std::string& name, std::vector<amqp_table_entry_t> args) {
    static const std::string kQuorum = "quorum";
    args.push_back(StringEntry("x-queue-type", kQuorum));
    amqp_queue_declare(conn, kChannel, Bytes(name), /*passive=*/0, /*durable=*/1, /*exclusive=*/0,
                       /*auto_delete=*/0, Table(args));
    CheckRpc("declare queue " + name);
  }

  void Bind(const std::string& queue, const std::string& exchange, const std::string& key) {
    amqp_queue_bind(conn, kChannel, Bytes(queue), Bytes(exchange), Bytes(key), amqp_empty_table);
    CheckRpc("bind queue " + queue + " to " + exchange + " with " + key);
  }

  void DeclareQueue(const QueueSpec& spec) {
    EnsureUsable();
    const std::string dlx = kDeadLetterExchange;
    const std::string dlq = spec.name + ".dlq";
    DeclareExchange(spec.exchange, "topic");
    DeclareExchange(dlx, "direct");
    DeclareQuorumQueue(dlq, {});
    Bind(dlq, dlx, spec.name);

    static const std::string kAtLeastOnce = "at-least-once";
    static const std::string kRejectPublish = "reject-publish";
    DeclareQuorumQueue(spec.name, {
                                      IntEntry("x-delivery-limit", spec.delivery_limit),
                                      StringEntry("x-dead-letter-exchange", dlx),
                                      StringEntry("x-dead-letter-routing-key", spec.name),
                                      // At-least-once dead-lettering requires reject-publish overflow.
                                      StringEntry("x-dead-letter-strategy", kAtLeastOnce),
                                      StringEntry("x-overflow", kRejectPublish),
                                  });
    for (const std::string& key : spec.routing_keys) {
      Bind(spec.name, spec.exchange, key);
    }
  }

  void DeleteQueue(const std::string& name) {
    EnsureUsable();
    amqp_queue_delete(conn, kChannel, Bytes(name), /*if_unused=*/0, /*if_empty=*/0);
    CheckRpc("delete queue " + name);
  }

  void DeleteExchange(const std::string& name) {
    EnsureUsable();
    amqp_exchange_delete(conn, kChannel, Bytes(name), /*if_unused=*/0);
    CheckRpc("delete exchange " + name);
  }

  void EnableConfirms() {
    if (confirm_mode) {
      return;
    }
    amqp_confirm_select(conn, kChannel);
    CheckRpc("enable publisher confirms");
    confirm_mode = true;
  }

  // Sends one mandatory publish and returns its confirm sequence number.
  Outstanding Publish(const std::string& exchange, const std::string& routing_key,
                      const std::string& message_id, const amqp_basic_properties_t& props,
                      amqp_bytes_t body) {
    EnableConfirms();
    CheckStatus("publish to " + exchange,
                amqp_basic_publish(conn, kChannel, Bytes(exchange), Bytes(routing_key), /*mandatory=*/1,
                                   /*immediate=*/0, &props, body));
    Outstanding out;
    out.seq = next_publish_seq++;
    out.exchange = exchange;
    out.routing_key = routing_key;
    out.message_id = message_id;
    return out;
  }

  void Settle(std::vector<Outstanding>& pending, std::uint64_t tag, bool multiple, bool acked) {
    for (Outstanding& out : pending) {
      if (out.settled || (multiple ? out.seq > tag : out.seq != tag)) {
        continue;
      }
      out.settled = true;
      out.acked = acked;
    }
  }

  // A returned message precedes its ack, so the earliest unsettled publish with the same id and
  // destination is the one the broker returned.
  void MarkReturned(std::vector<Outstanding>& pending, const amqp_basic_return_t& ret) {
    amqp_message_t message{};
    CheckReply("read returned message", amqp_read_message(conn, kChannel, &message, 0));
    MessageGuard guard(message);
    const std::string id = (message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
                               ? ToString(message.properties.message_id)
                               : std::string();
    const std::string exchange = ToString(ret.exchange);
    const std::string routing_key = ToString(ret.routing_key);
    spdlog::warn("broker returned message {} to {}/{}: {} {}", id, exchange, routing_key, ret.reply_code,
                 ToString(ret.reply_text));
    for (Outstanding& out : pending) {
      if (out.settled || out.returned) {
        continue;
      }
      if (out.message_id == id && out.exchange == exchange && out.routing_key == routing_key) {
        out.returned = true;
        return;
      }
    }
  }

  std::vector<bool> AwaitConfirms(std::vector<Outstanding>& pending, Clock::time_point deadline) {
    auto unsettled = [&] {
      return std::any_of(pending.begin(), pending.end(), [](const Outstanding& o) { return !o.settled; });
    };
    while (unsettled()) {
      const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        Throw("timed out waiting for publisher confirms");
      }
      amqp_maybe_release_buffers(conn);
      amqp_frame_t frame{};
      const timeval tv = ToTimeval(left);
      const int status = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
      if (status == AMQP_STATUS_TIMEOUT) {
        continue;
      }
      CheckStatus("wait for publisher confirms", status);
      if (frame.frame_type != AMQP_FRAME_METHOD) {
        continue;
      }
      const amqp_method_t& method = frame.payload.method;
      switch (method.id) {
        case AMQP_BASIC_ACK_METHOD: {
          const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
          Settle(pending, ack->delivery_tag, ack->multiple != 0, true);
          break;
        }
        case AMQP_BASIC_NACK_METHOD: {
          const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
          Settle(pending, nack->delivery_tag, nack->multiple != 0, false);
          break;
        }
        case AMQP_BASIC_RETURN_METHOD:
          MarkReturned(pending, *static_cast<const amqp_basic_return_t*>(method.decoded));
          break;
        case AMQP_CONNECTION_CLOSE_METHOD:
        case AMQP_CHANNEL_CLOSE_METHOD:
          FailOnClose("wait for publisher confirms", method);
        default:
          spdlog::debug("ignoring {} while waiting for confirms", MethodName(method.id));
          break;
      }
    }
    std::vector<bool> confirmed;
    confirmed.reserve(pending.size());
    for (const Outstanding& out : pending) {
      confirmed.push_back(out.acked && !out.returned);
    }
    return confirmed;
  }

  void KeepAlive() {
    EnsureUsable();
    const timeval now{0, 0};
    for (;;) {
      amqp_maybe_release_buffers(conn);
      amqp_frame_t frame{};
      // rabbitmq-c sends a due heartbeat and swallows the broker's inside this call.
      const int status = amqp_simple_wait_frame_noblock(conn, &frame, &now);
      if (status == AMQP_STATUS_TIMEOUT) return;
      CheckStatus("keep the connection alive", status);
      if (frame.frame_type == AMQP_FRAME_METHOD && (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
                                                    frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD)) {
        FailOnClose("keep the connection alive", frame.payload.method);
      }
      // Anything else is late news for an earlier call (a confirm after its deadline): nobody waits for it.
    }
  }

  std::vector<bool> PublishConfirmed(const std::vector<Message>& messages,
                                     std::chrono::milliseconds timeout) {
    EnsureUsable();
    const auto deadline = Clock::now() + timeout;
    std::vector<Outstanding> pending;
    pending.reserve(messages.size());
    for (const Message& m : messages) {
      std::vector<amqp_table_entry_t> headers;
      headers.reserve(m.headers.size());
      for (const auto& [key, value] : m.headers) {
        amqp_table_entry_t entry{};
        entry.key = Bytes(key);
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = Bytes(value);
        headers.push_back(entry);
      }
      amqp_basic_properties_t props{};
      props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
      props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
      props.headers = Table(headers);
      if (!m.content_type.empty()) {
        props._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
        props.content_type = Bytes(m.content_type);
      }
      if (!m.message_id.empty()) {
        props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        props.message_id = Bytes(m.message_id);
      }
      if (!m.type.empty()) {
        props._flags |= AMQP_BASIC_TYPE_FLAG;
        props.type = Bytes(m.type);
      }
      if (!m.correlation_id.empty()) {
        props._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
        props.correlation_id = Bytes(m.correlation_id);
      }
      pending.push_back(Publish(m.exchange, m.routing_key, m.message_id, props, Bytes(m.body)));
    }
    return AwaitConfirms(pending, deadline);
  }

  // One basic.get; nullopt when the queue is empty. The caller settles the delivery tag.
  std::optional<Delivery> GetOne(const std::string& queue, amqp_message_t& message) {
    const amqp_rpc_reply_t reply = amqp_basic_get(conn, kChannel, Bytes(queue), /*no_ack=*/0);
    CheckReply("get from " + queue, reply);
    if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) {
      return std::nullopt;
    }
    if (reply.reply.id != AMQP_BASIC_GET_OK_METHOD) {
      Throw("get from " + queue + ": " + MethodName(reply.reply.id));
    }
    // get-ok lives in the connection's frame pool, which reading the content may recycle.
    const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
    const std::uint64_t tag = ok->delivery_tag;
    const bool redelivered = ok->redelivered != 0;
    std::string exchange = ToString(ok->exchange);
    std::string routing_key = ToString(ok->routing_key);
    CheckReply("read message from " + queue, amqp_read_message(conn, kChannel, &message, 0));
    return ToDelivery(message, tag, redelivered, std::move(exchange), std::move(routing_key));
  }

  std::vector<Delivery> Get(const std::string& queue, std::size_t max, bool remove) {
    EnsureUsable();
    std::vector<Delivery> out;
    while (out.size() < max) {
      amqp_maybe_release_buffers(conn);
      amqp_message_t message{};
      std::optional<Delivery> delivery = GetOne(queue, message);
      if (!delivery) {
        break;
      }
      MessageGuard guard(message);
      out.push_back(std::move(*delivery));
    }
    // Settled together at the end so a failure half-way leaves every message in the queue.
    if (!out.empty()) {
      const std::uint64_t last = out.back().delivery_tag;
      if (remove) {
        CheckStatus("ack messages from " + queue, amqp_basic_ack(conn, kChannel, last, /*multiple=*/1));
      } else {
        CheckStatus("return messages to " + queue,
                    amqp_basic_nack(conn, kChannel, last, /*multiple=*/1, /*requeue=*/1));
      }
    }
    return out;
  }

  void StartConsuming(const std::string& queue, std::uint16_t prefetch) {
    amqp_basic_qos(conn, kChannel, 0, prefetch, /*global=*/0);
    CheckRpc("set prefetch on " + queue);
    amqp_basic_consume(conn, kChannel, Bytes(queue), amqp_empty_bytes, /*no_local=*/0, /*no_ack=*/0,
                       /*exclusive=*/0, amqp_empty_table);
    CheckRpc("consume " + queue);
  }

  // Reads the non-delivery frame amqp_consume_message stopped at. Closes and cancellations end
  // this connection; the consumer then reconnects and redeclares.
  void HandleUnexpectedFrame() {
    amqp_frame_t frame{};
    CheckStatus("read frame", amqp_simple_wait_frame(conn, &frame));
    if (frame.frame_type != AMQP_FRAME_METHOD) {
      return;
    }
    switch (frame.payload.method.id) {
      case AMQP_CONNECTION_CLOSE_METHOD:
      case AMQP_CHANNEL_CLOSE_METHOD:
        FailOnClose("consume", frame.payload.method);
      case AMQP_BASIC_CANCEL_METHOD:
        Throw("broker cancelled the consumer");
      default:
        spdlog::debug("ignoring {} while consuming", MethodName(frame.payload.method.id));
    }
  }

  void Settle(const std::string& queue, const Delivery& delivery, Disposition disposition) {
    const std::uint64_t tag = delivery.delivery_tag;
    switch (disposition) {
      case Disposition::kAck:
        CheckStatus("ack", amqp_basic_ack(conn, kChannel, tag, 0));
        return;
      case Disposition::kRetry:
        CheckStatus("nack", amqp_basic_nack(conn, kChannel, tag, /*multiple=*/0, /*requeue=*/1));
        return;
      case Disposition::kDeadLetter:
        spdlog::warn("dead-lettering message {} from {}", delivery.message.message_id, queue);
        CheckStatus("reject", amqp_basic_reject(conn, kChannel, tag, /*requeue=*/0));
        return;
    }
  }

  // Settles a whole batch: one multiple-ack when every message is acked (the usual case: every
  // unsettled delivery on the channel is in the batch), otherwise one frame per message.
  void SettleBatch(const std::string& queue, const std::vector<Delivery>& batch,
                   const std::vector<Disposition>& dispositions) {
    const bool all_acked = std::all_of(dispositions.begin(), dispositions.end(),
                                       [](Disposition d) { return d == Disposition::kAck; });
    if (all_acked && !batch.empty()) {
      CheckStatus("ack", amqp_basic_ack(conn, kChannel, batch.back().delivery_tag, /*multiple=*/1));
      return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) Settle(queue, batch[i], dispositions[i]);
  }

  // Reads one delivery, waiting up to `wait`; nullopt when none arrived in time.
  std::optional<Delivery> NextDelivery(const std::string& queue, const timeval& wait) {
    amqp_maybe_release_buffers(conn);
    amqp_envelope_t envelope{};
    const amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, &wait, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
      if (reply.library_error == AMQP_STATUS_TIMEOUT) {
        return std::nullopt;
      }
      if (reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        HandleUnexpectedFrame();
        return std::nullopt;
      }
    }
    CheckReply("consume " + queue, reply);
    EnvelopeGuard guard(envelope);
    return ToDelivery(envelope.message, envelope.delivery_tag, envelope.redelivered != 0,
                      ToString(envelope.exchange), ToString(envelope.routing_key));
  }

  void ConsumeUntilStopped(const std::string& queue, std::size_t max_batch,
                           const Consumer::BatchHandler& handler, const std::stop_token& stop) {
    const timeval poll = ToTimeval(kConsumePoll);
    const timeval no_wait{0, 0};
    std::vector<Delivery> batch;
    while (!stop.stop_requested()) {
      batch.clear();
      if (auto first = NextDelivery(queue, poll)) {
        batch.push_back(std::move(*first));
      } else {
        continue;
      }
      // Whatever else the broker has already sent joins the batch: under load the prefetch window
      // is full and one transaction applies many messages; when idle a message waits for nothing.
      while (batch.size() < max_batch) {
        auto next = NextDelivery(queue, no_wait);
        if (!next) break;
        batch.push_back(std::move(*next));
      }
      std::vector<Disposition> dispositions(batch.size(), Disposition::kRetry);
      try {
        dispositions = handler(batch);
      } catch (const std::exception& e) {
        // A handler failure is treated as transient; the delivery limit bounds the retries.
        spdlog::error("handler failed for {} message(s) from {}: {}", batch.size(), queue, e.what());
      }
      if (dispositions.size() != batch.size()) {
        spdlog::error("handler settled {} of {} messages from {}; retrying them all", dispositions.size(),
                      batch.size(), queue);
        dispositions.assign(batch.size(), Disposition::kRetry);
      }
      SettleBatch(queue, batch, dispositions);
    }
  }
};

Connection::Connection(const AmqpSettings& settings) : impl_(std::make_unique<Impl>(settings)) {
  impl_->Open();
}

Connection::~Connection() = default;

void Connection::DeclareExchange(const std::string& name, const std::string& type) {
  impl_->DeclareExchange(name, type);
}

void Connection::DeclareQueue(const QueueSpec& spec) { impl_->DeclareQueue(spec); }

void Connection::DeleteQueue(const std::string& name) { impl_->DeleteQueue(name); }

void Connection::DeleteExchange(const std::string& name) { impl_->DeleteExchange(name); }

std::vector<bool> Connection::PublishConfirmed(const std::vector<Message>& messages,
                                               std::chrono::milliseconds deadline) {
  return impl_->PublishConfirmed(messages, deadline);
}

void Connection::KeepAlive() { impl_->KeepAlive(); }

std::vector<Delivery> Connection::Get(const std::string& queue, std::size_t max, bool remove) {
  return impl_->Get(queue, max, remove);
}

Consumer::Consumer(AmqpSettings settings, QueueSpec queue, std::uint16_t prefetch, std::size_t max_batch)
    : settings_(std::move(settings)),
      queue_(std::move(queue)),
      prefetch_(prefetch),
      max_batch_(std::clamp<std::size_t>(max_batch, 1, prefetch)) {}

void Consumer::Run(const Handler& handler, std::stop_token stop) {
  RunBatches(
      [&handler](const std::vector<Delivery>& batch) {
        std::vector<Disposition> dispositions;
        dispositions.reserve(batch.size());
        for (const Delivery& delivery : batch) {
          Disposition disposition = Disposition::kRetry;
          try {
            disposition = handler(delivery);
          } catch (const std::exception& e) {
            spdlog::error("handler failed for message {}: {}", delivery.message.message_id, e.what());
          }
          dispositions.push_back(disposition);
        }
        return dispositions;
      },
      std::move(stop));
}

// NOLINTNEXTLINE(performance-unnecessary-value-param)
void Consumer::RunBatches(const BatchHandler& handler, std::stop_token stop) {
  core::RunWithReconnect("consumer of " + queue_.name, stop, [&](core::Backoff& backoff) {
    Connection connection(settings_);
    connection.DeclareQueue(queue_);
    connection.impl_->StartConsuming(queue_.name, prefetch_);
    backoff.Reset();
    spdlog::info("consuming {} with prefetch {}, up to {} per batch", queue_.name, prefetch_, max_batch_);
    connection.impl_->ConsumeUntilStopped(queue_.name, max_batch_, handler, stop);
  });
}

namespace {

// Where a dead-lettered message was first published: x-death is newest first, and since replay
// strips it, the first entry describes the original publish.
std::optional<std::pair<std::string, std::string>> DeathOrigin(const amqp_basic_properties_t& props) {
  if (!(props._flags & AMQP_BASIC_HEADERS_FLAG)) {
    return std::nullopt;
  }
  const amqp_field_value_t* deaths = FindField(props.headers, "x-death");
  if (deaths != nullptr && deaths->kind == AMQP_FIELD_KIND_ARRAY && deaths->value.array.num_entries > 0) {
    const amqp_field_value_t& first = deaths->value.array.entries[0];
    if (first.kind == AMQP_FIELD_KIND_TABLE) {
      auto exchange = FieldString(FindField(first.value.table, "exchange"));
      const amqp_field_value_t* keys = FindField(first.value.table, "routing-keys");
      if (exchange && keys != nullptr && keys->kind == AMQP_FIELD_KIND_ARRAY &&
          keys->value.array.num_entries > 0) {
        if (auto key = FieldString(&keys->value.array.entries[0])) {
          return std::pair{*exchange, *key};
        }
      }
    }
  }
  // Without a usable x-death only the summary headers remain, and they do not record the routing
  // key; the queue the message first died in is still known, so send it straight there through
  // the default exchange.
  if (auto queue = FieldString(FindField(props.headers, "x-first-death-queue")); queue && !queue->empty()) {
    return std::pair{std::string(), *queue};
  }
  return std::nullopt;
}

// Headers the broker adds while dead-lettering or redelivering; carrying them over would make the
// replayed message look like it had already failed.
bool IsBrokerDeathHeader(std::string_view key) {
  return key == "x-death" || key == "x-delivery-count" || key.starts_with("x-first-death-") ||
         key.starts_with("x-last-death-");
}

}  // namespace

std::size_t ReplayDeadLetters(const AmqpSettings& settings, const std::string& queue, std::size_t max) {
  Connection connection(settings);
  Connection::Impl& impl = *connection.impl_;
  const std::string dlq = queue + ".dlq";
  std::size_t replayed = 0;
  std::vector<std::uint64_t> kept;  // left unacked so basic.get moves past them; returned at the end
  for (std::size_t i = 0; i < max; ++i) {
    amqp_maybe_release_buffers(impl.conn);
    amqp_message_t message{};
    std::optional<Delivery> delivery = impl.GetOne(dlq, message);
    if (!delivery) {
      break;
    }
    MessageGuard guard(message);
    const auto origin = DeathOrigin(message.properties);
    if (!origin) {
      spdlog::warn("dead letter {} in {} has no origin; leaving it", delivery->message.message_id, dlq);
      kept.push_back(delivery->delivery_tag);
      continue;
    }
    amqp_basic_properties_t props = message.properties;
    std::vector<amqp_table_entry_t> headers;
    if (props._flags & AMQP_BASIC_HEADERS_FLAG) {
      for (int h = 0; h < props.headers.num_entries; ++h) {
        const amqp_table_entry_t& entry = props.headers.entries[h];
        const std::string_view key(static_cast<const char*>(entry.key.bytes), entry.key.len);
        if (!IsBrokerDeathHeader(key)) {
          headers.push_back(entry);
        }
      }
    }
    props.headers = Table(headers);
    std::vector<Connection::Impl::Outstanding> pending;
    pending.push_back(
        impl.Publish(origin->first, origin->second, delivery->message.message_id, props, message.body));
    if (impl.AwaitConfirms(pending, Clock::now() + settings.timeout).front()) {
      impl.CheckStatus("ack dead letter", amqp_basic_ack(impl.conn, kChannel, delivery->delivery_tag, 0));
      ++replayed;
    } else {
      spdlog::warn("replay of {} to {}/{} was not confirmed; leaving it in {}", delivery->message.message_id,
                   origin->first, origin->second, dlq);
      kept.push_back(delivery->delivery_tag);
    }
  }
  for (std::uint64_t tag : kept) {
    impl.CheckStatus("return dead letter",
                     amqp_basic_nack(impl.conn, kChannel, tag, /*multiple=*/0, /*requeue=*/1));
  }
  return replayed;
}

}  // namespace kpo::messaging

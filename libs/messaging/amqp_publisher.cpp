// Publishing with publisher confirms on rabbitmq-c 0.11, which has no confirm API of its own:
// the channel is put in confirm mode (amqp_confirm_select), every publish gets the next sequence
// number, and the frame loop in AwaitConfirms reads basic.ack / basic.nack / basic.return until
// every publish is settled or the deadline passes.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "messaging/amqp_fields.hpp"
#include "messaging/amqp_impl.hpp"

namespace kpo::messaging {

using detail::Bytes;
using detail::Clock;
using detail::kChannel;
using detail::ToString;

namespace {

// The properties of a persistent publish of `m`; they point into `m` and `headers`, which must
// outlive the publish.
amqp_basic_properties_t PropertiesOf(const Message& m, std::vector<amqp_table_entry_t>& headers) {
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
  props.headers = detail::Table(headers);
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
  return props;
}

}  // namespace

void Connection::Impl::EnableConfirms() {
  if (confirm_mode) {
    return;
  }
  amqp_confirm_select(conn, kChannel);
  CheckRpc("enable publisher confirms");
  confirm_mode = true;
}

Connection::Impl::Outstanding Connection::Impl::Publish(const std::string& exchange,
                                                        const std::string& routing_key,
                                                        const std::string& message_id,
                                                        const amqp_basic_properties_t& props,
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

void Connection::Impl::SettleConfirms(std::vector<Outstanding>& pending, std::uint64_t tag, bool multiple,
                                      bool acked) {
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
void Connection::Impl::MarkReturned(std::vector<Outstanding>& pending, const amqp_basic_return_t& ret) {
  amqp_message_t message{};
  CheckReply("read returned message", amqp_read_message(conn, kChannel, &message, 0));
  detail::MessageGuard guard(message);
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

std::vector<bool> Connection::Impl::AwaitConfirms(std::vector<Outstanding>& pending,
                                                  Clock::time_point deadline) {
  auto unsettled = [&] {
    return std::any_of(pending.begin(), pending.end(), [](const Outstanding& o) { return !o.settled; });
  };
  while (unsettled()) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      // A broker that confirmed nothing for this long would keep a graceful close waiting too
      // (an alarm blocks the writes of a publishing connection): the connection is dropped without one.
      socket_usable = false;
      Throw("timed out waiting for publisher confirms");
    }
    amqp_maybe_release_buffers(conn);
    amqp_frame_t frame{};
    const timeval tv = detail::ToTimeval(left);
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
        SettleConfirms(pending, ack->delivery_tag, ack->multiple != 0, true);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
        SettleConfirms(pending, nack->delivery_tag, nack->multiple != 0, false);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD:
        MarkReturned(pending, *static_cast<const amqp_basic_return_t*>(method.decoded));
        break;
      case AMQP_CONNECTION_CLOSE_METHOD:
      case AMQP_CHANNEL_CLOSE_METHOD:
        FailOnClose("wait for publisher confirms", method);
      default:
        spdlog::debug("ignoring {} while waiting for confirms", detail::MethodName(method.id));
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

std::vector<bool> Connection::Impl::PublishConfirmed(const std::vector<Message>& messages,
                                                     std::chrono::milliseconds timeout) {
  EnsureUsable();
  const auto deadline = Clock::now() + timeout;
  // The confirms' wait ends at the deadline by itself; the watchdog bounds the writes before it,
  // which would otherwise wait as long as a broker that stopped reading does (an alarm blocks
  // publishers). A second later, so that a wait that merely ran out is reported as the timeout it is.
  if (!send_watchdog) send_watchdog = std::make_unique<SendWatchdog>();
  const SendWatchdog::Armed armed(*send_watchdog, amqp_get_sockfd(conn), deadline + std::chrono::seconds(1));
  std::vector<Outstanding> pending;
  pending.reserve(messages.size());
  for (const Message& m : messages) {
    std::vector<amqp_table_entry_t> headers;
    const amqp_basic_properties_t props = PropertiesOf(m, headers);
    pending.push_back(Publish(m.exchange, m.routing_key, m.message_id, props, Bytes(m.body)));
  }
  return AwaitConfirms(pending, deadline);
}

std::vector<bool> Connection::PublishConfirmed(const std::vector<Message>& messages,
                                               std::chrono::milliseconds deadline) {
  return impl_->PublishConfirmed(messages, deadline);
}

}  // namespace kpo::messaging

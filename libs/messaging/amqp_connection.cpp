// The connection itself: open, log in and close, turning rabbitmq-c's status codes and replies
// into AmqpError, declaring and deleting topology, and keeping an idle connection alive.
#include <amqp_tcp_socket.h>

#include <stdexcept>

#include "messaging/amqp_fields.hpp"
#include "messaging/amqp_impl.hpp"
#include "messaging/broker_urls.hpp"

namespace kpo::messaging {

using detail::Bytes;
using detail::kChannel;
using detail::StringEntry;
using detail::Table;

namespace {

constexpr int kFrameMax = 131072;

// The client properties sent with the login. rabbitmq-c does not announce
// consumer_cancel_notify, and without it the broker silently drops a consumer whose queue is
// deleted; with it we get basic.cancel and reconnect. The table points into `capabilities`,
// `entries` and `connection_name`, which must outlive the login.
amqp_table_t ClientProperties(std::vector<amqp_table_entry_t>& capabilities,
                              std::vector<amqp_table_entry_t>& entries, const std::string& connection_name) {
  capabilities = {detail::BoolEntry("consumer_cancel_notify", true)};
  amqp_table_entry_t capabilities_entry{};
  capabilities_entry.key = amqp_cstring_bytes("capabilities");
  capabilities_entry.value.kind = AMQP_FIELD_KIND_TABLE;
  capabilities_entry.value.value.table = Table(capabilities);
  entries.push_back(capabilities_entry);
  if (!connection_name.empty()) {
    entries.push_back(StringEntry("connection_name", connection_name));
  }
  return Table(entries);
}

}  // namespace

Connection::Impl::~Impl() {
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

void Connection::Impl::Throw(const std::string& what, int reply_code) {
  failed = true;
  throw AmqpError(what, reply_code);
}

void Connection::Impl::FailOnClose(const std::string& what, const amqp_method_t& method) {
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
  Throw(what + ": " + detail::DescribeClose(method), detail::CloseReplyCode(method));
}

void Connection::Impl::FailStatus(const std::string& what, int status) {
  // After a library error the framing state is unknown, so no graceful close is attempted.
  socket_usable = false;
  channel_open = false;
  Throw(what + ": " + amqp_error_string2(status));
}

void Connection::Impl::CheckReply(const std::string& what, const amqp_rpc_reply_t& reply) {
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

void Connection::Impl::CheckRpc(const std::string& what) { CheckReply(what, amqp_get_rpc_reply(conn)); }

void Connection::Impl::CheckStatus(const std::string& what, int status) {
  if (status != AMQP_STATUS_OK) {
    FailStatus(what, status);
  }
}

void Connection::Impl::EnsureUsable() {
  if (failed) {
    throw AmqpError("AMQP connection is unusable after an earlier error");
  }
}

void Connection::Impl::Reset() {
  if (conn != nullptr) amqp_destroy_connection(conn);  // closes the socket without a handshake
  conn = nullptr;
  socket_usable = false;
  channel_open = false;
  failed = false;
  confirm_mode = false;
  next_publish_seq = 1;
}

void Connection::Impl::Open() {
  // Every address in turn, each attempt bounded by settings.timeout (TCP connect, handshake and
  // login), from a start that rotates: a dead node costs at most one timeout, usually less (a
  // refused connect fails at once), and clients spread over the nodes.
  std::vector<std::string> urls;
  try {
    urls = SplitBrokerUrls(settings.url);
  } catch (const std::invalid_argument& error) {
    Throw(error.what());
  }
  std::string errors;
  for (const std::size_t i : ConnectOrder(urls.size(), NextConnectStart())) {
    try {
      OpenOne(urls[i]);
      return;
    } catch (const AmqpError& error) {
      errors += (errors.empty() ? "" : "; ") + std::string(error.what());
      Reset();
    }
  }
  Throw(errors);
}

void Connection::Impl::OpenOne(const std::string& address) {
  // amqp_parse_url writes into its argument and points the result into it.
  std::string url = address;
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

  const timeval timeout = detail::ToTimeval(settings.timeout);
  CheckStatus("set handshake timeout", amqp_set_handshake_timeout(conn, &timeout));
  CheckStatus("set RPC timeout", amqp_set_rpc_timeout(conn, &timeout));
  where = std::string(info.host) + ":" + std::to_string(info.port);
  if (int status = amqp_socket_open_noblock(socket, info.host, info.port, &timeout);
      status != AMQP_STATUS_OK) {
    Throw("cannot connect to " + where + ": " + amqp_error_string2(status));
  }
  socket_usable = true;

  std::vector<amqp_table_entry_t> capabilities;
  std::vector<amqp_table_entry_t> entries;
  const amqp_table_t properties = ClientProperties(capabilities, entries, settings.connection_name);
  CheckReply("login to " + where,
             amqp_login_with_properties(conn, info.vhost, 0, kFrameMax, settings.heartbeat_seconds,
                                        &properties, AMQP_SASL_METHOD_PLAIN, info.user, info.password));
  amqp_channel_open(conn, kChannel);
  CheckRpc("open channel on " + where);
  channel_open = true;
}

void Connection::Impl::DeclareExchange(const std::string& name, const std::string& type) {
  EnsureUsable();
  amqp_exchange_declare(conn, kChannel, Bytes(name), Bytes(type), /*passive=*/0, /*durable=*/1,
                        /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  CheckRpc("declare exchange " + name);
}

void Connection::Impl::DeclareQuorumQueue(const std::string& name, std::vector<amqp_table_entry_t> args) {
  static const std::string kQuorum = "quorum";
  args.push_back(StringEntry("x-queue-type", kQuorum));
  amqp_queue_declare(conn, kChannel, Bytes(name), /*passive=*/0, /*durable=*/1, /*exclusive=*/0,
                     /*auto_delete=*/0, Table(args));
  CheckRpc("declare queue " + name);
}

void Connection::Impl::Bind(const std::string& queue, const std::string& exchange, const std::string& key) {
  amqp_queue_bind(conn, kChannel, Bytes(queue), Bytes(exchange), Bytes(key), amqp_empty_table);
  CheckRpc("bind queue " + queue + " to " + exchange + " with " + key);
}

void Connection::Impl::DeclareQueue(const QueueSpec& spec) {
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
                                    detail::IntEntry("x-delivery-limit", spec.delivery_limit),
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

void Connection::Impl::DeleteQueue(const std::string& name) {
  EnsureUsable();
  amqp_queue_delete(conn, kChannel, Bytes(name), /*if_unused=*/0, /*if_empty=*/0);
  CheckRpc("delete queue " + name);
}

void Connection::Impl::DeleteExchange(const std::string& name) {
  EnsureUsable();
  amqp_exchange_delete(conn, kChannel, Bytes(name), /*if_unused=*/0);
  CheckRpc("delete exchange " + name);
}

void Connection::Impl::KeepAlive() {
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

void Connection::KeepAlive() { impl_->KeepAlive(); }

const std::string& Connection::Node() const { return impl_->where; }

}  // namespace kpo::messaging

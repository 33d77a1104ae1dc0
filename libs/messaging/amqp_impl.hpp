#pragma once
// Private to kpo_messaging (never included from outside libs/messaging): the state of one
// rabbitmq-c connection and the operations on it. The members are defined by concern:
//   amqp_connection.cpp  open/login/close, error checks, topology, keep-alive
//   amqp_publisher.cpp   publishing with publisher confirms
//   amqp_consumer.cpp    basic.get, basic.consume and the batch consume loop
//   amqp_replay.cpp      moving dead letters back (uses GetOne, Publish, AwaitConfirms)
#include <amqp.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "messaging/amqp.hpp"
#include "messaging/send_watchdog.hpp"

namespace kpo::messaging {

namespace detail {
using Clock = std::chrono::steady_clock;
inline constexpr amqp_channel_t kChannel = 1;
}  // namespace detail

// The copy of a refused delivery that goes to "<queue>.dlq": its properties and string headers,
// plus the x-kpo-* headers (reason from delivery.failure, `service`, time, queue, origin).
Message DeadLetterOf(const Delivery& delivery, const std::string& queue, const std::string& service);

// Publishes a consumer's dead letters, and the renewed copies of worn deliveries (kRenewalsHeader),
// on a connection of its own, opened on first use: on the consuming channel, the frame loop
// waiting for a confirm would swallow incoming deliveries. Used by the consumer's thread only.
class DeadLetterPublisher {
 public:
  DeadLetterPublisher(AmqpSettings settings, std::string queue);
  ~DeadLetterPublisher();
  DeadLetterPublisher(const DeadLetterPublisher&) = delete;
  DeadLetterPublisher& operator=(const DeadLetterPublisher&) = delete;
  // True once the broker confirmed the copy in the DLQ; false (logged) on any failure. Never throws.
  bool Publish(const Delivery& delivery);
  // True once the broker confirmed a renewed copy of `delivery` in the queue (kRenewalsHeader);
  // false (logged) on any failure. Never throws.
  bool Renew(const Delivery& delivery);

 private:
  bool PublishOne(const Message& message, const Delivery& delivery, std::string_view where);

  AmqpSettings settings_;
  std::string queue_;
  std::unique_ptr<Connection> connection_;
};

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
  std::string where;                   // host:port of the node this connection is (or was last) opened to
  // Bounds a publish's writes (PublishConfirmed), which rabbitmq-c makes without a deadline; made on
  // the first publish, so connections that never publish have no watchdog thread.
  std::unique_ptr<SendWatchdog> send_watchdog;

  explicit Impl(AmqpSettings s) : settings(std::move(s)) {}
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // --- connection, errors, topology (amqp_connection.cpp) ---
  [[noreturn]] void Throw(const std::string& what, int reply_code = 0);
  // Answers a close from the broker (the protocol requires close-ok) and throws.
  [[noreturn]] void FailOnClose(const std::string& what, const amqp_method_t& method);
  [[noreturn]] void FailStatus(const std::string& what, int status);
  void CheckReply(const std::string& what, const amqp_rpc_reply_t& reply);
  void CheckRpc(const std::string& what);
  void CheckStatus(const std::string& what, int status);
  void EnsureUsable();
  // Opens the connection to the first address of settings.url that accepts it (see Open in
  // amqp_connection.cpp); throws AmqpError naming every address's failure when none does.
  void Open();
  // One address: connect, log in, open the channel. Throws AmqpError, leaving conn for Reset.
  void OpenOne(const std::string& address);
  // Back to the state before OpenOne: frees the connection (closing its socket) and clears the flags.
  void Reset();
  void DeclareExchange(const std::string& name, const std::string& type);
  void DeclareQuorumQueue(const std::string& name, std::vector<amqp_table_entry_t> args);
  void Bind(const std::string& queue, const std::string& exchange, const std::string& key);
  void DeclareQueue(const QueueSpec& spec);
  void DeleteQueue(const std::string& name);
  void DeleteExchange(const std::string& name);
  void KeepAlive();
  // Sends one heartbeat frame and reads nothing (a consumer's deliveries may be arriving: only
  // its own loop reads them). Returns the rabbitmq-c status.
  int SendHeartbeat();

  // --- publisher confirms (amqp_publisher.cpp) ---
  void EnableConfirms();
  // Sends one mandatory publish and returns its confirm sequence number.
  Outstanding Publish(const std::string& exchange, const std::string& routing_key,
                      const std::string& message_id, const amqp_basic_properties_t& props, amqp_bytes_t body);
  void SettleConfirms(std::vector<Outstanding>& pending, std::uint64_t tag, bool multiple, bool acked);
  void MarkReturned(std::vector<Outstanding>& pending, const amqp_basic_return_t& ret);
  std::vector<bool> AwaitConfirms(std::vector<Outstanding>& pending, detail::Clock::time_point deadline);
  std::vector<bool> PublishConfirmed(const std::vector<Message>& messages, std::chrono::milliseconds timeout);

  // --- receiving (amqp_consumer.cpp) ---
  // One basic.get; nullopt when the queue is empty. The caller settles the delivery tag.
  std::optional<Delivery> GetOne(const std::string& queue, amqp_message_t& message);
  std::vector<Delivery> Get(const std::string& queue, std::size_t max, bool remove);
  void StartConsuming(const std::string& queue, std::uint16_t prefetch, int priority);
  void HandleUnexpectedFrame();
  void SettleDelivery(const std::string& queue, const Delivery& delivery, Disposition disposition,
                      DeadLetterPublisher& dead_letters);
  void SettleBatch(const std::string& queue, const std::vector<Delivery>& batch,
                   const std::vector<Disposition>& dispositions, DeadLetterPublisher& dead_letters);
  // Reads one delivery, waiting up to `wait`; nullopt when none arrived in time.
  std::optional<Delivery> NextDelivery(const std::string& queue, const timeval& wait);
  void ConsumeUntilStopped(const std::string& queue, std::size_t max_batch, int delivery_limit,
                           const Consumer::BatchHandler& handler, const std::stop_token& stop);
  // Renews (kRenewalsHeader) the deliveries of `batch` whose delivery count reached
  // RenewFrom(delivery_limit) and removes them from it.
  void RenewWorn(const std::string& queue, int delivery_limit, std::vector<Delivery>& batch,
                 DeadLetterPublisher& publisher);
  // Passive queue.declare: the numbers of ready messages and of consumers of `queue`. Throws
  // AmqpError (and the channel is closed) when the queue does not exist.
  struct QueueCounts {
    std::uint64_t messages = 0;
    std::uint64_t consumers = 0;
  };
  QueueCounts CountQueue(const std::string& queue);
};

}  // namespace kpo::messaging

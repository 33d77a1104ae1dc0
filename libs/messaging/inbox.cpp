#include "messaging/inbox.hpp"

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "messaging/outbox.hpp"
#include "observability/metrics.hpp"

namespace kpo::messaging {
namespace {

constexpr std::string_view kInsertInbox = R"sql(
INSERT INTO inbox (message_id, type) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING)sql";

bool IsInfrastructureFailure(const db::DbError& error) {
  const auto& state = error.SqlState();
  // 08: connection exceptions; 53300: too many connections / pool exhausted;
  // 57P0x: server shutting down or restarting.
  return state.rfind("08", 0) == 0 || state == "53300" || state.rfind("57P0", 0) == 0;
}

observability::Counter& Outcome(const char* outcome) {
  return observability::Registry::Global().GetCounter(
      "messages_consumed_total", "Messages consumed by outcome.", fmt::format("outcome=\"{}\"", outcome));
}

}  // namespace

Disposition ProcessOnce(db::Pool& pool, const Delivery& delivery,
                        const std::function<void(db::Transaction&)>& apply, std::stop_token stop) {
  const auto& message = delivery.message;
  if (!core::IsUuid(message.message_id)) {
    spdlog::error("dead-lettering message without a UUID message_id ({})", message.type);
    Outcome("dead_letter").Add();
    return Disposition::kDeadLetter;
  }
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    try {
      const bool applied = db::InTransaction(pool, [&](db::Transaction& tx) {
        if (tx.Exec(kInsertInbox, {message.message_id, message.type}).AffectedRows() == 0) return false;
        apply(tx);
        return true;
      });
      Outcome(applied ? "applied" : "duplicate").Add();
      if (!applied) spdlog::info("duplicate message {} ({}) ignored", message.message_id, message.type);
      return Disposition::kAck;
    } catch (const PoisonMessage& poison) {
      spdlog::error("dead-lettering message {} ({}): {}", message.message_id, message.type, poison.what());
      Outcome("dead_letter").Add();
      return Disposition::kDeadLetter;
    } catch (const db::DbError& error) {
      if (!IsInfrastructureFailure(error)) throw;
      if (stop.stop_requested()) return Disposition::kRetry;
      spdlog::warn("database unavailable while processing {}: {}; retrying in {} ms", message.message_id,
                   error.what(), backoff.count());
      WaitFor(stop, backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

}  // namespace kpo::messaging

#include "orders/app/admission.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

#include "core/clock.hpp"
#include "core/retry.hpp"
#include "db/connection.hpp"
#include "observability/metrics.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {
namespace {

// Each replica's admission connects under this name; counting the sessions so named counts the
// replicas that share the pipeline's room.
constexpr std::string_view kAdmissionSession = "orders-admission";

// What admission's last measurement found, on /metrics.
struct MeasurementGauges {
  observability::Gauge& waiting;
  observability::Gauge& oldest;
  observability::Gauge& lag;
  observability::Gauge& stalled;
  observability::Gauge& replicas;
};

const MeasurementGauges& Gauges() {
  auto& registry = observability::Registry::Global();
  static const MeasurementGauges gauges{
      .waiting = registry.GetGauge(
          "orders_pipeline_waiting",
          "Orders created within admission's window (ORDERS_BACKPRESSURE_WINDOW_S) still waiting for their "
          "payment (admission's last measurement, counted up to the bound + 1)."),
      .oldest =
          registry.GetGauge("orders_pipeline_oldest_wait_seconds",
                            "How long the oldest of those orders has waited (admission's last measurement)."),
      .lag = registry.GetGauge(
          "orders_pipeline_lag_seconds",
          "How long those orders have waited, the longest-waiting tenth aside (with fewer "
          "than ten, the oldest): what admission holds under ORDERS_BACKPRESSURE_MAX_LAG_MS "
          "(its last measurement)."),
      .stalled = registry.GetGauge(
          "orders_pipeline_stalled",
          "1 while an order older than admission's window still waits and none placed after it has been paid "
          "for (the pipeline stopped): new orders are refused but for one probe at a time."),
      .replicas = registry.GetGauge(
          "orders_admission_replicas",
          "Orders replicas whose admission measures this database (this one included); each admits its share "
          "of the room (admission's last measurement).")};
  return gauges;
}

observability::Counter& Refusals(Admission::Refusal refusal) {
  static const std::string kHelp = "New orders refused with 503 by admission, by reason.";
  static auto& in_flight = observability::Registry::Global().GetCounter("orders_admission_refusals_total",
                                                                        kHelp, R"(reason="in_flight")");
  static auto& pipeline = observability::Registry::Global().GetCounter("orders_admission_refusals_total",
                                                                       kHelp, R"(reason="pipeline_behind")");
  return refusal == Admission::Refusal::kInFlight ? in_flight : pipeline;
}

}  // namespace

Admission::Admission(AdmissionOptions options) : options_(std::move(options)) {
  Refusals(Refusal::kInFlight);
  Refusals(Refusal::kPipelineBehind);
}

Admission::Refusal Admission::Admit(std::shared_ptr<void>& ticket) {
  if (options_.max_in_flight > 0 &&
      in_flight_.fetch_add(1, std::memory_order_relaxed) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    Refusals(Refusal::kInFlight).Add();
    return Refusal::kInFlight;
  }
  if (admissions_.fetch_sub(1, std::memory_order_relaxed) <= 0) {
    if (options_.max_in_flight > 0) in_flight_.fetch_sub(1, std::memory_order_relaxed);
    Refusals(Refusal::kPipelineBehind).Add();
    return Refusal::kPipelineBehind;
  }
  // The place taken above is given back when the ticket goes, once the order is answered. Made
  // only for an admitted order: under overload most are refused, and a refusal allocates nothing.
  if (options_.max_in_flight > 0) {
    ticket =
        std::shared_ptr<void>(nullptr, [this](void*) { in_flight_.fetch_sub(1, std::memory_order_relaxed); });
  }
  return Refusal::kNone;
}

void Admission::Grant(std::int64_t admissions, const PipelineBacklog& backlog) {
  admissions_.store(admissions, std::memory_order_relaxed);
  const auto& gauges = Gauges();
  gauges.waiting.Set(static_cast<double>(backlog.waiting));
  gauges.oldest.Set(static_cast<double>(backlog.oldest_ms) / 1000.0);
  gauges.lag.Set(static_cast<double>(backlog.lag_ms) / 1000.0);
  gauges.stalled.Set(backlog.stalled ? 1.0 : 0.0);
  gauges.replicas.Set(static_cast<double>(std::max<std::int64_t>(1, backlog.replicas)));
  // Refusing means "nothing granted": logged on change only, not for every interval whose grant
  // ran out (that is the bound working, and the 503 counters show it).
  const bool refusing = admissions == 0 || backlog.stalled;
  if (refusing == refusing_) return;
  refusing_ = refusing;
  if (refusing) {
    spdlog::warn("refusing new orders: {} wait, lag {} ms, the oldest for {} ms{} (bounds {} orders, {} ms)",
                 backlog.waiting, backlog.lag_ms, backlog.oldest_ms,
                 backlog.stalled ? ", the pipeline stalled" : "", options_.bounds.max_pending,
                 options_.bounds.max_lag.count());
  } else {
    spdlog::info("accepting new orders again: {} wait, lag {} ms, the oldest for {} ms", backlog.waiting,
                 backlog.lag_ms, backlog.oldest_ms);
  }
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
void Admission::Run(std::stop_token stop) {
  if (options_.bounds.max_lag.count() == 0) return;
  const std::int64_t count_limit = options_.bounds.max_pending == 0 ? 1 : options_.bounds.max_pending + 1;
  // Orders left behind before this replica started are not taken for a stall: it has not seen
  // whether later ones were paid for (a test's, or last week's dead letter). A stall that began
  // earlier shows again within a window, through the orders this replica lets in meanwhile.
  const core::TimePoint watched_since = core::Now();
  core::RunWithReconnect("order admission", stop, [&] {
    // Without a measurement, admit: the requests find out about the database themselves, and an
    // admission check that cannot reach it must not refuse orders the database would take.
    struct AdmitUnmeasured {
      std::atomic<std::int64_t>& admissions;
      ~AdmitUnmeasured() { admissions.store(kUnboundedAdmissions, std::memory_order_relaxed); }
    } admit_unmeasured{admissions_};
    db::Connection db(options_.database_url, {.application_name = std::string(kAdmissionSession)});
    while (!stop.stop_requested()) {
      const auto backlog = OrderRepository::PipelineBacklogNow(db, core::Now(), options_.window,
                                                               watched_since, count_limit, kAdmissionSession);
      Grant(AdmissionsFor(options_.bounds, backlog), backlog);
      core::WaitFor(stop, options_.check_every);
    }
  });
}

}  // namespace kpo::orders

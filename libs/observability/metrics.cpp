#include "observability/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kpo::observability {
namespace {

// Prometheus spells infinities and NaN its own way; a sample may well be NaN (nothing to measure).
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string Sample(const std::string& name, const std::string& labels, const std::string& value) {
  return labels.empty() ? fmt::format("{} {}\n", name, value)
                        : fmt::format("{}{{{}}} {}\n", name, labels, value);
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  // Bucket i counts values in (bounds[i-1], bounds[i]]; rendering makes them cumulative.
  const auto i =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::string Histogram::Render(const std::string& name, const std::string& labels) const {
  std::string out;
  const std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds_[i], cumulative);
  }
  cumulative += buckets_[bounds_.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  out += Sample(name + "_sum", labels, FormatValue(sum_.load(std::memory_order_relaxed)));
  // The count is the +Inf bucket's: read separately, it could run ahead of the buckets.
  out += Sample(name + "_count", labels, std::to_string(cumulative));
  return out;
}

Registry& Registry::Global() {
  static Registry registry;
  return registry;
}

Registry::Family& Registry::FamilyOf(const std::string& name, const std::string& help, const char* type) {
  auto& family = families_[name];
  family.help = help;
  family.type = type;
  return family;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = FamilyOf(name, help, "counter").counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = FamilyOf(name, help, "gauge").gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help, const std::string& labels,
                                  std::span<const double> bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = FamilyOf(name, help, "histogram").histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void Registry::AddSampled(const std::string& name, const std::string& help, SampleType type,
                          const std::string& labels, std::function<double()> sample) {
  std::lock_guard lock(mutex_);
  FamilyOf(name, help, type == SampleType::kCounter ? "counter" : "gauge").sampled[labels] =
      std::move(sample);
}

std::string Registry::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, family.help, name, family.type);
    for (const auto& [labels, counter] : family.counters)
      out += Sample(name, labels, std::to_string(counter->Value()));
    for (const auto& [labels, gauge] : family.gauges)
      out += Sample(name, labels, FormatValue(gauge->Value()));
    for (const auto& [labels, sample] : family.sampled) out += Sample(name, labels, FormatValue(sample()));
    for (const auto& [labels, histogram] : family.histograms) out += histogram->Render(name, labels);
  }
  return out;
}

}  // namespace kpo::observability

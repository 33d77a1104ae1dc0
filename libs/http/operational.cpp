#include "http/operational.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>

#include "http/problem.hpp"
#include "observability/metrics.hpp"
#include "observability/process_metrics.hpp"

namespace kpo::http {

namespace {

using Checks = ReadinessChecks;

// A check's answer is reused for this long. /readyz is reachable from outside through the
// gateway, and the broker check opens an AMQP connection: without the reuse, anyone could make
// each service open connections to the broker as fast as they could send requests.
constexpr auto kReadinessFreshFor = std::chrono::seconds(1);

// The checks and their last answer. One caller at a time runs the checks; while they run, other
// callers get the last answer at once (only the very first answer is waited for). So checks that
// take long (a database that does not answer, a broker address that drops packets) hold one
// operations thread, never every probe and scrape behind them.
class Readiness {
 public:
  explicit Readiness(Checks checks) : checks_(std::move(checks)) {}

  // Each check's last result (in the checks' order); runs the checks again when the last answer
  // is older than kReadinessFreshFor and nobody else is running them.
  std::vector<bool> Current() {
    if (auto answer = Answer(kReadinessFreshFor)) return *answer;
    std::unique_lock running(running_, std::try_to_lock);
    if (!running.owns_lock()) {
      if (auto answer = Answer(std::chrono::steady_clock::duration::max())) return *answer;
      running.lock();
      // Whoever held the lock may just have answered.
      if (auto answer = Answer(kReadinessFreshFor)) return *answer;
    }
    auto results = Run();
    std::lock_guard lock(answer_mutex_);
    results_ = results;
    checked_at_ = std::chrono::steady_clock::now();
    return results;
  }

  // The answer to GET /readyz from `results`: 200 when every required check that is not in
  // `excluded` passed, else 503, with every check's result either way.
  Response Render(const std::vector<bool>& results,
                  const std::set<std::string, std::less<>>& excluded) const {
    bool ready = true;
    std::string details;
    for (std::size_t i = 0; i < checks_.size(); ++i) {
      const auto& check = checks_[i];
      ready = ready && (results[i] || !check.required || excluded.contains(check.name));
      details +=
          fmt::format(R"({}"{}":"{}")", details.empty() ? "" : ",", check.name, results[i] ? "ok" : "down");
    }
    return JsonResponse(ready ? 200 : 503, fmt::format(R"({{"status":"{}","checks":{{{}}}}})",
                                                       ready ? "ready" : "unavailable", details));
  }

  // The names `?exclude=` may list, for its error message.
  std::string Names() const {
    std::string names;
    for (const auto& check : checks_) names += (names.empty() ? "" : ", ") + check.name;
    return names;
  }

  bool Has(std::string_view name) const {
    return std::ranges::any_of(checks_, [name](const auto& check) { return check.name == name; });
  }

 private:
  // The last answer, when there is one younger than `fresh_for`.
  std::optional<std::vector<bool>> Answer(std::chrono::steady_clock::duration fresh_for) {
    std::lock_guard lock(answer_mutex_);
    if (!checked_at_ || std::chrono::steady_clock::now() - *checked_at_ >= fresh_for) return std::nullopt;
    return results_;
  }

  // Runs every check (a failing or throwing one counts as down) and records the results in the
  // readiness gauges ("ready": every required check passed, nothing excluded).
  std::vector<bool> Run() const {
    std::vector<bool> results;
    bool ready = true;
    for (const auto& [name, check, required] : checks_) {
      bool ok = false;
      // A readiness probe reports failures; it must never fail itself.
      try {
        ok = check();
      } catch (const std::exception& error) {
        spdlog::warn("readiness check {} failed: {}", name, error.what());
      }
      results.push_back(ok);
      ready = ready && (ok || !required);
      observability::Registry::Global()
          .GetGauge("readiness_check_ok", "Whether a readiness check passed when last run (1) or not (0).",
                    fmt::format("check=\"{}\"", name))
          .Set(ok ? 1 : 0);
    }
    observability::Registry::Global()
        .GetGauge("ready",
                  "Whether every required readiness check passed when last checked (GET /readyz 200).")
        .Set(ready ? 1 : 0);
    return results;
  }

  const Checks checks_;
  std::mutex running_;  // held while the checks run
  std::mutex answer_mutex_;
  std::optional<std::chrono::steady_clock::time_point> checked_at_;
  std::vector<bool> results_;
};

// The items of `list` between `separator`s, empty ones included ("" is one empty item).
std::vector<std::string_view> Items(std::string_view list, char separator) {
  std::vector<std::string_view> items;
  for (std::size_t from = 0;;) {
    const auto to = list.find(separator, from);
    items.push_back(list.substr(from, to == std::string_view::npos ? std::string_view::npos : to - from));
    if (to == std::string_view::npos) return items;
    from = to + 1;
  }
}

// The checks `?exclude=` names, comma-separated or in repeated parameters (as Kubernetes' own
// /readyz takes them), or a 400 problem for an empty name or one that is not a check: a typo or a
// broken template in a probe's path must not quietly turn it into a different probe. Read from the
// raw target, since Request::query keeps the last of repeated parameters only; check names need no
// percent-decoding (an encoded one is refused as unknown).
std::set<std::string, std::less<>> ExcludedChecks(const Request& request, const Readiness& readiness) {
  std::set<std::string, std::less<>> excluded;
  const auto question = request.target.find('?');
  if (question == std::string::npos) return excluded;
  constexpr std::string_view kParameter = "exclude";
  for (const auto pair : Items(std::string_view(request.target).substr(question + 1), '&')) {
    if (!pair.starts_with(kParameter) ||
        (pair.size() > kParameter.size() && pair[kParameter.size()] != '=')) {
      continue;
    }
    const auto list = pair.substr(std::min(pair.size(), kParameter.size() + 1));
    for (const auto name : Items(list, ',')) {
      if (name.empty()) throw ProblemError(400, "'exclude' has an empty check name");
      if (!readiness.Has(name)) {
        throw ProblemError(
            400, fmt::format("'exclude' names a check this service does not have; its checks are: {}",
                             readiness.Names()));
      }
      excluded.emplace(name);
    }
  }
  return excluded;
}

}  // namespace

void AddOperationalRoutes(Router& router, Checks checks, RequestFilter may_read_metrics) {
  auto shared = std::make_shared<Readiness>(std::move(checks));
  // Liveness is answered on the I/O thread: it must not wait behind readiness checks or scrapes.
  router.AddAsync("GET", "/healthz", [](Request&) -> boost::asio::awaitable<Response> {
    co_return JsonResponse(200, R"({"status":"ok"})");
  });
  router.Add(
      "GET", "/readyz",
      [shared](Request& request) {
        const auto excluded = ExcludedChecks(request, *shared);
        return shared->Render(shared->Current(), excluded);
      },
      Lane::kOperations);
  // Every service serves its operational routes once: the process metrics come with /metrics.
  static std::once_flag process_metrics;
  std::call_once(process_metrics,
                 [] { observability::RegisterProcessMetrics(observability::Registry::Global()); });
  // A scrape runs the readiness checks too (as often as a probe would), so that "ready" is
  // current even where nothing probes /readyz.
  router.Add(
      "GET", "/metrics",
      [shared, may_read_metrics = std::move(may_read_metrics)](Request& request) {
        if (may_read_metrics && !may_read_metrics(request)) {
          return ProblemResponse(403, "Metrics are served only to the monitoring system's addresses");
        }
        shared->Current();
        Response response;
        response.body = observability::Registry::Global().Render();
        response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        return response;
      },
      Lane::kOperations);
}

}  // namespace kpo::http

#pragma once
// The operational routes every service serves: liveness, readiness and metrics.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "http/router.hpp"

namespace kpo::http {

// A dependency GET /readyz reports on. A required one that fails makes the instance not ready
// (503). One that is not required is reported all the same (in the answer and in
// readiness_check_ok) but leaves the instance ready: it is something the instance serves part of
// its requests without, shared by every replica, so that taking the replicas out of service
// while it is down would refuse the requests that do not need it too.
using ReadinessCheck = std::function<bool()>;
// How long one check may take to reach its dependency and hear from it: well within an
// orchestrator's probe timeout (5 s in the Kubernetes manifests), with every check run in turn.
inline constexpr std::chrono::seconds kReadinessCheckDeadline{2};
struct NamedReadinessCheck {
  std::string name;
  ReadinessCheck check;
  bool required = true;
};
using ReadinessChecks = std::vector<NamedReadinessCheck>;

// Registers GET /healthz (process alive; answered on the I/O thread, so it never waits), GET /readyz
// (200 when every required check passes, else 503, with each check's result; `?exclude=a,b` or
// `?exclude=a&exclude=b` leaves the named checks out of the verdict, modelled on Kubernetes' own
// /readyz, and answers 400 for an empty name or one that is not a check) and GET /metrics (Prometheus text),
// both on Lane::kOperations. The checks run at most once a second and by one caller at a time: /readyz and
// /metrics within a second of the last run, or while another caller runs the checks, answer with the last
// results. When `may_read_metrics` is given, /metrics answers 403 to a request it refuses.
using RequestFilter = std::function<bool(const Request&)>;
void AddOperationalRoutes(Router& router, ReadinessChecks checks, RequestFilter may_read_metrics = nullptr);

}  // namespace kpo::http

#!/usr/bin/env bash
# Sets up what the tests need (packages, PostgreSQL, RabbitMQ), builds the release preset and
# runs its unit tests and the bench smoke run with CTest and the short chaos run (scripts/chaos.sh), runs the
# web UI's unit and browser tests against the whole running system,
# runs the concurrency-heavy libraries under ThreadSanitizer, every test under AddressSanitizer +
# UndefinedBehaviorSanitizer (services included; the only run of the tests against the servers), and fuzzes every parser of outside input for a few seconds
# each (scripts/fuzz.sh). The sanitizer and fuzz presets build in the background while the release tests run.
# Exits non-zero if any step fails.
# PostgreSQL and RabbitMQ are left running only if they were running before (never with CI=true).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=frontend.sh
source "$(dirname "${BASH_SOURCE[0]}")/frontend.sh"

install_packages
frontend_deps
kpo_env

pg_was_running=0
rabbit_was_running=0
if pg_running; then pg_was_running=1; fi
if rabbit_node_up; then rabbit_was_running=1; fi

cleanup() {
  local rc=$?
  set +e
  # A run cut short leaves no build or check running in the background.
  for pid in ${tidy_pid:-} ${sanitizer_builds_pid:-}; do kill_tree "$pid"; done
  stop_nginx
  stop_services
  if [[ ${CI:-} == true ]] || ((!rabbit_was_running)); then stop_rabbitmq; fi
  if [[ ${CI:-} == true ]] || ((!pg_was_running)); then stop_postgres; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The tests start the services they need on ports, databases and a broker vhost of their own; a
# stack left running by up.sh would still take cores from their timing and nginx's port from the UI tests.
stop_services
stop_nginx

start_postgres
start_rabbitmq

failed=()

# The local PostgreSQL and RabbitMQ carry development accounts (kpo): no port of theirs (nor
# Erlang's port mapper and inter-node port) may be reachable from another host.
log "checking that PostgreSQL and RabbitMQ listen on loopback only"
if ! exposed=$(listening_beyond_loopback 5432 5672 15672 15692 25672 4369) || [[ -n $exposed ]]; then
  warn "listening beyond loopback: ${exposed:-(ss failed)}"
  failed+=("loopback-only servers")
fi
# The broker's account has a generated password: the documented one of old (kpo/kpo) and a guest
# login must be refused, the generated one accepted (the management API answers who is asking).
log "checking that the broker accepts only the generated password"
broker_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -K - "http://127.0.0.1:$RABBITMQ_MGMT_PORT/api/whoami" \
    <<<"user = \"$1\""
}
if [[ $(broker_status kpo:kpo) != 401 || $(broker_status guest:guest) != 401 ||
  $(broker_status "kpo:$KPO_RABBITMQ_PASSWORD") != 200 ]]; then
  warn "the broker's kpo account does not hold the generated password alone"
  failed+=("broker password")
fi

log "checking that every C++ source is clang-formatted"
if ! (cd "$KPO_ROOT" && git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror); then
  failed+=("clang-format")
fi

log "checking the layout rules (file sizes, include prefixes)"
if ! bash "$KPO_ROOT/scripts/layout_check.sh"; then failed+=("layout"); fi

log "checking the Kubernetes manifests offline (kubectl kustomize + schemas, deploy/k8s)"
if ! bash "$KPO_ROOT/scripts/k8s_check.sh"; then failed+=("kubernetes manifests"); fi

log "checking deploy/observability (promtool check config, alert rule tests, dashboard JSON, metric names)"
if ! bash "$KPO_ROOT/scripts/observability_check.sh"; then failed+=("observability config"); fi

build release
# clang-tidy needs about 11 minutes of CPU over a unity build's batches (CI's; about 25 source by source),
# and the tests below (release, chaos, web UI) mostly wait on servers: it runs beside them at the lowest
# priority and is waited for last. Diagnostics go to the log, shown if it fails.
# fuzz/ is compiled by clang in the fuzz preset only: its sources are checked against that preset's
# compile database, which configuring it (seconds) writes long before its build below.
configure fuzz
log "clang-tidy over every C++ source, in the background at low priority (warnings are errors, see .clang-tidy)"
tidy_log="$KPO_ROOT/build/release/clang-tidy.log"
nice -n 19 bash "$KPO_ROOT/scripts/tidy.sh" "$KPO_ROOT/build/release" "$KPO_ROOT/build/fuzz" >"$tidy_log" 2>&1 &
tidy_pid=$!
# The ASan + UBSan, ThreadSanitizer and fuzz builds (clang; about 12 minutes of CPU from a cold
# compiler cache) start now too, one after another: the release tests below leave most of both cores idle.
# ASan's comes first: it is the largest, and its tests the longest, so the others build while they run.
# They run at nice 15, above clang-tidy's 19: each sanitizer's tests wait for its build, while
# clang-tidy is waited for only at the end, so it takes what the builds and tests leave. Each build's
# output goes to build/logs/<preset>.log, shown if it fails.
# The libraries where threads meet (wake-ups, worker groups, connection pool, HTTP server, broker client
# and its send watchdog, metrics), the gateway (its proxy's replica state and stall watch, the rate
# limits, the shedder), the outbox's hand-off (committers and relays) and orders' group commit
# (OrderIntake: request threads writing each other's batches) under ThreadSanitizer; the rest of the
# suite has no shared mutable state of its own.
tsan_targets=(gateway_test kpo_core_test kpo_db_pgtest kpo_http_test kpo_messaging_test kpo_messaging_mqtest
  kpo_observability_test orders_pgtest)
fuzz_targets=()
while IFS= read -r -d '' source; do fuzz_targets+=("$(basename "$source" .cpp)"); done \
  < <(find "$KPO_ROOT/fuzz" -maxdepth 1 -name '*_fuzz.cpp' -print0 | sort -z)
build_logs="$KPO_ROOT/build/logs"
mkdir -p "$build_logs"
rm -f "$build_logs"/*.rc
# One lock per build, taken here and held by the background job until that build ends (its
# descriptor closes; a killed job closes them all): sanitizer_built waits on it.
exec {tsan_lock}>"$build_logs/tsan.lock" {asan_lock}>"$build_logs/asan.lock" {fuzz_lock}>"$build_logs/fuzz.lock"
flock "$tsan_lock"
flock "$asan_lock"
flock "$fuzz_lock"
(
  renice -n 15 -p "$BASHPID" >/dev/null
  set +e
  KPO_BUILD_JOBS=$(nproc)
  export KPO_BUILD_JOBS
  build asan >"$build_logs/asan.log" 2>&1
  echo $? >"$build_logs/asan.rc"
  exec {asan_lock}>&-
  build tsan "${tsan_targets[@]}" >"$build_logs/tsan.log" 2>&1
  echo $? >"$build_logs/tsan.rc"
  exec {tsan_lock}>&-
  build fuzz "${fuzz_targets[@]}" >"$build_logs/fuzz.log" 2>&1
  echo $? >"$build_logs/fuzz.rc"
) &
sanitizer_builds_pid=$!
exec {tsan_lock}>&- {asan_lock}>&- {fuzz_lock}>&-
# sanitizer_built PRESET — waits for the background build of PRESET to end; true if it built, else
# shows why it did not.
sanitizer_built() {
  local preset=$1
  log "waiting for the $preset build (started after the release build)"
  flock "$build_logs/$preset.lock" true
  if [[ $(cat "$build_logs/$preset.rc" 2>/dev/null) == 0 ]]; then return 0; fi
  warn "the $preset build failed:"
  tail -n 60 "$build_logs/$preset.log" >&2
  return 1
}
docs_deps
# No Docker engine here: check offline what the compose file and the images need (see the script).
log "checking deploy/docker-compose.yml and deploy/Dockerfile (offline)"
if ! python3 "$KPO_ROOT/scripts/compose_check.py" "$KPO_ROOT" "$KPO_ROOT/build/release"; then
  failed+=("compose check")
fi
export KPO_BUILD_DIR="$KPO_ROOT/build/release"
log "running the unit tests and the bench smoke run (release preset)"
# The tests against the servers (labelled integration: *_pgtest, *_mqtest, *_itest) run once, in the
# ASan + UBSan run below, against the same sources compiled with every sanitizer check; the release
# binaries are what the bench smoke run, the chaos run, the broker-permission saga, the browser tests,
# the hostile requests and the up.sh re-run below drive end to end. Running them here too cost about
# five minutes of this script's thirty on two cores, which it spends fully busy (CPU 100 % from the
# first build to the last check). `ctest --preset release` runs them all.
# Per-test safety net; tests that set their own TIMEOUT property keep it. Two at a time: the tests
# against the servers still run one at a time (their RESOURCE_LOCK, cmake/kpo.cmake), the unit tests
# beside them, as in the sanitizer runs below.
ctest_jobs=(--parallel "$(nproc)")
if ! (cd "$KPO_ROOT" && ctest --preset release "${ctest_jobs[@]}" -L '^(unit|bench)$' --output-on-failure \
  --timeout "${KPO_TEST_TIMEOUT:-900}"); then
  failed+=("release tests")
fi

log "the per-service broker users of deploy/k8s run the saga (tests/edge/broker_permissions.sh)"
if ! bash "$KPO_ROOT/tests/edge/broker_permissions.sh"; then failed+=("broker permissions"); fi
# The short chaos run: two replicas of each service under load while every fault kind happens once
# (README "Chaos"). Its own databases and vhost; it restarts PostgreSQL and stops RabbitMQ's application.
if ! bash "$KPO_ROOT/scripts/chaos.sh" --short; then failed+=("chaos (short)"); fi
# The failover, network-fault and broker-node-loss suites (about 6 minutes together) run with
# `make faults` (scripts/faults.sh), not here: they would take this script past its 30-minute budget.

# The web UI against the whole running system: nginx :3000 → gateway → services.
start_services "$KPO_ROOT/build/release"
frontend_build
nginx_start
if ! frontend_unit_tests; then failed+=("frontend unit tests"); fi
if ! frontend_e2e_tests; then failed+=("browser end-to-end tests"); fi
log "hostile requests against nginx (tests/edge/nginx_hostile.py)"
if ! python3 tests/edge/nginx_hostile.py; then failed+=("nginx hostile requests"); fi
# After the browser tests, so the scrapes hold every kind of series (histograms, streams).
log "linting live /metrics scrapes (promtool check metrics)"
if ! bash "$KPO_ROOT/scripts/observability_check.sh" "http://$ORDERS_LISTEN/metrics" "http://$PAYMENTS_LISTEN/metrics" \
  "http://127.0.0.1:${GATEWAY_LISTEN##*:}/metrics" \
  "http://127.0.0.1:$RABBITMQ_PROMETHEUS_PORT/metrics/detailed?family=queue_coarse_metrics"; then
  failed+=("live metrics")
fi
if ! bash "$KPO_ROOT/tests/edge/up_rerun.sh"; then failed+=("up.sh re-run after a crash"); fi
nginx_stop
stop_services

log "running every test under ASan + UBSan (asan preset)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The services the integration tests start are sanitized too: their logs are checked below.
asan_logs="$KPO_ROOT/build/asan/tests/logs"
rm -rf "$asan_logs"
# The bench smoke run (40 s under ASan) is left to the release run: it measures, it tests no code of its own.
if ! sanitizer_built asan; then
  failed+=("asan build")
elif ! KPO_BUILD_DIR="$KPO_ROOT/build/asan" ctest --test-dir "$KPO_ROOT/build/asan" "${ctest_jobs[@]}" --output-on-failure -LE bench \
  --timeout "${KPO_TEST_TIMEOUT:-900}"; then
  failed+=("asan tests")
fi
if grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$asan_logs"/*.log 2>/dev/null; then
  grep -h -A20 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$asan_logs"/*.log | head -80 >&2
  failed+=("sanitizer reports in service logs")
fi

# Only tsan_targets are built, so CTest's placeholders for the others (*_NOT_BUILT) and the bench smoke
# run (its services are not built here) are excluded.
log "concurrency-heavy libraries under ThreadSanitizer (tsan preset)"
if ! sanitizer_built tsan; then
  failed+=("tsan build")
elif ! TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} ctest --test-dir "$KPO_ROOT/build/tsan" \
  "${ctest_jobs[@]}" -E '_NOT_BUILT|^itest\.bench_smoke$' --output-on-failure --timeout "${KPO_TEST_TIMEOUT:-900}"; then
  failed+=("tsan tests")
fi

# Every parser of outside input under libFuzzer + ASan + UBSan for a short while (fuzz/README.md has
# the long runs): a crash, a sanitizer report or a broken invariant fails the step.
log "fuzzing the parsers of outside input, ${KPO_FUZZ_SECONDS:-5} s per target (scripts/fuzz.sh)"
# fuzz.sh finds its targets built by the background build.
if ! sanitizer_built fuzz || ! bash "$KPO_ROOT/scripts/fuzz.sh" "${KPO_FUZZ_SECONDS:-5}"; then failed+=("fuzzing"); fi
wait "$sanitizer_builds_pid" || true

log "waiting for clang-tidy (started after the release build)"
if ! wait "$tidy_pid"; then
  grep -v ' warnings\? generated\.$' "$tidy_log" >&2
  failed+=("clang-tidy")
fi

if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
log "all tests passed"

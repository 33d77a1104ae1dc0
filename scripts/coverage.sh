#!/usr/bin/env bash
# ./scripts/coverage.sh [CTEST ARGS...] — line and branch coverage of libs/ and services/ by the unit
# and integration tests: builds the coverage preset (GCC --coverage, Debug), runs the tests with CTest
# (the services the integration tests start are the instrumented binaries), prints gcovr's summary
# for libs/, services/ and both, and writes an HTML report to build/coverage/report/index.html.
# Tests, benchmarks, tools and generated sources (in build/) are not counted. Extra arguments go to
# ctest, e.g. `-E Faults` to leave tests out. PostgreSQL and RabbitMQ are started if not running.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_packages
kpo_env
# The tests start their own service processes and consume the contract's queues: services left
# running by up.sh would compete with them (as in test.sh).
stop_services
pg_running || start_postgres
rabbit_running || start_rabbitmq

build coverage
dir="$KPO_ROOT/build/coverage"
report="$dir/report"
# Counters from an earlier run would add up with this one's.
find "$dir" -name '*.gcda' -delete
rm -rf "$report"
mkdir -p "$report"

failed=0
log "running the unit and integration tests (coverage preset)"
# The bench smoke run (label bench) exercises the benchmark, not the code's tests.
if ! (cd "$KPO_ROOT" && KPO_BUILD_DIR="$dir" ctest --preset coverage -L 'unit|integration' -LE bench \
  --timeout "${KPO_TEST_TIMEOUT:-900}" "$@"); then
  warn "some tests failed: the figures below are for the tests that ran"
  failed=1
fi

log "coverage of libs/ and services/ (GCC's exception-only and unreachable branches not counted)"
cd "$KPO_ROOT"
# gcov runs once, into a JSON tracefile; the summaries and the HTML are made from it. Only the
# objects under build/coverage/{libs,services} are read (CMake's compiler probe is not code).
gcovr --root . --object-directory "$dir" -j "$(nproc)" \
  --filter 'libs/' --filter 'services/' \
  --exclude '.*_(test|pgtest|mqtest|itest)(_[a-z]+)?\.(cpp|hpp)$' --exclude '.*/node_modules/.*' \
  --exclude-throw-branches --exclude-unreachable-branches \
  --json "$report/coverage.json" "$dir/libs" "$dir/services"
for part in libs services; do
  printf '%s/\n' "$part"
  gcovr --root . --add-tracefile "$report/coverage.json" --filter "$part/" \
    --txt "$report/$part.txt" --print-summary | sed 's/^/    /'
done
printf 'libs/ + services/\n'
gcovr --root . --add-tracefile "$report/coverage.json" \
  --html-details "$report/index.html" --html-title "KPO 4 coverage" --print-summary | sed 's/^/    /'
info "per file: build/coverage/report/{libs,services}.txt; HTML: build/coverage/report/index.html"
exit "$failed"

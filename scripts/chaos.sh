#!/usr/bin/env bash
# The chaos suite (tests/chaos/, README "Chaos"): two replicas of each service on ports 16101–16502,
# load through both gateways, faults on a schedule, then the delivery guarantees checked.
#   scripts/chaos.sh             short run: >= 2,000 orders, every fault kind once (a step of test.sh)
#   scripts/chaos.sh --long      >= 20,000 orders, the fault kinds in rounds until the load is sent (make chaos)
# Other options go to tests/chaos/chaos.py (--orders N, --rate R, --seed S, --only KIND,... for those
# faults alone). It uses its own databases (orders_chaos, payments_chaos, gateway_chaos; dropped and
# created again) and RabbitMQ vhost kpo_chaos on the machine's PostgreSQL and RabbitMQ, and restarts
# both during the run: it holds the lock file KPO_CHAOS_LOCK (default /tmp/kpo-itest.lock, the one
# the integration tests share; empty: no lock).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hold_test_lock "${KPO_CHAOS_LOCK-/tmp/kpo-itest.lock}" "$0" "$@"

mode=short
args=()
for arg in "$@"; do
  case $arg in
    --long) mode=long ;;
    --short) mode=short ;;
    *) args+=("$arg") ;;
  esac
done

kpo_env
start_postgres
start_rabbitmq
build release kpo-orders kpo-payments kpo-gateway
# What cluster.py needs to restart PostgreSQL and the broker the way this file does.
export PG_VERSION PG_CLUSTER
[[ -n ${RABBITMQ_NODENAME:-} ]] && export RABBITMQ_NODENAME
log "chaos suite ($mode)"
cd "$KPO_ROOT"
exec python3 tests/chaos/chaos.py --mode "$mode" --build-dir "$KPO_BUILD_DIR" "${args[@]}"

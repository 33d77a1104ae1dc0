#!/usr/bin/env bash
# The PostgreSQL failover test (tests/failover/failover.py; README, "Running with a standby"), a
# step of scripts/test.sh, about two minutes: sets up the primary + synchronous standby pair
# (scripts/pg_failover.sh, ports 5442/5443, beside the machine's 15/main), a RabbitMQ vhost
# kpo_failover, starts orders, payments and the gateway on 18001/18002/18005, kills the primary
# under load, promotes the standby and checks that nothing acknowledged was lost. The pair and the
# vhost are removed at the end whatever happens. Holds the lock file KPO_FAILOVER_LOCK (default
# /tmp/kpo-itest.lock, the one the integration tests share; empty: no lock) for the whole run.
# Options go to failover.py (--workers, --before, --detect, --after).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hold_test_lock "${KPO_FAILOVER_LOCK-/tmp/kpo-itest.lock}" "$0" "$@"

VHOST=kpo_failover

cleanup() {
  local rc=$?
  set +e
  bash "$KPO_ROOT/scripts/pg_failover.sh" teardown
  rmq timeout 60 rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

kpo_env
start_rabbitmq
build release kpo-orders kpo-payments kpo-gateway

log "failover test: a fresh primary + synchronous standby, RabbitMQ vhost $VHOST"
bash "$KPO_ROOT/scripts/pg_failover.sh" teardown
bash "$KPO_ROOT/scripts/pg_failover.sh" setup
rmq timeout 60 rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
rmq timeout 60 rabbitmqctl -q add_vhost "$VHOST" >/dev/null
rmq timeout 60 rabbitmqctl -q set_permissions -p "$VHOST" kpo '.*' '.*' '.*' >/dev/null

cd "$KPO_ROOT"
python3 tests/failover/failover.py --build-dir "$KPO_BUILD_DIR" --vhost "$VHOST" "$@"

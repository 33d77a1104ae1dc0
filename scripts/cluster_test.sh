#!/usr/bin/env bash
# The broker-node-loss test (tests/cluster/node_loss.py; README, "Running against a RabbitMQ
# cluster"): starts the 3-node cluster of scripts/rabbit_cluster.sh, runs orders and payments against
# all three nodes on 127.0.0.1:17101-17102 with databases of their own (orders_cluster,
# payments_cluster), sends a steady stream of orders while one node, then another, is killed with
# SIGKILL and restarted, and checks that nothing was lost or charged twice. About three minutes.
# It holds the lock file shared by the tests that use the machine's databases (KPO_CLUSTER_LOCK,
# default /tmp/kpo-itest.lock; empty: no lock), and stops the cluster whatever happens.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

hold_test_lock "${KPO_CLUSTER_LOCK-/tmp/kpo-itest.lock}" "$0" "$@"

kpo_env
for bin in services/orders/kpo-orders services/payments/kpo-payments; do
  [[ -x $KPO_BUILD_DIR/$bin ]] || die "$KPO_BUILD_DIR/$bin not found: build the release preset first"
done
cleanup() {
  local rc=$?
  set +e
  bash "$KPO_ROOT/scripts/rabbit_cluster.sh" stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$KPO_RUN_DIR"
log "broker node loss against a 3-node RabbitMQ cluster (tests/cluster/node_loss.py)"
# Bounded: the test's own waits add up to a few minutes; this is the backstop.
PYTHONDONTWRITEBYTECODE=1 timeout -k 10 600 python3 "$KPO_ROOT/tests/cluster/node_loss.py" --build-dir "$KPO_BUILD_DIR" --run-dir "$KPO_RUN_DIR" "$@"

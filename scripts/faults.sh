#!/usr/bin/env bash
# The fault suites that need minutes each (`make faults`): PostgreSQL failover to a synchronous standby,
# network faults between orders and its broker / database, and broker node loss in a 3-node RabbitMQ
# cluster, each under load with its invariants checked (README: "Running with a standby", "Network
# faults", "Running against a RabbitMQ cluster"). About 6 minutes; needs root (namespaces, clusters of
# its own beside the machine's PostgreSQL and RabbitMQ). Exits non-zero if any suite fails.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
install_packages
kpo_env
pg_running || start_postgres
rabbit_running || start_rabbitmq
build release
stop_services
failed=()

# PostgreSQL failover under load: a primary + synchronous standby pair of its own (ports 5442/5443),
# the primary killed with SIGKILL and the standby promoted; no acknowledged write may be lost.
log "PostgreSQL failover under load (scripts/failover_test.sh)"
if ! bash "$KPO_ROOT/scripts/failover_test.sh"; then failed+=("postgresql failover"); fi
# Network faults (latency, loss, partitions) between orders and its broker / database, in a network
# namespace of the suite's own (tests/netfault/): root only, and bounded to about three minutes.
log "network faults between orders and RabbitMQ / PostgreSQL (tests/netfault/run.py)"
if ! as_root env ORDERS_DATABASE_URL="$ORDERS_DATABASE_URL" PAYMENTS_DATABASE_URL="$PAYMENTS_DATABASE_URL" \
  GATEWAY_DATABASE_URL="$GATEWAY_DATABASE_URL" RABBITMQ_URL="$RABBITMQ_URL" GATEWAY_JWT_SECRET="$GATEWAY_JWT_SECRET" \
  timeout 600 python3 "$KPO_ROOT/tests/netfault/run.py" "$KPO_ROOT/build/release"; then
  failed+=("network faults")
fi
# A broker node lost under load: a 3-node RabbitMQ cluster beside the machine's broker (its own ports), one
# node and then another killed with SIGKILL and restarted (README, "Running against a RabbitMQ cluster").
if ! bash "$KPO_ROOT/scripts/cluster_test.sh"; then failed+=("broker node loss (cluster)"); fi

if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
log "every fault suite passed"

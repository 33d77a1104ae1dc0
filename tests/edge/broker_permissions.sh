#!/usr/bin/env bash
# The per-service broker users of deploy/k8s (base/rabbitmq.yaml, Permission objects) are enough to run
# the saga: creates two users on the local RabbitMQ with exactly those permissions, starts orders and
# payments connected as them (ORDERS_RABBITMQ_URL, PAYMENTS_RABBITMQ_URL) and the gateway, places a
# paid order and waits for it to finish. A permission the manifests forgot makes a service fail to
# declare, publish or consume, and the order never finishes. Run by scripts/test.sh with no services
# running; stops what it starts and deletes the users.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
kpo_env
build_dir=${KPO_BUILD_DIR:-$KPO_ROOT/build/release}
manifest=$KPO_ROOT/deploy/k8s/base/rabbitmq.yaml
gateway="http://127.0.0.1:${GATEWAY_LISTEN##*:}"

cleanup() {
  stop_services
  for service in orders payments; do
    rmq timeout 30 rabbitmqctl -q delete_user "kpo-perm-$service" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

# "<user> <configure> <write> <read>" per Permission object of the manifest.
permissions=$(python3 - "$manifest" <<'PY'
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "Permission":
        p = doc["spec"]["permissions"]
        print(doc["spec"]["userReference"]["name"], p["configure"], p["write"], p["read"])
PY
)
for service in orders payments; do
  read -r _ configure write read < <(grep "^$service-broker " <<<"$permissions") ||
    die "no Permission for $service-broker in $manifest"
  password=$(openssl rand -hex 16)
  rmq timeout 30 rabbitmqctl -q delete_user "kpo-perm-$service" >/dev/null 2>&1 || true
  rmq timeout 30 rabbitmqctl -q add_user "kpo-perm-$service" "$password" >/dev/null
  rmq timeout 30 rabbitmqctl -q set_permissions -p / "kpo-perm-$service" "$configure" "$write" "$read" >/dev/null
  info "$service-broker: configure $configure, write $write, read $read"
  printf -v "${service^^}_RABBITMQ_URL" 'amqp://kpo-perm-%s:%s@localhost:5672/' "$service" "$password"
  export "${service^^}_RABBITMQ_URL"
done

start_services "$build_dir"
call() { # METHOD PATH [BODY] — prints the answer's body; fails on a status outside 2xx
  curl -fsS --max-time 10 -X "$1" -H "Authorization: Bearer ${token:-}" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$gateway$2"
}
token=$(call POST /api/auth/guest | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
call POST /api/accounts >/dev/null
call POST /api/accounts/me/deposits '{"amount":10000}' >/dev/null
order=$(call POST /api/orders '{"amount":2500,"description":"broker permissions check"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
deadline=$((SECONDS + 30))
status=Created
while [[ $status == Created ]] && ((SECONDS < deadline)); do
  sleep 0.2
  status=$(call GET "/api/orders/$order" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
done
if [[ $status != Finished ]]; then
  tail -n 5 "$KPO_RUN_DIR/orders.log" "$KPO_RUN_DIR/payments.log" >&2 || true
  die "order $order is $status, not Finished, with the per-service broker users of $manifest"
fi
info "order $order Finished with the per-service broker users (orders and payments each on their own)"

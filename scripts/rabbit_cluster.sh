#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, beside the machine's own broker (which it never
# touches), for the broker-node-loss test (tests/cluster/) and for trying the services against a
# cluster by hand (README, "Running against a RabbitMQ cluster").
#
#   scripts/rabbit_cluster.sh start          start kpo1..kpo3@localhost, join them, create kpo (the local broker's generated password)
#   scripts/rabbit_cluster.sh stop           stop the three nodes and delete their data
#   scripts/rabbit_cluster.sh status         one line per node, then the cluster's view
#   scripts/rabbit_cluster.sh queues         per queue: name, leader node, member count (tab-separated)
#   scripts/rabbit_cluster.sh urls           the comma-separated RABBITMQ_URL for all three nodes
#   scripts/rabbit_cluster.sh kill N         kill -9 node N's Erlang VM (1..3): a crash, not a stop
#   scripts/rabbit_cluster.sh restart N      start node N again; wait until it runs in the cluster and its
#                                            quorum queue replicas are back (no node quorum-critical)
#
# Node N listens for AMQP on 127.0.0.1:(5680+N) and for Erlang distribution on 127.0.0.1:(25680+N)
# (KPO_RABBIT_CLUSTER_PORT / KPO_RABBIT_CLUSTER_DIST_PORT move the bases); no plugins, so no
# management port. Data, logs and configuration live in KPO_RABBIT_CLUSTER_DIR
# (/tmp/kpo-rabbit-cluster), owned by the rabbitmq user that runs the nodes. They share the
# machine's Erlang cookie and port mapper (epmd) with its own node, which is why `stop` ends the
# nodes one by one and never stops epmd. Every command is idempotent.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLUSTER_DIR=${KPO_RABBIT_CLUSTER_DIR:-/tmp/kpo-rabbit-cluster}
AMQP_BASE=${KPO_RABBIT_CLUSTER_PORT:-5681}
DIST_BASE=${KPO_RABBIT_CLUSTER_DIST_PORT:-25681}
NODES=(1 2 3)

node_name() { echo "kpo$1@localhost"; }
node_dir() { echo "$CLUSTER_DIR/kpo$1"; }
amqp_port() { echo $((AMQP_BASE + $1 - 1)); }
dist_port() { echo $((DIST_BASE + $1 - 1)); }

# The environment that makes node N a node of its own: every file and port of the system node
# is replaced, including the conf.d directory (/etc/rabbitmq/conf.d holds the system node's ports).
node_env() {
  local dir
  dir=$(node_dir "$1")
  echo "RABBITMQ_NODENAME=$(node_name "$1")" "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1" \
    "RABBITMQ_NODE_PORT=$(amqp_port "$1")" "RABBITMQ_DIST_PORT=$(dist_port "$1")" \
    "RABBITMQ_MNESIA_BASE=$dir/mnesia" "RABBITMQ_LOG_BASE=$dir/log" "RABBITMQ_PID_FILE=$dir/pid" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins" "RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" \
    "RABBITMQ_CONFIG_FILES=$dir/conf.d" "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config"
}

# A CLI command against node N (as root; Debian's wrapper switches to the rabbitmq user).
node_ctl() {
  local n=$1 tool=$2
  shift 2
  rmq timeout 60 "$tool" -q -n "$(node_name "$n")" "$@"
}

# The OS pid of node N's Erlang VM, only if that process really is node N (its environment names
# the node and our data directory), so that a recycled pid or the system node is never touched.
node_pid() {
  local file pid
  file="$(node_dir "$1")/pid"
  pid=$(as_root cat "$file" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  as_root tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "RABBITMQ_NODENAME=$(node_name "$1")" || return 1
  echo "$pid"
}

node_booted() { node_ctl "$1" rabbitmqctl await_startup --timeout 5 >/dev/null 2>&1; }

write_node_config() {
  local n=$1 dir
  dir=$(node_dir "$n")
  ensure_broker_password
  as_root install -d -o rabbitmq -g rabbitmq -m 750 "$dir" "$dir/mnesia" "$dir/log" "$dir/conf.d"
  as_root tee "$dir/rabbitmq.conf" >/dev/null <<CONF
# Written by KPO 4's scripts/rabbit_cluster.sh: node $(node_name "$n"), loopback only.
listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")
default_user = kpo
default_pass = $KPO_RABBITMQ_PASSWORD
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
CONF
  echo '[].' | as_root tee "$dir/enabled_plugins" >/dev/null
  echo '[].' | as_root tee "$dir/advanced.config" >/dev/null
  as_root chown rabbitmq:rabbitmq "$dir/rabbitmq.conf" "$dir/enabled_plugins" "$dir/advanced.config"
  as_root chmod 640 "$dir/rabbitmq.conf" # holds the password
}

# start_node N — starts node N unless it runs, and waits until it has booted.
start_node() {
  local n=$1 env
  if ! node_pid "$n" >/dev/null; then
    port_open "$(amqp_port "$n")" && die "port $(amqp_port "$n") is in use by another process"
    port_open "$(dist_port "$n")" && die "port $(dist_port "$n") is in use by another process"
    [[ -f $(node_dir "$n")/rabbitmq.conf ]] || write_node_config "$n"
    log "starting RabbitMQ node $(node_name "$n") on 127.0.0.1:$(amqp_port "$n")"
    read -r -a env <<<"$(node_env "$n")"
    rmq "${env[@]}" RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
      rabbitmq-server -detached
  fi
  if ! wait_until "$(node_name "$n") to boot" 120 node_booted "$n"; then
    as_root tail -n 30 "$(node_dir "$n")/log/$(node_name "$n").log" >&2 || true
    die "$(node_name "$n") did not start"
  fi
}

# The nodes node N's cluster runs on, one per line.
running_nodes() {
  node_ctl "$1" rabbitmqctl eval 'rabbit_nodes:all_running().' 2>/dev/null |
    grep -o 'kpo[0-9]*@localhost' | sort -u
}

# join_node N — makes node N a member of node 1's cluster (once; a member rejoins by itself).
join_node() {
  local n=$1
  if node_ctl 1 rabbitmqctl cluster_status --formatter json 2>/dev/null | grep -qF "\"$(node_name "$n")\""; then
    return 0
  fi
  log "joining $(node_name "$n") to $(node_name 1)"
  local step out
  for step in stop_app reset "join_cluster $(node_name 1)" start_app; do
    # The CLI logs the node's own transient complaints while it leaves and joins: shown only on failure.
    # shellcheck disable=SC2086  # $step is a command and its argument
    out=$(node_ctl "$n" rabbitmqctl $step 2>&1) || {
      printf '%s\n' "$out" >&2
      die "rabbitmqctl $step failed on $(node_name "$n")"
    }
  done
}

cluster_complete() { [[ $(running_nodes "${1:-1}" | wc -l) -eq ${#NODES[@]} ]]; }

cmd_start() {
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed (scripts/lib.sh install_packages)"
  as_root test -f /var/lib/rabbitmq/.erlang.cookie || die "no Erlang cookie: start the machine's RabbitMQ once (scripts/up.sh)"
  local n
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]:1}"; do join_node "$n"; done
  wait_until "all ${#NODES[@]} nodes running in one cluster" 120 cluster_complete 1 || die "the cluster did not form"
  info "RabbitMQ cluster ready: RABBITMQ_URL=$(cmd_urls | sed -E 's#(amqp://[^:/@]+):[^@]*@#\1:***@#g')  (with the password: scripts/rabbit_cluster.sh urls)"
}

# stop_node N — a clean shutdown, then SIGKILL if the VM is still there.
stop_node() {
  local n=$1 pid i
  pid=$(node_pid "$n") || return 0
  log "stopping $(node_name "$n") (pid $pid)"
  node_ctl "$n" rabbitmqctl shutdown >/dev/null 2>&1 || warn "rabbitmqctl shutdown failed for $(node_name "$n")"
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  as_root kill -KILL "$pid" 2>/dev/null || true
}

# Any Erlang VM left with one of our node names (a node whose pid file was lost): by environment.
stray_pids() {
  local pid environ
  for pid in $(pgrep -u rabbitmq -x beam.smp || true); do
    environ=$(as_root tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || continue
    grep -qE "^RABBITMQ_MNESIA_BASE=$CLUSTER_DIR/" <<<"$environ" && echo "$pid"
  done
}

cmd_stop() {
  local n pid
  # Nodes 2 and 3 first: node 1 last sees the others leave, which is the quickest shutdown.
  for n in 3 2 1; do stop_node "$n"; done
  for pid in $(stray_pids); do
    warn "killing a leftover node VM (pid $pid)"
    as_root kill -KILL "$pid" 2>/dev/null || true
  done
  as_root rm -rf "$CLUSTER_DIR"
}

cmd_kill() {
  local n=$1 pid i
  pid=$(node_pid "$n") || die "$(node_name "$n") is not running"
  log "kill -9 $(node_name "$n") (beam.smp pid $pid)"
  as_root kill -KILL "$pid"
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  die "$(node_name "$n") (pid $pid) survived SIGKILL"
}

# No quorum queue depends on node N for its majority: every replica elsewhere is up again.
quorum_safe() { node_ctl "$1" rabbitmq-queues check_if_node_is_quorum_critical >/dev/null 2>&1; }

cmd_restart() {
  local n=$1 other
  start_node "$n"
  wait_until "$(node_name "$n") to rejoin the cluster" 120 cluster_complete "$n" || die "$(node_name "$n") did not rejoin"
  # Back in the cluster is not yet back in the queues: its quorum queue replicas restart and catch up
  # after the node has booted. Until they have, losing another node would cost those queues their
  # majority, so `restart` returns only once no node is critical to any queue.
  for other in "${NODES[@]}"; do
    wait_until "the quorum queues' replicas on $(node_name "$n") to catch up" 120 quorum_safe "$other" ||
      die "$(node_name "$other") is still critical to a quorum queue's majority"
  done
}

cmd_status() {
  local n pid
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      printf '%-16s pid %-8s amqp 127.0.0.1:%s\n' "$(node_name "$n")" "$pid" "$(amqp_port "$n")"
    else
      printf '%-16s down\n' "$(node_name "$n")"
    fi
  done
  for n in "${NODES[@]}"; do
    node_pid "$n" >/dev/null || continue
    printf 'running in the cluster: %s\n' "$(running_nodes "$n" | tr '\n' ' ')"
    return 0
  done
}

# Asks the first running node: the quorum queues' leaders and how many nodes hold a replica.
cmd_queues() {
  local n
  for n in "${NODES[@]}"; do
    node_pid "$n" >/dev/null || continue
    node_ctl "$n" rabbitmqctl list_queues --no-table-headers name leader members |
      awk -F'\t' '{ members = gsub(/@/, "@", $3); print $1 "\t" $2 "\t" members }'
    return 0
  done
  die "no node of the cluster is running"
}

cmd_urls() {
  local n urls=()
  ensure_broker_password
  for n in "${NODES[@]}"; do urls+=("amqp://kpo:$KPO_RABBITMQ_PASSWORD@127.0.0.1:$(amqp_port "$n")/"); done
  (IFS=,; echo "${urls[*]}")
}

node=${2:-}
case ${1:-} in kill | restart) [[ $node =~ ^[1-3]$ ]] || die "name a node: 1, 2 or 3" ;; esac
case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  urls) cmd_urls ;;
  queues) cmd_queues ;;
  kill) cmd_kill "$node" ;;
  restart) cmd_restart "$node" ;;
  *) die "usage: $0 start|stop|status|queues|urls|kill N|restart N" ;;
esac

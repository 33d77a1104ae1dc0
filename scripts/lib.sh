#!/usr/bin/env bash
# shellcheck shell=bash
# Shared functions for scripts/up.sh, scripts/test.sh, scripts/down.sh and scripts/build.sh.
# Source it: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`. Everything here is idempotent:
# running a step twice leaves the machine as running it once does.
set -euo pipefail

KPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KPO_RUN_DIR="${KPO_RUN_DIR:-$KPO_ROOT/.run}" # pid files, logs, the JWT secret (gitignored); a second copy sets its own
export KPO_ROOT KPO_RUN_DIR

# pg_ctlcluster, rabbitmqctl and nginx live in sbin, which a non-root PATH often lacks.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

# ---------------------------------------------------------------------------------------------
# output helpers
# Every step line carries the minutes:seconds since the first script of this run sourced lib.sh
# (KPO_T0 is inherited by the scripts it starts), so a slow step shows in any log, CI's included.
KPO_T0=${KPO_T0:-$(printf '%(%s)T' -1)}
export KPO_T0
log() {
  local elapsed=$(($(printf '%(%s)T' -1) - KPO_T0))
  printf '==> [%02d:%02d] %s\n' $((elapsed / 60)) $((elapsed % 60)) "$*"
}
info() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  else
    sudo "$@"
  fi
}

# now_s: seconds since the epoch (bash builtin, no fork).
now_s() { printf '%(%s)T' -1; }

# wait_until DESCRIPTION TIMEOUT_S COMMAND... — polls COMMAND every second until it succeeds.
# Prints a progress line every 5 s; returns 1 on timeout.
wait_until() {
  local what=$1 timeout=$2
  shift 2
  local start deadline now last=0
  start=$(now_s)
  deadline=$((start + timeout))
  while ! "$@" >/dev/null 2>&1; do
    now=$(now_s)
    if ((now >= deadline)); then
      warn "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    if ((now - start >= last + 5)); then
      last=$((now - start))
      info "waiting for $what (${last}s / ${timeout}s)"
    fi
    sleep 1
  done
}

# hold_test_lock LOCK COMMAND... — runs COMMAND (the calling script again: "$0" "$@") holding LOCK, the
# lock file the suites that use the machine's databases and broker share, unless LOCK is empty or an
# ancestor already holds it (KPO_TEST_LOCK_HELD). Returns only when there is nothing to take.
hold_test_lock() {
  local lock=$1
  shift
  if [[ -n $lock && -z ${KPO_TEST_LOCK_HELD:-} ]]; then
    info "waiting for the test lock $lock"
    exec env KPO_TEST_LOCK_HELD=1 flock -o "$lock" "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# OS packages (Debian 12 "bookworm")
KPO_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  postgresql postgresql-client rabbitmq-server
  libpq-dev librabbitmq-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libspdlog-dev libfmt-dev libjwt-dev libsodium-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nginx curl openssl xxd iproute2 nftables clang-format clang-tidy gcovr
  prometheus python3 python3-yaml python3-kubernetes
  # The asan, tsan and fuzz presets compile with clang (libFuzzer, and the sanitizer runtimes); its
  # sanitizers name functions, files and lines in their reports through llvm-symbolizer (llvm).
  clang libclang-rt-14-dev llvm
  lld  # LLVM's linker for the clang builds: a third of GNU ld's time for the sanitizer binaries (CMakeLists.txt)
  docker-compose  # scripts/compose_check.py: `docker-compose config` runs without an engine
)

# Installs whichever of KPO_PACKAGES is missing; does nothing (no apt-get update) when all are there.
install_packages() {
  log "checking OS packages"
  command -v dpkg-query >/dev/null || die "dpkg-query not found: these scripts need Debian 12 (bookworm)"
  local installed missing=() p wanted=("${KPO_PACKAGES[@]}")
  # kubectl renders deploy/k8s (scripts/k8s_check.sh): any kubectl will do, Debian's if there is none.
  command -v kubectl >/dev/null || wanted+=(kubernetes-client)
  # One dpkg-query for all packages; unknown ones are simply absent from its output.
  # shellcheck disable=SC2016  # ${...} is dpkg-query's format syntax, not the shell's
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null || true)
  for p in "${wanted[@]}"; do
    grep -qxF "$p installed" <<<"$installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    info "all ${#wanted[@]} packages are installed"
    return 0
  fi
  log "installing packages: ${missing[*]}"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
  as_root "${apt[@]}" update
  as_root "${apt[@]}" install -y --no-install-recommends "${missing[@]}"
  # Only promtool (checks of deploy/observability) is wanted from the prometheus package: under
  # systemd its postinst starts a Prometheus server on :9090, which nothing here uses.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
    as_root systemctl disable --now prometheus.service >/dev/null 2>&1 || warn "could not stop prometheus.service"
  fi
}

# ---------------------------------------------------------------------------------------------
# Environment read by the services and the tests (values already set by the caller win).
export_default() {
  local name=$1 value=$2
  if [[ -z ${!name:-} ]]; then
    printf -v "$name" '%s' "$value"
  fi
  export "${name?}"
}

# Creates .run/jwt_secret once per checkout (mode 600) and exports it as GATEWAY_JWT_SECRET.
ensure_jwt_secret() {
  local file="$KPO_RUN_DIR/jwt_secret"
  mkdir -p "$KPO_RUN_DIR"
  if [[ ! -s $file ]]; then
    info "generating $file"
    (
      umask 077
      if command -v openssl >/dev/null; then
        openssl rand -hex 32
      else
        head -c 32 /dev/urandom | xxd -p -c 64
      fi >"$file.tmp"
    )
    mv "$file.tmp" "$file"
  fi
  chmod 600 "$file"
  if [[ -z ${GATEWAY_JWT_SECRET:-} ]]; then
    GATEWAY_JWT_SECRET=$(<"$file")
  fi
  export GATEWAY_JWT_SECRET
}

# The local broker's account kpo gets a password generated once per user and machine (the broker
# is the machine's, shared by every checkout): ${XDG_CONFIG_HOME:-~/.config}/kpo4/rabbitmq_password,
# mode 600. KPO_RABBITMQ_PASSWORD set by the caller wins (and is what start_rabbitmq sets).
# (HOME may be unset under a CI runner: the passwd entry's home then.)
KPO_BROKER_PASSWORD_FILE=${KPO_BROKER_PASSWORD_FILE:-${XDG_CONFIG_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.config}/kpo4/rabbitmq_password}
ensure_broker_password() {
  local file=$KPO_BROKER_PASSWORD_FILE
  if [[ -z ${KPO_RABBITMQ_PASSWORD:-} ]]; then
    if [[ ! -s $file ]]; then
      mkdir -p "$(dirname "$file")"
      (
        umask 077
        head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$file.tmp"
      )
      mv "$file.tmp" "$file"
    fi
    chmod 600 "$file"
    KPO_RABBITMQ_PASSWORD=$(<"$file")
  fi
  export KPO_RABBITMQ_PASSWORD
}

kpo_env() {
  export_default ORDERS_DATABASE_URL "postgresql://kpo:kpo@localhost:5432/orders"
  export_default PAYMENTS_DATABASE_URL "postgresql://kpo:kpo@localhost:5432/payments"
  export_default GATEWAY_DATABASE_URL "postgresql://kpo:kpo@localhost:5432/gateway"
  ensure_broker_password
  export_default RABBITMQ_URL "amqp://kpo:$KPO_RABBITMQ_PASSWORD@localhost:5672/"
  # The services trust the X-User-Id the gateway sets: only the gateway (on this host) may reach them.
  export_default ORDERS_LISTEN "127.0.0.1:5001"
  export_default PAYMENTS_LISTEN "127.0.0.1:5002"
  export_default GATEWAY_LISTEN "0.0.0.0:5005"
  export_default KPO_BUILD_DIR "$KPO_ROOT/build/release"
  ensure_jwt_secret
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (Debian's cluster tools: pg_lsclusters / pg_ctlcluster)
pg_version() {
  if [[ -n ${KPO_PG_VERSION:-} ]]; then
    echo "$KPO_PG_VERSION"
  elif [[ -d /usr/lib/postgresql/15 || ! -d /usr/lib/postgresql ]]; then
    echo 15
  else
    find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1
  fi
}
PG_VERSION=$(pg_version)
PG_CLUSTER=${KPO_PG_CLUSTER:-main}

# pg_field N: column N of pg_lsclusters for our cluster (3 = port, 4 = status); empty if no cluster.
pg_field() {
  command -v pg_lsclusters >/dev/null || return 0
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" -v f="$1" '$1 == v && $2 == c { print $f }'
}
pg_running() { [[ $(pg_field 4) == online* ]]; }

# Runs psql (script on stdin) as the postgres superuser over the local socket.
pg_admin_psql() {
  (cd / && as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$(pg_field 3)" -d postgres)
}

start_postgres() {
  log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER"
  local status
  status=$(pg_field 4)
  if [[ -z $status ]]; then
    info "cluster $PG_VERSION/$PG_CLUSTER does not exist: creating it"
    as_root pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --start
  elif [[ $status != online* ]]; then
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start ||
      die "pg_ctlcluster failed; see $(pg_field 7)"
  else
    info "already running"
  fi
  local port
  port=$(pg_field 3)
  [[ $port == 5432 ]] || warn "cluster $PG_VERSION/$PG_CLUSTER listens on port $port, the default URLs use 5432"
  if ! wait_until "PostgreSQL on port $port" 60 pg_isready -q -h localhost -p "$port"; then
    as_root tail -n 30 "$(pg_field 7)" >&2 || true
    die "PostgreSQL did not become ready"
  fi

  log "ensuring role kpo and databases orders, payments, gateway (and the integration tests' *_test)"
  pg_admin_psql <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kpo') THEN
    CREATE ROLE kpo LOGIN PASSWORD 'kpo' CREATEDB;
  END IF;
END
$$;
SELECT format('CREATE DATABASE %I OWNER kpo', d)
FROM unnest(ARRAY['orders', 'payments', 'gateway', 'orders_test', 'payments_test', 'gateway_test']) AS d
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d)
\gexec
SQL
  # Password login over TCP, exactly as the services connect.
  if ! PGCONNECT_TIMEOUT=5 psql -X -q -tA "postgresql://kpo:kpo@localhost:$port/orders" -c 'select 1' >/dev/null; then
    die "cannot log in as kpo over TCP on localhost:$port; check pg_hba.conf (needs scram-sha-256 or md5 for 127.0.0.1/32 and ::1/128)"
  fi
  info "PostgreSQL ready on localhost:$port (role kpo)"
}

stop_postgres() {
  if pg_running; then
    log "stopping PostgreSQL $PG_VERSION/$PG_CLUSTER"
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || warn "pg_ctlcluster stop failed"
  fi
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ
# The node is named rabbit@<short hostname>. If that host name does not resolve, Erlang
# distribution (and so rabbitmqctl) cannot reach the node: fall back to rabbit@localhost.
# Server and CLI must agree, so the choice is made here, once, for every script.
if [[ -z ${RABBITMQ_NODENAME:-} ]] && ! getent hosts "$(uname -n | cut -d. -f1)" >/dev/null 2>&1; then
  export RABBITMQ_NODENAME=rabbit@localhost
fi

# Runs a RabbitMQ CLI as root (Debian's wrappers switch to the rabbitmq user themselves),
# keeping RABBITMQ_NODENAME across sudo.
# Any Erlang tool (even rabbitmq-diagnostics ping) starts Erlang's port mapper when none runs: it
# listens on loopback only.
rmq() {
  as_root env ERL_EPMD_ADDRESS=127.0.0.1 ${RABBITMQ_NODENAME:+"RABBITMQ_NODENAME=$RABBITMQ_NODENAME"} "$@"
}
rabbit_node() { echo "${RABBITMQ_NODENAME:-rabbit@$(uname -n | cut -d. -f1)}"; }
rabbit_running() { rmq timeout 30 rabbitmq-diagnostics -q check_running >/dev/null 2>&1; }
rabbit_node_up() { rmq timeout 30 rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
rabbit_booted() { rmq timeout 30 rabbitmqctl -q await_startup --timeout 20 >/dev/null 2>&1; }
RABBITMQ_MGMT_PORT=${KPO_RABBITMQ_MGMT_PORT:-15672}
KPO_TEST_VHOST=kpo-test
rabbit_mgmt_up() { curl -fs -o /dev/null --max-time 2 "http://localhost:$RABBITMQ_MGMT_PORT/"; }
# rabbit_api METHOD PATH [JSON] — one call to the management API as kpo (an administrator; the password
# goes to curl on its standard input, not on its command line); prints the HTTP status. A call takes
# milliseconds where a rabbitmqctl, which boots an Erlang VM, takes about a second.
rabbit_api() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X "$1" -H 'content-type: application/json' \
    ${3:+--data "$3"} -K - "http://127.0.0.1:$RABBITMQ_MGMT_PORT$2" <<<"user = \"kpo:$KPO_RABBITMQ_PASSWORD\""
}
# rabbit_vhost_path VHOST — VHOST as one segment of a management API path.
rabbit_vhost_path() { local vhost=${1//%/%25}; echo "${vhost//\//%2F}"; }
# RabbitMQ's own Prometheus endpoint (plugin rabbitmq_prometheus): queue depths, DLQs included.
RABBITMQ_PROMETHEUS_PORT=${KPO_RABBITMQ_PROMETHEUS_PORT:-15692}
rabbit_prometheus_up() { curl -fs -o /dev/null --max-time 2 "http://localhost:$RABBITMQ_PROMETHEUS_PORT/metrics"; }

rabbit_log_tail() {
  local node
  node=$(rabbit_node)
  as_root tail -n 30 "/var/log/rabbitmq/$node.log" /var/log/rabbitmq/startup_err >&2 2>/dev/null || true
}

# The broker's listeners on loopback only: the administrator kpo below is a local development
# account (generated password, ensure_broker_password), and anyone who reached AMQP or the
# management API from another host could publish a forged payment result. The plugins whose keys
# the file sets are enabled before the node boots (a key of a disabled plugin would stop it booting).
# Deployments beyond one machine use their own broker set-up (deploy/k8s: the operator's generated
# credentials).
KPO_RABBITMQ_CONF=/etc/rabbitmq/conf.d/10-kpo-loopback.conf
rabbit_configure_loopback() {
  rmq rabbitmq-plugins --offline -q enable rabbitmq_management rabbitmq_prometheus >/dev/null
  as_root mkdir -p "$(dirname "$KPO_RABBITMQ_CONF")"
  as_root tee "$KPO_RABBITMQ_CONF" >/dev/null <<CONF
# Written by KPO 4's scripts/lib.sh (start_rabbitmq): listen on loopback only.
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBITMQ_MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $RABBITMQ_PROMETHEUS_PORT
CONF
  as_root chmod 644 "$KPO_RABBITMQ_CONF"
}

# rabbit_plugin_on PLUGIN WHAT UP-CHECK — enables PLUGIN unless UP-CHECK already passes, then waits for it.
# Enabling a plugin on a running node activates it at once; no restart needed.
rabbit_plugin_on() {
  local plugin=$1 what=$2 up=$3
  if ! "$up"; then
    log "enabling $plugin"
    rmq timeout 120 rabbitmq-plugins -q enable "$plugin" >/dev/null
  fi
  if ! wait_until "$what" 60 "$up"; then
    rabbit_log_tail
    die "the RabbitMQ plugin $plugin did not start"
  fi
}

start_rabbitmq() {
  log "starting RabbitMQ (node $(rabbit_node))"
  # A node started some other way (a package's postinst, by hand) listens on every interface: it is
  # restarted with the loopback configuration, and Erlang's port mapper with it.
  if rabbit_node_up &&
    [[ -n $(listening_beyond_loopback 5672 "$RABBITMQ_MGMT_PORT" "$RABBITMQ_PROMETHEUS_PORT" 25672 4369) ]]; then
    info "the running node listens beyond loopback: restarting it on loopback only"
    stop_rabbitmq
    rmq epmd -kill >/dev/null 2>&1 || true
  fi
  if rabbit_running; then
    info "already running"
  elif rabbit_node_up; then
    info "node is up but the rabbit application is stopped: starting it"
    rmq timeout 120 rabbitmqctl -q start_app
  else
    rabbit_configure_loopback
    # Debian's wrapper runs the server as the rabbitmq user (su keeps this environment), logs in
    # /var/log/rabbitmq. The inter-node port listens on loopback too.
    rmq RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' rabbitmq-server -detached
  fi
  if ! wait_until "RabbitMQ to boot" 120 rabbit_booted; then
    rabbit_log_tail
    die "RabbitMQ did not start"
  fi

  rabbit_plugin_on rabbitmq_management "RabbitMQ management UI on :$RABBITMQ_MGMT_PORT" rabbit_mgmt_up
  rabbit_plugin_on rabbitmq_prometheus "RabbitMQ metrics on :$RABBITMQ_PROMETHEUS_PORT" rabbit_prometheus_up

  log "ensuring RabbitMQ user kpo"
  local users
  users=$(rmq timeout 30 rabbitmqctl -q --no-table-headers list_users) || die "rabbitmqctl list_users failed"
  # The password goes on standard input, not on a command line other users can read in ps. Set on
  # every start: the file is the truth, whatever an earlier version of this script set.
  ensure_broker_password
  if ! awk '$1 == "kpo" { found = 1 } END { exit !found }' <<<"$users"; then
    printf %s "$KPO_RABBITMQ_PASSWORD" | rmq timeout 30 rabbitmqctl -q add_user kpo >/dev/null
  else
    printf %s "$KPO_RABBITMQ_PASSWORD" | rmq timeout 30 rabbitmqctl -q change_password kpo >/dev/null
  fi
  rmq timeout 30 rabbitmqctl -q set_user_tags kpo administrator >/dev/null
  # RabbitMQ's own administrator guest/guest (allowed from loopback) would bypass the password above.
  if awk '$1 == "guest" { found = 1 } END { exit !found }' <<<"$users"; then
    rmq timeout 30 rabbitmqctl -q delete_user guest >/dev/null
  fi
  rmq timeout 30 rabbitmqctl -q set_permissions -p / kpo '.*' '.*' '.*' >/dev/null
  # The integration tests' own vhost (tests/support/stack.cpp), so that a stack left running on "/"
  # never consumes their messages.
  if ! rmq timeout 30 rabbitmqctl -q --no-table-headers list_vhosts | grep -qxF "$KPO_TEST_VHOST"; then
    rmq timeout 30 rabbitmqctl -q add_vhost "$KPO_TEST_VHOST" >/dev/null
  fi
  rmq timeout 30 rabbitmqctl -q set_permissions -p "$KPO_TEST_VHOST" kpo '.*' '.*' '.*' >/dev/null
  info "RabbitMQ ready on localhost:5672 (user kpo, password in $KPO_BROKER_PASSWORD_FILE), UI http://localhost:$RABBITMQ_MGMT_PORT"
}

# listening_beyond_loopback PORT... — prints "address:port" for each listening TCP socket on one of
# the PORTs bound to an address other than loopback (127.0.0.0/8, ::1); prints nothing when none is.
listening_beyond_loopback() {
  local ports=" $* " local_address port
  ss -ltnH | awk '{ print $4 }' | while read -r local_address; do
    port=${local_address##*:}
    [[ $ports == *" $port "* ]] || continue
    case ${local_address%:*} in
      127.* | "[::1]" | "[::ffff:127."*) ;;
      *) echo "$local_address" ;;
    esac
  done
}

stop_rabbitmq() {
  if rabbit_node_up; then
    log "stopping RabbitMQ (node $(rabbit_node))"
    # shutdown waits until the OS process has exited; stop is the fallback.
    rmq timeout 120 rabbitmqctl -q shutdown >/dev/null 2>&1 ||
      rmq timeout 120 rabbitmqctl -q stop >/dev/null 2>&1 ||
      warn "rabbitmqctl could not stop the node"
  fi
}

# ---------------------------------------------------------------------------------------------
# Build
# build PRESET [TARGET...] — configures build/PRESET once, then builds everything or just the named
# targets (Ninja is incremental and re-runs CMake by itself when a CMakeLists.txt changes).
build() {
  local preset=$1
  shift
  local targets=()
  (($#)) && targets=(--target "$@")
  configure "$preset"
  log "building ($preset preset) in build/$preset"
  local jobs=()
  [[ -n ${KPO_BUILD_JOBS:-} ]] && jobs=(--parallel "$KPO_BUILD_JOBS")
  (cd "$KPO_ROOT" && cmake --build --preset "$preset" "${jobs[@]}" "${targets[@]}")
}

# configure PRESET — configures build/PRESET unless it is configured already; its compile database
# (compile_commands.json) is then there for clang-tidy before anything is compiled.
configure() {
  local preset=$1 dir="$KPO_ROOT/build/$1"
  if [[ ! -f $dir/CMakeCache.txt || ! -f $dir/build.ninja ]]; then
    # KPO_UNITY_BUILD=ON (.ci/run sets it): compile in unity batches of 16 sources, as the sanitizer
    # presets always do, for a third less compile time in a fresh clone. A directory configured
    # before keeps how it was configured; incremental builds are quicker file by file.
    local options=()
    [[ ${KPO_UNITY_BUILD:-} == ON ]] && options+=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
    # KPO_DEBUG_INFO=lines (.ci/run sets it): debug information limited to functions and line
    # tables (-g1), what backtraces, sanitizer reports and perf need; no variables or types, which
    # gdb would show. Release batches compile about a quarter faster.
    [[ ${KPO_DEBUG_INFO:-} == lines ]] &&
      options+=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_DEBUG="-g1")
    log "configuring ($preset preset${options:+, ${options[*]}})"
    (cd "$KPO_ROOT" && cmake --preset "$preset" "${options[@]}")
  fi
}

# kill_tree PID — SIGTERM PID and every process under it (a background build: cmake, ninja, compilers).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Processes with pid files in .run/
pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/stat ]] || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# stop_pidfile NAME PATTERN — SIGTERM the process in .run/NAME.pid (only if its command line
# contains PATTERN, so a recycled pid is never hit), wait up to 10 s, then SIGKILL.
stop_pidfile() {
  local name=$1 pattern=$2 file="$KPO_RUN_DIR/$1.pid" pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  local cmdline=""
  pid_alive "$pid" && cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  if [[ -n $cmdline && $cmdline == *"$pattern"* ]]; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || as_root kill -TERM "$pid" || true
    local i
    for ((i = 0; i < 100; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      warn "$name did not exit within 10 s: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || as_root kill -KILL "$pid" || true
      for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$file" 2>/dev/null || as_root rm -f "$file"
}

# port_open PORT — something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# Services: name, binary (relative to the build dir), listen variable. orders and payments are
# required; the gateway is started only when its binary exists.
KPO_SERVICES=(
  "orders:services/orders/kpo-orders:ORDERS_LISTEN:required"
  "payments:services/payments/kpo-payments:PAYMENTS_LISTEN:required"
  "gateway:services/gateway/kpo-gateway:GATEWAY_LISTEN:required"
)

# service_port NAME — the port of NAME's *_LISTEN address.
service_port() {
  local entry name bin var kind
  for entry in "${KPO_SERVICES[@]}"; do
    IFS=: read -r name bin var kind <<<"$entry"
    if [[ $name == "$1" ]]; then
      echo "${!var##*:}"
      return 0
    fi
  done
  return 1
}

service_ready() { curl -fs -o /dev/null --max-time 2 "http://localhost:$1/readyz"; }

# service_current NAME BINARY — NAME's pid file names a live process running BINARY as it is on
# disk now (a relinked binary is a new file: the process's executable then reads "... (deleted)").
service_current() {
  local file="$KPO_RUN_DIR/$1.pid" pid exe
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  pid_alive "$pid" || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ $exe == "$(readlink -f "$2")" ]]
}

# rotate_log NAME — keeps NAME's log as .run/NAME.log.<time of its last line>, the newest 5 of them,
# so a restart never overwrites what a crashed process wrote.
rotate_log() {
  local log="$KPO_RUN_DIR/$1.log"
  [[ -f $log ]] || return 0
  mv -f "$log" "$log.$(date -u -r "$log" +%Y%m%dT%H%M%SZ)"
  # shellcheck disable=SC2012 # names are ours: NAME.log.<timestamp>
  ls -1t "$log".2* 2>/dev/null | tail -n +6 | xargs -r rm -f
}

# start_services [--keep-current] [BUILD_DIR] — (re)starts every built service and waits for its
# /readyz. With --keep-current a service that runs its current binary is left running (up.sh: a
# re-run after one service crashed starts that one, not the healthy ones).
start_services() {
  local keep_current=0
  if [[ ${1:-} == --keep-current ]]; then
    keep_current=1
    shift
  fi
  local build_dir=${1:-$KPO_BUILD_DIR}
  ((keep_current)) || stop_services
  mkdir -p "$KPO_RUN_DIR"
  local entry name bin var kind port todo=() started=()
  for entry in "${KPO_SERVICES[@]}"; do
    IFS=: read -r name bin var kind <<<"$entry"
    if [[ ! -x $build_dir/$bin ]]; then
      [[ $kind == required ]] && die "$build_dir/$bin not found: build the release preset first"
      info "$name: $build_dir/$bin not built, skipping"
      continue
    fi
    port=$(service_port "$name")
    if ((keep_current)); then
      if service_current "$name" "$build_dir/$bin"; then
        info "$name is running its current build (pid $(<"$KPO_RUN_DIR/$name.pid")): left running"
        continue
      fi
      stop_pidfile "$name" "kpo-$name"
    fi
    port_open "$port" && die "port $port (for $name) is already in use by another process"
    todo+=("$entry")
  done
  # A live-update stream costs the gateway two descriptors, so 10,000 of them need more than a usual hard
  # limit (this project's CI VM: 20,000). Raised when allowed (CAP_SYS_RESOURCE), as LimitNOFILE would, never
  # lowered; the services raise their soft limit to it at start.
  local hard_files
  hard_files=$(ulimit -Hn)
  if [[ $hard_files != unlimited ]] && ((hard_files < 65536)); then
    ulimit -Hn 65536 2>/dev/null || info "open file limit stays at $hard_files (raising it needs CAP_SYS_RESOURCE)"
  fi
  for entry in "${todo[@]}"; do
    IFS=: read -r name bin var kind <<<"$entry"
    log "starting $name on ${!var}"
    rotate_log "$name"
    nohup "$build_dir/$bin" >"$KPO_RUN_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$KPO_RUN_DIR/$name.pid"
    disown $!
    started+=("$name")
  done
  local pid start elapsed last reason
  for name in "${started[@]}"; do
    port=$(service_port "$name")
    last=0
    pid=$(<"$KPO_RUN_DIR/$name.pid")
    start=$(now_s)
    info "waiting for $name: http://localhost:$port/readyz"
    until service_ready "$port"; do
      elapsed=$(($(now_s) - start))
      reason=""
      if ! pid_alive "$pid"; then
        reason="$name exited during start-up"
      elif ((elapsed >= 60)); then
        reason="$name not ready after 60 s"
      fi
      if [[ -n $reason ]]; then
        printf -- '--- last lines of .run/%s.log ---\n' "$name" >&2
        tail -n 40 "$KPO_RUN_DIR/$name.log" >&2 || true
        printf -- '---\n' >&2
        stop_services
        die "$reason (log: .run/$name.log)"
      fi
      if ((elapsed >= last + 10)); then
        last=$elapsed
        info "still waiting for $name (${elapsed}s / 60s)"
      fi
      sleep 1
    done
    info "$name ready (pid $pid, log .run/$name.log)"
  done
}

stop_services() {
  local i entry name bin var kind
  for ((i = ${#KPO_SERVICES[@]} - 1; i >= 0; i--)); do
    entry=${KPO_SERVICES[i]}
    IFS=: read -r name bin var kind <<<"$entry"
    stop_pidfile "$name" "kpo-$name"
  done
}

# nginx (scripts/frontend.sh starts it) by its pid file in .run/.
stop_nginx() { stop_pidfile nginx "nginx"; }

# docs_deps — the Swagger UI files the gateway serves at /api/docs (npm package swagger-ui-dist).
docs_deps() {
  local dir="$KPO_ROOT/services/gateway/docs"
  [[ -f $dir/package.json ]] || return 0
  if [[ ! -d $dir/node_modules/swagger-ui-dist || $dir/package-lock.json -nt $dir/node_modules ]]; then
    log "installing the API docs page (npm ci in services/gateway/docs)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}

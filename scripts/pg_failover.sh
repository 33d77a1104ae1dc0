#!/usr/bin/env bash
# A PostgreSQL primary with a synchronous streaming standby, for failover tests and as the
# documented promote step (README, "Running with a standby"). Two Debian clusters of their own,
# beside the machine's 15/main, which this script never touches:
#   kpo_primary on 127.0.0.1:5442 and kpo_standby on 127.0.0.1:5443 (KPO_PGF_PRIMARY_PORT,
#   KPO_PGF_STANDBY_PORT), role kpo/kpo, databases orders, payments, gateway (KPO_PGF_DATABASES).
#
#   scripts/pg_failover.sh setup         create / start whatever is missing; waits for sync_state=sync
#   scripts/pg_failover.sh status        both clusters, their role and the replication state
#   scripts/pg_failover.sh kill-primary  kill -9 the primary's postmaster (the fault the test injects)
#   scripts/pg_failover.sh promote       fence the old primary (killed if alive, never started again),
#                                        then promote the standby and wait until it accepts writes
#   scripts/pg_failover.sh teardown      drop both clusters (data, configuration, logs)
# Every command is idempotent. Needs root (it runs the clusters as the postgres user).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGF_PRIMARY=kpo_primary
PGF_STANDBY=kpo_standby
PGF_PRIMARY_PORT=${KPO_PGF_PRIMARY_PORT:-5442}
PGF_STANDBY_PORT=${KPO_PGF_STANDBY_PORT:-5443}
read -r -a PGF_DATABASES <<<"${KPO_PGF_DATABASES:-orders payments gateway}"
# The standby's walreceiver logs in as this role; the password only ever travels over loopback.
PGF_REPL_USER=kpo_replicator
PGF_REPL_PASSWORD=kpo_replicator

for port in "$PGF_PRIMARY_PORT" "$PGF_STANDBY_PORT"; do
  [[ $port =~ ^[0-9]+$ && $port != "$(pg_field 3)" ]] || die "port $port is not usable (15/main's or not a number)"
done

# pgf_field CLUSTER N: column N of pg_lsclusters (3 port, 4 status, 6 data directory); empty if absent.
pgf_field() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$1" -v f="$2" '$1 == v && $2 == c { print $f }'
}
pgf_exists() { [[ -n $(pgf_field "$1" 2) ]]; }
pgf_online() { [[ $(pgf_field "$1" 4) == online* ]]; }
pgf_conf_dir() { echo "/etc/postgresql/$PG_VERSION/$1"; }
pgf_start_conf() { grep -v '^#' "$(pgf_conf_dir "$1")/start.conf" | tr -d '[:space:]'; }
# Processes of CLUSTER still running (Debian names them "postgres: 15/CLUSTER: ..."): after a
# kill -9 of its postmaster, the orphaned backends until they notice and exit.
pgf_processes() { ps -eo args= | grep -c "^postgres: $PG_VERSION/$1: " || true; }

# pgf_sql PORT SQL — one statement as the postgres superuser over the local socket; prints the rows.
pgf_sql() {
  (cd / && as_root runuser -u postgres -- psql -X -q -tA -v ON_ERROR_STOP=1 -p "$1" -d postgres -c "$2")
}

# The postmaster's pid from its pid file, if that process is alive.
pgf_postmaster_pid() {
  local data pid
  data=$(pgf_field "$1" 6)
  [[ -n $data && -f $data/postmaster.pid ]] || return 1
  pid=$(head -n 1 "$data/postmaster.pid")
  pid_alive "$pid" || return 1
  echo "$pid"
}

pgf_wait_ready() {
  wait_until "PostgreSQL on 127.0.0.1:$1" 60 pg_isready -q -h 127.0.0.1 -p "$1" || die "cluster on port $1 did not start"
}

# The configuration both clusters share (conf.d, read after postgresql.conf): loopback only, WAL
# for a standby, and commits that wait for the standby's flush (synchronous_commit = on) once
# synchronous_standby_names is set.
pgf_create() {
  local name=$1 port=$2 conf
  as_root pg_createcluster "$PG_VERSION" "$name" -p "$port" --start-conf manual >/dev/null
  conf="$(pgf_conf_dir "$name")/conf.d/kpo-failover.conf"
  as_root tee "$conf" >/dev/null <<CONF
# Written by KPO 4's scripts/pg_failover.sh.
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
synchronous_commit = on
max_connections = 200
CONF
  as_root chmod 644 "$conf"
}

setup_primary() {
  if ! pgf_exists "$PGF_PRIMARY"; then
    log "creating cluster $PG_VERSION/$PGF_PRIMARY on 127.0.0.1:$PGF_PRIMARY_PORT"
    pgf_create "$PGF_PRIMARY" "$PGF_PRIMARY_PORT"
  fi
  if ! pgf_online "$PGF_PRIMARY"; then
    as_root pg_ctlcluster "$PG_VERSION" "$PGF_PRIMARY" start
  fi
  pgf_wait_ready "$PGF_PRIMARY_PORT"
  [[ $(pgf_sql "$PGF_PRIMARY_PORT" 'SELECT pg_is_in_recovery()') == f ]] ||
    die "$PGF_PRIMARY is in recovery: after a failover run teardown, then setup"
  log "ensuring roles kpo, $PGF_REPL_USER and databases ${PGF_DATABASES[*]} on $PGF_PRIMARY"
  pgf_sql "$PGF_PRIMARY_PORT" "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kpo') THEN
        CREATE ROLE kpo LOGIN PASSWORD 'kpo' CREATEDB; END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGF_REPL_USER') THEN
        CREATE ROLE $PGF_REPL_USER LOGIN REPLICATION PASSWORD '$PGF_REPL_PASSWORD'; END IF;
    END \$\$" >/dev/null
  local db
  for db in "${PGF_DATABASES[@]}"; do
    if [[ -z $(pgf_sql "$PGF_PRIMARY_PORT" "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      pgf_sql "$PGF_PRIMARY_PORT" "CREATE DATABASE \"$db\" OWNER kpo" >/dev/null
    fi
  done
}

# A fresh base backup of the primary (-R writes standby.signal and primary_conninfo; -C -S a
# replication slot, so the primary keeps the WAL the standby has not received yet).
setup_standby() {
  if ! pgf_exists "$PGF_STANDBY"; then
    log "creating cluster $PG_VERSION/$PGF_STANDBY on 127.0.0.1:$PGF_STANDBY_PORT from a base backup"
    pgf_create "$PGF_STANDBY" "$PGF_STANDBY_PORT"
    local data
    data=$(pgf_field "$PGF_STANDBY" 6)
    as_root find "$data" -mindepth 1 -delete
    if [[ -n $(pgf_sql "$PGF_PRIMARY_PORT" "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$PGF_STANDBY'") ]]; then
      pgf_sql "$PGF_PRIMARY_PORT" "SELECT pg_drop_replication_slot('$PGF_STANDBY')" >/dev/null
    fi
    local conninfo="host=127.0.0.1 port=$PGF_PRIMARY_PORT user=$PGF_REPL_USER password=$PGF_REPL_PASSWORD"
    (cd / && as_root runuser -u postgres -- pg_basebackup -d "$conninfo application_name=$PGF_STANDBY" \
      -D "$data" -R -X stream -C -S "$PGF_STANDBY" -c fast)
    # The name the primary's synchronous_standby_names refers to (written last: it wins).
    printf "primary_conninfo = '%s application_name=%s'\n" "$conninfo" "$PGF_STANDBY" |
      as_root runuser -u postgres -- tee -a "$data/postgresql.auto.conf" >/dev/null
  fi
  if ! pgf_online "$PGF_STANDBY"; then
    as_root pg_ctlcluster "$PG_VERSION" "$PGF_STANDBY" start
  fi
  pgf_wait_ready "$PGF_STANDBY_PORT"
}

pgf_sync_state() {
  pgf_sql "$PGF_PRIMARY_PORT" "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$PGF_STANDBY'"
}
pgf_is_sync() { [[ $(pgf_sync_state) == sync ]]; }

cmd_setup() {
  setup_primary
  setup_standby
  # Only now that the standby streams: set earlier, every commit (CREATE DATABASE included) would
  # wait for a standby that does not exist yet.
  pgf_sql "$PGF_PRIMARY_PORT" "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ($PGF_STANDBY)'" >/dev/null
  pgf_sql "$PGF_PRIMARY_PORT" "SELECT pg_reload_conf()" >/dev/null
  wait_until "$PGF_STANDBY to be the synchronous standby" 60 pgf_is_sync || die "the standby is not synchronous"
  log "primary 127.0.0.1:$PGF_PRIMARY_PORT, synchronous standby 127.0.0.1:$PGF_STANDBY_PORT"
  info "URL: postgresql://kpo:kpo@127.0.0.1:$PGF_PRIMARY_PORT,127.0.0.1:$PGF_STANDBY_PORT/<db>?target_session_attrs=read-write"
}

cmd_status() {
  local name port
  for name in "$PGF_PRIMARY" "$PGF_STANDBY"; do
    if ! pgf_exists "$name"; then
      echo "$name: absent"
      continue
    fi
    port=$(pgf_field "$name" 3)
    if pgf_online "$name" && pg_isready -q -h 127.0.0.1 -p "$port"; then
      local recovery
      recovery=$(pgf_sql "$port" 'SELECT pg_is_in_recovery()')
      echo "$name: online on 127.0.0.1:$port, $([[ $recovery == t ]] && echo standby || echo primary)," \
        "start.conf $(pgf_start_conf "$name")"
      if [[ $recovery == f ]]; then
        pgf_sql "$port" \
          "SELECT '  replica ' || application_name || ': ' || state || ', ' || sync_state FROM pg_stat_replication"
      fi
    else
      echo "$name: down (port $port, start.conf $(pgf_start_conf "$name"))"
    fi
  done
}

cmd_kill_primary() {
  local pid
  if pid=$(pgf_postmaster_pid "$PGF_PRIMARY"); then
    log "kill -9 of $PGF_PRIMARY's postmaster (pid $pid)"
    kill -KILL "$pid"
  else
    info "$PGF_PRIMARY's postmaster is not running"
  fi
}

pgf_primary_gone() { [[ $(pgf_processes "$PGF_PRIMARY") == 0 ]]; }

# The old primary must never come back as a second primary: its start.conf says "disabled"
# (pg_ctlcluster refuses to start it) and standby.signal would bring it up read-only if started
# by hand. Its orphaned backends notice the postmaster's death and exit; promotion waits for that.
fence_old_primary() {
  pgf_exists "$PGF_PRIMARY" || return 0
  cmd_kill_primary
  echo disabled | as_root tee "$(pgf_conf_dir "$PGF_PRIMARY")/start.conf" >/dev/null
  local data
  data=$(pgf_field "$PGF_PRIMARY" 6)
  as_root runuser -u postgres -- touch "$data/standby.signal"
  wait_until "the old primary's backends to exit" 30 pgf_primary_gone ||
    warn "$(pgf_processes "$PGF_PRIMARY") process(es) of $PGF_PRIMARY still running"
  info "$PGF_PRIMARY fenced: start.conf disabled, standby.signal in place"
}

pgf_writable() { [[ $(pgf_sql "$PGF_STANDBY_PORT" 'SELECT pg_is_in_recovery()') == f ]]; }

cmd_promote() {
  pgf_exists "$PGF_STANDBY" || die "no cluster $PGF_STANDBY: run setup first"
  fence_old_primary
  if pgf_writable; then
    info "$PGF_STANDBY already accepts writes"
    return 0
  fi
  log "promoting $PG_VERSION/$PGF_STANDBY"
  as_root pg_ctlcluster "$PG_VERSION" "$PGF_STANDBY" promote
  wait_until "$PGF_STANDBY to accept writes" 60 pgf_writable || die "promotion did not finish"
  # No synchronous standby is left: commits are local until a new standby is built from this one.
  info "127.0.0.1:$PGF_STANDBY_PORT is the primary now (no standby: rebuild one for RPO 0 again)"
}

cmd_teardown() {
  local name pid
  for name in "$PGF_STANDBY" "$PGF_PRIMARY"; do
    pgf_exists "$name" || continue
    log "dropping cluster $PG_VERSION/$name"
    if pid=$(pgf_postmaster_pid "$name"); then
      as_root pg_ctlcluster "$PG_VERSION" "$name" stop -m immediate || kill -KILL "$pid" || true
    fi
    as_root pg_dropcluster "$PG_VERSION" "$name"
  done
  # pg_dropcluster leaves the files it did not write (our conf.d file), and a cluster whose creation
  # failed half-way may have left its directory: both are ours by name.
  for name in "$PGF_STANDBY" "$PGF_PRIMARY"; do
    if ! pgf_exists "$name" && [[ -d $(pgf_conf_dir "$name") ]]; then
      as_root rm -rf -- "$(pgf_conf_dir "$name")"
    fi
  done
}

case ${1:-} in
  setup) cmd_setup ;;
  status) cmd_status ;;
  kill-primary) cmd_kill_primary ;;
  promote) cmd_promote ;;
  teardown) cmd_teardown ;;
  *) die "usage: $0 setup|status|kill-primary|promote|teardown" ;;
esac

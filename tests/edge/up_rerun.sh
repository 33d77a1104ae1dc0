#!/usr/bin/env bash
# Re-running scripts/up.sh after a crash restarts what crashed and nothing else: with the stack up
# (scripts/test.sh runs this after the UI tests), kill -9 orders, run up.sh again and check that
# orders runs again (a new pid, ready), that the gateway, payments and nginx kept their pids (their
# clients' connections and live-update streams survive) and that the crashed process's log was kept.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
kpo_env
run=$KPO_RUN_DIR
up_log=$(mktemp)
trap 'rm -f "$up_log"' EXIT

fail() {
  warn "up.sh re-run: $*"
  tail -n 30 "$up_log" >&2
  exit 1
}

for name in orders payments gateway nginx; do
  pid_alive "$(cat "$run/$name.pid" 2>/dev/null)" || fail "$name is not running before the test"
done
declare -A before
for name in payments gateway nginx; do before[$name]=$(<"$run/$name.pid"); done
crashed=$(<"$run/orders.pid")
crashed_log_inode=$(stat -c %i "$run/orders.log")

log "kill -9 orders (pid $crashed), then scripts/up.sh again"
kill -KILL "$crashed"
pid_gone() { ! pid_alive "$1"; }
wait_until "orders (pid $crashed) to die" 10 pid_gone "$crashed" || fail "orders survived kill -9"
bash "$KPO_ROOT/scripts/up.sh" >"$up_log" 2>&1 </dev/null 3>&- || fail "up.sh failed"

restarted=$(<"$run/orders.pid")
if [[ $restarted == "$crashed" ]] || ! pid_alive "$restarted"; then fail "orders was not started again"; fi
service_ready "$(service_port orders)" || fail "orders is not ready after up.sh"
for name in payments gateway nginx; do
  if [[ $(<"$run/$name.pid") != "${before[$name]}" ]] || ! pid_alive "${before[$name]}"; then
    fail "$name was restarted (pid ${before[$name]} -> $(<"$run/$name.pid"))"
  fi
done
kept=$(find "$run" -maxdepth 1 -name 'orders.log.*' -inum "$crashed_log_inode" -print -quit)
[[ -n $kept ]] || fail "the crashed orders' log was not kept"
info "orders restarted (pid $crashed -> $restarted), the rest kept; crashed log: ${kept#"$KPO_ROOT"/}"

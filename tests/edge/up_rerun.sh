#!/usr/bin/env bash
# What clients are told while a service is down, and that re-running scripts/up.sh after a crash
# restarts what crashed and nothing else. With the stack up (scripts/test.sh runs this after the UI
# tests): kill -9 orders, and a read of orders through the gateway is 503 with Retry-After (the
# gateway asks again on a new connection, which is refused), not 502; kill -9 the gateway too, and a
# read and a write through nginx are 503 with Retry-After (nginx could not connect, so nothing was
# sent), also POSTs sent one after another on one connection; writes the gateway held when it died
# (stopped, then killed) are 503 with Retry-After and "the same Idempotency-Key" when keyed, 502
# without Retry-After when not (they may have been applied). Then run up.sh again and check that orders and the gateway run again (new pids, ready),
# that payments and nginx kept their pids (their clients' connections survive) and that the crashed
# processes' logs were kept.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
kpo_env
run=$KPO_RUN_DIR
up_log=$(mktemp)
held=$(mktemp -d)
trap 'rm -f "$up_log"; rm -rf "$held"' EXIT

fail() {
  warn "up.sh re-run: $*"
  tail -n 30 "$up_log" >&2
  exit 1
}

for name in orders payments gateway nginx; do
  pid_alive "$(cat "$run/$name.pid" 2>/dev/null)" || fail "$name is not running before the test"
done
declare -A before crashed crashed_log
for name in payments nginx; do before[$name]=$(<"$run/$name.pid"); done
for name in orders gateway; do
  crashed[$name]=$(<"$run/$name.pid")
  crashed_log[$name]=$(stat -c %i "$run/$name.log")
done
gateway="http://127.0.0.1:$(service_port gateway)"
token=$(curl -fsS --max-time 5 -X POST "$gateway/api/auth/guest" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
  fail "no guest token from the gateway"

# "<status> <Retry-After>" of METHOD URL with the guest's token (a write carries a valid order).
answer() {
  local headers
  headers=$(curl -s --max-time 10 -o /dev/null -D - -X "$1" "$2" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} | tr -d '\r')
  printf '%s %s\n' "$(awk 'NR == 1 { print $2 }' <<<"$headers")" \
    "$(awk -F': ' 'tolower($1) == "retry-after" { print $2 }' <<<"$headers")"
}
expect_unavailable() {
  local got
  got=$(answer "$@")
  [[ $got == "503 1" ]] || fail "$1 $2 while it is down: got '$got', want 503 with Retry-After: 1"
}

pid_gone() { ! pid_alive "$1"; }
crash() {
  log "kill -9 $1 (pid ${crashed[$1]})"
  kill -KILL "${crashed[$1]}"
  wait_until "$1 (pid ${crashed[$1]}) to die" 10 pid_gone "${crashed[$1]}" || fail "$1 survived kill -9"
}
crash orders
expect_unavailable GET "$gateway/api/orders"

# Two writes reach the gateway, stopped (kill -STOP: its kernel takes them), and it dies holding them:
# nginx has sent them and cannot know whether they were applied.
ui="http://127.0.0.1:${KPO_UI_PORT:-3000}"
kill -STOP "${crashed[gateway]}"
# POST /api/orders through nginx in the background, its answer in $held/<name>.{head,body}; the rest:
# more curl arguments.
post_held() {
  local name=$1
  shift
  curl -s --max-time 20 -o "$held/$name.body" -D "$held/$name.head" -X POST "$ui/api/orders" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@" \
    --data '{"amount": 1, "description": "held by a dying gateway"}' &
}
post_held keyed -H "Idempotency-Key: up-rerun-$$"
post_held unkeyed
gateway_port=$(service_port gateway)
writes_wait_in_the_gateway() {
  (($(ss -Htn state established "( sport = :$gateway_port )" | awk '$1 > 0' | wc -l) >= 2))
}
wait_until "both writes to wait in the stopped gateway's sockets" 10 writes_wait_in_the_gateway ||
  fail "the writes did not reach the stopped gateway"
crash gateway
wait
held_answer() {
  printf '%s %s\n' "$(tr -d '\r' <"$held/$1.head" | awk 'NR == 1 { print $2 }')" \
    "$(tr -d '\r' <"$held/$1.head" | awk -F': ' 'tolower($1) == "retry-after" { print $2 }')"
}
[[ $(held_answer keyed) == "503 1" ]] ||
  fail "a keyed write the gateway died holding: got '$(held_answer keyed)', want 503 with Retry-After: 1"
grep -q 'same Idempotency-Key' "$held/keyed.body" ||
  fail "a keyed write the gateway died holding: $(<"$held/keyed.body")"
[[ $(held_answer unkeyed) == "502 " ]] ||
  fail "an unkeyed write the gateway died holding: got '$(held_answer unkeyed)', want 502 without Retry-After"
grep -q 'may have been applied' "$held/unkeyed.body" ||
  fail "an unkeyed write the gateway died holding: $(<"$held/unkeyed.body")"
info "writes the gateway died holding: keyed 503 (repeat with the key), unkeyed 502 (may have been applied)"
expect_unavailable GET "http://127.0.0.1:${KPO_UI_PORT:-3000}/api/orders"
expect_unavailable POST "http://127.0.0.1:${KPO_UI_PORT:-3000}/api/orders" '{"amount": 1, "description": "while down"}'
# POSTs on one connection, each body sent after its head, as many clients send them: nginx may answer
# before it has read the body, and then closes the connection; it must say so (Connection: close),
# or the client's next POST on it meets a closed connection and never learns what became of it.
python3 - "${KPO_UI_PORT:-3000}" <<'EOF' || fail "a POST through nginx got no answer while the gateway was down"
import socket, sys
body = b'{"amount": 1, "description": "while down"}'
head = b"POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
head += b"Content-Length: %d\r\n\r\n" % len(body)
sock, problems = None, []
for attempt in range(1, 11):
    if sock is None:
        sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    sock.sendall(head)
    sock.sendall(body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    if not data:
        problems.append(f"POST {attempt}: the connection was closed without an answer")
        sock.close()
        sock = None
        continue
    answer_head, _, rest = data.partition(b"\r\n\r\n")
    lines = answer_head.decode(errors="replace").lower().split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    while len(rest) < int(fields.get("content-length", "0")):
        rest += sock.recv(65536)
    if lines[0].split()[1] != "503":
        problems.append(f"POST {attempt}: {lines[0]}")
    if fields.get("connection") == "close":
        sock.close()
        sock = None
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
info "while down: 503 with Retry-After from the gateway (orders) and from nginx (the gateway), every POST answered"

log "scripts/up.sh again"
bash "$KPO_ROOT/scripts/up.sh" >"$up_log" 2>&1 </dev/null 3>&- || fail "up.sh failed"
for name in orders gateway; do
  restarted=$(<"$run/$name.pid")
  if [[ $restarted == "${crashed[$name]}" ]] || ! pid_alive "$restarted"; then fail "$name was not started again"; fi
  service_ready "$(service_port "$name")" || fail "$name is not ready after up.sh"
  kept=$(find "$run" -maxdepth 1 -name "$name.log.*" -inum "${crashed_log[$name]}" -print -quit)
  [[ -n $kept ]] || fail "the crashed $name's log was not kept"
  info "$name restarted (pid ${crashed[$name]} -> $restarted); its crashed log: ${kept#"$KPO_ROOT"/}"
done
for name in payments nginx; do
  if [[ $(<"$run/$name.pid") != "${before[$name]}" ]] || ! pid_alive "${before[$name]}"; then
    fail "$name was restarted (pid ${before[$name]} -> $(<"$run/$name.pid"))"
  fi
done
info "payments and nginx kept running"

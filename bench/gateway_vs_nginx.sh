#!/usr/bin/env bash
# Gateway vs nginx, proxying the same upstream route on the same machine in the same run with
# the same wrk settings; the service called directly is the baseline for added latency.
#   bench/gateway_vs_nginx.sh [duration=15s] [connections=32] [threads=2]
# Needs the system running (scripts/up.sh) and wrk (apt-get install wrk). The gateway verifies a
# real JWT on every request; its rate limits are lifted for the run by a dedicated instance, which
# runs one I/O thread like the one nginx worker it is compared with (GATEWAY_IO_THREADS to change).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
kpo_env
duration=${1:-15s}
connections=${2:-32}
threads=${3:-2}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
build_dir=${KPO_BUILD_DIR:-build/release}
run=.run/bench
mkdir -p "$run"

# A gateway without rate limits on :5015 and an nginx proxy on :5016, both in front of orders :5001.
GATEWAY_IO_THREADS=${GATEWAY_IO_THREADS:-1} GATEWAY_LISTEN=127.0.0.1:5015 GATEWAY_RATE_USER_RPS=0 GATEWAY_RATE_IP_RPS=0 LOG_LEVEL=warn \
  "$build_dir/services/gateway/kpo-gateway" >"$run/gateway.log" 2>&1 &
gateway_pid=$!
cat >"$run/nginx.conf" <<CONF
worker_processes 1;
error_log $PWD/$run/nginx-error.log warn;
pid $PWD/$run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  upstream orders { server 127.0.0.1:5001; keepalive 64; }
  server {
    listen 127.0.0.1:5016;
    location / {
      proxy_pass http://orders;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
nginx -c "$PWD/$run/nginx.conf" -p "$PWD/$run"
trap 'kill $gateway_pid 2>/dev/null; nginx -c "$PWD/$run/nginx.conf" -p "$PWD/$run" -s stop 2>/dev/null' EXIT
wait_until "bench gateway" 30 curl -fs -o /dev/null http://127.0.0.1:5015/healthz

# A user with one order, read back through each path.
session=$(curl -fs -X POST http://127.0.0.1:5015/api/auth/guest)
token=$(sed -E 's/.*"token":"([^"]+)".*/\1/' <<<"$session")
user=$(sed -E 's/.*"userId":"([^"]+)".*/\1/' <<<"$session")
order=$(curl -fs -X POST http://127.0.0.1:5015/api/orders -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"amount":100,"description":"bench"}')
id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' <<<"$order")
path=/api/orders/$id

measure() { # name url header [threads connections] → "name req/s p50 p99"
  local out
  wrk -t"${4:-$threads}" -c"${5:-$connections}" -d"$duration" --latency -H "$3" "$2$path" >"$run/$1.txt"
  out=$(cat "$run/$1.txt")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-10s %12s %10s %10s\n' "$1" "$rps" "$p50" "$p99"
  echo "$1 $rps $p50 $p99" >>"$run/summary"
}
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.3f", v}' <<<"$1"; }

rm -f "$run/summary"
log "wrk -t$threads -c$connections -d$duration on GET /api/orders/{id} (warm-up first)"
wrk -t"$threads" -c"$connections" -d3s -H "X-User-Id: $user" "http://127.0.0.1:5001$path" >/dev/null
printf '%-10s %12s %10s %10s\n' path req/s p50 p99
measure direct "http://127.0.0.1:5001" "X-User-Id: $user"
measure nginx "http://127.0.0.1:5016" "X-User-Id: $user"
measure gateway "http://127.0.0.1:5015" "Authorization: Bearer $token"

read -r _ nginx_rps _ _ < <(grep '^nginx ' "$run/summary")
read -r _ gateway_rps _ _ < <(grep '^gateway ' "$run/summary")
awk -v g="$gateway_rps" -v n="$nginx_rps" 'BEGIN {printf "throughput: gateway/nginx req/s ratio %.2f\n", g/n}'

# Added latency is measured without queueing: one connection, one request at a time.
log "latency at one connection (wrk -t1 -c1 -d$duration)"
printf '%-10s %12s %10s %10s\n' path req/s p50 p99
measure direct-1 "http://127.0.0.1:5001" "X-User-Id: $user" 1 1
measure nginx-1 "http://127.0.0.1:5016" "X-User-Id: $user" 1 1
measure gateway-1 "http://127.0.0.1:5015" "Authorization: Bearer $token" 1 1
read -r _ _ direct_p50 _ < <(grep '^direct-1 ' "$run/summary")
read -r _ _ nginx_p50 _ < <(grep '^nginx-1 ' "$run/summary")
read -r _ _ gateway_p50 _ < <(grep '^gateway-1 ' "$run/summary")
awk -v g="$(to_ms "$gateway_p50")" -v n="$(to_ms "$nginx_p50")" -v d="$(to_ms "$direct_p50")" \
  'BEGIN {printf "p50 added over direct: gateway %.3f ms, nginx %.3f ms\n", g-d, n-d}'

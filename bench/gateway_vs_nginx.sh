#!/usr/bin/env bash
# Gateway vs nginx, proxying the same upstream route on the same machine in the same run with
# the same wrk settings; the service called directly is the baseline for added latency.
#   bench/gateway_vs_nginx.sh [duration=10s] [connections=32] [threads=2]   (KPO_BENCH_ROUNDS=5)
# Needs the system running (scripts/up.sh) and wrk (apt-get install wrk). The gateway verifies a
# real JWT on every request; its rate limits are lifted for the run by a dedicated instance, which
# runs one I/O thread like the one nginx worker it is compared with (GATEWAY_IO_THREADS to change).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
kpo_env
duration=${1:-10s}
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
# A previous run that was killed may have left its nginx behind.
[[ -s $run/nginx.pid ]] && kill "$(cat "$run/nginx.pid")" 2>/dev/null && sleep 0.5
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

# CPU time (user+system, in clock ticks) used so far by a process and its threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
nginx_worker=$(pgrep -P "$(cat "$run/nginx.pid")" | head -1)

# One wrk run → "req/s p50 p99 cpu_us_per_request" (CPU of `pid`, the proxy under test, if given).
run_wrk() { # url header threads connections [pid]
  local before=0 after=0 out
  [[ -n ${5:-} ]] && before=$(cpu_ticks "$5")
  out=$(wrk -t"$3" -c"$4" -d"$duration" --latency -H "$2" "$1$path")
  [[ -n ${5:-} ]] && after=$(cpu_ticks "$5")
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) { sub(/us/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms/, "", v); return v + 0 }
                     sub(/s/, "", v); return v * 1000 }
    /requests in/ { n = $1 } /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }
          printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, n ? ticks * 1e6 / hz / n : 0 }' <<<"$out"
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Rounds alternate which proxy goes first, so a drift of the machine (another process waking up,
# the database warming) does not favour one; the figures reported are medians over the rounds.
rounds=${KPO_BENCH_ROUNDS:-5}
log "warm-up: wrk -t$threads -c$connections -d3s on each path"
wrk -t"$threads" -c"$connections" -d3s -H "X-User-Id: $user" "http://127.0.0.1:5001$path" >/dev/null
wrk -t"$threads" -c"$connections" -d3s -H "X-User-Id: $user" "http://127.0.0.1:5016$path" >/dev/null
wrk -t"$threads" -c"$connections" -d3s -H "Authorization: Bearer $token" "http://127.0.0.1:5015$path" >/dev/null
results=$run/results
: >"$results"
measure() { # round kind url header threads connections [pid]
  echo "$2 $1 $(run_wrk "$3" "$4" "$5" "$6" "${7:-}")" >>"$results"
}
for ((round = 1; round <= rounds; round++)); do
  log "round $round/$rounds: wrk -t$threads -c$connections -d$duration, then -t1 -c1 (one request at a time)"
  measure "$round" direct "http://127.0.0.1:5001" "X-User-Id: $user" "$threads" "$connections"
  if ((round % 2)); then order="nginx gateway"; else order="gateway nginx"; fi
  for proxy in $order; do
    if [[ $proxy == nginx ]]; then
      measure "$round" nginx "http://127.0.0.1:5016" "X-User-Id: $user" "$threads" "$connections" "$nginx_worker"
    else
      measure "$round" gateway "http://127.0.0.1:5015" "Authorization: Bearer $token" "$threads" "$connections" "$gateway_pid"
    fi
  done
  measure "$round" direct-1 "http://127.0.0.1:5001" "X-User-Id: $user" 1 1
  measure "$round" nginx-1 "http://127.0.0.1:5016" "X-User-Id: $user" 1 1
  measure "$round" gateway-1 "http://127.0.0.1:5015" "Authorization: Bearer $token" 1 1
done

column() { awk -v kind="$1" -v field="$2" '$1 == kind {print $field}' "$results" | median; }
echo
printf '%-10s %10s %10s %10s %14s\n' path req/s p50_ms p99_ms cpu_us/request
for kind in direct nginx gateway direct-1 nginx-1 gateway-1; do
  cpu=$(column "$kind" 6)
  [[ $kind == nginx || $kind == gateway ]] || cpu=-
  printf '%-10s %10s %10s %10s %14s\n' "$kind" "$(column "$kind" 3)" "$(column "$kind" 4)" "$(column "$kind" 5)" "$cpu"
done
echo "(medians over $rounds rounds; per-run figures in $results)"
ratios=$(awk '$1 == "nginx" {n[$2] = $3} $1 == "gateway" {g[$2] = $3} END {for (r in n) printf "%.3f\n", g[r] / n[r]}' "$results")
awk -v m="$(median <<<"$ratios")" -v lo="$(sort -g <<<"$ratios" | head -1)" -v hi="$(sort -g <<<"$ratios" | tail -1)" \
  'BEGIN {printf "throughput: gateway/nginx req/s ratio %.2f (median of the rounds; range %.2f-%.2f)\n", m, lo, hi}'
awk -v g="$(column gateway-1 4)" -v n="$(column nginx-1 4)" -v d="$(column direct-1 4)" \
  'BEGIN {printf "p50 added over calling the service directly (one connection): gateway %.3f ms, nginx %.3f ms\n", g - d, n - d}'

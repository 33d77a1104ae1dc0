#!/usr/bin/env bash
# Checks deploy/observability: the Prometheus config and alert rules (promtool check, and the rules'
# unit tests), the Grafana dashboard (valid JSON), and that every metric the rules and the dashboard
# use is one the services define (a string literal in libs/ or services/) or RabbitMQ's plugin exports.
# With URLs as arguments it also lints live scrapes with `promtool check metrics` (RabbitMQ: its
# per-queue endpoint only; its aggregated one breaks the naming lints itself):
#   scripts/observability_check.sh [http://127.0.0.1:5001/metrics ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/deploy/observability"
failed=0

promtool check config "$dir/prometheus.yml" || failed=1
promtool test rules "$dir/alerts_test.yml" || failed=1
python3 -m json.tool "$dir/grafana-dashboard.json" >/dev/null || {
  echo "grafana-dashboard.json is not valid JSON" >&2
  failed=1
}

# Metric names in the rules' and panels' expressions, without the series a histogram adds.
used=$(python3 - "$dir" <<'PY'
import json, re, sys, yaml
d = sys.argv[1]
exprs = [r["expr"] for g in yaml.safe_load(open(f"{d}/alerts.yml"))["groups"] for r in g["rules"]]
exprs += [t["expr"] for p in json.load(open(f"{d}/grafana-dashboard.json"))["panels"] for t in p.get("targets", [])]
words = {"sum", "max", "min", "by", "rate", "histogram_quantile", "le", "job", "queue", "unless", "on", "or",
         "label_replace", "min_over_time", "scope", "outcome", "status", "method", "route", "status_class", "vhost", "instance",
         "check"}
names = set()
for e in exprs:
    e = re.sub(r'"[^"]*"', '""', e)              # label values and strings
    e = re.sub(r"\[[^\]]*\]", "", e)             # range selectors
    for name in re.findall(r"[a-z_][a-z0-9_]*", e):
        if name not in words:
            names.add(re.sub(r"_(bucket|sum|count)$", "", name))
print("\n".join(sorted(names)))
PY
)
for name in $used; do
  case $name in
  up) continue ;;
  rabbitmq_*) continue ;; # checked against a live scrape below when RabbitMQ's endpoint is given
  esac
  if ! grep -rqF "\"$name\"" "$root/libs" "$root/services" --include='*.cpp'; then
    echo "deploy/observability uses $name, which no service defines" >&2
    failed=1
  fi
done

for url in "$@"; do
  echo "promtool check metrics $url"
  scrape=$(curl -fsS --max-time 10 "$url") || {
    echo "cannot scrape $url" >&2
    failed=1
    continue
  }
  promtool check metrics <<<"$scrape" || failed=1
  if [[ $url == */metrics/detailed* ]]; then
    # The rules use both of RabbitMQ's endpoints (the prometheus.yml jobs rabbitmq_queues and
    # rabbitmq): per-queue series from this one, the resource alarms from the aggregated /metrics,
    # which is read here but not linted.
    aggregated=$(curl -fsS --max-time 10 "${url%%/metrics/detailed*}/metrics") || {
      echo "cannot scrape ${url%%/metrics/detailed*}/metrics" >&2
      failed=1
    }
    for name in $used; do
      if [[ $name == rabbitmq_* ]] && ! grep -q "^${name}[{ ]" <<<"$scrape"$'\n'"$aggregated"; then
        echo "deploy/observability uses $name, which neither $url nor its /metrics exports" >&2
        failed=1
      fi
    done
  fi
done
exit "$failed"

#!/usr/bin/env bash
# trace.sh ORDER_ID [LOG_DIR] — every log line of one order across the services, oldest first.
#
# Finds the lines that mention the order (its order_id field, or a path such as /api/orders/<id>),
# takes the trace ids on them, and prints every line of LOG_DIR/*.log (default .run/) that carries
# the order id or one of those trace ids, sorted by time (each line starts with its "ts"). The
# per-message lines (relay, consumer, decisions) are written at debug level: start the services
# with LOG_LEVEL=debug to see an order's whole way; at info there are the access lines of its POST at the
# gateway and at orders (both name it in their "location" field).
# Exit status: 0 when lines were found, 1 when none, 2 on a usage error.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
  echo "usage: $0 ORDER_ID [LOG_DIR]   (make trace ORDER=<id>)" >&2
  [[ $# -ge 1 && ( $1 == -h || $1 == --help ) ]] && exit 0
  exit 2
fi
order=$1
dir=${2:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.run"}
if [[ ! $order =~ ^[0-9A-Za-z-]{8,64}$ ]]; then
  echo "trace.sh: '$order' does not look like an order id" >&2
  exit 2
fi
shopt -s nullglob
logs=("$dir"/*.log)
if ((${#logs[@]} == 0)); then
  echo "trace.sh: no logs in $dir" >&2
  exit 1
fi

# The trace ids of the lines that name the order (grep exits 1 when there are none).
traces=$(grep -hF -- "$order" "${logs[@]}" | grep -o '"trace_id":"[0-9a-f]\{32\}"' | cut -d'"' -f4 | sort -u || true)
patterns=$(printf '%s\n' "$order" $traces)
if ! grep -hF -f <(printf '%s\n' "$patterns") -- "${logs[@]}" | LC_ALL=C sort -s -t, -k1,1; then
  echo "trace.sh: no line mentions $order in $dir" >&2
  exit 1
fi

#!/usr/bin/env bash
# Checks the rules of the layout that the compiler cannot: no C++ file over 400 lines; a service's own
# headers are included by its name ("orders/storage/…"), so they can't be confused with a library's
# ("messaging/outbox.hpp"); no service includes another service's code; no source file is included.
# Prints each breach; exits 1 if any.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

max_lines=400
breaches=0
breach() {
  echo "layout: $*" >&2
  breaches=$((breaches + 1))
}

while IFS= read -r -d '' file; do
  lines=$(wc -l <"$file")
  if ((lines > max_lines)); then breach "$file has $lines lines (at most $max_lines)"; fi
done < <(git ls-files -z '*.cpp' '*.hpp')

services=()
for dir in services/*/; do services+=("$(basename "$dir")"); done
for service in "${services[@]}"; do
  while IFS=: read -r file line include; do
    path=${include#*\"}
    path=${path%\"*}
    first=${path%%/*}
    for other in "${services[@]}"; do
      if [[ $first == "$other" && $other != "$service" ]]; then
        breach "$file:$line includes another service's code: $path"
      fi
    done
    # An unprefixed path that names one of this service's own files is the ambiguity the prefix removes.
    if [[ $first != "$service" && -e services/$service/$path ]]; then
      breach "$file:$line includes its own service's header without the service's name: $path"
    fi
  done < <(git grep -n -E '^\s*#\s*include\s+"' -- "services/$service/*.cpp" "services/$service/*.hpp" |
    sed -E 's/^([^:]+):([0-9]+):(.*)$/\1:\2:\3/')
done

# Sources are compiled, not included: a unity build includes them itself (and clang-tidy over its batches
# leaves bugprone-suspicious-include to this check).
while IFS= read -r match; do
  breach "$match includes a source file"
done < <(git grep -n -E '^\s*#\s*include\s+["<][^">]*\.(cpp|cc|cxx)[">]' -- '*.cpp' '*.hpp' || true)

if ((breaches)); then
  echo "layout: $breaches breach(es)" >&2
  exit 1
fi
echo "layout: every C++ file within $max_lines lines; service includes prefixed by their service; no source included"

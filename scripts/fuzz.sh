#!/usr/bin/env bash
# ./scripts/fuzz.sh [SECONDS] [TARGET...] — builds the fuzz preset (clang, libFuzzer + ASan + UBSan;
# only the targets in fuzz/ and what they link) and runs each target (default: all of them, see
# fuzz/README.md) for SECONDS (default 10), starting from its seed corpus fuzz/corpus/<target>/ and
# its dictionary fuzz/<target>.dict when there is one. With KPO_FUZZ_RUNS=N each target runs N inputs
# instead (how the counts in fuzz/README.md were reached). New inputs libFuzzer finds go to
# build/fuzz/corpus/<target>/ (the seeds in the repository stay as they are); a crash, a sanitizer
# report, a leak or a timeout is saved as build/fuzz/artifacts/<target>-crash-… and fails the run.
# Prints the executions and exec/s of each target; exits 1 if any target failed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=${1:-10}
shift || true
[[ $seconds =~ ^[0-9]+$ ]] || die "usage: scripts/fuzz.sh [SECONDS] [TARGET...]"
targets=("$@")
if ((${#targets[@]} == 0)); then
  while IFS= read -r -d '' source; do
    name=$(basename "$source" .cpp)
    targets+=("$name")
  done < <(find "$KPO_ROOT/fuzz" -maxdepth 1 -name '*_fuzz.cpp' -print0 | sort -z)
fi

# Nice: the libraries compile again under clang with the sanitizers, on a machine others share.
nice -n 10 bash -c "source '$KPO_ROOT/scripts/lib.sh'; build fuzz ${targets[*]}"

dir="$KPO_ROOT/build/fuzz"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limit=(-max_total_time="$seconds")
[[ -n ${KPO_FUZZ_RUNS:-} ]] && limit=(-runs="$KPO_FUZZ_RUNS")
failed=()
printf '%-20s %12s %10s %8s  %s\n' target executions seconds exec/s result
for target in "${targets[@]}"; do
  binary="$dir/fuzz/$target"
  [[ -x $binary ]] || die "$binary was not built"
  seeds="$KPO_ROOT/fuzz/corpus/$target"
  found="$dir/corpus/$target"
  mkdir -p "$found" "$dir/artifacts" "$dir/logs"
  options=("${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$dir/artifacts/$target-")
  [[ -f $KPO_ROOT/fuzz/$target.dict ]] && options+=(-dict="$KPO_ROOT/fuzz/$target.dict")
  log_file="$dir/logs/$target.log"
  start_ms=$(($(date +%s%N) / 1000000))
  result=ok
  nice -n 10 "$binary" "${options[@]}" "$found" "$seeds" >"$log_file" 2>&1 || result=FAILED
  elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms + 1))
  # -print_final_stats=1 ends the log with stat::number_of_executed_units: <inputs run>.
  runs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log_file" | tail -n 1)
  runs=${runs:-0}
  printf '%-20s %12s %10s %8s  %s\n' "$target" "$runs" "$((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100))" \
    "$((runs * 1000 / elapsed_ms))" "$result"
  if [[ $result != ok ]]; then
    grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken|deadly signal' \
      "$log_file" | head -60 >&2 || tail -n 40 "$log_file" >&2
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  warn "fuzz targets failed: ${failed[*]} (inputs in build/fuzz/artifacts/, logs in build/fuzz/logs/)"
  exit 1
fi

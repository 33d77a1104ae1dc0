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
# fuzz_target TARGET — runs TARGET for the time (or inputs) asked; writes "<executions> <ms> <ok|FAILED>"
# to its .result file beside its log.
fuzz_target() {
  local target=$1 binary="$dir/fuzz/$1" seeds="$KPO_ROOT/fuzz/corpus/$1" found="$dir/corpus/$1"
  local log_file="$dir/logs/$1.log" options start_ms elapsed_ms runs result=ok
  mkdir -p "$found"
  options=("${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$dir/artifacts/$target-")
  [[ -f $KPO_ROOT/fuzz/$target.dict ]] && options+=(-dict="$KPO_ROOT/fuzz/$target.dict")
  start_ms=$(($(date +%s%N) / 1000000))
  nice -n 10 "$binary" "${options[@]}" "$found" "$seeds" >"$log_file" 2>&1 || result=FAILED
  elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms + 1))
  # -print_final_stats=1 ends the log with stat::number_of_executed_units: <inputs run>.
  runs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log_file" | tail -n 1)
  echo "${runs:-0} $elapsed_ms $result" >"$dir/logs/$target.result"
}

mkdir -p "$dir/artifacts" "$dir/logs"
for target in "${targets[@]}"; do
  [[ -x $dir/fuzz/$target ]] || die "$dir/fuzz/$target was not built"
  rm -f "$dir/logs/$target.result"
done
# Each target is one process on one core: as many run at once as there are cores.
running=0
for target in "${targets[@]}"; do
  if ((running >= $(nproc))); then
    wait -n || true  # a result is read from its file below
    running=$((running - 1))
  fi
  fuzz_target "$target" &
  running=$((running + 1))
done
wait

failed=()
printf '%-20s %12s %10s %8s  %s\n' target executions seconds exec/s result
for target in "${targets[@]}"; do
  read -r runs elapsed_ms result <"$dir/logs/$target.result" || { runs=0 elapsed_ms=1 result=FAILED; }
  printf '%-20s %12s %10s %8s  %s\n' "$target" "$runs" "$((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100))" \
    "$((runs * 1000 / elapsed_ms))" "$result"
  if [[ $result != ok ]]; then
    grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken|deadly signal' \
      "$dir/logs/$target.log" | head -60 >&2 || tail -n 40 "$dir/logs/$target.log" >&2
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  warn "fuzz targets failed: ${failed[*]} (inputs in build/fuzz/artifacts/, logs in build/fuzz/logs/)"
  exit 1
fi

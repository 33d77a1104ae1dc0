#!/usr/bin/env bash
# ./scripts/tidy.sh [BUILD_DIR [FUZZ_BUILD_DIR]] — clang-tidy (.clang-tidy, warnings are errors) over every
# C++ source in BUILD_DIR's compile database (default build/release) but fuzz/, which only the fuzz preset
# compiles (with clang): with FUZZ_BUILD_DIR (configured, not necessarily built) fuzz/'s sources are checked
# against its compile database too. Prints the diagnostics; exits non-zero if any check failed.
#
# A unity build's database lists its batches, not its sources: each batch is checked as one translation
# unit and its sources as the files it includes (.clang-tidy's HeaderFilterRegex covers them). That parses
# and walks the standard library, fmt and Boost once per batch instead of once per source: a third of the
# time. Two differences from checking source by source: bugprone-suspicious-include is off (a batch
# includes .cpp files by design; scripts/layout_check.sh refuses that in the sources), and a
# using-declaration that only a later source of the same batch uses is not reported as unused.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=${1:-$KPO_ROOT/build/release}
fuzz_dir=${2:-}
for database in "$dir" ${fuzz_dir:+"$fuzz_dir"}; do
  [[ -f $database/compile_commands.json ]] || die "no compile database in $database: configure or build it first"
done
options=(-p "$dir" --quiet --config-file="$KPO_ROOT/.clang-tidy"
  # The GCC-only warning flags of the compile commands (-Wno-subobject-linkage in unity builds).
  --extra-arg=-Wno-unknown-warning-option)
if grep -qiE '^CMAKE_UNITY_BUILD:[A-Z]+=(ON|TRUE|YES|1)$' "$dir/CMakeCache.txt" 2>/dev/null; then
  options+=(--checks=-bugprone-suspicious-include)
fi
status=0
# One file per clang-tidy, the largest first (a unity batch by the size of the sources it includes): the run
# ends when its last file does, and a large one started last would leave the other cores idle meanwhile.
python3 - "$dir/compile_commands.json" "$KPO_ROOT/fuzz/" <<'EOF' | xargs -0 -P "$(nproc)" -n 1 clang-tidy "${options[@]}" || status=1
import json, os, re, sys
files = {entry["file"] for entry in json.load(open(sys.argv[1])) if not entry["file"].startswith(sys.argv[2])}
def size(path):
    included = re.findall(r'^#include "([^"]+)"', open(path).read(), re.M) if "/Unity/" in path else []
    return sum(os.path.getsize(f) for f in included if os.path.exists(f)) or os.path.getsize(path)
sys.stdout.write("".join(f + "\0" for f in sorted(files, key=lambda f: (-size(f), f))))
EOF
# The fuzz targets are compiled as themselves, not in unity batches (fuzz/CMakeLists.txt).
if [[ -n $fuzz_dir ]]; then
  cd "$KPO_ROOT"
  git ls-files -z 'fuzz/*.cpp' | xargs -0 -P "$(nproc)" -n 1 clang-tidy -p "$fuzz_dir" --quiet \
    --config-file="$KPO_ROOT/.clang-tidy" || status=1
fi
exit "$status"

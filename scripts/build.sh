#!/usr/bin/env bash
# ./scripts/build.sh [PRESET] — installs missing packages, then configures (once) and builds
# a CMake preset: debug, release (default), asan or tsan.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_packages
build "${1:-release}"

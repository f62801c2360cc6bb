#!/usr/bin/env bash
# bench/etsy.sh: the Etsy sync's throughput (bench/etsy.py tells what it measures).
#   BUILD_DIR=build-rel RECEIPTS=10000 RUNS=1 bench/etsy.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
[ -x "$build/src/printyard" ] || { echo "bench/etsy.sh: no $build/src/printyard; build it first" >&2; exit 1; }
PRINTYARD_BIN=$build/src/printyard exec /usr/bin/python3 "$root/bench/etsy.py"

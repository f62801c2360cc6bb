#!/usr/bin/env bash
# bench/parse.sh: micro-benchmark of the Bambu report normaliser.
#
#   bench/parse.sh [REPORTS]
#
# Compiles bench/parse_printers.c with the normaliser sources (-O2, the
# release flags) into a temporary directory and runs it: REPORTS (default
# 200,000) P1-style partial reports and a quarter as many X1 full
# reports, each merged into a per-printer cache and read back as a
# struct printer_state.  Prints Markdown rows for docs/performance.md.
# Needs a C compiler and libjansson-dev; no server, no database.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2046
"$cc" -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$root/src" \
	"$root/bench/parse_printers.c" "$root/src/parse/bambu.c" \
	"$root/src/parse/printer.c" "$root/src/core/err.c" \
	$(pkg-config --cflags --libs jansson) -lm -o "$tmp/parse_printers"
"$tmp/parse_printers" "${1:-200000}"

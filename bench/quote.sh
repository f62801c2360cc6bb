#!/usr/bin/env bash
# bench/quote.sh: how fast an instant quote measures a large mesh.
#
#   BUILD_DIR=build-rel bench/quote.sh
#
# Compiles bench/quote_gen.c and bench/quote_measure.c (-O2, with the
# mesh readers' sources) into a temporary directory, generates a closed
# torus as a 1,000,000-triangle binary STL (50 MB) and as an
# 850,000-triangle 3MF, then prints Markdown rows for docs/performance.md:
#
#   - the analysis alone, in memory (quote_measure: fastest and median of
#     RUNS runs), for the STL and the 3MF file;
#   - whole processes under /usr/bin/time -v (wall time and peak RSS):
#     `printyard quote estimate` on the STL file (read, measure, estimate,
#     print), quote_measure once on the 3MF file, and admesh on the same
#     STL file (Debian's admesh, its default checks);
#   - unless HTTP=0: the full path, the 50 MB STL uploaded to POST
#     /api/v1/quotes through nginx on loopback into a throwaway Printyard
#     (bench_up in bench/lib.sh), REQUESTS times (default 10), one a
#     second so that the public rate limit (5 r/s) never answers 503; the
#     median and the range of curl's total time, each answer checked to be
#     201 with a price.
#
# Environment: BUILD_DIR (build; relative to the tree, or absolute, so
# that another checkout's build can be compared), RUNS (9), REQUESTS
# (10), HTTP (1), KEEP=1 (keep the throwaway server's var/), TMPDIR for
# the meshes.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root # set by lib.sh
cc=${CC:-cc}
build=${BUILD_DIR:-build}
runs=${RUNS:-9}
requests=${REQUESTS:-10}
case $build in /*) ;; *) build=$root/$build ;; esac
printyard=$build/src/printyard
[ -x "$printyard" ] || bench_die "no $printyard (build it first, or set BUILD_DIR)"
[ -x /usr/bin/time ] || bench_die "/usr/bin/time is missing (apt-get install time)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2046
"$cc" -std=c11 -O2 -D_GNU_SOURCE -I"$root/src" -I"$root/tests/unit" -I"$build" \
	"$root/bench/quote_measure.c" "$root/src/parse/mesh.c" \
	"$root/src/parse/meshobj.c" "$root/src/parse/model3mf.c" \
	"$root/src/parse/zipread.c" "$root/src/core/err.c" \
	"$root/src/core/buf.c" "$root/src/core/arena.c" \
	$(pkg-config --cflags --libs libzip expat jansson) -lm \
	-o "$tmp/quote_measure"
# shellcheck disable=SC2046
"$cc" -std=c11 -O2 -D_GNU_SOURCE "$root/bench/quote_gen.c" \
	$(pkg-config --cflags --libs libzip) -lm -o "$tmp/quote_gen"
"$tmp/quote_gen" stl "$tmp/torus.stl" 1000000
"$tmp/quote_gen" 3mf "$tmp/torus.3mf" 850000 2>"$tmp/gen.log"
inflated=$(sed -E 's/.*inflates to ([0-9]+) bytes/\1/' "$tmp/gen.log")

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# "wall s, peak RSS" of one command under /usr/bin/time -v
timed() {
	/usr/bin/time -v "$@" >"$tmp/out" 2>"$tmp/time" ||
		{ cat "$tmp/out" "$tmp/time" >&2; bench_die "$1 failed"; }
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":");
		s = t[n] + (n > 1 ? t[n - 1] * 60 : 0) }
		/Maximum resident set size/ { r = $2 }
		END { printf "%.3f s | %.1f MB", s, r * 1.024 / 1000 }' "$tmp/time"
}

echo "Files: torus.stl $(mb "$(stat -c %s "$tmp/torus.stl")"), torus.3mf" \
	"$(mb "$(stat -c %s "$tmp/torus.3mf")") (its model inflates to" \
	"$(mb "$inflated"))"
echo
echo "| what | triangles | analysis in memory: fastest / median of $runs | answer |"
echo "|---|---|---|---|"
for f in torus.stl torus.3mf; do
	out=$("$tmp/quote_measure" "$tmp/$f" "$runs")
	t=$(printf '%s\n' "$out" | sed -nE 's/analysis: fastest (.*) ms, median (.*) ms of.*/\1 ms \/ \2 ms/p')
	a=$(printf '%s\n' "$out" | head -n 1 | sed -E 's/^[^:]*: //; s/, area [^,]*//')
	n=$([ "$f" = torus.stl ] && echo 1,000,000 || echo 850,000)
	echo "| $f | $n | $t | $a |"
done
echo
echo "| process | wall | peak RSS |"
echo "|---|---|---|"
echo "| printyard quote estimate torus.stl | $(timed "$printyard" quote estimate "$tmp/torus.stl") |"
echo "| quote_measure torus.3mf (one analysis) | $(timed "$tmp/quote_measure" "$tmp/torus.3mf" 1) |"
if command -v admesh >/dev/null; then
	echo "| admesh torus.stl | $(timed admesh "$tmp/torus.stl") |"
else
	echo "| admesh torus.stl | (not installed: apt-get install admesh) | |"
fi

[ "${HTTP:-1}" = 1 ] || exit 0
trap 'bench_down; rm -rf "$tmp"' EXIT
bench_up
echo
: >"$tmp/times"
for i in $(seq "$requests"); do
	read -r code total < <(curl -sS -o "$tmp/answer" \
		-w '%{http_code} %{time_total}\n' \
		-F "file=@$tmp/torus.stl;type=application/octet-stream" \
		-F material=PLA "$BENCH_URL/api/v1/quotes")
	if [ "$code" != 201 ] || ! grep -q '"gross_cents"' "$tmp/answer"; then
		cat "$tmp/answer" >&2
		bench_die "upload $i answered $code"
	fi
	echo "$total" >>"$tmp/times"
	sleep 1
done
sort -n "$tmp/times" | awk -v n="$requests" '
	{ t[NR] = $1 * 1000 }
	END {
		m = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
		print "| request | runs | median | fastest | slowest |"
		print "|---|---|---|---|---|"
		printf "| POST /api/v1/quotes, 50 MB STL, 1,000,000 triangles | %d | %.0f ms | %.0f ms | %.0f ms |\n", n, m, t[1], t[n]
	}'

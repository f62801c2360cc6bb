# shellcheck shell=bash disable=SC2034
# bench/lib.sh: what the benchmarks share; sourced by bench/*.sh, not run.
#
#   bench_need_wrk                       exit with a hint when wrk is missing
#   bench_login URL USER PASSWORD        print a bearer token (POST /api/v1/auth/login)
#   bench_up                             start a throwaway Printyard (scripts/up) on a
#                                        free port with its own var/ and PostgreSQL;
#                                        sets BENCH_URL, BENCH_VAR, BENCH_PASSWORD and
#                                        stops it (and removes BENCH_VAR) on exit
#   bench_psql [psql args...]            psql on the throwaway server's database
#   bench_head                           the header of the Markdown result table
#   bench_row NAME CONNS URL PATH [HEADER]
#                                        one wrk run, printed as a table row
#
# Environment: DURATION (15s per row), THREADS (2 wrk threads), BUILD_DIR for
# bench_up (build), KEEP=1 to leave the throwaway server's var/ behind.
# Invariant: bench_up only ever stops the scripts/up it started itself (by pid),
# never a server it did not start, and never anything on port 8080 unless asked
# for it with PORT.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${DURATION:-15s}
threads=${THREADS:-2}

bench_die() {
	printf '%s: %s\n' "$(basename "$0")" "$*" >&2
	exit 1
}

bench_need_wrk() {
	command -v wrk >/dev/null ||
		bench_die "wrk is missing (apt-get install wrk)"
}

bench_login() { # url user password
	local token
	token=$(curl -fsS -H 'Content-Type: application/json' \
		-d "{\"username\":\"$2\",\"password\":\"$3\"}" "$1/api/v1/auth/login" |
		sed -E 's/.*"token":"([^"]+)".*/\1/')
	[ -n "$token" ] || bench_die "login as $2 failed"
	printf '%s\n' "$token"
}

bench_head() {
	echo "| request | connections | requests/s | p50 | p99 | non-2xx |"
	echo "|---|---|---|---|---|---|"
}

bench_row() { # name conns url path [header]
	local out rps p50 p99 errs t=$threads
	[ "$2" -ge "$t" ] || t=$2 # wrk wants a connection per thread
	if [ $# -ge 5 ]; then
		out=$(wrk -t"$t" -c"$2" -d"$duration" --latency -H "$5" "$3$4")
	else
		out=$(wrk -t"$t" -c"$2" -d"$duration" --latency "$3$4")
	fi
	rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
	errs=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $4}')
	printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rps" "$p50" "$p99" "${errs:-0}"
}

bench_free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_up_pid=
bench_down() {
	local target
	if [ -n "$bench_up_pid" ] && kill -0 "$bench_up_pid" 2>/dev/null; then
		kill -TERM "$bench_up_pid" 2>/dev/null || true
		wait "$bench_up_pid" 2>/dev/null || true
	fi
	bench_up_pid=
	if [ -n "${BENCH_VAR:-}" ] && [ -d "$BENCH_VAR" ] && [ "${KEEP:-0}" != 1 ]; then
		# scripts/pg may keep the data elsewhere behind a symlink
		if [ -L "$BENCH_VAR/pg" ]; then
			target=$(readlink "$BENCH_VAR/pg")
			case $target in /var/tmp/printyard-pg-*) rm -rf "$target" ;; esac
		fi
		rm -rf "$BENCH_VAR"
	elif [ -n "${BENCH_VAR:-}" ]; then
		printf 'kept %s\n' "$BENCH_VAR" >&2
	fi
}

bench_up() {
	local port
	port=${PORT:-$(bench_free_port)}
	BENCH_VAR=$(mktemp -d /tmp/printyard-bench.XXXXXX)
	BENCH_URL=http://127.0.0.1:$port
	trap bench_down EXIT
	trap 'exit 130' INT TERM
	PORT=$port VAR_DIR=$BENCH_VAR BUILD_DIR=${BUILD_DIR:-build} \
		"$bench_root/scripts/up" >"$BENCH_VAR/up.log" 2>&1 </dev/null &
	bench_up_pid=$!
	for _ in $(seq 600); do
		grep -q 'Printyard is running' "$BENCH_VAR/up.log" 2>/dev/null && break
		kill -0 "$bench_up_pid" 2>/dev/null ||
			{ tail -n 20 "$BENCH_VAR/up.log" >&2; bench_die "scripts/up failed"; }
		sleep 0.5
	done
	grep -q 'Printyard is running' "$BENCH_VAR/up.log" ||
		bench_die "Printyard did not start within 5 minutes ($BENCH_VAR/up.log)"
	BENCH_PASSWORD=$(cat "$BENCH_VAR/demo-password")
}

bench_psql() {
	"$bench_root/scripts/pg" psql "$BENCH_VAR/pg" -X -q -v ON_ERROR_STOP=1 "$@"
}

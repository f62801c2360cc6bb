#!/usr/bin/env bash
# bench/telemetry.sh: one telemetry worker against N simulated Bambu printers.
#
#   BUILD_DIR=build-bench bench/telemetry.sh          # N = 100, 500, 1000
#   SIZES="100" WINDOW=30 bench/telemetry.sh          # a quick check
#
# Starts its own PostgreSQL 15 cluster (scripts/pg, in a temporary directory,
# normal durability settings), migrates it, and starts nginx only as the nchan
# publisher the worker posts live updates to (no `printyard serve`, no jobs
# process, no demo farm; free port).  A bench-only table and trigger (made
# here, never in sql/) record clock_timestamp() for every insert or update of
# a printer_state row.  Then, for each N in SIZES:
#   - `printyard sim --config` with N Bambu printers on ONE shared mosquitto
#     broker (shared_broker: one TLS port, one certificate naming every
#     serial, so the worker's real name check runs), each publishing one
#     report per REPORT_INTERVAL seconds (1), P1-style partial reports
#     (REPORT=full: X1-style full reports), printing a long job at
#     TIME_FACTOR (10); --stamp-log numbers each printer's reports in
#     layer_num and logs "SERIAL N SENT_AT";
#   - one `printyard telemetry --farm farm.json` (it registers the printers);
#   - waits until every printer reads online, then WARMUP seconds (30: the
#     first pushall answers and the files module's first FTPS listings), then
#     measures for WINDOW seconds (60):
#       worker CPU as % of one core (utime+stime from /proc/PID/stat), its
#       RSS at the end; rows written per second into printer_state,
#       printer_samples and printer_events (pg_stat_user_tables deltas:
#       inserts + updates); end-to-end delay from a report's send time to
#       the first printer_state write of that printer with layer >= the
#       report's number (p50/p95/p99; a report the worker coalesced with a
#       later one counts until the later one is written); reports never
#       seen within 10 s; CPU of the simulator and of PostgreSQL for context;
#   - stops worker and simulator and deactivates those printers.
# Prints Markdown rows for docs/performance.md.  Every report changes
# layer_num, so every report is a state change: the worst case for writes.
# Environment: SIZES, WARMUP, WINDOW, REPORT, REPORT_INTERVAL, TIME_FACTOR,
# BUILD_DIR (build), KEEP=1 keeps the temporary directory, PERF=N records
# the worker with `perf record` for 20 s at N printers (after the warm-up,
# before the window) and prints the top of the profile to stderr; PERF_ARGS
# adds options (--call-graph dwarf; with KEEP=1 the data stays in
# run-N/perf.data).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sizes=${SIZES:-100 500 1000}
warmup=${WARMUP:-30}
window=${WINDOW:-60}
report=${REPORT:-partial}
interval=${REPORT_INTERVAL:-1}
factor=${TIME_FACTOR:-10}
build=${BUILD_DIR:-build}
case $build in /*) ;; *) build=$bench_root/$build ;; esac
bin=$build/src/printyard
[ -x "$bin" ] || bench_die "no $bin (make -C $build)"
command -v mosquitto >/dev/null || bench_die "mosquitto is missing (apt-get install mosquitto)"
hz=$(getconf CLK_TCK)
# every printer is a connection in the worker, the broker and the simulator
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

dir=$(mktemp -d /tmp/printyard-telbench.XXXXXX)
pg=$dir/pg
conf=$dir/printyard.conf
nginx_pid='' sim_pid='' worker_pid=''

stop_pid() { # pid signal
	[ -n "$1" ] || return 0
	kill -"$2" "$1" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local target
	stop_pid "$worker_pid" TERM
	stop_pid "$sim_pid" TERM
	stop_pid "$nginx_pid" QUIT
	"$bench_root/scripts/pg" stop "$pg" fast >/dev/null 2>&1 || true
	if [ "${KEEP:-0}" = 1 ]; then
		printf 'kept %s\n' "$dir" >&2
		return
	fi
	if [ -L "$pg" ]; then
		target=$(readlink "$pg")
		case $target in /var/tmp/printyard-pg-*) rm -rf "$target" ;; esac
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_b() {
	"$bench_root/scripts/pg" psql "$pg" -X -q -v ON_ERROR_STOP=1 "$@"
}

cpu_ticks() { # pid: utime + stime in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

pg_ticks() { # all processes of the cluster
	local master t=0 p
	master=$(head -n 1 "$pg/postmaster.pid")
	for p in $master $(pgrep -P "$master"); do
		t=$((t + $(cpu_ticks "$p" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

rows_written() { # inserts + updates of the three tables
	psql_b -At -c "SELECT coalesce(sum(n_tup_ins + n_tup_upd)
	    FILTER (WHERE relname = 'printer_state'), 0) || ' ' ||
	    coalesce(sum(n_tup_ins + n_tup_upd)
	    FILTER (WHERE relname = 'printer_samples'), 0) || ' ' ||
	    coalesce(sum(n_tup_ins + n_tup_upd)
	    FILTER (WHERE relname = 'printer_events'), 0)
	    FROM pg_stat_user_tables"
}

echo "PostgreSQL and nginx in $dir" >&2
conninfo=$("$bench_root/scripts/pg" up "$pg" | tail -n 1)
port=$(bench_free_port)
sock=$dir/printyard.sock
cat >"$conf" <<EOF
database_url = $conninfo
listen = unix:$sock
workers = 1
secret_file = $dir/secret.key
template_dir = $bench_root/templates
sql_dir = $bench_root/sql
openapi_file = $bench_root/docs/openapi.yaml
file_store = $dir/files
nchan_publish_url = http://127.0.0.1:$port/_live/pub
public_url = http://127.0.0.1:$port
log_level = info
EOF
mkdir -p "$dir/files"
"$bin" --config "$conf" migrate >"$dir/migrate.log" 2>&1 ||
	{ tail "$dir/migrate.log" >&2; bench_die "migrate failed"; }
"$bench_root/scripts/render-nginx" "$dir/nginx" --port "$port" --socket "$sock" \
	--static "$bench_root/static" --files "$dir/files" >/dev/null
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" >"$dir/nginx.log" 2>&1 </dev/null &
nginx_pid=$!

# Bench only: when each state row was written.
psql_b <<'EOF'
CREATE TABLE bench_seen (printer_id bigint NOT NULL, layer integer,
    at timestamptz NOT NULL);
CREATE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO bench_seen VALUES (NEW.printer_id, NEW.layer,
	    clock_timestamp());
	RETURN NULL;
END $$;
CREATE TRIGGER bench_seen AFTER INSERT OR UPDATE ON printer_state
    FOR EACH ROW EXECUTE FUNCTION bench_seen();
CREATE TABLE bench_sent (serial text NOT NULL, n integer NOT NULL,
    sent float8 NOT NULL);
EOF

run_one() { # n
	local n=$1 run=$dir/run-$1 ticks0 ticks1 sim0 sim1 pg0 pg1 rows0 rows1
	local t0 t1 secs online rss st0 st1 sa0 sa1 ev0 ev1 delay
	mkdir -p "$run"
	cat >"$run/sim.json" <<EOF
{"time_factor": $factor, "shared_broker": true, "printers": [
 {"kind": "bambu", "name": "Bench$n", "model": "P1S", "serial": "01PB$(printf %04d "$n")",
  "count": $n, "report": "$report", "report_interval": $interval,
  "scenario": "print", "idle_seconds": 0, "prepare_seconds": 0,
  "print_seconds": 3600000, "layers": 100000}]}
EOF
	"$bin" sim --config "$run/sim.json" --run-dir "$run/sim" \
		--stamp-log "$run/stamps" >"$run/sim.log" 2>&1 </dev/null &
	sim_pid=$!
	for _ in $(seq 600); do
		[ -s "$run/sim/farm.json" ] && break
		kill -0 "$sim_pid" 2>/dev/null ||
			{ tail "$run/sim.log" >&2; bench_die "the simulator exited"; }
		sleep 0.2
	done
	[ -s "$run/sim/farm.json" ] || bench_die "the simulator did not start"
	"$bin" --config "$conf" telemetry --farm "$run/sim/farm.json" \
		>"$run/telemetry.log" 2>&1 </dev/null &
	worker_pid=$!
	online=0
	for _ in $(seq 600); do
		online=$(psql_b -At -c "SELECT count(*) FROM printer_state s JOIN
		    printers p ON p.id = s.printer_id WHERE p.active AND s.online")
		[ "$online" -ge "$n" ] && break
		kill -0 "$worker_pid" 2>/dev/null ||
			{ tail "$run/telemetry.log" >&2; bench_die "the worker exited"; }
		sleep 1
	done
	[ "$online" -ge "$n" ] ||
		echo "N=$n: only $online of $n printers online after 10 minutes" >&2
	sleep "$warmup"
	if [ "${PERF:-}" = "$n" ] && command -v perf >/dev/null; then
		# shellcheck disable=SC2086
		perf record ${PERF_ARGS:-} -o "$run/perf.data" -p "$worker_pid" \
			-- sleep 20 \
			>/dev/null 2>&1 || true
		echo "perf: the worker at N=$n, by library, then by function" >&2
		perf report -i "$run/perf.data" --sort dso --percent-limit 1 \
			--stdio 2>/dev/null | grep -E '^ +[0-9]' >&2 || true
		perf report -i "$run/perf.data" --sort dso,sym --percent-limit 0.7 \
			--stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 40 >&2 || true
	fi
	psql_b -c "TRUNCATE bench_seen"
	rows0=$(rows_written)
	ticks0=$(cpu_ticks "$worker_pid")
	sim0=$(cpu_ticks "$sim_pid")
	pg0=$(pg_ticks)
	t0=$(date +%s.%N)
	sleep "$window"
	t1=$(date +%s.%N)
	ticks1=$(cpu_ticks "$worker_pid")
	sim1=$(cpu_ticks "$sim_pid")
	pg1=$(pg_ticks)
	sleep 2 # the statistics of the last second reach pg_stat
	rows1=$(rows_written)
	rss=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$worker_pid/status")
	sleep 8 # reports sent at the end of the window get written
	stop_pid "$worker_pid" TERM
	worker_pid=
	stop_pid "$sim_pid" TERM # flushes the stamp log
	sim_pid=
	secs=$(echo "$t1 - $t0" | bc -l)
	read -r st0 sa0 ev0 <<<"$rows0"
	read -r st1 sa1 ev1 <<<"$rows1"
	psql_b -c "TRUNCATE bench_sent"
	psql_b -c "\\copy bench_sent FROM '$run/stamps' WITH (DELIMITER ' ')"
	delay=$(psql_b -At -F ' ' -v t0="$t0" -v t1="$t1" <<'EOF'
SET client_min_messages = warning;
CREATE INDEX IF NOT EXISTS bench_seen_p ON bench_seen (printer_id, layer);
ANALYZE bench_seen;
WITH s AS (
	SELECT p.id, b.n, to_timestamp(b.sent) AS sent
	FROM bench_sent b JOIN printers p ON p.serial = b.serial
	WHERE b.sent >= :t0 AND b.sent < :t1 - 2
), d AS (
	SELECT extract(epoch FROM (SELECT min(v.at) FROM bench_seen v
	    WHERE v.printer_id = s.id AND v.layer >= s.n) - s.sent) AS d
	FROM s
)
SELECT count(*),
    round(count(*) / (:t1 - :t0 - 2)),
    count(*) FILTER (WHERE d IS NULL OR d > 10),
    round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY d))::int,
    round(1000 * percentile_cont(0.95) WITHIN GROUP (ORDER BY d))::int,
    round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY d))::int,
    round(1000 * max(d))::int
FROM d;
EOF
)
	# shellcheck disable=SC2086
	set -- $delay
	printf '| %s | %s | %.1f %% | %s MB | %.0f / %.0f / %.0f | %s / %s / %s ms (max %s) | %s of %s | %.1f %% | %.1f %% |\n' \
		"$n" "$2" \
		"$(echo "($ticks1 - $ticks0) / $hz / $secs * 100" | bc -l)" "$rss" \
		"$(echo "($st1 - $st0) / $secs" | bc -l)" \
		"$(echo "($sa1 - $sa0) / $secs" | bc -l)" \
		"$(echo "($ev1 - $ev0) / $secs" | bc -l)" \
		"$4" "$5" "$6" "$7" "$3" "$1" \
		"$(echo "($sim1 - $sim0) / $hz / $secs * 100" | bc -l)" \
		"$(echo "($pg1 - $pg0) / $hz / $secs * 100" | bc -l)"
	psql_b -c "UPDATE printers SET active = false WHERE name LIKE 'Bench$n-%'"
	rm -rf "$run/sim/tls"
}

echo "Load average before the runs (other work on the machine shows here): $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Reports: $report, one per $interval s per printer, every one a state change; window ${window} s after ${warmup} s of warm-up."
echo
echo "| printers | reports/s | worker CPU (one core) | worker RSS | rows/s state / samples / events | delay p50 / p95 / p99 | reports late > 10 s | simulator CPU | PostgreSQL CPU |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
	run_one "$n"
done
echo
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

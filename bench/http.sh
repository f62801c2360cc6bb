#!/usr/bin/env bash
# bench/http.sh: HTTP throughput and latency through nginx, with wrk.
#
#   bench/http.sh [URL]          (default http://127.0.0.1:8080, as started by scripts/up)
#
# Measures GET /api/v1/health (public) and GET /api/v1/me (authenticated with
# a login token) at 16 and 64 connections, 2 wrk threads, 15 s each, and
# prints a Markdown table for docs/performance.md.  Needs the demo owner's
# password in var/demo-password (scripts/up writes it) or in PASSWORD.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
url=${1:-http://127.0.0.1:8080}
duration=${DURATION:-15s}
user=${USERNAME_OWNER:-owner}
password=${PASSWORD:-$(cat "$root/var/demo-password" 2>/dev/null || true)}
command -v wrk >/dev/null || { echo "bench/http.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -n "$password" ] || { echo "bench/http.sh: no password (set PASSWORD or run scripts/up)" >&2; exit 1; }

token=$(curl -fsS -H 'Content-Type: application/json' \
	-d "{\"username\":\"$user\",\"password\":\"$password\"}" "$url/api/v1/auth/login" |
	sed -E 's/.*"token":"([^"]+)".*/\1/')
[ -n "$token" ] || { echo "bench/http.sh: login failed" >&2; exit 1; }

run() { # name conns path [header]
	local out rps p50 p99
	if [ $# -ge 4 ]; then
		out=$(wrk -t2 -c"$2" -d"$duration" --latency -H "$4" "$url$3")
	else
		out=$(wrk -t2 -c"$2" -d"$duration" --latency "$url$3")
	fi
	rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
	errs=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $4}')
	printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rps" "$p50" "$p99" "${errs:-0}"
}

echo "| request | connections | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for c in 16 64; do
	run "GET /api/v1/health" "$c" /api/v1/health
	run "GET /api/v1/me (bearer)" "$c" /api/v1/me "Authorization: Bearer $token"
done

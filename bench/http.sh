#!/usr/bin/env bash
# bench/http.sh: HTTP throughput and latency through nginx, with wrk.
#
#   bench/http.sh [URL]          (default http://127.0.0.1:8080, as started by scripts/up)
#
# Measures GET /api/v1/health (public) and GET /api/v1/me (authenticated with
# a login token) at 16 and 64 connections, 2 wrk threads, 15 s each, and
# prints a Markdown table for docs/performance.md.  Needs the demo owner's
# password in var/demo-password (scripts/up writes it) or in PASSWORD.
# The wrk runs, the login and the table are in bench/lib.sh.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
url=${1:-http://127.0.0.1:8080}
user=${USERNAME_OWNER:-owner}
password=${PASSWORD:-$(cat "$bench_root/var/demo-password" 2>/dev/null || true)}
bench_need_wrk
[ -n "$password" ] || bench_die "no password (set PASSWORD or run scripts/up)"

token=$(bench_login "$url" "$user" "$password")

bench_head
for c in 16 64; do
	bench_row "GET /api/v1/health" "$c" "$url" /api/v1/health
	bench_row "GET /api/v1/me (bearer)" "$c" "$url" /api/v1/me "Authorization: Bearer $token"
done

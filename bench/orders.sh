#!/usr/bin/env bash
# bench/orders.sh: the order list and the stock view under load, with wrk.
#
#   BUILD_DIR=build-bench bench/orders.sh
#
# Starts a throwaway Printyard with scripts/up (its own var/ in /tmp, its own
# PostgreSQL, a free port; stopped and removed at the end, KEEP=1 keeps it),
# loads bench/orders-data.sql straight into PostgreSQL (10,000 sales orders,
# 1,000,000 stock ledger rows, 2,000 spools, ...; the sizes are printed),
# checks that the totals the loader computed in SQL equal those the API
# computes for the same lines, and measures with wrk (2 threads, DURATION
# per row, default 15s), authenticated as the demo owner with a login token:
#   GET /api/v1/orders?limit=50                at 16 and 64 connections
#   GET /api/v1/stock?by=material_color        at 1 and 16 connections
#   GET /api/v1/me                             at 16, as a yardstick for the
#                                              machine (see bench/http.sh)
# Prints Markdown for docs/performance.md.  Environment: DURATION, THREADS,
# BUILD_DIR, KEEP, ORDERS, MOVES, SPOOLS (the data sizes).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_need_wrk
orders=${ORDERS:-10000}
moves=${MOVES:-1000000}
spools=${SPOOLS:-2000}

echo "starting a throwaway Printyard (build ${BUILD_DIR:-build})" >&2
bench_up
url=$BENCH_URL
echo "running at $url, var in $BENCH_VAR; loading data" >&2
start=$(date +%s)
bench_psql -v orders="$orders" -v moves="$moves" -v spools="$spools" \
	-f "$bench_root/bench/orders-data.sql" >/dev/null
load_s=$(($(date +%s) - start))

token=$(bench_login "$url" owner "$BENCH_PASSWORD")
auth="Authorization: Bearer $token"

# The loader's totals against the API's: the lines of three loaded orders
# (one with prices net of VAT, one with two rates, one with a discount)
# posted as new orders; their totals must come out the same.
check=$(bench_psql -At -F ' ' -c "
	SELECT o.id FROM sales_orders o WHERE NOT o.prices_include_vat
	    ORDER BY o.id LIMIT 1;
	SELECT order_id FROM sales_order_lines GROUP BY order_id
	    HAVING count(DISTINCT vat_rate) > 1 ORDER BY order_id LIMIT 1;
	SELECT order_id FROM sales_order_lines WHERE discount_bp > 0
	    ORDER BY order_id LIMIT 1;")
for id in $check; do
	body=$(bench_psql -At -c "
		SELECT json_build_object('customer_id', o.customer_id,
		    'prices_include_vat', o.prices_include_vat, 'lines',
		    json_agg(json_build_object('product_id', l.product_id,
		    'quantity', l.quantity, 'unit_price_cents',
		    l.unit_price_cents, 'vat_rate', l.vat_rate, 'discount_bp',
		    l.discount_bp) ORDER BY l.position))
		FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id
		WHERE o.id = $id GROUP BY o.id")
	want=$(bench_psql -At -c "SELECT json_build_object('net', net_cents,
		'vat', vat_cents, 'gross', gross_cents, 'rates', vat_breakdown)
		FROM sales_orders WHERE id = $id")
	got=$(curl -fsS -H "$auth" -H 'Content-Type: application/json' \
		-d "$body" "$url/api/v1/orders" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
print(json.dumps({"net": o["net_cents"], "vat": o["vat_cents"],
    "gross": o["gross_cents"], "rates": o["vat_breakdown"]}, sort_keys=True))')
	want=$(printf '%s' "$want" | /usr/bin/python3 -c '
import json, sys
print(json.dumps(json.load(sys.stdin), sort_keys=True))')
	[ "$got" = "$want" ] ||
		bench_die "order $id: the loader's totals $want differ from the API's $got"
done

sizes=$(bench_psql -At -F ' ' -c "
	SELECT (SELECT count(*) FROM sales_orders),
	    (SELECT count(*) FROM sales_order_lines),
	    (SELECT count(*) FROM stock_moves),
	    (SELECT count(*) FROM spools),
	    (SELECT count(*) FROM filaments),
	    (SELECT count(*) FROM customers),
	    (SELECT count(*) FROM products),
	    (SELECT count(*) FROM spools s WHERE remaining_g <> (SELECT
	    sum(qty) FROM stock_moves m WHERE m.spool_id = s.id)),
	    (SELECT count(*) FROM (SELECT DISTINCT material, color_name
	    FROM filaments) x)")
read -r n_orders n_lines n_moves n_spools n_filaments n_customers \
	n_products n_off n_groups <<<"$sizes"
[ "$n_off" = 0 ] || bench_die "$n_off spools' balances differ from their ledger"

# Warm every worker's statements and PostgreSQL's caches before measuring.
wrk -t1 -c4 -d3s -H "$auth" "$url/api/v1/orders?limit=50" >/dev/null
wrk -t1 -c4 -d3s -H "$auth" "$url/api/v1/stock?by=material_color" >/dev/null

cat <<EOF
Data (loaded in ${load_s} s): $n_orders sales orders ($orders loaded in SQL,
$((n_orders - orders)) posted through the API) with $n_lines lines,
$n_moves stock ledger rows over $n_spools spools of $n_filaments filaments
($n_groups material and colour pairs), $n_customers customers, $n_products
products; the totals of 3 orders checked against the API; every spool's
balance equals the sum of its ledger rows.

EOF
echo "Load average before the runs (other work on the machine shows here): $(cut -d' ' -f1-3 /proc/loadavg)"
echo
bench_head
for c in 16 64; do
	bench_row "GET /api/v1/orders?limit=50" "$c" "$url" "/api/v1/orders?limit=50" "$auth"
done
for c in 1 16; do
	bench_row "GET /api/v1/stock?by=material_color" "$c" "$url" "/api/v1/stock?by=material_color" "$auth"
done
# The same machine's yardstick, as in bench/http.sh: how busy it was.
bench_row "GET /api/v1/me (reference)" 16 "$url" /api/v1/me "$auth"
echo
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

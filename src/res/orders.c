/*
 * orders.c -- sales orders: GET/POST /api/v1/orders, GET/PATCH
 * /api/v1/orders/{id}, lines (POST /api/v1/orders/{id}/lines, PATCH and
 * DELETE /api/v1/orders/{id}/lines/{line_id}), the status (POST
 * /api/v1/orders/{id}/status) and the cost of an order (GET
 * /api/v1/orders/{id}/costs); and the order pages (GET /orders,
 * GET/POST /orders/new, GET /orders/{id} with its line and status forms),
 * whose handlers call the same functions as the API.
 *
 * Invariants: the number SO-YYYY-NNNNN is allocated in the creating
 * transaction (no gaps); lines change only on drafts (checked here with
 * the field named, and by a trigger for every other writer); the totals
 * are computed by orders_totals() (domain/orders.c) whenever the lines
 * change and stored with the order, so lists show them without summing;
 * status changes go through domain/production.c, which checks them
 * against the one table of allowed transitions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "db/db.h"
#include "domain/costing.h"
#include "domain/money.h"
#include "domain/numbers.h"
#include "domain/orders.h"
#include "domain/production.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/etsy.h"
#include "res/orders.h"
#include "res/record.h"

#define ORDER_COLS \
	"o.id, o.number, o.customer_id, c.name AS customer_name, " \
	"o.source::text AS source, o.external_id, o.status::text AS status, " \
	"o.currency, o.prices_include_vat, o.order_date, o.due_date, " \
	"o.ship_name, o.ship_street, o.ship_postal_code, o.ship_city, " \
	"o.ship_country, o.carrier, o.tracking_number, o.notes, o.net_cents, " \
	"o.vat_cents, o.gross_cents, o.vat_breakdown, o.line_count, " \
	"o.created_at, o.updated_at, o.confirmed_at, o.in_production_at, " \
	"o.ready_at, o.shipped_at, o.completed_at, o.cancelled_at"
/*
 * What a list shows of each order: everything but addresses and notes.
 * Times are written as db.c writes them (RFC 3339 in UTC, fractions
 * without trailing zeros), so a list made as JSON text by the database
 * reads the same as one made from rows.
 */
#define ORDER_RFC3339(col) \
	"rtrim(rtrim(to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '0'), '.') || 'Z'"
#define ORDER_LIST_COLS \
	"o.id, o.number, o.customer_id, c.name AS customer_name, " \
	"o.source::text AS source, o.external_id, o.status::text AS status, " \
	"o.currency, o.prices_include_vat, o.order_date, o.due_date, " \
	"o.ship_country, o.carrier, o.tracking_number, o.net_cents, " \
	"o.vat_cents, o.gross_cents, o.line_count, " \
	ORDER_RFC3339("o.created_at") " AS created_at, " \
	ORDER_RFC3339("o.updated_at") " AS updated_at"
/* The newest orders first, straight from the created_at index. */
#define ORDER_RECENT \
	"SELECT " ORDER_LIST_COLS " " ORDER_FROM ORDER_FILTER " ORDER BY " \
	"o.created_at DESC, o.id DESC LIMIT $5 OFFSET $6"
#define ORDER_FROM \
	"FROM sales_orders o JOIN customers c ON c.id = o.customer_id "
#define ORDER_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(concat_ws(' ', o.number, " \
	"c.name, o.external_id, o.ship_name)), lower($1)) > 0) AND " \
	"($2::text IS NULL OR o.status = $2::sales_order_status) AND " \
	"($3::bigint IS NULL OR o.customer_id = $3) AND ($4::text IS NULL OR " \
	"o.source = $4::customer_source)"
#define ORDER_SORT(p) \
	RECORD_SORT_BY(p, "number", "o.number") \
	RECORD_SORT_BY(p, "order_date", "o.order_date") \
	RECORD_SORT_BY(p, "due_date", "o.due_date") \
	RECORD_SORT_BY(p, "gross_cents", "o.gross_cents") \
	RECORD_SORT_BY(p, "status", "o.status") \
	RECORD_SORT_BY(p, "customer_name", "lower(c.name)") \
	RECORD_SORT_BY(p, "created_at", "o.created_at") RECORD_SORT_BY(p, "id", "o.id")
#define ORDER_SORTS \
	"number|order_date|due_date|gross_cents|status|customer_name|" \
	"created_at|id"
#define LINE_COLS \
	"l.id, l.position, l.product_id, l.sku, l.description, l.quantity, " \
	"l.unit_price_cents, l.vat_rate, l.vat_bp, l.discount_bp, " \
	"l.amount_cents, l.personalisation"
#define ORDER_HEADER \
	"customer_id, source, external_id, currency, order_date, due_date, " \
	"ship_name, ship_street, ship_postal_code, ship_city, ship_country, " \
	"carrier, tracking_number, notes, prices_include_vat"
#define ORDER_VALUES \
	"$2::bigint, coalesce($3, 'manual')::customer_source, $4, " \
	"coalesce($5, (SELECT currency FROM business_settings)), " \
	"coalesce($6::date, (now() AT TIME ZONE (SELECT timezone FROM " \
	"business_settings))::date), $7::date, $8, $9, $10, $11, $12, $13, " \
	"$14, $15, coalesce($16::boolean, true)"

/*
 * What an order cost: exact decimal amounts per part, rounded by
 * domain/costing.c.  Material: grams the ledger took for the order's
 * jobs at each spool's price (else its filament's price per kg), plus
 * the estimate of jobs still open at the average price of matching
 * filaments; machine: print time (actual when known) at the rate of
 * the printer that ran the job, else the average rate of the printers
 * that could (print_job_machine_rate), else the stand-in rate; items: the
 * requirements at moving average cost; labour: the products' minutes.
 */
#define ORDER_COSTS \
	"WITH j AS (SELECT j.* FROM print_jobs j JOIN production_orders po " \
	"ON po.id = j.production_order_id WHERE po.sales_order_id = $1) " \
	"SELECT 'material' AS part, 0 AS estimate, coalesce(sum(-m.qty * " \
	"coalesce(sp.price_cents / sp.initial_weight_g, " \
	"f.price_per_kg_cents / 1000.0)), 0)::text AS amount, " \
	"coalesce(sum(-m.qty), 0)::float8 AS quantity FROM j JOIN " \
	"stock_moves m ON m.ref_kind = 'print_job' AND m.ref_id = j.id AND " \
	"m.kind = 'consumption' JOIN spools sp ON sp.id = m.spool_id JOIN " \
	"filaments f ON f.id = sp.filament_id " \
	"UNION ALL SELECT 'material', 1, coalesce(sum(js.est_grams * " \
	"pr.per_kg / 1000), 0)::text, coalesce(sum(js.est_grams), " \
	"0)::float8 FROM j JOIN print_job_slots js ON js.job_id = j.id " \
	"CROSS JOIN LATERAL (SELECT coalesce(avg(x.price_per_kg_cents), 0) " \
	"AS per_kg FROM filaments x WHERE lower(x.material) = " \
	"lower(js.material) AND (js.color_name IS NULL OR " \
	"lower(x.color_name) = lower(js.color_name)) AND " \
	"x.price_per_kg_cents IS NOT NULL) pr WHERE j.status IN ('queued', " \
	"'started') " \
	"UNION ALL SELECT 'machine', count(*) FILTER (WHERE j.status IN " \
	"('queued', 'started')), (coalesce(sum(CASE WHEN j.status IN " \
	"('queued', 'started') THEN j.est_seconds ELSE " \
	"coalesce(j.actual_seconds, 0) END * coalesce(" \
	"print_job_machine_rate(j.id), $2::bigint)), 0) / 3600.0)::text, " \
	"(coalesce(sum(CASE WHEN j.status IN ('queued', 'started') THEN " \
	"j.est_seconds ELSE coalesce(j.actual_seconds, 0) END), 0) / " \
	"60.0)::float8 FROM j " \
	"UNION ALL SELECT 'items', 0, coalesce(sum(r.qty * " \
	"i.unit_cost_cents), 0)::text, coalesce(sum(r.qty), 0)::float8 FROM " \
	"production_requirements r JOIN production_orders po ON po.id = " \
	"r.production_order_id AND po.status <> 'cancelled' JOIN items i ON " \
	"i.id = r.item_id WHERE po.sales_order_id = $1 " \
	"UNION ALL SELECT 'labour', 0, coalesce(sum(p.labour_minutes * " \
	"l.quantity * s.labour_rate_cents / 60.0), 0)::text, " \
	"coalesce(sum(p.labour_minutes * l.quantity), 0)::float8 FROM " \
	"sales_order_lines l JOIN products p ON p.id = l.product_id CROSS " \
	"JOIN business_settings s WHERE l.order_id = $1"

static const struct stmt orders_stmts[] = {
	{ "orders_list",
	  "SELECT " ORDER_LIST_COLS " " ORDER_FROM ORDER_FILTER " ORDER BY "
	  ORDER_SORT("$5") ORDER_SORT("$6") "o.id DESC LIMIT $7 OFFSET $8",
	  8 },
	/* the common case, newest first, straight from the index */
	{ "orders_recent", ORDER_RECENT, 6 },
	/* the same as JSON text, for the API: no row passes through jansson */
	{ "orders_recent_json",
	  "SELECT coalesce(json_agg(x), '[]')::text AS items FROM ("
	  ORDER_RECENT ") x", 6 },
	{ "orders_count",
	  "SELECT count(*) AS n " ORDER_FROM ORDER_FILTER, 4 },
	/* the total of a list filtered by status alone, from the counts */
	{ "orders_count_status",
	  "SELECT coalesce(sum(n), 0)::bigint AS n FROM sales_order_counts "
	  "WHERE ($2::text IS NULL OR status = $2::sales_order_status) AND "
	  "$1::text IS NULL AND $3::bigint IS NULL AND $4::text IS NULL", 4 },
	{ "orders_show",
	  "SELECT " ORDER_COLS " " ORDER_FROM "WHERE o.id = $1", 1 },
	{ "orders_lock",
	  "SELECT o.id, o.number, o.status::text AS status, "
	  "o.prices_include_vat FROM sales_orders o WHERE o.id = $1 "
	  "FOR UPDATE", 1 },
	{ "orders_create",
	  "INSERT INTO sales_orders (number, " ORDER_HEADER ") VALUES ($1, "
	  ORDER_VALUES ") RETURNING id", 16 },
	{ "orders_update",
	  "UPDATE sales_orders SET (" ORDER_HEADER ") = (" ORDER_VALUES ") "
	  "WHERE id = $1", 16 },
	{ "orders_lines",
	  "SELECT " LINE_COLS " FROM sales_order_lines l WHERE l.order_id = "
	  "$1 ORDER BY l.position, l.id", 1 },
	{ "orders_line_add",
	  "INSERT INTO sales_order_lines (order_id, position, product_id, "
	  "sku, description, quantity, unit_price_cents, vat_rate, vat_bp, "
	  "discount_bp) VALUES ($1, (SELECT coalesce(max(position), 0) + 1 "
	  "FROM sales_order_lines WHERE order_id = $1), $2::bigint, $3, $4, "
	  "$5::integer, $6::bigint, $7, $8::integer, $9::integer) RETURNING "
	  "id", 9 },
	{ "orders_line_update",
	  "UPDATE sales_order_lines SET (product_id, sku, description, "
	  "quantity, unit_price_cents, vat_rate, vat_bp, discount_bp) = "
	  "($3::bigint, $4, $5, $6::integer, $7::bigint, $8, $9::integer, "
	  "$10::integer) WHERE order_id = $1 AND id = $2 RETURNING id", 10 },
	{ "orders_line_delete",
	  "DELETE FROM sales_order_lines WHERE order_id = $1 AND id = $2 "
	  "RETURNING id, product_id, description, quantity, "
	  "unit_price_cents", 2 },
	{ "orders_lines_clear",
	  "DELETE FROM sales_order_lines WHERE order_id = $1", 1 },
	{ "orders_line_amount",
	  "UPDATE sales_order_lines SET amount_cents = $2::bigint WHERE id = "
	  "$1 AND amount_cents <> $2::bigint", 2 },
	{ "orders_set_totals",
	  "UPDATE sales_orders SET net_cents = $2, vat_cents = $3, "
	  "gross_cents = $4, vat_breakdown = $5::jsonb, line_count = "
	  "$6::integer WHERE id = $1", 6 },
	{ "orders_product",
	  "SELECT id, sku, name, price_gross_cents, vat_rate, active FROM "
	  "products WHERE id = $1", 1 },
	{ "orders_vat",
	  "SELECT (r->>'rate_bp')::integer AS bp FROM business_settings s, "
	  "jsonb_array_elements(s.vat_rates) r WHERE r->>'name' = $1", 1 },
	{ "orders_customer",
	  "SELECT id, name, shipping_street, shipping_postal_code, "
	  "shipping_city, shipping_country, billing_street, "
	  "billing_postal_code, billing_city, billing_country, "
	  "anonymised_at IS NOT NULL AS anonymised FROM customers WHERE id = "
	  "$1", 1 },
	{ "orders_production",
	  "SELECT po.id, po.number, po.line_id, po.product_id, p.sku, "
	  "po.quantity, po.status::text AS status, po.started_at, po.done_at, "
	  "(SELECT count(*) FROM print_jobs j WHERE j.production_order_id = "
	  "po.id AND j.status <> 'cancelled') AS jobs, (SELECT count(*) FROM "
	  "print_jobs j WHERE j.production_order_id = po.id AND j.status = "
	  "'completed') AS jobs_completed, (SELECT coalesce(json_agg("
	  "json_build_object('id', j.id, 'seq', j.seq, 'plate_name', "
	  "j.plate_name, 'units', j.units, 'status', j.status, 'printer_id', "
	  "j.printer_id, 'est_seconds', j.est_seconds, 'est_grams', "
	  "j.est_grams, 'actual_grams', j.actual_grams, 'replaces_job_id', "
	  "j.replaces_job_id) ORDER BY j.seq), '[]') FROM print_jobs j WHERE "
	  "j.production_order_id = po.id) AS print_jobs FROM "
	  "production_orders po JOIN products p ON p.id = po.product_id WHERE "
	  "po.sales_order_id = $1 ORDER BY po.id", 1 },
	{ "orders_requirements",
	  "SELECT r.id, po.number AS production_order, po.status::text AS "
	  "production_status, r.kind, r.filament_id, r.material, "
	  "r.color_name, r.item_id, coalesce(i.name, f.name, r.material || "
	  "coalesce(' ' || r.color_name, '')) AS label, CASE WHEN r.kind = "
	  "'item' THEN i.unit ELSE 'g' END AS unit, r.qty::float8 AS "
	  "required, coalesce((SELECT sum(m.reserved_qty) FROM stock_moves m "
	  "WHERE m.ref_kind = 'production_requirement' AND m.ref_id = r.id), "
	  "0)::float8 AS reserved, CASE WHEN r.kind = 'item' THEN "
	  "coalesce((SELECT sum(st.on_hand) FROM item_stock st WHERE "
	  "st.item_id = r.item_id), 0) - i.reserved ELSE coalesce((SELECT "
	  "sum(sp.remaining_g - sp.reserved_g) FROM spools sp JOIN filaments "
	  "x ON x.id = sp.filament_id WHERE sp.archived_at IS NULL AND "
	  "requirement_matches(r, x)), 0) END::float8 AS available FROM "
	  "production_requirements r JOIN production_orders po ON po.id = "
	  "r.production_order_id LEFT JOIN items i ON i.id = r.item_id LEFT "
	  "JOIN filaments f ON f.id = r.filament_id WHERE po.sales_order_id = "
	  "$1 ORDER BY po.id, r.id", 1 },
	{ "orders_costs", ORDER_COSTS, 2 },
	{ "orders_settings",
	  "SELECT overhead_bp FROM business_settings", 0 },
	/* the choices of the new-order and add-line forms */
	{ "orders_pick_customers",
	  "SELECT id, name, coalesce(shipping_city, billing_city) AS city "
	  "FROM customers WHERE anonymised_at IS NULL ORDER BY lower(name), "
	  "id LIMIT 1000", 0 },
	{ "orders_pick_products",
	  "SELECT id, sku, name, price_gross_cents, (SELECT currency FROM "
	  "business_settings) AS currency FROM products WHERE active ORDER "
	  "BY sku LIMIT 1000", 0 },
};

enum {
	ST_LIST, ST_RECENT, ST_RECENT_JSON, ST_COUNT, ST_COUNT_STATUS, ST_SHOW, ST_LOCK, ST_CREATE, ST_UPDATE,
	ST_LINES, ST_LINE_ADD, ST_LINE_UPDATE, ST_LINE_DELETE, ST_LINES_CLEAR,
	ST_LINE_AMOUNT, ST_SET_TOTALS, ST_PRODUCT, ST_VAT, ST_CUSTOMER,
	ST_PRODUCTION, ST_REQUIREMENTS, ST_COSTS, ST_SETTINGS,
	ST_PICK_CUSTOMERS, ST_PICK_PRODUCTS
};

/* Header fields, in the order of the create/update parameters $2..$15. */
static const struct stock_field orders_fields[] = {
	{ "customer_id", SF_ID, 1, 0, 0, 0, NULL },
	{ "source", SF_ENUM, 0, 0, 0, 0, "manual|etsy|quote" },
	{ "external_id", SF_TEXT, 0, 1, 100, 0, NULL },
	{ "currency", SF_CUR, 0, 0, 0, 0, NULL },
	{ "order_date", SF_DATE, 0, 0, 0, 0, NULL },
	{ "due_date", SF_DATE, 0, 0, 0, 0, NULL },
	{ "ship_name", SF_TEXT, 0, 1, 200, 0, NULL },
	{ "ship_street", SF_TEXT, 0, 1, 200, 0, NULL },
	{ "ship_postal_code", SF_TEXT, 0, 1, 16, 0, NULL },
	{ "ship_city", SF_TEXT, 0, 1, 100, 0, NULL },
	{ "ship_country", SF_TEXT, 0, 2, 2, 0, NULL },
	{ "carrier", SF_TEXT, 0, 1, 60, 0, NULL },
	{ "tracking_number", SF_TEXT, 0, 1, 100, 0, NULL },
	{ "notes", SF_TEXT, 0, 1, 4000, 0, NULL },
};
#define NFIELDS	(sizeof(orders_fields) / sizeof(orders_fields[0]))
/* Fields fixed once the order is confirmed. */
#define DRAFT_ONLY \
	"customer_id|source|currency|order_date|prices_include_vat|lines"

static const struct stock_field line_fields[] = {
	{ "product_id", SF_ID, 0, 0, 0, 0, NULL },
	{ "description", SF_TEXT, 0, 1, 500, 0, NULL },
	{ "quantity", SF_INT, 1, 1, 100000, 0, NULL },
	{ "unit_price_cents", SF_INT, 0, 0, 1e11, 0, NULL },
	{ "vat_rate", SF_TEXT, 0, 1, 40, 0, NULL },
	{ "discount_bp", SF_INT, 0, 0, 10000, 0, NULL },
};
#define NLINE	(sizeof(line_fields) / sizeof(line_fields[0]))
#define LINE_KEYS \
	"product_id|description|quantity|unit_price_cents|vat_rate|discount_bp"
/* Lines one order may hold. */
#define ORDERS_MAX_LINES	200

static const char *
orders_id(struct req *r, long long id)
{
	return arena_printf(r->arena, "%lld", id);
}

static int
orders_list(struct req *r)
{
	const struct stmt	*count;
	const char		*p[8];

	p[0] = req_str(r, "q");
	p[1] = req_str(r, "status");
	p[2] = req_has(r, "customer_id") ? orders_id(r, req_int(r,
	    "customer_id", 0)) : NULL;
	p[3] = req_str(r, "source");
	count = p[0] == NULL && p[2] == NULL && p[3] == NULL ?
	    &orders_stmts[ST_COUNT_STATUS] : &orders_stmts[ST_COUNT];
	if (req_str(r, "sort") == NULL) {
		p[4] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
		p[5] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
		return record_page_text(r, &orders_stmts[ST_RECENT_JSON],
		    count, p);
	}
	if (stock_sort(r->arena, req_str(r, "sort"), ORDER_SORTS,
	    "-created_at", &p[4], &r->err) != 0)
		return r->err.code;
	p[6] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[7] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &orders_stmts[ST_LIST], count, p);
}

static int
orders_get(struct req *r, long long id, json_t **row)
{
	return record_find(r, &orders_stmts[ST_SHOW], id, "order", row);
}

/*
 * The cost of an order so far into *out: each part rounded once, then
 * overhead, cost and the margin on the order's net amount.
 */
static int
orders_costs_of(struct req *r, json_t *order, json_t **out)
{
	json_t		*rows, *row, *set, *parts;
	const char	*p[2], *part;
	long long	 cents, direct, over, cost, net;
	int		 estimated;
	size_t		 i;

	p[0] = orders_id(r, json_row_int(order, "id"));
	p[1] = arena_printf(r->arena, "%d",
	    COSTING_MACHINE_RATE_CENTS_PER_HOUR);
	if (db_exec(r->db, r->arena, &orders_stmts[ST_COSTS], p, &rows,
	    &r->err) != 0 || db_one(r->db, r->arena,
	    &orders_stmts[ST_SETTINGS], NULL, &set, &r->err) != 0)
		return r->err.code;
	parts = json_pack("{s:i, s:i, s:i, s:i}", "material", 0, "machine", 0,
	    "items", 0, "labour", 0);
	direct = 0;
	estimated = 0;
	json_array_foreach(rows, i, row) {
		if (costing_round(json_row_str(row, "amount"), &cents) != 0)
			cents = 0;
		part = json_row_str(row, "part");
		json_object_set_new(parts, part, json_integer(json_row_int(parts,
		    part) + cents));
		direct += cents;
		if (json_row_int(row, "estimate") > 0 && cents > 0)
			estimated = 1;
	}
	over = costing_share(direct, json_row_int(set, "overhead_bp"));
	cost = direct + over;
	net = json_row_int(order, "net_cents");
	*out = json_pack("{s:O, s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:i}",
	    "currency", json_object_get(order, "currency"), "parts", parts,
	    "estimated", estimated, "direct_cents", (json_int_t)direct,
	    "overhead_cents", (json_int_t)over, "cost_cents", (json_int_t)cost,
	    "revenue_net_cents", (json_int_t)net, "margin_cents",
	    (json_int_t)(net - cost), "margin_bp",
	    (json_int_t)costing_margin_bp(net, cost),
	    "machine_rate_cents_per_hour",
	    COSTING_MACHINE_RATE_CENTS_PER_HOUR);
	arena_json(r->arena, *out);
	return 0;
}

/* The order with its lines, production, requirements, costs, next states. */
static int
orders_full(struct req *r, long long id, json_t **out)
{
	json_t		*order, *lines, *prod, *reqs, *costs, *next, *req;
	const char	*p, *s;
	double		 short_by;
	size_t		 i;

	if (orders_get(r, id, &order) != 0)
		return r->err.code;
	p = orders_id(r, id);
	if (db_exec(r->db, r->arena, &orders_stmts[ST_LINES], &p, &lines,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &orders_stmts[ST_PRODUCTION], &p, &prod, &r->err) != 0 ||
	    db_exec(r->db, r->arena, &orders_stmts[ST_REQUIREMENTS], &p,
	    &reqs, &r->err) != 0 || orders_costs_of(r, order, &costs) != 0)
		return r->err.code;
	json_array_foreach(reqs, i, req) {
		s = json_row_str(req, "production_status");
		short_by = 0;
		if (strcmp(s, "done") != 0 && strcmp(s, "cancelled") != 0)
			short_by = json_number_value(json_object_get(req,
			    "required")) - json_number_value(json_object_get(
			    req, "reserved")) - json_number_value(
			    json_object_get(req, "available"));
		json_object_set_new(req, "short", json_real(short_by > 0.0005 ?
		    short_by : 0));
	}
	next = json_words(orders_next(ORDERS_SALES, json_row_str(order,
	    "status")));
	*out = json_deep_copy(order);
	arena_json(r->arena, *out);
	json_object_set(*out, "lines", lines);
	json_object_set(*out, "production_orders", prod);
	json_object_set(*out, "requirements", reqs);
	json_object_set(*out, "costs", costs);
	json_object_set_new(*out, "next", next);
	return 0;
}

static int
orders_show(struct req *r)
{
	json_t	*out;

	if (orders_full(r, req_int(r, "id", 0), &out) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(out));
	return 0;
}

static int
orders_costs(struct req *r)
{
	json_t	*order, *out;

	if (orders_get(r, req_int(r, "id", 0), &order) != 0 ||
	    orders_costs_of(r, order, &out) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(out));
	return 0;
}

/* ---- lines ---- */

/* Copies the field errors of a line under "lines[i]." into r->err. */
static void
orders_line_errors(struct req *r, struct err *le, long idx)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(le->fields, key, v)
		err_field(&r->err, idx < 0 ? key : arena_printf(r->arena,
		    "lines[%ld].%s", idx, key), "%s", json_string_value(v));
	err_clear(le);
}

/*
 * Validates one line (merged over cur, NULL for a new one) into p[2..9]
 * of the line statements: product, sku, description, quantity, unit
 * price, VAT rate name, VAT basis points, discount.  A product fills the
 * description, price (net of VAT when prices exclude it) and VAT rate
 * that are not given.  Errors are fields named under idx (< 0: bare).
 */
static int
orders_line_params(struct req *r, json_t *order, json_t *cur, json_t *in,
    long idx, const char **p)
{
	struct err	 le;
	const char	*f[NLINE], *key, *rate;
	json_t		*v, *prod, *vat;
	long long	 price, bp;

	memset(&le, 0, sizeof(le));
	if (!json_is_object(in)) {
		err_field(&r->err, idx < 0 ? "line" : arena_printf(r->arena,
		    "lines[%ld]", idx), "must be an object");
		return ERR_INVALID;
	}
	json_object_foreach(in, key, v)
		if (!str_in_choices(LINE_KEYS, key))
			err_field(&le, key, "is not a field of an order line");
	stock_record(r->arena, line_fields, NLINE, cur, in, f, NULL, &le);
	prod = NULL;
	if (f[0] != NULL) {
		if (db_one(r->db, r->arena, &orders_stmts[ST_PRODUCT], &f[0],
		    &prod, &r->err) != 0)
			return r->err.code;
		if (prod == NULL)
			err_field(&le, "product_id", "names no such product");
		else if (!json_is_true(json_object_get(prod, "active")) &&
		    (cur == NULL || json_row_int(cur, "product_id") !=
		    json_row_int(prod, "id")))
			err_field(&le, "product_id", "product %s is not "
			    "active", json_row_str(prod, "sku"));
	} else if (f[1] == NULL)
		err_field(&le, "description", "is required for a line "
		    "without a product");
	rate = f[4] != NULL ? f[4] : prod != NULL ? json_row_str(prod,
	    "vat_rate") : "standard";
	bp = 0;
	if (rate != NULL) {
		if (db_one(r->db, r->arena, &orders_stmts[ST_VAT], &rate, &vat,
		    &r->err) != 0)
			return r->err.code;
		if (vat == NULL)
			err_field(&le, "vat_rate", "no VAT rate is named \"%s\"",
			    rate);
		else
			bp = json_row_int(vat, "bp");
	}
	if (le.fields != NULL) {
		orders_line_errors(r, &le, idx);
		return ERR_INVALID;
	}
	p[2] = f[0];
	p[3] = prod != NULL ? json_row_str(prod, "sku") : NULL;
	p[4] = f[1] != NULL ? f[1] : json_row_str(prod, "name");
	p[5] = f[2];
	if (f[3] != NULL)
		p[6] = f[3];
	else if (prod != NULL) {
		price = json_row_int(prod, "price_gross_cents");
		if (!json_is_true(json_object_get(order, "prices_include_vat")))
			price = costing_net_of_gross(price, bp);
		p[6] = arena_printf(r->arena, "%lld", price);
	} else
		p[6] = "0";
	p[7] = rate;
	p[8] = arena_printf(r->arena, "%lld", bp);
	p[9] = f[5] != NULL ? f[5] : "0";
	return 0;
}

/* Adds lines (a JSON array) to a draft; errors name lines[i].field. */
static int
orders_add_lines(struct req *r, json_t *order, json_t *lines)
{
	const char	*p[10];
	json_t		*line;
	size_t		 i;
	int		 rc;

	if (!json_is_array(lines)) {
		err_field(&r->err, "lines", "must be a list of lines");
		return ERR_INVALID;
	}
	if (json_array_size(lines) > ORDERS_MAX_LINES) {
		err_field(&r->err, "lines", "at most %d lines",
		    ORDERS_MAX_LINES);
		return ERR_INVALID;
	}
	p[0] = orders_id(r, json_row_int(order, "id"));
	json_array_foreach(lines, i, line) {
		rc = orders_line_params(r, order, NULL, line, (long)i, p);
		if (rc == ERR_INVALID)
			continue;
		if (rc != 0)
			return rc;
		/* the insert takes the order, then the line's fields */
		p[1] = p[0];
		if (r->err.fields == NULL && db_exec(r->db, r->arena,
		    &orders_stmts[ST_LINE_ADD], &p[1], NULL, &r->err) != 0)
			return r->err.code;
	}
	return r->err.fields != NULL ? req_invalid(r, "order lines") : 0;
}

/* Recomputes the amounts of the lines and the totals of the order. */
static int
orders_recompute(struct req *r, json_t *order)
{
	struct orders_line	 l[ORDERS_MAX_LINES];
	struct orders_totals	 t;
	json_t			*rows, *row, *rates;
	const char		*p[6];
	size_t			 i, n;

	p[0] = orders_id(r, json_row_int(order, "id"));
	if (db_exec(r->db, r->arena, &orders_stmts[ST_LINES], p, &rows,
	    &r->err) != 0)
		return r->err.code;
	n = json_array_size(rows);
	if (n > ORDERS_MAX_LINES) {
		err_field(&r->err, "lines", "at most %d lines",
		    ORDERS_MAX_LINES);
		return ERR_INVALID;
	}
	json_array_foreach(rows, i, row) {
		l[i].quantity = json_row_int(row, "quantity");
		l[i].unit_price_cents = json_row_int(row, "unit_price_cents");
		l[i].discount_bp = json_row_int(row, "discount_bp");
		l[i].vat_rate = json_row_str(row, "vat_rate");
		l[i].vat_bp = json_row_int(row, "vat_bp");
	}
	if (orders_totals(l, n, json_is_true(json_object_get(order,
	    "prices_include_vat")), &t) != 0) {
		err_field(&r->err, "lines", "the order's total is too large "
		    "or it holds more than %d VAT rates", ORDERS_MAX_RATES);
		return ERR_INVALID;
	}
	json_array_foreach(rows, i, row) {
		p[0] = orders_id(r, json_row_int(row, "id"));
		p[1] = orders_id(r, l[i].amount_cents);
		if (db_exec(r->db, r->arena, &orders_stmts[ST_LINE_AMOUNT], p,
		    NULL, &r->err) != 0)
			return r->err.code;
	}
	rates = json_array();
	for (i = 0; i < t.nrates; i++)
		json_array_append_new(rates, json_pack("{s:s, s:I, s:I, s:I, "
		    "s:I}", "vat_rate", t.rates[i].name, "vat_bp",
		    (json_int_t)t.rates[i].bp, "net_cents",
		    (json_int_t)t.rates[i].net_cents, "vat_cents",
		    (json_int_t)t.rates[i].vat_cents, "gross_cents",
		    (json_int_t)t.rates[i].gross_cents));
	p[0] = orders_id(r, json_row_int(order, "id"));
	p[1] = orders_id(r, t.net_cents);
	p[2] = orders_id(r, t.vat_cents);
	p[3] = orders_id(r, t.gross_cents);
	p[4] = arena_json_text(r->arena, rates);
	p[5] = orders_id(r, (long long)n);
	json_decref(rates);
	return db_exec(r->db, r->arena, &orders_stmts[ST_SET_TOTALS], p, NULL,
	    &r->err);
}

/* ---- create and change ---- */

/* Unique source + external id, a missing country, named by field. */
static int
orders_db_error(struct req *r, const char *const *p)
{
	if (r->err.code == ERR_CONFLICT && strstr(r->err.message,
	    "sales_orders_source_external") != NULL) {
		err_clear(&r->err);
		err_field(&r->err, "external_id", "is taken");
		err_set(&r->err, ERR_CONFLICT, "an order from %s with external "
		    "id \"%s\" exists already", p[2] != NULL ? p[2] :
		    "manual", p[3]);
	} else if (r->err.code == ERR_INVALID && strstr(r->err.message,
	    "ship_country") != NULL) {
		err_clear(&r->err);
		err_field(&r->err, "ship_country", "is not an ISO country "
		    "code such as DE");
		err_set(&r->err, ERR_INVALID, "invalid order: ship_country");
	} else if (r->err.code == ERR_INVALID && strstr(r->err.message,
	    "currency") != NULL) {
		err_clear(&r->err);
		err_field(&r->err, "currency", "is not a known currency");
		err_set(&r->err, ERR_INVALID, "invalid order: currency");
	} else if (r->err.code == ERR_INVALID && (strstr(r->err.message,
	    "due_date") != NULL || strstr(r->err.message,
	    "sales_orders_check") != NULL)) {
		err_clear(&r->err);
		err_field(&r->err, "due_date", "is before the order date");
		err_set(&r->err, ERR_INVALID, "invalid order: due_date");
	}
	return r->err.code;
}

/*
 * Validates the header (merged over cur) into p[1..15]; a new order
 * takes the customer's shipping (else billing) address when none is
 * given.
 */
static int
orders_header(struct req *r, json_t *cur, json_t *in, const char **p)
{
	json_t		*cust, *v;
	const char	*pre;
	int		 i;

	if (stock_record(r->arena, orders_fields, NFIELDS, cur, in, &p[1],
	    NULL, &r->err) != 0)
		return req_invalid(r, "order");
	v = json_object_get(in, "prices_include_vat");
	if (v == NULL && cur != NULL)
		v = json_object_get(cur, "prices_include_vat");
	p[15] = v == NULL ? NULL : json_is_true(v) ? "true" : "false";
	if (db_one(r->db, r->arena, &orders_stmts[ST_CUSTOMER], &p[1], &cust,
	    &r->err) != 0)
		return r->err.code;
	if (cust == NULL) {
		err_field(&r->err, "customer_id", "names no such customer");
		return req_invalid(r, "order");
	}
	if (cur != NULL || p[7] != NULL || p[8] != NULL || p[9] != NULL ||
	    p[10] != NULL || p[11] != NULL)
		return 0;
	pre = json_row_str(cust, "shipping_street") != NULL ? "shipping" :
	    "billing";
	p[7] = json_is_true(json_object_get(cust, "anonymised")) ? NULL :
	    json_row_str(cust, "name");
	for (i = 0; i < 4; i++) {
		static const char *const part[] = { "street", "postal_code",
		    "city", "country" };
		p[8 + i] = json_row_str(cust, arena_printf(r->arena, "%s_%s",
		    pre, part[i]));
	}
	return 0;
}

static int
orders_insert(struct req *r, json_t *in, long long *id)
{
	const char	*p[16];
	json_t		*row, *lines;

	if (orders_header(r, NULL, in, p) != 0)
		return r->err.code;
	if (numbers_next(r->db, r->arena, NUMBERS_SALES_ORDER, NULL, &p[0],
	    &r->err) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &orders_stmts[ST_CREATE], p, &row,
	    &r->err) != 0)
		return orders_db_error(r, p);
	*id = json_row_int(row, "id");
	if (orders_get(r, *id, &row) != 0)
		return r->err.code;
	lines = json_object_get(in, "lines");
	if (lines != NULL && (orders_add_lines(r, row, lines) != 0 ||
	    orders_recompute(r, row) != 0))
		return r->err.code;
	return 0;
}

/*
 * Audits (action, before) and publishes a change of order id; *out gets
 * the order as it is now, with all the API shows of it.
 */
static int
orders_record(struct req *r, long long id, const char *action,
    json_t *before, json_t **out)
{
	json_t	*after;

	if (orders_full(r, id, out) != 0)
		return r->err.code;
	after = json_deep_copy(*out);
	arena_json(r->arena, after);
	json_object_del(after, "production_orders");
	json_object_del(after, "requirements");
	json_object_del(after, "costs");
	json_object_del(after, "next");
	if (action != NULL && req_audit(r, action, "order", orders_id(r, id),
	    before, after) != 0)
		return r->err.code;
	req_publish(r, "orders", json_pack("{s:s, s:s, s:I, s:O}", "type",
	    "order", "event", action != NULL ? action : "change", "id",
	    (json_int_t)id, "status", json_object_get(*out, "status")));
	return 0;
}

static int
orders_answer(struct req *r, long long id, int status, const char *action,
    json_t *before)
{
	json_t	*out;

	if (orders_record(r, id, action, before, &out) != 0)
		return r->err.code;
	req_json(r, status, json_incref(out));
	return 0;
}

static int
orders_create(struct req *r)
{
	long long	id = 0;

	if (orders_insert(r, r->input, &id) != 0)
		return r->err.code;
	return orders_answer(r, id, 201, "create", NULL);
}

/* Locks the order; *row gets its stored fields (and lines, for audit). */
static int
orders_lock(struct req *r, long long id, json_t **row)
{
	const char	*p;
	json_t		*lines;

	p = orders_id(r, id);
	if (db_one(r->db, r->arena, &orders_stmts[ST_LOCK], &p, row, &r->err)
	    != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such order: %s", p);
	if (orders_get(r, id, row) != 0 || db_exec(r->db, r->arena,
	    &orders_stmts[ST_LINES], &p, &lines, &r->err) != 0)
		return r->err.code;
	*row = json_deep_copy(*row);
	arena_json(r->arena, *row);
	json_object_set(*row, "lines", lines);
	return 0;
}

/* 409 for a change the order's status does not allow, naming the field. */
static int
orders_frozen(struct req *r, json_t *order, const char *field)
{
	const char	*st;

	st = json_row_str(order, "status");
	err_field(&r->err, field, "cannot change once the order is %s", st);
	err_set(&r->err, ERR_CONFLICT, "order %s is %s: %s cannot change",
	    json_row_str(order, "number"), st, field);
	err_hint(&r->err, "%s", strcmp(st, "draft") == 0 ? "" :
	    "only a draft order's lines and terms can be edited; cancel it "
	    "and make a new one");
	return ERR_CONFLICT;
}

static int
orders_is_draft(json_t *order)
{
	return strcmp(json_row_str(order, "status"), "draft") == 0;
}

static int
orders_update(struct req *r)
{
	const char	*p[16], *key;
	json_t		*cur, *v;
	long long	 id;

	id = req_int(r, "id", 0);
	if (orders_lock(r, id, &cur) != 0)
		return r->err.code;
	if (!orders_next(ORDERS_SALES, json_row_str(cur, "status"))[0])
		return orders_frozen(r, cur, "status");
	if (!orders_is_draft(cur))
		json_object_foreach(r->input, key, v)
			if (str_in_choices(DRAFT_ONLY, key) && !json_equal(v,
			    json_object_get(cur, key)))
				return orders_frozen(r, cur, key);
	if (orders_header(r, cur, r->input, p) != 0)
		return r->err.code;
	p[0] = orders_id(r, id);
	if (db_exec(r->db, r->arena, &orders_stmts[ST_UPDATE], p, NULL,
	    &r->err) != 0)
		return orders_db_error(r, p);
	if ((v = json_object_get(r->input, "lines")) != NULL && (db_exec(
	    r->db, r->arena, &orders_stmts[ST_LINES_CLEAR], p, NULL,
	    &r->err) != 0 || orders_add_lines(r, cur, v) != 0))
		return r->err.code;
	if (orders_get(r, id, &v) != 0 || orders_recompute(r, v) != 0)
		return r->err.code;
	return orders_answer(r, id, 200, "update", cur);
}

/* Locks a draft for a change of its lines. */
static int
orders_draft(struct req *r, json_t **order)
{
	if (orders_lock(r, req_int(r, "id", 0), order) != 0)
		return r->err.code;
	if (!orders_is_draft(*order))
		return orders_frozen(r, *order, "lines");
	return 0;
}

/* Adds the line in to the draft {id}; *order gets it as it was. */
static int
orders_line_insert(struct req *r, json_t *in, json_t **order)
{
	json_t	*one;

	if (orders_draft(r, order) != 0)
		return r->err.code;
	one = json_pack("[O]", in);
	arena_json(r->arena, one);
	if (orders_add_lines(r, *order, one) != 0 ||
	    orders_recompute(r, *order) != 0)
		return r->err.code;
	return 0;
}

static int
orders_line_add(struct req *r)
{
	json_t	*order;

	if (orders_line_insert(r, r->input, &order) != 0)
		return r->err.code;
	return orders_answer(r, req_int(r, "id", 0), 201, "line_add", order);
}

static json_t *
orders_line_of(json_t *order, long long line_id)
{
	json_t	*line;
	size_t	 i;

	json_array_foreach(json_object_get(order, "lines"), i, line)
		if (json_row_int(line, "id") == line_id)
			return line;
	return NULL;
}

static int
orders_line_update(struct req *r)
{
	const char	*p[10];
	json_t		*order, *line, *in;

	if (orders_draft(r, &order) != 0)
		return r->err.code;
	if ((line = orders_line_of(order, req_int(r, "line_id", 0))) == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "order %s has no line "
		    "%lld", json_row_str(order, "number"), req_int(r, "line_id",
		    0));
	in = json_deep_copy(r->input);
	arena_json(r->arena, in);
	if (json_object_get(in, "product_id") != NULL && !json_equal(
	    json_object_get(in, "product_id"), json_object_get(line,
	    "product_id"))) {
		/* a new product brings its defaults; quantity, discount stay */
		line = json_pack("{s:O, s:O}", "quantity", json_object_get(line,
		    "quantity"), "discount_bp", json_object_get(line,
		    "discount_bp"));
		arena_json(r->arena, line);
	}
	if (orders_line_params(r, order, line, in, -1, p) != 0)
		return req_invalid(r, "order line");
	p[0] = orders_id(r, json_row_int(order, "id"));
	p[1] = orders_id(r, req_int(r, "line_id", 0));
	if (db_exec(r->db, r->arena, &orders_stmts[ST_LINE_UPDATE], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	if (orders_recompute(r, order) != 0)
		return r->err.code;
	return orders_answer(r, json_row_int(order, "id"), 200, "line_update",
	    order);
}

/* Removes line {line_id} of the draft {id}; *order gets it as it was. */
static int
orders_line_remove(struct req *r, json_t **order)
{
	const char	*p[2];
	json_t		*row;

	if (orders_draft(r, order) != 0)
		return r->err.code;
	p[0] = orders_id(r, json_row_int(*order, "id"));
	p[1] = orders_id(r, req_int(r, "line_id", 0));
	if (db_one(r->db, r->arena, &orders_stmts[ST_LINE_DELETE], p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "order %s has no line "
		    "%s", json_row_str(*order, "number"), p[1]);
	return orders_recompute(r, *order);
}

static int
orders_line_delete(struct req *r)
{
	json_t	*order;

	if (orders_line_remove(r, &order) != 0)
		return r->err.code;
	return orders_answer(r, json_row_int(order, "id"), 200, "line_delete",
	    order);
}

#define ORDER_STATES \
	"draft|confirmed|in_production|ready|shipped|completed|cancelled"

/* ---- status ---- */

/*
 * Moves order {id} to status `to` (carrier and tracking may be NULL);
 * the production orders and jobs that follow are audited, *before gets
 * the order as it was.
 */
static int
orders_status_set(struct req *r, long long id, const char *to,
    const char *carrier, const char *tracking, json_t **before)
{
	struct stock_actor	 who;
	json_t			*changes;

	if (orders_lock(r, id, before) != 0)
		return r->err.code;
	record_actor(r, &who);
	changes = json_array();
	arena_json(r->arena, changes);
	if (production_order_change(r->db, r->arena, id, to, carrier,
	    tracking, &who, changes, &r->err) != 0 ||
	    record_audit_changes(r, changes, "order") != 0)
		return r->err.code;
	return 0;
}

int
orders_make(struct req *r, json_t *in, long long *id)
{
	json_t	*out;

	if (orders_insert(r, in, id) != 0)
		return r->err.code;
	return orders_record(r, *id, "create", NULL, &out);
}

int
orders_move(struct req *r, long long id, const char *to)
{
	json_t	*before, *out;

	if (orders_status_set(r, id, to, NULL, NULL, &before) != 0)
		return r->err.code;
	return orders_record(r, id, arena_printf(r->arena, "status_%s", to),
	    before, &out);
}

int
orders_confirm(struct req *r, long long id)
{
	return orders_move(r, id, "confirmed");
}

static int
orders_status(struct req *r)
{
	json_t	*before;

	if (orders_status_set(r, req_int(r, "id", 0), req_str(r, "status"),
	    req_str(r, "carrier"), req_str(r, "tracking_number"),
	    &before) != 0)
		return r->err.code;
	return orders_answer(r, req_int(r, "id", 0), 200, arena_printf(
	    r->arena, "status_%s", req_str(r, "status")), before);
}


/* ---- pages ---- */

/* Orders a list page shows at once unless ?limit= says otherwise. */
#define ORDERS_PAGE_SIZE	50

/* The keys every orders page adds to the base view. */
static json_t *
orders_page_base(struct req *r, const char *title)
{
	json_t	*v;

	v = json_object();
	json_object_set_new(v, "page", json_string("orders"));
	json_object_set_new(v, "nav_orders", json_true());
	json_object_set_new(v, "can_edit", json_boolean(r->who.role !=
	    ROLE_ACCOUNTANT));
	json_object_set_new(v, "title", json_string(title == NULL ? req_t(r,
	    "page_orders") : arena_printf(r->arena, "%s · %s", title,
	    req_t(r, "page_orders"))));
	r->out = v;
	return v;
}

static const char *
orders_page_money(struct req *r, json_t *row, const char *key,
    const char *cur)
{
	return record_money(r, json_row_int(row, key), cur);
}

/* A quantity as people read it: at most 3 places, no trailing zeros. */
static const char *
orders_page_num(struct req *r, double v)
{
	char	*s, *dot, *end;

	s = arena_printf(r->arena, "%.3f", v);
	if ((dot = strchr(s, '.')) == NULL)
		return s;
	end = s + strlen(s) - 1;
	while (end > dot && *end == '0')
		*end-- = '\0';
	if (end == dot)
		*end = '\0';
	else if (strcmp(r->lang, "de") == 0)
		*dot = ',';
	return strcmp(s, "-0") == 0 ? "0" : s;
}

/* Basis points as a percentage without the sign: 1950 is "19.5". */
static const char *
orders_page_pct(struct req *r, long long bp)
{
	char	 buf[32], *s, *dot;

	money_text(buf, sizeof(buf), bp < 0 ? -bp : bp, 2, 1);
	s = arena_printf(r->arena, "%s%s", bp < 0 ? "-" : "", buf);
	if (strcmp(r->lang, "de") == 0 && (dot = strchr(s, '.')) != NULL)
		*dot = ',';
	return s;
}

/* Sets "status_label": the catalog's name of the row's status. */
static void
orders_page_label(struct req *r, json_t *row, const char *prefix)
{
	const char	*st;

	st = json_row_str(row, "status");
	json_object_set_new(row, "status_label", json_string(req_t(r,
	    arena_printf(r->arena, "%s%s", prefix, st != NULL ? st : ""))));
}

/* Percent-encodes a query value for a link. */
static const char *
orders_page_query(struct req *r, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out, *o;
	unsigned char		 c;

	if (s == NULL)
		return "";
	o = out = arena_alloc(r->arena, strlen(s) * 3 + 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static const char *
orders_page_link(struct req *r, const char *q, const char *status,
    long long limit, long long offset)
{
	return arena_printf(r->arena, "/orders?q=%s&status=%s&limit=%lld&"
	    "offset=%lld", orders_page_query(r, q), status != NULL ? status :
	    "", limit, offset);
}

static int
orders_page(struct req *r)
{
	json_t		*rows, *row, *cnt, *v, *states, *st;
	const char	*p[6], *q, *status, *cur;
	long long	 limit, offset, n;
	size_t		 i;

	q = req_str(r, "q");
	status = req_str(r, "status");
	p[0] = q != NULL && *q != '\0' ? q : NULL;
	p[1] = status != NULL && str_in_choices(ORDER_STATES, status) ?
	    status : NULL;
	p[2] = NULL;
	p[3] = NULL;
	limit = req_int(r, "limit", ORDERS_PAGE_SIZE);
	offset = req_int(r, "offset", 0);
	p[4] = orders_id(r, limit);
	p[5] = orders_id(r, offset);
	if (db_exec(r->db, r->arena, &orders_stmts[ST_RECENT], p, &rows,
	    &r->err) != 0 || db_one(r->db, r->arena, &orders_stmts[ST_COUNT],
	    p, &cnt, &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row) {
		cur = json_row_str(row, "currency");
		orders_page_label(r, row, "orders_status_");
		json_object_set_new(row, "is_etsy", json_boolean(strcmp(
		    json_row_str(row, "source"), "etsy") == 0));
		json_object_set_new(row, "gross", json_string(
		    orders_page_money(r, row, "gross_cents", cur)));
		json_object_set_new(row, "order_date_text", json_string(
		    record_date(r, json_row_str(row, "order_date"))));
		json_object_set_new(row, "due_date_text", json_string(
		    record_date(r, json_row_str(row, "due_date"))));
	}
	n = json_row_int(cnt, "n");
	states = json_array();
	for (q = ORDER_STATES; *q != '\0'; q += strcspn(q, "|") +
	    (q[strcspn(q, "|")] == '|')) {
		st = json_pack("{s:s%}", "status", q, strcspn(q, "|"));
		orders_page_label(r, st, "orders_status_");
		json_array_append_new(states, st);
	}
	v = orders_page_base(r, NULL);
	json_object_set(v, "orders", rows);
	json_object_set_new(v, "states", states);
	json_object_set_new(v, "total", json_integer(n));
	json_object_set_new(v, "q", json_string(p[0] != NULL ? p[0] : ""));
	json_object_set_new(v, "status", json_string(p[1] != NULL ? p[1] :
	    ""));
	if (offset > 0)
		json_object_set_new(v, "prev_link", json_string(
		    orders_page_link(r, p[0], p[1], limit, offset > limit ?
		    offset - limit : 0)));
	if (offset + limit < n)
		json_object_set_new(v, "next_link", json_string(
		    orders_page_link(r, p[0], p[1], limit, offset + limit)));
	if (n > 0)
		json_object_set_new(v, "range", json_string(arena_printf(
		    r->arena, "%lld–%lld / %lld", offset < n ? offset + 1 : n,
		    offset + limit < n ? offset + limit : n, n)));
	return 0;
}

/* Marks the row whose id the form (or ?key=) chose as "selected". */
static void
orders_page_pick(struct req *r, json_t *rows, const char *key)
{
	json_t		*row, *v;
	const char	*s;
	size_t		 i;

	v = json_object_get(r->input, key);
	s = json_is_string(v) ? json_string_value(v) : req_str(r, key);
	if (s == NULL)
		return;
	json_array_foreach(rows, i, row)
		if (strcmp(orders_id(r, json_row_int(row, "id")), s) == 0)
			json_object_set_new(row, "selected", json_true());
}

/* The products an order line may name, with their prices. */
static int
orders_page_products(struct req *r, json_t *v)
{
	json_t	*rows, *row;
	size_t	 i;

	if (db_exec(r->db, r->arena, &orders_stmts[ST_PICK_PRODUCTS], NULL,
	    &rows, &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		json_object_set_new(row, "price", json_string(orders_page_money(
		    r, row, "price_gross_cents", json_row_str(row,
		    "currency"))));
	orders_page_pick(r, rows, "product_id");
	json_object_set(v, "products", rows);
	return 0;
}

static int
orders_page_new(struct req *r)
{
	json_t	*v, *rows;

	v = orders_page_base(r, req_t(r, "orders_new"));
	json_object_set_new(v, "form", json_object());
	if (db_exec(r->db, r->arena, &orders_stmts[ST_PICK_CUSTOMERS], NULL,
	    &rows, &r->err) != 0)
		return r->err.code;
	orders_page_pick(r, rows, "customer_id");
	json_object_set(v, "customers", rows);
	return orders_page_products(r, v);
}

/*
 * The line of a form (product_id, quantity, discount in percent) as an
 * API line into *line; NULL when the form names no product.
 */
static int
orders_page_line(struct req *r, json_t **line)
{
	const char	*s;
	long long	 bp;

	*line = NULL;
	s = json_row_str(r->input, "product_id");
	if (s == NULL || *s == '\0')
		return 0;
	*line = json_pack("{s:s}", "product_id", s);
	arena_json(r->arena, *line);
	s = json_row_str(r->input, "quantity");
	json_object_set_new(*line, "quantity", json_string(s != NULL && *s !=
	    '\0' ? s : "1"));
	s = json_row_str(r->input, "discount");
	if (s == NULL || *s == '\0')
		return 0;
	if (money_parse(s, 2, 10000, &bp) != 0) {
		err_field(&r->err, "discount", "must be a percentage from 0 "
		    "to 100, such as 10 or 12.5");
		return req_invalid(r, "order line");
	}
	json_object_set_new(*line, "discount_bp", json_integer(bp));
	return 0;
}

/*
 * Field errors of the form's one line ("lines[0].quantity") under the
 * names of the form's inputs, so the page shows each at its input.
 */
static int
orders_page_errors(struct req *r)
{
	json_t		*fields, *v;
	const char	*key, *name;

	if (r->err.fields == NULL)
		return r->err.code;
	fields = json_object();
	json_object_foreach(r->err.fields, key, v) {
		name = strncmp(key, "lines[0].", 9) == 0 ? key + 9 : key;
		if (strcmp(name, "discount_bp") == 0)
			name = "discount";
		else if (strcmp(name, "description") == 0)
			name = "product_id";
		json_object_set(fields, name, v);
	}
	json_decref(r->err.fields);
	r->err.fields = fields;
	return r->err.code;
}

static int
orders_page_create(struct req *r)
{
	static const char *const keys[] = { "customer_id", "due_date",
	    "notes" };
	json_t		*in, *line, *out;
	long long	 id;
	size_t		 i;

	in = json_object();
	arena_json(r->arena, in);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(r->input, keys[i]) != NULL)
			json_object_set(in, keys[i], json_object_get(r->input,
			    keys[i]));
	if (orders_page_line(r, &line) != 0)
		return r->err.code;
	if (line != NULL)
		json_object_set_new(in, "lines", json_pack("[O]", line));
	id = 0;
	if (orders_insert(r, in, &id) != 0)
		return orders_page_errors(r);
	if (orders_record(r, id, "create", NULL, &out) != 0)
		return r->err.code;
	req_flash(r, "ok", "orders_flash_created");
	req_redirect(r, arena_printf(r->arena, "/orders/%lld", id));
	return 0;
}

/* Amounts of the requirement row as text, in its unit. */
static void
orders_page_requirement(struct req *r, json_t *row)
{
	static const char *const keys[] = { "required", "reserved",
	    "available", "short" };
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(row, arena_printf(r->arena, "%s_text",
		    keys[i]), json_string(orders_page_num(r, json_row_num(row,
		    keys[i]))));
	json_object_set_new(row, "is_short", json_boolean(json_row_num(row,
	    "short") > 0));
}

/* The production orders with their print jobs and what may be done. */
static void
orders_page_production(struct req *r, json_t *pos, long long job_id)
{
	json_t		*po, *job;
	const char	*st;
	size_t		 i, j;

	json_array_foreach(pos, i, po) {
		orders_page_label(r, po, "orders_po_status_");
		json_array_foreach(json_object_get(po, "print_jobs"), j, job) {
			st = json_row_str(job, "status");
			orders_page_label(r, job, "orders_job_status_");
			json_object_set_new(job, "can_start", json_boolean(
			    orders_can(ORDERS_JOB, st, "started")));
			json_object_set_new(job, "can_finish", json_boolean(
			    orders_can(ORDERS_JOB, st, "completed")));
			json_object_set_new(job, "minutes", json_integer(
			    (json_row_int(job, "est_seconds") + 59) / 60));
			json_object_set_new(job, "grams_text", json_string(
			    orders_page_num(r, json_object_get(job,
			    "actual_grams") != NULL && !json_is_null(
			    json_object_get(job, "actual_grams")) ?
			    json_row_num(job, "actual_grams") :
			    json_row_num(job, "est_grams"))));
			if (json_row_int(job, "id") == job_id)
				json_object_set_new(job, "error_here",
				    json_true());
		}
	}
}

/* The costs, margin and margin percentage as text. */
static json_t *
orders_page_costs(struct req *r, json_t *costs, const char *cur)
{
	static const char *const parts[] = { "material", "machine", "items",
	    "labour" };
	json_t	*c;
	size_t	 i;

	c = json_object();
	arena_json(r->arena, c);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		json_object_set_new(c, parts[i], json_string(orders_page_money(
		    r, json_object_get(costs, "parts"), parts[i], cur)));
	json_object_set_new(c, "overhead", json_string(orders_page_money(r,
	    costs, "overhead_cents", cur)));
	json_object_set_new(c, "cost", json_string(orders_page_money(r, costs,
	    "cost_cents", cur)));
	json_object_set_new(c, "revenue", json_string(orders_page_money(r,
	    costs, "revenue_net_cents", cur)));
	json_object_set_new(c, "margin", json_string(orders_page_money(r,
	    costs, "margin_cents", cur)));
	json_object_set_new(c, "margin_pct", json_string(orders_page_pct(r,
	    json_row_int(costs, "margin_bp"))));
	json_object_set_new(c, "negative", json_boolean(json_row_int(costs,
	    "margin_cents") < 0));
	json_object_set(c, "estimated", json_object_get(costs, "estimated"));
	return c;
}

/*
 * The order page of order id as r->out; job_id (0: none) names the
 * print job whose form came back with errors.
 */
int
orders_page_view(struct req *r, long long id, long long job_id)
{
	json_t		*o, *one, *row, *v, *acts;
	const char	*cur, *s;
	size_t		 i;

	if (orders_full(r, id, &o) != 0)
		return r->err.code;
	cur = json_row_str(o, "currency");
	one = arena_json(r->arena, json_array());
	json_array_append(one, o);
	req_localize_times(r, one);
	orders_page_label(r, o, "orders_status_");
	json_object_set_new(o, "order_date_text", json_string(
	    record_date(r, json_row_str(o, "order_date"))));
	json_object_set_new(o, "due_date_text", json_string(record_date(
	    r, json_row_str(o, "due_date"))));
	json_object_set_new(o, "net", json_string(orders_page_money(r, o,
	    "net_cents", cur)));
	json_object_set_new(o, "vat", json_string(orders_page_money(r, o,
	    "vat_cents", cur)));
	json_object_set_new(o, "gross", json_string(orders_page_money(r, o,
	    "gross_cents", cur)));
	json_object_set_new(o, "is_draft", json_boolean(orders_is_draft(o)));
	/* the customers' catalog names the sources */
	json_object_set_new(o, "source_label", json_string(req_t(r,
	    arena_printf(r->arena, "customers_source_%s", json_row_str(o,
	    "source")))));
	json_array_foreach(json_object_get(o, "lines"), i, row) {
		json_object_set_new(row, "unit_price", json_string(
		    orders_page_money(r, row, "unit_price_cents", cur)));
		json_object_set_new(row, "amount", json_string(
		    orders_page_money(r, row, "amount_cents", cur)));
		json_object_set_new(row, "vat_pct", json_string(
		    orders_page_pct(r, json_row_int(row, "vat_bp"))));
		if (json_row_int(row, "discount_bp") > 0)
			json_object_set_new(row, "discount_pct", json_string(
			    orders_page_pct(r, json_row_int(row,
			    "discount_bp"))));
	}
	json_array_foreach(json_object_get(o, "vat_breakdown"), i, row) {
		json_object_set_new(row, "vat_pct", json_string(orders_page_pct(
		    r, json_row_int(row, "vat_bp"))));
		json_object_set_new(row, "net", json_string(orders_page_money(r,
		    row, "net_cents", cur)));
		json_object_set_new(row, "vat", json_string(orders_page_money(r,
		    row, "vat_cents", cur)));
	}
	acts = json_array();
	json_array_foreach(json_object_get(o, "next"), i, row) {
		s = json_string_value(row);
		json_array_append_new(acts, json_pack("{s:s, s:s, s:b, s:b}",
		    "status", s, "label", req_t(r, arena_printf(r->arena,
		    "orders_action_%s", s)), "cancel", strcmp(s, "cancelled") ==
		    0, "ship", strcmp(s, "shipped") == 0));
	}
	orders_page_production(r, json_object_get(o, "production_orders"),
	    job_id);
	json_array_foreach(json_object_get(o, "requirements"), i, row)
		orders_page_requirement(r, row);
	v = orders_page_base(r, json_row_str(o, "number"));
	json_object_set(v, "order", o);
	json_object_set(v, "lines", json_object_get(o, "lines"));
	json_object_set(v, "vat_breakdown", json_object_get(o,
	    "vat_breakdown"));
	json_object_set(v, "production_orders", json_object_get(o,
	    "production_orders"));
	json_object_set(v, "requirements", json_object_get(o,
	    "requirements"));
	json_object_set_new(v, "has_actions", json_boolean(
	    json_array_size(acts) > 0));
	json_object_set_new(v, "actions", acts);
	json_object_set_new(v, "has_production", json_boolean(json_array_size(
	    json_object_get(o, "production_orders")) > 0));
	json_object_set_new(v, "has_requirements", json_boolean(
	    json_array_size(json_object_get(o, "requirements")) > 0));
	json_object_set(v, "costs", orders_page_costs(r, json_object_get(o,
	    "costs"), cur));
	if (strcmp(json_row_str(o, "source"), "etsy") == 0) {
		if (etsy_order_view(r, id, &row) != 0)
			return r->err.code;
		if (row != NULL) {
			json_object_set_new(row, "fees", json_string(
			    orders_page_money(r, row, "fees_cents", cur)));
			json_object_set(v, "etsy", row);
		}
	}
	if (orders_is_draft(o))
		return orders_page_products(r, v);
	return 0;
}

static int
orders_page_show(struct req *r)
{
	return orders_page_view(r, req_int(r, "id", 0), 0);
}

static int
orders_page_line_add(struct req *r)
{
	json_t	*line, *order, *out;

	if (orders_page_line(r, &line) != 0)
		return r->err.code;
	if (line == NULL) {
		err_field(&r->err, "product_id", "choose a product");
		return req_invalid(r, "order line");
	}
	if (orders_line_insert(r, line, &order) != 0)
		return orders_page_errors(r);
	if (orders_record(r, req_int(r, "id", 0), "line_add", order, &out) !=
	    0)
		return r->err.code;
	req_flash(r, "ok", "orders_flash_line_added");
	req_redirect(r, arena_printf(r->arena, "/orders/%lld", req_int(r,
	    "id", 0)));
	return 0;
}

static int
orders_page_line_delete(struct req *r)
{
	json_t	*order, *out;

	if (orders_line_remove(r, &order) != 0 || orders_record(r, req_int(r,
	    "id", 0), "line_delete", order, &out) != 0)
		return r->err.code;
	req_flash(r, "ok", "orders_flash_line_removed");
	req_redirect(r, arena_printf(r->arena, "/orders/%lld", req_int(r,
	    "id", 0)));
	return 0;
}

/* Empty form fields are not given. */
static const char *
orders_page_opt(struct req *r, const char *key)
{
	const char	*s;

	s = req_str(r, key);
	return s != NULL && *s != '\0' ? s : NULL;
}

static int
orders_page_status(struct req *r)
{
	json_t		*before, *out;
	const char	*to;

	to = req_str(r, "status");
	if (orders_status_set(r, req_int(r, "id", 0), to,
	    orders_page_opt(r, "carrier"),
	    orders_page_opt(r, "tracking_number"), &before) != 0 ||
	    orders_record(r, req_int(r, "id", 0), arena_printf(r->arena,
	    "status_%s", to), before, &out) != 0)
		return r->err.code;
	req_flash(r, "ok", arena_printf(r->arena, "orders_flash_%s", to));
	req_redirect(r, arena_printf(r->arena, "/orders/%lld", req_int(r,
	    "id", 0)));
	return 0;
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "status", IN_QUERY, P_ENUM, 0, 0, 0, ORDER_STATES },
	{ "customer_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "source", IN_QUERY, P_ENUM, 0, 0, 0, "manual|etsy|quote" },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
#define HEADER_BODY \
	{ "customer_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "source", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "external_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "currency", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "order_date", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "due_date", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "ship_name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "ship_street", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "ship_postal_code", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "ship_city", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "ship_country", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "carrier", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "tracking_number", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "notes", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "prices_include_vat", IN_BODY, P_BOOL, 0, 0, 0, NULL }, \
	{ "lines", IN_BODY, P_ANY, 0, 0, 0, NULL }
#define LINE_BODY \
	{ "product_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "description", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "quantity", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "unit_price_cents", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "vat_rate", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "discount_bp", IN_BODY, P_ANY, 0, 0, 0, NULL }
static const struct param create_params[] = {
	HEADER_BODY,
	PARAM_END,
};
static const struct param update_params[] = {
	ID_PATH,
	HEADER_BODY,
	PARAM_END,
};
static const struct param line_add_params[] = {
	ID_PATH,
	LINE_BODY,
	PARAM_END,
};
static const struct param line_params[] = {
	ID_PATH,
	{ "line_id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	LINE_BODY,
	PARAM_END,
};
static const struct param status_params[] = {
	ID_PATH,
	{ "status", IN_BODY, P_ENUM, 1, 0, 0, ORDER_STATES },
	{ "carrier", IN_BODY, P_STR, 0, 1, 60, NULL },
	{ "tracking_number", IN_BODY, P_STR, 0, 1, 100, NULL },
	PARAM_END,
};

static const struct param page_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 100, NULL },
	{ "status", IN_QUERY, P_STR, 0, 0, 20, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param page_new_params[] = {
	{ "customer_id", IN_QUERY, P_STR, 0, 0, 20, NULL },
	PARAM_END,
};
#define PAGE_LINE_BODY \
	{ "product_id", IN_BODY, P_STR, 0, 0, 20, NULL }, \
	{ "quantity", IN_BODY, P_STR, 0, 0, 20, NULL }, \
	{ "discount", IN_BODY, P_STR, 0, 0, 20, NULL }
static const struct param page_create_params[] = {
	{ "customer_id", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "due_date", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "notes", IN_BODY, P_STR, 0, 0, 4000, NULL },
	PAGE_LINE_BODY,
	PARAM_END,
};
static const struct param page_line_params[] = {
	ID_PATH,
	PAGE_LINE_BODY,
	PARAM_END,
};
static const struct param page_line_delete_params[] = {
	ID_PATH,
	{ "line_id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	PARAM_END,
};
static const struct param page_status_params[] = {
	ID_PATH,
	{ "status", IN_BODY, P_ENUM, 1, 0, 0, ORDER_STATES },
	{ "carrier", IN_BODY, P_STR, 0, 0, 60, NULL },
	{ "tracking_number", IN_BODY, P_STR, 0, 0, 100, NULL },
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)
#define FORM	(ROUTE_PAGE | ROUTE_FORM)

static const struct route orders_routes[] = {
	{ "GET", "/api/v1/orders", orders_list, ROLE_ANY, 0, list_params,
	    NULL },
	{ "POST", "/api/v1/orders", orders_create, WRITERS, ROUTE_IDEMPOTENT,
	    create_params, NULL },
	{ "GET", "/api/v1/orders/{id}", orders_show, ROLE_ANY, 0, params_id,
	    NULL },
	{ "PATCH", "/api/v1/orders/{id}", orders_update, WRITERS, 0,
	    update_params, NULL },
	{ "GET", "/api/v1/orders/{id}/costs", orders_costs, ROLE_ANY, 0,
	    params_id, NULL },
	{ "POST", "/api/v1/orders/{id}/lines", orders_line_add, WRITERS, 0,
	    line_add_params, NULL },
	{ "PATCH", "/api/v1/orders/{id}/lines/{line_id}", orders_line_update,
	    WRITERS, 0, line_params, NULL },
	{ "DELETE", "/api/v1/orders/{id}/lines/{line_id}", orders_line_delete,
	    WRITERS, 0, line_params, NULL },
	{ "POST", "/api/v1/orders/{id}/status", orders_status, WRITERS, 0,
	    status_params, NULL },
	{ "GET", "/orders", orders_page, ROLE_ANY, ROUTE_PAGE, page_params,
	    "orders/index" },
	{ "GET", "/orders/new", orders_page_new, WRITERS, ROUTE_PAGE,
	    page_new_params, "orders/new" },
	{ "POST", "/orders/new", orders_page_create, WRITERS, FORM,
	    page_create_params, "orders/new" },
	{ "GET", "/orders/{id}", orders_page_show, ROLE_ANY, ROUTE_PAGE,
	    params_id, "orders/show" },
	/* the GETs of the forms' paths show the order again after an error */
	{ "GET", "/orders/{id}/lines", orders_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "orders/show" },
	{ "POST", "/orders/{id}/lines", orders_page_line_add, WRITERS, FORM,
	    page_line_params, "orders/show" },
	{ "POST", "/orders/{id}/lines/{line_id}/delete",
	    orders_page_line_delete, WRITERS, FORM, page_line_delete_params,
	    "orders/show" },
	{ "GET", "/orders/{id}/status", orders_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "orders/show" },
	{ "POST", "/orders/{id}/status", orders_page_status, WRITERS, FORM,
	    page_status_params, "orders/show" },
};

const struct resource orders_resource = {
	"orders", orders_routes,
	sizeof(orders_routes) / sizeof(orders_routes[0]),
	orders_stmts, sizeof(orders_stmts) / sizeof(orders_stmts[0]),
};

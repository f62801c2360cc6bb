/*
 * production_orders.c -- GET /api/v1/production-orders, GET
 * /api/v1/production-orders/{id} (requirements with what is reserved and
 * available, print jobs), POST /api/v1/production-orders/{id}/status
 * (cancelled, or done once no job is open) and POST
 * /api/v1/production-orders/{id}/reserve (tries again to reserve what a
 * requirement still lacks, after stock arrived).
 *
 * Production orders are made when a sales order is confirmed
 * (sql/0005_orders.sql production_plan); their status otherwise follows
 * their print jobs (domain/production.c).
 */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "db/db.h"
#include "domain/production.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/record.h"

#define PO_COLS \
	"po.id, po.number, po.sales_order_id, so.number AS " \
	"sales_order_number, po.line_id, po.product_id, p.sku, p.name AS " \
	"product_name, po.quantity, po.status::text AS status, " \
	"po.created_at, po.started_at, po.done_at, po.cancelled_at, " \
	"(SELECT count(*) FROM print_jobs j WHERE j.production_order_id = " \
	"po.id AND j.status <> 'cancelled') AS jobs, (SELECT count(*) FROM " \
	"print_jobs j WHERE j.production_order_id = po.id AND j.status = " \
	"'completed') AS jobs_completed, (SELECT l.personalisation FROM " \
	"sales_order_lines l WHERE l.id = po.line_id) AS personalisation"
#define PO_FROM \
	"FROM production_orders po JOIN sales_orders so ON so.id = " \
	"po.sales_order_id JOIN products p ON p.id = po.product_id "
#define PO_FILTER \
	"WHERE ($1::text IS NULL OR po.status::text = $1) AND ($2::bigint " \
	"IS NULL OR po.sales_order_id = $2) AND ($3::text IS NULL OR " \
	"strpos(lower(concat_ws(' ', po.number, so.number, p.sku, p.name)), " \
	"lower($3)) > 0)"

static const struct stmt production_orders_stmts[] = {
	{ "production_orders_list",
	  "SELECT " PO_COLS " " PO_FROM PO_FILTER " ORDER BY po.id DESC "
	  "LIMIT $4 OFFSET $5", 5 },
	{ "production_orders_count",
	  "SELECT count(*) AS n " PO_FROM PO_FILTER, 3 },
	{ "production_orders_show",
	  "SELECT " PO_COLS " " PO_FROM "WHERE po.id = $1", 1 },
	{ "production_orders_requirements",
	  "SELECT r.id, r.kind, r.filament_id, r.material, r.color_name, "
	  "r.item_id, r.qty::float8 AS required, coalesce((SELECT "
	  "sum(m.reserved_qty) FROM stock_moves m WHERE m.ref_kind = "
	  "'production_requirement' AND m.ref_id = r.id), 0)::float8 AS "
	  "reserved, (SELECT coalesce(json_agg(json_build_object('spool_id', "
	  "h.spool_id, 'item_id', h.item_id, 'qty', h.held)), '[]') FROM "
	  "(SELECT m.spool_id, m.item_id, sum(m.reserved_qty) AS held FROM "
	  "stock_moves m WHERE m.ref_kind = 'production_requirement' AND "
	  "m.ref_id = r.id GROUP BY m.spool_id, m.item_id HAVING "
	  "sum(m.reserved_qty) > 0) h) AS held FROM production_requirements r "
	  "WHERE r.production_order_id = $1 ORDER BY r.id", 1 },
	{ "production_orders_jobs",
	  "SELECT j.id, j.seq, j.plate_id, j.plate_name, j.units, "
	  "j.status::text AS status, j.priority, j.printer_id, "
	  "j.est_seconds, j.est_grams::float8 AS est_grams, "
	  "j.actual_seconds, j.actual_grams::float8 AS actual_grams, "
	  "j.replaces_job_id, j.started_at, j.ended_at FROM print_jobs j "
	  "WHERE j.production_order_id = $1 ORDER BY j.seq", 1 },
	{ "production_orders_reserve",
	  "SELECT coalesce(sum(production_reserve(r.id, $2::bigint, $3)), "
	  "0)::float8 AS reserved FROM production_requirements r JOIN "
	  "production_orders po ON po.id = r.production_order_id WHERE "
	  "po.id = $1 AND po.status IN ('planned', 'in_progress')", 3 },
	{ "production_orders_lock",
	  "SELECT id, number, status::text AS status FROM production_orders "
	  "WHERE id = $1 FOR UPDATE", 1 },
};

enum {
	ST_LIST, ST_COUNT, ST_SHOW, ST_REQS, ST_JOBS, ST_RESERVE, ST_LOCK
};

static int
production_orders_list(struct req *r)
{
	const char	*p[5];

	p[0] = req_str(r, "status");
	p[1] = req_has(r, "order_id") ? arena_printf(r->arena, "%lld",
	    req_int(r, "order_id", 0)) : NULL;
	p[2] = req_str(r, "q");
	p[3] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[4] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &production_orders_stmts[ST_LIST],
	    &production_orders_stmts[ST_COUNT], p);
}

static int
production_orders_full(struct req *r, long long id, json_t **out)
{
	json_t		*row, *reqs, *jobs;
	const char	*p;

	if (record_find(r, &production_orders_stmts[ST_SHOW], id,
	    "production order", &row) != 0)
		return r->err.code;
	p = arena_printf(r->arena, "%lld", id);
	if (db_exec(r->db, r->arena, &production_orders_stmts[ST_REQS], &p,
	    &reqs, &r->err) != 0 || db_exec(r->db, r->arena,
	    &production_orders_stmts[ST_JOBS], &p, &jobs, &r->err) != 0)
		return r->err.code;
	*out = json_deep_copy(row);
	arena_json(r->arena, *out);
	json_object_set(*out, "requirements", reqs);
	json_object_set(*out, "print_jobs", jobs);
	return 0;
}

static int
production_orders_show(struct req *r)
{
	json_t	*out;

	if (production_orders_full(r, req_int(r, "id", 0), &out) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(out));
	return 0;
}

static int
production_orders_status(struct req *r)
{
	struct stock_actor	 who;
	json_t			*changes, *out;

	record_actor(r, &who);
	changes = json_array();
	arena_json(r->arena, changes);
	if (production_po_change(r->db, r->arena, req_int(r, "id", 0),
	    req_str(r, "status"), &who, changes, &r->err) != 0 ||
	    record_audit_changes(r, changes, NULL) != 0 ||
	    production_orders_full(r, req_int(r, "id", 0), &out) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(out));
	return 0;
}

static int
production_orders_reserve(struct req *r)
{
	struct stock_actor	 who;
	const char		*p[3];
	json_t			*po, *row, *out;

	p[0] = record_id(r);
	if (record_find(r, &production_orders_stmts[ST_LOCK], req_int(r, "id",
	    0), "production order", &po) != 0)
		return r->err.code;
	if (str_in_choices("done|cancelled", json_row_str(po, "status")))
		return err_set(&r->err, ERR_CONFLICT, "production order %s is "
		    "%s; nothing to reserve", json_row_str(po, "number"),
		    json_row_str(po, "status"));
	record_actor(r, &who);
	p[1] = who.user_id > 0 ? arena_printf(r->arena, "%lld", who.user_id) :
	    NULL;
	p[2] = who.name;
	if (db_one(r->db, r->arena, &production_orders_stmts[ST_RESERVE], p,
	    &row, &r->err) != 0 || req_audit(r, "reserve",
	    "production_order", p[0], NULL, row) != 0 ||
	    production_orders_full(r, req_int(r, "id", 0), &out) != 0)
		return r->err.code;
	json_object_set(out, "reserved_now", json_object_get(row, "reserved"));
	req_json(r, 200, json_incref(out));
	return 0;
}

static const struct param list_params[] = {
	{ "status", IN_QUERY, P_ENUM, 0, 0, 0,
	    "planned|in_progress|done|cancelled" },
	{ "order_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param status_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "status", IN_BODY, P_ENUM, 1, 0, 0,
	    "planned|in_progress|done|cancelled" },
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)

static const struct route production_orders_routes[] = {
	{ "GET", "/api/v1/production-orders", production_orders_list,
	    ROLE_ANY, 0, list_params, NULL },
	{ "GET", "/api/v1/production-orders/{id}", production_orders_show,
	    ROLE_ANY, 0, params_id, NULL },
	{ "POST", "/api/v1/production-orders/{id}/status",
	    production_orders_status, WRITERS, 0, status_params, NULL },
	{ "POST", "/api/v1/production-orders/{id}/reserve",
	    production_orders_reserve, WRITERS, 0, params_id, NULL },
};

const struct resource production_orders_resource = {
	"production-orders", production_orders_routes,
	sizeof(production_orders_routes) /
	sizeof(production_orders_routes[0]),
	production_orders_stmts, sizeof(production_orders_stmts) /
	sizeof(production_orders_stmts[0]),
};

/*
 * production.c -- status changes and their consequences (production.h).
 */
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/orders.h"
#include "domain/production.h"
#include "domain/stock.h"

/* Timestamps of a status: the column set when the status is entered. */
#define SO_STAMPS \
	"confirmed_at = CASE WHEN $2 = 'confirmed' THEN now() ELSE " \
	"confirmed_at END, in_production_at = CASE WHEN $2 = " \
	"'in_production' THEN now() ELSE in_production_at END, ready_at = " \
	"CASE WHEN $2 = 'ready' THEN now() ELSE ready_at END, shipped_at = " \
	"CASE WHEN $2 = 'shipped' THEN now() ELSE shipped_at END, " \
	"completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE " \
	"completed_at END, cancelled_at = CASE WHEN $2 = 'cancelled' THEN " \
	"now() ELSE cancelled_at END"
#define JOB_OPEN	"('queued', 'started')"
#define JOB_COLS \
	"j.id, j.production_order_id, po.number AS " \
	"production_order_number, po.sales_order_id, so.number AS " \
	"sales_order_number, j.product_id, p.sku, j.plate_id, j.plate_name, " \
	"j.file_sha256, j.seq, j.units, j.status::text AS status, " \
	"j.priority, j.printer_id, j.scheduled_start, j.nozzle_mm::float8 " \
	"AS nozzle_mm, j.needs_enclosure, j.est_seconds, j.est_grams::float8 " \
	"AS est_grams, j.actual_seconds, j.actual_grams::float8 AS " \
	"actual_grams, j.started_at, j.ended_at, j.failure_reason, " \
	"j.wasted_grams::float8 AS wasted_grams, j.replaces_job_id, (SELECT " \
	"x.id FROM print_jobs x WHERE x.replaces_job_id = j.id LIMIT 1) AS " \
	"replaced_by_job_id, (SELECT coalesce(json_agg(json_build_object(" \
	"'slot', s.slot, 'material', s.material, 'color_name', " \
	"s.color_name, 'est_grams', s.est_grams, 'spool_id', s.spool_id, " \
	"'spool_code', sp.code, 'used_grams', s.used_grams) ORDER BY " \
	"s.slot), '[]') FROM print_job_slots s LEFT JOIN spools sp ON sp.id " \
	"= s.spool_id WHERE s.job_id = j.id) AS slots, (SELECT " \
	"l.personalisation FROM sales_order_lines l WHERE l.id = " \
	"po.line_id) AS personalisation, j.created_at, j.updated_at"
#define JOB_FROM \
	"FROM print_jobs j JOIN production_orders po ON po.id = " \
	"j.production_order_id JOIN sales_orders so ON so.id = " \
	"po.sales_order_id JOIN products p ON p.id = j.product_id "
#define JOB_FILTER \
	"WHERE ($1::text IS NULL OR j.status::text = $1) AND ($2::bigint IS " \
	"NULL OR j.production_order_id = $2) AND ($3::bigint IS NULL OR " \
	"j.printer_id = $3) AND ($4::bigint IS NULL OR po.sales_order_id = " \
	"$4)"

const struct stmt production_stmts[PRODUCTION_NSTMTS] = {
	{ "production_so_lock",
	  "SELECT id, number, status::text AS status, line_count FROM "
	  "sales_orders WHERE id = $1 FOR UPDATE", 1 },
	{ "production_so_set",
	  "UPDATE sales_orders SET status = $2::sales_order_status, "
	  SO_STAMPS ", carrier = coalesce($3, carrier), tracking_number = "
	  "coalesce($4, tracking_number) WHERE id = $1", 4 },
	{ "production_so_pos",
	  "SELECT id, number, status::text AS status FROM production_orders "
	  "WHERE sales_order_id = $1 ORDER BY id FOR UPDATE", 1 },
	{ "production_plan",
	  "SELECT production_plan($1, $2::bigint, $3) AS made", 3 },
	{ "production_po_lock",
	  "SELECT id, number, sales_order_id, status::text AS status FROM "
	  "production_orders WHERE id = $1 FOR UPDATE", 1 },
	{ "production_po_set",
	  "UPDATE production_orders SET status = $2::production_status, "
	  "started_at = CASE WHEN $2 = 'in_progress' THEN now() ELSE "
	  "started_at END, done_at = CASE WHEN $2 = 'done' THEN now() ELSE "
	  "done_at END, cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() "
	  "ELSE cancelled_at END WHERE id = $1", 2 },
	{ "production_po_jobs",
	  "SELECT count(*) FILTER (WHERE status IN " JOB_OPEN ") AS open, "
	  "count(*) FILTER (WHERE status = 'completed') AS completed, "
	  "count(*) FILTER (WHERE status <> 'queued' AND status <> "
	  "'cancelled' OR status = 'cancelled' AND started_at IS NOT NULL) "
	  "AS begun FROM print_jobs WHERE production_order_id = $1", 1 },
	{ "production_po_release",
	  "SELECT coalesce(sum(production_release(id, NULL, NULL, $2::bigint, "
	  "$3)), 0)::float8 AS released FROM production_requirements WHERE "
	  "production_order_id = $1", 3 },
	{ "production_po_items",
	  "SELECT production_take_items($1, $2::bigint, $3)::float8 AS taken",
	  3 },
	{ "production_jobs_cancel",
	  "UPDATE print_jobs SET status = 'cancelled', ended_at = now() WHERE "
	  "production_order_id = $1 AND status IN " JOB_OPEN " RETURNING id, "
	  "(SELECT x.status::text FROM print_jobs x WHERE x.id = "
	  "print_jobs.id) AS before", 1 },
	{ "production_job_lock",
	  "SELECT j.id, j.production_order_id, j.status::text AS status, "
	  "j.started_at, po.status::text AS po_status FROM print_jobs j JOIN "
	  "production_orders po ON po.id = j.production_order_id WHERE "
	  "j.id = $1 FOR UPDATE OF j", 1 },
	{ "production_job_slots",
	  "SELECT slot, material, color_name, est_grams::float8 AS est_grams, "
	  "spool_id FROM print_job_slots WHERE job_id = $1 ORDER BY slot", 1 },
	{ "production_job_slot",
	  "UPDATE print_job_slots SET spool_id = coalesce($3::bigint, "
	  "spool_id), used_grams = coalesce($4::numeric, used_grams) WHERE "
	  "job_id = $1 AND slot = $2 RETURNING slot", 4 },
	{ "production_job_set",
	  "UPDATE print_jobs SET status = $2::print_job_status, printer_id = "
	  "coalesce($3::bigint, printer_id), started_at = CASE WHEN $2 = "
	  "'started' THEN now() ELSE started_at END, ended_at = CASE WHEN $2 "
	  "<> 'started' THEN now() ELSE ended_at END, actual_seconds = CASE "
	  "WHEN $2 IN ('completed', 'failed') THEN coalesce($4::integer, "
	  "greatest(0, extract(epoch FROM now() - coalesce(started_at, "
	  "now())))::integer) ELSE actual_seconds END, actual_grams = "
	  "CASE WHEN $2 = 'completed' THEN (SELECT sum(used_grams) FROM "
	  "print_job_slots WHERE job_id = $1) ELSE actual_grams END, "
	  "wasted_grams = CASE WHEN $2 = 'failed' THEN (SELECT "
	  "coalesce(sum(used_grams), 0) FROM print_job_slots WHERE job_id = "
	  "$1) ELSE wasted_grams END, failure_reason = coalesce($5, "
	  "failure_reason) WHERE id = $1", 5 },
	{ "production_job_replace",
	  "WITH j AS (INSERT INTO print_jobs (production_order_id, product_id, "
	  "plate_id, plate_name, file_sha256, seq, units, priority, nozzle_mm, "
	  "needs_enclosure, est_seconds, est_grams, replaces_job_id) SELECT "
	  "production_order_id, product_id, plate_id, plate_name, file_sha256, "
	  "(SELECT max(seq) + 1 FROM print_jobs x WHERE "
	  "x.production_order_id = o.production_order_id), units, priority, "
	  "nozzle_mm, needs_enclosure, est_seconds, est_grams, id FROM "
	  "print_jobs o WHERE o.id = $1 RETURNING id), s AS (INSERT INTO "
	  "print_job_slots (job_id, slot, material, color_name, est_grams) "
	  "SELECT j.id, slot, material, color_name, est_grams FROM j, "
	  "print_job_slots WHERE job_id = $1) SELECT id FROM j", 1 },
	/*
	 * The spool for a slot when none is named: one holding this
	 * production order's reservation for the slot's filament, else an
	 * opened matching spool, else the smallest with enough left.
	 */
	{ "production_slot_spool",
	  "SELECT sp.id FROM print_job_slots js JOIN print_jobs j ON j.id = "
	  "js.job_id JOIN spools sp ON sp.archived_at IS NULL JOIN filaments "
	  "f ON f.id = sp.filament_id AND lower(f.material) = "
	  "lower(js.material) AND (js.color_name IS NULL OR "
	  "lower(f.color_name) = lower(js.color_name)) WHERE js.job_id = $1 "
	  "AND js.slot = $2 AND sp.remaining_g >= $3::numeric ORDER BY "
	  "(SELECT coalesce(sum(m.reserved_qty), 0) FROM stock_moves m JOIN "
	  "production_requirements r ON r.id = m.ref_id WHERE m.ref_kind = "
	  "'production_requirement' AND r.production_order_id = "
	  "j.production_order_id AND m.spool_id = sp.id) DESC, "
	  "sp.first_used_at IS NULL, sp.remaining_g, sp.id LIMIT 1", 3 },
	/* The requirement of this production order a spool serves. */
	{ "production_spool_release",
	  "SELECT coalesce(sum(production_release(r.id, $3::numeric, "
	  "$2::bigint, $4::bigint, $5)), 0)::float8 AS released FROM "
	  "production_requirements r JOIN spools sp ON sp.id = $2 JOIN "
	  "filaments f ON f.id = sp.filament_id WHERE r.id = (SELECT r2.id "
	  "FROM production_requirements r2 WHERE r2.production_order_id = $1 "
	  "AND r2.kind = 'filament' AND requirement_matches(r2, f) ORDER BY "
	  "r2.filament_id IS NULL, r2.id LIMIT 1)", 5 },
	{ "production_so_pos_state",
	  "SELECT count(*) FILTER (WHERE status IN ('planned', "
	  "'in_progress')) AS open, count(*) FILTER (WHERE status = 'done') "
	  "AS done, count(*) FILTER (WHERE status IN ('in_progress', 'done')) "
	  "AS begun, count(*) AS total FROM production_orders WHERE "
	  "sales_order_id = $1", 1 },
	{ "production_job_show",
	  "SELECT " JOB_COLS " " JOB_FROM "WHERE j.id = $1", 1 },
	{ "production_job_list",
	  "SELECT " JOB_COLS " " JOB_FROM JOB_FILTER " ORDER BY CASE WHEN "
	  "$5 = 'queue' THEN -j.priority END, CASE WHEN $5 = 'queue' THEN "
	  "j.id END, j.id DESC LIMIT $6 OFFSET $7", 7 },
	{ "production_job_count",
	  "SELECT count(*) AS n " JOB_FROM JOB_FILTER, 4 },
	{ "production_job_update",
	  "UPDATE print_jobs SET priority = $2::integer, scheduled_start = "
	  "$3::timestamptz, printer_id = $4::bigint WHERE id = $1 RETURNING "
	  "id", 4 },
};

enum {
	ST_SO_LOCK, ST_SO_SET, ST_SO_POS, ST_PLAN, ST_PO_LOCK, ST_PO_SET,
	ST_PO_JOBS, ST_PO_RELEASE, ST_PO_ITEMS, ST_JOBS_CANCEL, ST_JOB_LOCK,
	ST_JOB_SLOTS, ST_JOB_SLOT, ST_JOB_SET, ST_JOB_REPLACE, ST_SLOT_SPOOL,
	ST_SPOOL_RELEASE, ST_SO_POS_STATE, ST_JOB_SHOW, ST_JOB_LIST,
	ST_JOB_COUNT, ST_JOB_UPDATE
};
_Static_assert(ST_JOB_SHOW == PRODUCTION_ST_JOB_SHOW &&
    ST_JOB_LIST == PRODUCTION_ST_JOB_LIST &&
    ST_JOB_COUNT == PRODUCTION_ST_JOB_COUNT &&
    ST_JOB_UPDATE == PRODUCTION_ST_JOB_UPDATE &&
    ST_JOB_UPDATE + 1 == PRODUCTION_NSTMTS, "production.h names the table");

static const char *
production_id(struct arena *a, long long id)
{
	return id > 0 ? arena_printf(a, "%lld", id) : NULL;
}

static void
production_note(json_t *changes, const char *entity, long long id,
    const char *from, const char *to)
{
	if (changes != NULL)
		json_array_append_new(changes, json_pack("{s:s, s:I, s:s, "
		    "s:s}", "entity", entity, "id", (json_int_t)id, "from",
		    from, "to", to));
}

/* The 409 of a state machine: names both states and the allowed ones. */
static int
production_refuse(struct err *e, enum orders_machine m, const char *what,
    const char *number, const char *from, const char *to)
{
	const char	*next;

	next = orders_next(m, from);
	err_set(e, ERR_CONFLICT, "%s %s is %s and cannot become %s", what,
	    number, from, to);
	err_allowed(e, next != NULL ? next : "");
	if (next != NULL && *next != '\0')
		err_detail(e, "allowed next: %s", next);
	else
		err_detail(e, "%s is final", from);
	return ERR_CONFLICT;
}

static void
production_actor_params(struct arena *a, const struct stock_actor *who,
    const char **p)
{
	p[0] = production_id(a, who != NULL ? who->user_id : 0);
	p[1] = who != NULL && who->name != NULL ? who->name : "system";
}

/* ---- sales orders ---- */

static int
production_so_set(struct db *db, struct arena *a, json_t *so,
    const char *to, const char *carrier, const char *tracking,
    json_t *changes, struct err *e)
{
	const char	*p[4], *from;

	from = json_row_str(so, "status");
	if (!orders_can(ORDERS_SALES, from, to))
		return production_refuse(e, ORDERS_SALES, "sales order",
		    json_row_str(so, "number"), from, to);
	p[0] = production_id(a, json_row_int(so, "id"));
	p[1] = to;
	p[2] = carrier;
	p[3] = tracking;
	if (db_exec(db, a, &production_stmts[ST_SO_SET], p, NULL, e) != 0)
		return e->code;
	production_note(changes, "order", json_row_int(so, "id"), from, to);
	return 0;
}

static int
production_so_lock(struct db *db, struct arena *a, long long id,
    json_t **so, struct err *e)
{
	const char	*p;

	p = production_id(a, id);
	if (db_one(db, a, &production_stmts[ST_SO_LOCK], &p, so, e) != 0)
		return e->code;
	if (*so == NULL)
		return err_set(e, ERR_NOT_FOUND, "no such order: %lld", id);
	return 0;
}

/* Moves the sales order of a production order along, if it is due. */
static int
production_so_advance(struct db *db, struct arena *a, long long so_id,
    json_t *changes, struct err *e)
{
	json_t		*so, *st;
	const char	*p, *status;

	if (production_so_lock(db, a, so_id, &so, e) != 0)
		return e->code;
	p = production_id(a, so_id);
	if (db_one(db, a, &production_stmts[ST_SO_POS_STATE], &p, &st, e) !=
	    0)
		return e->code;
	status = json_row_str(so, "status");
	if (strcmp(status, "confirmed") == 0 && json_row_int(st, "begun") >
	    0) {
		if (production_so_set(db, a, so, "in_production", NULL, NULL,
		    changes, e) != 0)
			return e->code;
		json_object_set_new(so, "status", json_string(
		    "in_production"));
		status = "in_production";
	}
	if ((strcmp(status, "confirmed") == 0 || strcmp(status,
	    "in_production") == 0) && json_row_int(st, "open") == 0 &&
	    json_row_int(st, "done") > 0)
		return production_so_set(db, a, so, "ready", NULL, NULL,
		    changes, e);
	return 0;
}

/* ---- production orders ---- */

static int
production_po_lock(struct db *db, struct arena *a, long long id,
    json_t **po, struct err *e)
{
	const char	*p;

	p = production_id(a, id);
	if (db_one(db, a, &production_stmts[ST_PO_LOCK], &p, po, e) != 0)
		return e->code;
	if (*po == NULL)
		return err_set(e, ERR_NOT_FOUND, "no such production order: "
		    "%lld", id);
	return 0;
}

static int
production_po_set(struct db *db, struct arena *a, json_t *po,
    const char *to, const struct stock_actor *who, json_t *changes,
    struct err *e)
{
	const char	*p[3], *from, *w[2];
	json_t		*rows, *row;
	size_t		 i;

	from = json_row_str(po, "status");
	if (!orders_can(ORDERS_PRODUCTION, from, to))
		return production_refuse(e, ORDERS_PRODUCTION,
		    "production order", json_row_str(po, "number"), from,
		    to);
	p[0] = production_id(a, json_row_int(po, "id"));
	p[1] = to;
	if (db_exec(db, a, &production_stmts[ST_PO_SET], p, NULL, e) != 0)
		return e->code;
	production_note(changes, "production_order", json_row_int(po,
	    "id"), from, to);
	production_actor_params(a, who, w);
	p[1] = w[0];
	p[2] = w[1];
	if (strcmp(to, "cancelled") == 0) {
		if (db_exec(db, a, &production_stmts[ST_JOBS_CANCEL], p, &rows,
		    e) != 0 || db_exec(db, a, &production_stmts[ST_PO_RELEASE],
		    p, NULL, e) != 0)
			return e->code;
		json_array_foreach(rows, i, row)
			production_note(changes, "print_job", json_row_int(
			    row, "id"), json_row_str(row, "before"),
			    "cancelled");
	} else if (strcmp(to, "done") == 0) {
		if (db_exec(db, a, &production_stmts[ST_PO_ITEMS], p, NULL, e)
		    != 0 || db_exec(db, a, &production_stmts[ST_PO_RELEASE], p,
		    NULL, e) != 0)
			return e->code;
	}
	return 0;
}

/* Moves a production order along after one of its jobs changed. */
static int
production_po_advance(struct db *db, struct arena *a, long long po_id,
    const struct stock_actor *who, json_t *changes, struct err *e)
{
	json_t		*po, *jobs;
	const char	*p, *status;

	if (production_po_lock(db, a, po_id, &po, e) != 0)
		return e->code;
	p = production_id(a, po_id);
	if (db_one(db, a, &production_stmts[ST_PO_JOBS], &p, &jobs, e) != 0)
		return e->code;
	status = json_row_str(po, "status");
	if (strcmp(status, "planned") == 0 && json_row_int(jobs, "begun") >
	    0) {
		if (production_po_set(db, a, po, "in_progress", who, changes,
		    e) != 0)
			return e->code;
		json_object_set_new(po, "status", json_string("in_progress"));
		status = "in_progress";
	}
	if ((strcmp(status, "planned") == 0 || strcmp(status, "in_progress")
	    == 0) && json_row_int(jobs, "open") == 0 &&
	    json_row_int(jobs, "completed") > 0 && production_po_set(db, a,
	    po, "done", who, changes, e) != 0)
		return e->code;
	return production_so_advance(db, a, json_row_int(po,
	    "sales_order_id"), changes, e);
}

int
production_po_change(struct db *db, struct arena *a, long long po_id,
    const char *to, const struct stock_actor *who, json_t *changes,
    struct err *e)
{
	json_t		*po, *jobs;
	const char	*p;

	if (production_po_lock(db, a, po_id, &po, e) != 0)
		return e->code;
	if (strcmp(to, "done") == 0) {
		p = production_id(a, po_id);
		if (db_one(db, a, &production_stmts[ST_PO_JOBS], &p, &jobs, e)
		    != 0)
			return e->code;
		if (json_row_int(jobs, "open") > 0) {
			err_set(e, ERR_CONFLICT, "production order %s has %lld "
			    "open print jobs", json_row_str(po, "number"),
			    json_row_int(jobs, "open"));
			err_hint(e, "complete, fail or cancel them first");
			return ERR_CONFLICT;
		}
	} else if (strcmp(to, "cancelled") != 0 && orders_known(
	    ORDERS_PRODUCTION, to)) {
		err_set(e, ERR_CONFLICT, "production order %s becomes %s by "
		    "itself when its print jobs run", json_row_str(po,
		    "number"), to);
		err_allowed(e, "done|cancelled");
		return ERR_CONFLICT;
	}
	if (production_po_set(db, a, po, to, who, changes, e) != 0)
		return e->code;
	return production_so_advance(db, a, json_row_int(po,
	    "sales_order_id"), changes, e);
}

/* ---- print jobs ---- */

void
production_change_init(struct production_job_change *c)
{
	int	i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i <= PRODUCTION_MAX_SLOTS; i++)
		c->grams[i] = -1;
	c->seconds = -1;
	c->replace = 1;
}

/*
 * Takes the grams of each slot from its spool (named, stored at start,
 * or found) and records them: the reservation of the production order
 * is given back first, then the ledger consumes the grams.  Completed
 * jobs default to the estimate; failed ones to nothing.
 */
static int
production_job_consume(struct db *db, struct arena *a, json_t *job,
    const struct production_job_change *c, const struct stock_actor *who,
    struct err *e)
{
	json_t			*slots, *slot, *row, *move;
	const char		*p[5], *w[2];
	struct stock_why	 why;
	long long		 n, spool;
	double			 g;
	size_t			 i;

	p[0] = production_id(a, json_row_int(job, "id"));
	if (db_exec(db, a, &production_stmts[ST_JOB_SLOTS], p, &slots, e) !=
	    0)
		return e->code;
	production_actor_params(a, who, w);
	why.reason = strcmp(c->to, "failed") == 0 ? "failed print" :
	    "print job";
	why.ref_kind = "print_job";
	why.ref_id = json_row_int(job, "id");
	json_array_foreach(slots, i, slot) {
		n = json_row_int(slot, "slot");
		if (n < 1 || n > PRODUCTION_MAX_SLOTS)
			continue;
		g = c->grams[n] >= 0 ? c->grams[n] : strcmp(c->to,
		    "completed") == 0 ? json_number_value(json_object_get(
		    slot, "est_grams")) : 0;
		spool = c->spool[n] > 0 ? c->spool[n] : json_row_int(slot,
		    "spool_id");
		if (g > 0 && spool == 0) {
			p[1] = production_id(a, n);
			p[2] = stock_fmt3(a, g);
			if (db_one(db, a, &production_stmts[ST_SLOT_SPOOL], p,
			    &row, e) != 0)
				return e->code;
			if (row == NULL) {
				err_set(e, ERR_CONFLICT, "no spool of %s%s%s "
				    "holds %.3f g for slot %lld",
				    json_row_str(slot, "material"),
				    json_row_str(slot, "color_name") !=
				    NULL ? " " : "", json_row_str(slot,
				    "color_name") != NULL ? json_row_str(
				    slot, "color_name") : "", g, n);
				err_field(e, arena_printf(a, "spools.%lld", n),
				    "name the spool this slot printed from");
				e->code = ERR_CONFLICT;
				return ERR_CONFLICT;
			}
			spool = json_row_int(row, "id");
		}
		p[1] = production_id(a, n);
		p[2] = production_id(a, spool);
		p[3] = stock_fmt3(a, g > 0 ? g : 0);
		if (db_exec(db, a, &production_stmts[ST_JOB_SLOT], p, NULL, e)
		    != 0)
			return e->code;
		if (g <= 0)
			continue;
		p[0] = production_id(a, json_row_int(job,
		    "production_order_id"));
		p[1] = production_id(a, spool);
		p[2] = stock_fmt3(a, g);
		p[3] = w[0];
		p[4] = w[1];
		if (db_exec(db, a, &production_stmts[ST_SPOOL_RELEASE], p,
		    NULL, e) != 0 || stock_spool_use(db, a, spool, g, &why,
		    who, &move, e) != 0)
			return e->code;
		p[0] = production_id(a, json_row_int(job, "id"));
	}
	return 0;
}

int
production_job_change(struct db *db, struct arena *a, long long job_id,
    const struct production_job_change *c, const struct stock_actor *who,
    json_t *changes, json_t **out, struct err *e)
{
	json_t		*job, *made;
	const char	*p[5], *from;
	int		 s;

	p[0] = production_id(a, job_id);
	if (db_one(db, a, &production_stmts[ST_JOB_LOCK], p, &job, e) != 0)
		return e->code;
	if (job == NULL)
		return err_set(e, ERR_NOT_FOUND, "no such print job: %lld",
		    job_id);
	from = json_row_str(job, "status");
	if (!orders_can(ORDERS_JOB, from, c->to))
		return production_refuse(e, ORDERS_JOB, "print job",
		    p[0], from, c->to);
	if (strcmp(c->to, "failed") == 0 && (c->reason == NULL ||
	    *c->reason == '\0')) {
		err_field(e, "reason", "say why the print failed");
		return err_set(e, ERR_INVALID, "a failed print needs a "
		    "reason");
	}
	/* spools named at start are kept for completion */
	for (s = 1; s <= PRODUCTION_MAX_SLOTS; s++) {
		if (c->spool[s] <= 0 || strcmp(c->to, "started") != 0)
			continue;
		p[1] = production_id(a, s);
		p[2] = production_id(a, c->spool[s]);
		p[3] = NULL;
		if (db_one(db, a, &production_stmts[ST_JOB_SLOT], p, &made, e)
		    != 0)
			return e->code;
		if (made == NULL) {
			err_field(e, arena_printf(a, "spools.%d", s), "the "
			    "job has no slot %d", s);
			return err_set(e, ERR_INVALID, "print job %lld has no "
			    "slot %d", job_id, s);
		}
	}
	if ((strcmp(c->to, "completed") == 0 || strcmp(c->to, "failed") ==
	    0) && production_job_consume(db, a, job, c, who, e) != 0)
		return e->code;
	p[1] = c->to;
	p[2] = production_id(a, c->printer_id);
	p[3] = c->seconds >= 0 ? arena_printf(a, "%lld", c->seconds) : NULL;
	p[4] = c->reason != NULL && *c->reason != '\0' ? c->reason : NULL;
	if (db_exec(db, a, &production_stmts[ST_JOB_SET], p, NULL, e) != 0)
		return e->code;
	production_note(changes, "print_job", job_id, from, c->to);
	if (strcmp(c->to, "failed") == 0 && c->replace) {
		if (db_one(db, a, &production_stmts[ST_JOB_REPLACE], p, &made,
		    e) != 0)
			return e->code;
		production_note(changes, "print_job", json_row_int(made,
		    "id"), "", "queued");
	}
	if (production_po_advance(db, a, json_row_int(job,
	    "production_order_id"), who, changes, e) != 0)
		return e->code;
	return db_one(db, a, &production_stmts[ST_JOB_SHOW], p, out, e);
}

/* ---- sales order status ---- */

int
production_order_change(struct db *db, struct arena *a, long long id,
    const char *to, const char *carrier, const char *tracking,
    const struct stock_actor *who, json_t *changes, struct err *e)
{
	json_t		*so, *pos, *po, *st;
	const char	*p[3];
	size_t		 i;

	if (production_so_lock(db, a, id, &so, e) != 0)
		return e->code;
	if (!orders_can(ORDERS_SALES, json_row_str(so, "status"), to))
		return production_refuse(e, ORDERS_SALES, "sales order",
		    json_row_str(so, "number"), json_row_str(so,
		    "status"), to);
	p[0] = production_id(a, id);
	if (strcmp(to, "confirmed") == 0 && json_row_int(so, "line_count")
	    == 0) {
		err_set(e, ERR_CONFLICT, "sales order %s has no lines",
		    json_row_str(so, "number"));
		err_hint(e, "add a line before confirming");
		return ERR_CONFLICT;
	}
	if (strcmp(to, "ready") == 0) {
		if (db_one(db, a, &production_stmts[ST_SO_POS_STATE], p, &st,
		    e) != 0)
			return e->code;
		if (json_row_int(st, "open") > 0) {
			err_set(e, ERR_CONFLICT, "sales order %s has %lld "
			    "production orders still open", json_row_str(
			    so, "number"), json_row_int(st, "open"));
			err_hint(e, "it becomes ready by itself when they are "
			    "done");
			err_allowed(e, orders_next(ORDERS_SALES,
			    json_row_str(so, "status")));
			return ERR_CONFLICT;
		}
	}
	if (production_so_set(db, a, so, to, carrier, tracking, changes, e) !=
	    0)
		return e->code;
	if (strcmp(to, "confirmed") == 0) {
		production_actor_params(a, who, &p[1]);
		return db_exec(db, a, &production_stmts[ST_PLAN], p, NULL, e);
	}
	if (strcmp(to, "cancelled") != 0)
		return 0;
	if (db_exec(db, a, &production_stmts[ST_SO_POS], p, &pos, e) != 0)
		return e->code;
	json_array_foreach(pos, i, po) {
		if (!orders_can(ORDERS_PRODUCTION, json_row_str(po,
		    "status"), "cancelled"))
			continue;
		if (production_po_set(db, a, po, "cancelled", who, changes, e)
		    != 0)
			return e->code;
	}
	return 0;
}

/*
 * print_jobs.c -- GET /api/v1/print-jobs (?sort=queue: the order a
 * scheduler takes them, highest priority first), GET and PATCH
 * /api/v1/print-jobs/{id} (priority, scheduled start, printer while the
 * job is open) and POST /api/v1/print-jobs/{id}/status: started,
 * completed, failed or cancelled, set by hand.  Pages: the production
 * page /production (printing now and the queue, with the buttons) and
 * the job buttons of the order page.  The order page's job
 * buttons post to POST /print-jobs/{id}/status (a form), which goes back
 * to the order page; its GET shows that page again with the errors.
 *
 * A status body: {"status": "completed", "printer_id": 3,
 * "spools": {"1": 12}, "grams": {"1": 20.5}, "minutes": 95,
 * "reason": "...", "replace": true}.  Slots are 1..16; grams default to
 * the estimate on completion and to none on failure; a slot without a
 * named spool takes the one holding the order's reservation.  What each
 * status does to stock and to the orders is in domain/production.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/production.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/farm.h"
#include "res/orders.h"
#include "res/record.h"

static int
print_jobs_list(struct req *r)
{
	const char	*p[7];

	p[0] = req_str(r, "status");
	p[1] = req_has(r, "production_order_id") ? arena_printf(r->arena,
	    "%lld", req_int(r, "production_order_id", 0)) : NULL;
	p[2] = req_has(r, "printer_id") ? arena_printf(r->arena, "%lld",
	    req_int(r, "printer_id", 0)) : NULL;
	p[3] = req_has(r, "order_id") ? arena_printf(r->arena, "%lld",
	    req_int(r, "order_id", 0)) : NULL;
	p[4] = req_str(r, "sort");
	p[5] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[6] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &production_stmts[PRODUCTION_ST_JOB_LIST],
	    &production_stmts[PRODUCTION_ST_JOB_COUNT], p);
}

static int
print_jobs_get(struct req *r, long long id, json_t **row)
{
	return record_find(r, &production_stmts[PRODUCTION_ST_JOB_SHOW], id,
	    "print job", row);
}

static int
print_jobs_show(struct req *r)
{
	return record_answer(r, &production_stmts[PRODUCTION_ST_JOB_SHOW], "print job");
}

static int
print_jobs_open(json_t *job)
{
	const char	*st;

	st = json_string_value(json_object_get(job, "status"));
	return strcmp(st, "queued") == 0 || strcmp(st, "started") == 0;
}

/* Priority, scheduled start and printer; null clears the latter two. */
static int
print_jobs_update(struct req *r)
{
	static const struct stock_field fields[] = {
		{ "priority", SF_INT, 1, -100, 100, 0, NULL },
		{ "scheduled_start", SF_TEXT, 0, 10, 40, 0, NULL },
		{ "printer_id", SF_ID, 0, 0, 0, 0, NULL },
	};
	const char	*p[4];
	json_t		*cur, *row;
	int		 is_printer;

	if (print_jobs_get(r, req_int(r, "id", 0), &cur) != 0)
		return r->err.code;
	if (!print_jobs_open(cur)) {
		err_set(&r->err, ERR_CONFLICT, "print job %lld is %s; only an "
		    "open job can be planned", req_int(r, "id", 0),
		    json_string_value(json_object_get(cur, "status")));
		return ERR_CONFLICT;
	}
	if (stock_record(r->arena, fields, 3, cur, r->input, &p[1], NULL,
	    &r->err) != 0)
		return req_invalid(r, "print job");
	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_exec(r->db, r->arena,
	    &production_stmts[PRODUCTION_ST_JOB_UPDATE], p, NULL, &r->err) !=
	    0) {
		if (r->err.code != ERR_INVALID)
			return r->err.code;
		/* a foreign key names the printer; anything else the time */
		is_printer = strstr(r->err.message, "foreign key") != NULL;
		err_clear(&r->err);
		if (is_printer)
			err_field(&r->err, "printer_id", "names no printer");
		else
			err_field(&r->err, "scheduled_start", "must be a time "
			    "such as 2026-03-01T08:00:00Z");
		return req_invalid(r, "print job");
	}
	if (print_jobs_get(r, req_int(r, "id", 0), &row) != 0 ||
	    req_audit(r, "update", "print_job", p[0], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* {"1": 12, "2": 14} into out[slot]; grams (positive numbers) or ids. */
static int
print_jobs_slots(struct req *r, const char *name, int grams, long long *ids,
    double *g)
{
	json_t		*obj, *v;
	const char	*key;
	char		*end;
	long		 slot;
	double		 d;

	obj = json_object_get(r->input, name);
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj)) {
		err_field(&r->err, name, "must map slot numbers to %s", grams ?
		    "grams" : "spool ids");
		return ERR_INVALID;
	}
	json_object_foreach(obj, key, v) {
		slot = strtol(key, &end, 10);
		if (*key == '\0' || *end != '\0' || slot < 1 ||
		    slot > PRODUCTION_MAX_SLOTS) {
			err_field(&r->err, arena_printf(r->arena, "%s.%s", name,
			    key), "is not a slot (1 to %d)",
			    PRODUCTION_MAX_SLOTS);
			continue;
		}
		if (stock_number(v, &d) != 0 || !isfinite(d) || d < 0 ||
		    d > 1e6 || (!grams && (d < 1 || d != (double)(long long)d))) {
			err_field(&r->err, arena_printf(r->arena, "%s.%s", name,
			    key), "must be %s", grams ? "grams (0 or more)" :
			    "a spool id");
			continue;
		}
		if (grams)
			g[slot] = d;
		else
			ids[slot] = (long long)d;
	}
	return r->err.fields != NULL ? ERR_INVALID : 0;
}

/*
 * Makes change c to job {id}: audited and published; *job gets the job
 * as it is afterwards and *changes what changed with it.
 */
static int
print_jobs_change(struct req *r, const struct production_job_change *c,
    json_t **job, json_t **changes)
{
	struct stock_actor	who;

	record_actor(r, &who);
	*changes = json_array();
	arena_json(r->arena, *changes);
	if (production_job_change(r->db, r->arena, req_int(r, "id", 0), c,
	    &who, *changes, job, &r->err) != 0 ||
	    record_audit_changes(r, *changes, NULL) != 0)
		return r->err.code;
	req_publish(r, "print-jobs", json_pack("{s:s, s:s, s:O, s:O}", "type",
	    "print_job", "event", "status", "job", *job, "changes", *changes));
	return 0;
}

static int
print_jobs_status(struct req *r)
{
	struct production_job_change	 c;
	json_t				*changes, *job;

	production_change_init(&c);
	c.to = req_str(r, "status");
	c.printer_id = req_int(r, "printer_id", 0);
	c.reason = req_str(r, "reason");
	c.replace = req_bool(r, "replace", 1);
	if (req_has(r, "minutes"))
		c.seconds = req_int(r, "minutes", 0) * 60;
	print_jobs_slots(r, "spools", 0, c.spool, NULL);
	print_jobs_slots(r, "grams", 1, NULL, c.grams);
	if (r->err.fields != NULL)
		return req_invalid(r, "print job change");
	if (print_jobs_change(r, &c, &job, &changes) != 0)
		return r->err.code;
	json_object_set(job, "changes", changes);
	req_json(r, 200, json_incref(job));
	return 0;
}

/* ---- pages ---- */

/*
 * The order page of the job's sales order: the GET of the job's status
 * form, which shows it again with its errors.
 */
static int
print_jobs_page_show(struct req *r)
{
	json_t	*job;

	if (print_jobs_get(r, req_int(r, "id", 0), &job) != 0)
		return r->err.code;
	return orders_page_view(r, json_row_int(job, "sales_order_id"),
	    json_row_int(job, "id"));
}

/*
 * The buttons of a print job on the order page: start, complete (with
 * the estimated grams, from the reserved spools), fail (with a reason;
 * a replacement is queued) or cancel; back to the order page.
 */
static int
print_jobs_page_status(struct req *r)
{
	struct production_job_change	 c;
	json_t				*changes, *job;

	production_change_init(&c);
	c.to = req_str(r, "status");
	c.reason = req_str(r, "reason");
	if (print_jobs_change(r, &c, &job, &changes) != 0)
		return r->err.code;
	req_flash(r, "ok", arena_printf(r->arena, "orders_flash_job_%s",
	    c.to));
	req_redirect(r, arena_printf(r->arena, "/orders/%lld",
	    json_row_int(job, "sales_order_id")));
	return 0;
}

/* The open jobs of one status, in the order to take them, dressed. */
static int
print_jobs_open_list(struct req *r, const char *status, json_t **rows)
{
	const char	*p[7];
	json_t		*row, *slot;
	size_t		 i, k;

	p[0] = status;
	p[1] = p[2] = p[3] = NULL;
	p[4] = "queue";
	p[5] = "200";
	p[6] = "0";
	if (db_exec(r->db, r->arena, &production_stmts[PRODUCTION_ST_JOB_LIST],
	    p, rows, &r->err) != 0)
		return r->err.code;
	json_array_foreach(*rows, i, row) {
		json_object_set_new(row, "minutes", json_integer((json_row_int(
		    row, "est_seconds") + 59) / 60));
		json_object_set_new(row, "grams_text", json_string(arena_printf(
		    r->arena, "%.1f", json_row_num(row, "est_grams"))));
		json_array_foreach(json_object_get(row, "slots"), k, slot)
			json_object_set_new(slot, "grams_text", json_string(
			    arena_printf(r->arena, "%.1f", json_row_num(slot,
			    "est_grams"))));
	}
	req_localize_times(r, *rows);
	return 0;
}

/* The production page: what is printing now and the queue. */
static int
print_jobs_page_queue(struct req *r)
{
	json_t	*started, *queued;

	if (print_jobs_open_list(r, "started", &started) != 0 ||
	    print_jobs_open_list(r, "queued", &queued) != 0)
		return r->err.code;
	r->out = json_pack("{s:O, s:O, s:b, s:b, s:b, s:b}", "started",
	    started, "queued", queued, "has_started", json_array_size(started)
	    > 0, "has_queued", json_array_size(queued) > 0, "nav_production",
	    1, "can_edit", r->who.role != ROLE_ACCOUNTANT);
	json_object_set_new(r->out, "title", json_string(req_t(r,
	    "page_production")));
	return farm_choices_for_page(r, r->out);
}

/*
 * The buttons on the production page: start, complete (optionally with
 * the grams used, for a one-slot job), fail with a reason; back to it.
 */
static int
print_jobs_page_queue_post(struct req *r)
{
	struct production_job_change	 c;
	json_t				*changes, *job;
	double				 g;

	production_change_init(&c);
	c.to = req_str(r, "status");
	c.reason = req_str(r, "reason");
	if (req_has(r, "grams")) {
		if (stock_number(json_object_get(r->args, "grams"), &g) != 0 ||
		    !(g >= 0) || g > 1e6) {
			err_field(&r->err, "grams", "must be grams, 0 or more");
			return req_invalid(r, "print job change");
		}
		c.grams[1] = g;
	}
	if (print_jobs_change(r, &c, &job, &changes) != 0)
		return r->err.code;
	req_flash(r, "ok", arena_printf(r->arena, "orders_flash_job_%s",
	    c.to));
	req_redirect(r, "/production");
	return 0;
}

#define JOB_STATES	"queued|started|completed|failed|cancelled"

static const struct param list_params[] = {
	{ "status", IN_QUERY, P_ENUM, 0, 0, 0, JOB_STATES },
	{ "production_order_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "order_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "printer_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "sort", IN_QUERY, P_ENUM, 0, 0, 0, "queue|newest" },
	PARAM_PAGE,
	PARAM_END,
};
#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
static const struct param update_params[] = {
	ID_PATH,
	{ "priority", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "scheduled_start", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "printer_id", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};
static const struct param status_params[] = {
	ID_PATH,
	{ "status", IN_BODY, P_ENUM, 1, 0, 0, JOB_STATES },
	{ "printer_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "spools", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "grams", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "minutes", IN_BODY, P_INT, 0, 0, 100000, NULL },
	{ "reason", IN_BODY, P_STR, 0, 1, 500, NULL },
	{ "replace", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct param page_status_params[] = {
	ID_PATH,
	{ "status", IN_BODY, P_ENUM, 1, 0, 0, "started|completed|failed|"
	    "cancelled" },
	{ "reason", IN_BODY, P_STR, 0, 0, 500, NULL },
	PARAM_END,
};

static const struct param queue_post_params[] = {
	ID_PATH,
	{ "status", IN_BODY, P_ENUM, 1, 0, 0, "started|completed|failed|"
	    "cancelled" },
	{ "reason", IN_BODY, P_STR, 0, 0, 500, NULL },
	{ "grams", IN_BODY, P_STR, 0, 0, 20, NULL },
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)

static const struct route print_jobs_routes[] = {
	{ "GET", "/api/v1/print-jobs", print_jobs_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "GET", "/api/v1/print-jobs/{id}", print_jobs_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/print-jobs/{id}", print_jobs_update, WRITERS, 0,
	    update_params, NULL },
	{ "POST", "/api/v1/print-jobs/{id}/status", print_jobs_status,
	    WRITERS, 0, status_params, NULL },
	{ "GET", "/print-jobs/{id}/status", print_jobs_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "orders/show" },
	{ "POST", "/print-jobs/{id}/status", print_jobs_page_status, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, page_status_params, "orders/show" },
	{ "GET", "/production", print_jobs_page_queue, ROLE_ANY, ROUTE_PAGE,
	    NULL, "production/index" },
	{ "GET", "/production/jobs/{id}", print_jobs_page_queue, ROLE_ANY,
	    ROUTE_PAGE, params_id, "production/index" },
	{ "POST", "/production/jobs/{id}", print_jobs_page_queue_post, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, queue_post_params, "production/index" },
};

const struct resource print_jobs_resource = {
	"print-jobs", print_jobs_routes,
	sizeof(print_jobs_routes) / sizeof(print_jobs_routes[0]),
	production_stmts, PRODUCTION_NSTMTS,
};

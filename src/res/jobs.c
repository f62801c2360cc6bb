/*
 * jobs.c -- background jobs as people see them: GET /api/v1/jobs (with
 * ?state=), GET /api/v1/jobs/{id} (progress for a page to show), POST
 * /api/v1/jobs/{id}/retry to give a dead job another go, and the page
 * Settings -> Background jobs that shows the same.
 */
#include <string.h>

#include "core/arena.h"
#include "db/db.h"
#include "http/req.h"
#include "res/record.h"

static const struct stmt jobs_res_stmts[] = {
	{ "jobs_list",
	  "SELECT id, kind, state::text AS state, attempts, max_attempts, "
	  "progress, progress_note, last_error, run_at, created_at, "
	  "finished_at, every_seconds FROM jobs WHERE $1::text IS NULL OR "
	  "state::text = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", 3 },
	{ "jobs_count",
	  "SELECT count(*) AS n FROM jobs WHERE $1::text IS NULL OR "
	  "state::text = $1", 1 },
	{ "jobs_show",
	  "SELECT id, kind, args, state::text AS state, attempts, "
	  "max_attempts, progress, progress_note, last_error, result, run_at, "
	  "created_at, finished_at, every_seconds FROM jobs WHERE id = $1", 1 },
	{ "jobs_retry_dead",
	  "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), "
	  "last_error = NULL, finished_at = NULL WHERE id = $1 AND state = "
	  "'dead' RETURNING id, kind, state::text AS state", 1 },
};

enum { ST_LIST, ST_COUNT, ST_SHOW, ST_RETRY };

static int
jobs_list(struct req *r)
{
	const char	*p[3];

	p[0] = req_str(r, "state");
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[2] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &jobs_res_stmts[ST_LIST],
	    &jobs_res_stmts[ST_COUNT], p);
}

static int
jobs_show(struct req *r)
{
	json_t		*row;
	const char	*p;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &jobs_res_stmts[ST_SHOW], &p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such job");
	req_json(r, 200, json_incref(row));
	return 0;
}

/* Queues a dead job again; *row gets the job. */
static int
jobs_retry_do(struct req *r, json_t **row)
{
	const char	*p;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &jobs_res_stmts[ST_RETRY], &p, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL) {
		err_set(&r->err, ERR_CONFLICT, "only a dead job can be retried");
		err_hint(&r->err, "GET /api/v1/jobs/%s shows its state", p);
		return ERR_CONFLICT;
	}
	return req_audit(r, "retry", "job", p, NULL, *row);
}

static int
jobs_retry(struct req *r)
{
	json_t	*row;

	if (jobs_retry_do(r, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* The jobs page: the newest 100 jobs with their progress. */
static int
jobs_page(struct req *r)
{
	json_t		*rows, *row;
	const char	*p[3] = { NULL, "100", "0" }, *state;
	size_t		 i;

	if (db_exec(r->db, r->arena, &jobs_res_stmts[ST_LIST], p, &rows,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row) {
		state = json_string_value(json_object_get(row, "state"));
		json_object_set_new(row, "state_label", json_string(req_t(r,
		    arena_printf(r->arena, "jobs_state_%s", state))));
		json_object_set_new(row, "dead", json_boolean(strcmp(state,
		    "dead") == 0));
	}
	req_localize_times(r, rows);
	r->out = json_pack("{s:O, s:b}", "jobs", rows, "has_jobs",
	    json_array_size(rows) > 0);
	return 0;
}

static int
jobs_page_retry(struct req *r)
{
	json_t	*row;

	if (jobs_retry_do(r, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "flash_job_retried");
	req_redirect(r, "/settings/jobs");
	return 0;
}

static const struct param list_params[] = {
	{ "state", IN_QUERY, P_ENUM, 0, 0, 0, "queued|running|done|dead" },
	PARAM_PAGE,
	PARAM_END,
};

static const struct route jobs_routes[] = {
	{ "GET", "/api/v1/jobs", jobs_list, ROLE_OWNER | ROLE_STAFF, 0,
	    list_params, NULL },
	{ "GET", "/api/v1/jobs/{id}", jobs_show, ROLE_ANY, 0, params_id,
	    NULL },
	{ "POST", "/api/v1/jobs/{id}/retry", jobs_retry, ROLE_OWNER, 0,
	    params_id, NULL },
	{ "GET", "/settings/jobs", jobs_page, ROLE_OWNER | ROLE_STAFF,
	    ROUTE_PAGE, NULL, "settings/jobs" },
	{ "POST", "/settings/jobs/{id}/retry", jobs_page_retry, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, params_id, "settings/jobs" },
};

const struct resource jobs_resource = {
	"jobs", jobs_routes, sizeof(jobs_routes) / sizeof(jobs_routes[0]),
	jobs_res_stmts, sizeof(jobs_res_stmts) / sizeof(jobs_res_stmts[0]),
};

/*
 * vendors.c -- who makes the filament: GET/POST /api/v1/vendors,
 * GET/PATCH/DELETE /api/v1/vendors/{id}.
 *
 * Names are unique (the catalogue import finds a vendor by name).  A
 * vendor that filaments still name cannot be deleted (409).
 */
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "domain/stock.h"
#include "http/req.h"

#define VEN_COLS \
	"id, name, website, (SELECT count(*) FROM filaments f WHERE " \
	"f.vendor_id = vendors.id) AS filaments, created_at"
#define VEN_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(name), lower($1)) > 0) " \
	"AND $2::text IS NULL"
#define SORT_BY(p, key, expr) \
	"CASE WHEN " p " = '" key "' THEN " expr " END, " \
	"CASE WHEN " p " = '-" key "' THEN " expr " END DESC, "
#define VEN_SORT(p) \
	SORT_BY(p, "name", "name") \
	SORT_BY(p, "created_at", "created_at") SORT_BY(p, "id", "id")

static const struct stmt vendors_stmts[] = {
	{ "vendors_list",
	  "SELECT " VEN_COLS " FROM vendors " VEN_FILTER " ORDER BY "
	  VEN_SORT("$3") VEN_SORT("$4") "id LIMIT $5 OFFSET $6", 6 },
	{ "vendors_count",
	  "SELECT count(*) AS n FROM vendors " VEN_FILTER, 2 },
	{ "vendors_show",
	  "SELECT " VEN_COLS " FROM vendors WHERE id = $1", 1 },
	{ "vendors_create",
	  "INSERT INTO vendors (name, website) VALUES ($1, $2) RETURNING "
	  VEN_COLS, 2 },
	{ "vendors_update",
	  "UPDATE vendors SET name = $2, website = $3 WHERE id = $1 "
	  "RETURNING " VEN_COLS, 3 },
	{ "vendors_delete",
	  "DELETE FROM vendors WHERE id = $1 RETURNING " VEN_COLS, 1 },
};

enum { ST_LIST, ST_COUNT, ST_SHOW, ST_CREATE, ST_UPDATE, ST_DELETE };

static const struct stock_field vendors_fields[] = {
	{ "name", SF_TEXT, 1, 1, 100, 0, NULL },
	{ "website", SF_TEXT, 0, 0, 300, 0, NULL },
};
#define NFIELDS	(sizeof(vendors_fields) / sizeof(vendors_fields[0]))

static int
vendors_list(struct req *r)
{
	json_t		*rows, *cnt;
	const char	*p[6];

	p[0] = req_str(r, "q");
	p[1] = NULL;
	if (stock_sort(r->arena, req_str(r, "sort"), "name|created_at|id",
	    "name", &p[2], &r->err) != 0)
		return r->err.code;
	p[4] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[5] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	if (db_exec(r->db, r->arena, &vendors_stmts[ST_LIST], p, &rows,
	    &r->err) != 0 || db_one(r->db, r->arena,
	    &vendors_stmts[ST_COUNT], p, &cnt, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:O}", "items", rows, "total",
	    json_object_get(cnt, "n")));
	return 0;
}

static int
vendors_get(struct req *r, json_t **row)
{
	const char	*p;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &vendors_stmts[ST_SHOW], &p, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such vendor: %s",
		    p);
	return 0;
}

static int
vendors_show(struct req *r)
{
	json_t	*row;

	if (vendors_get(r, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* A unique-name conflict, said in words. */
static int
vendors_dupe(struct req *r, const char *name)
{
	if (r->err.code == ERR_CONFLICT) {
		err_set(&r->err, ERR_CONFLICT, "a vendor named \"%s\" exists "
		    "already", name);
		err_field(&r->err, "name", "is taken");
	}
	return r->err.code;
}

static int
vendors_create(struct req *r)
{
	const char	*p[NFIELDS];
	json_t		*row;

	if (stock_record(r->arena, vendors_fields, NFIELDS, NULL, r->input,
	    p, NULL, &r->err) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &vendors_stmts[ST_CREATE], p, &row,
	    &r->err) != 0)
		return vendors_dupe(r, p[0]);
	if (req_audit(r, "create", "vendor", arena_printf(r->arena, "%lld",
	    (long long)json_integer_value(json_object_get(row, "id"))), NULL,
	    row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
vendors_update(struct req *r)
{
	const char	*p[NFIELDS + 1];
	json_t		*cur, *row;

	if (vendors_get(r, &cur) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (stock_record(r->arena, vendors_fields, NFIELDS, cur, r->input,
	    p + 1, NULL, &r->err) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &vendors_stmts[ST_UPDATE], p, &row,
	    &r->err) != 0)
		return vendors_dupe(r, p[1]);
	if (req_audit(r, "update", "vendor", p[0], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
vendors_delete(struct req *r)
{
	const char	*p;
	json_t		*row;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &vendors_stmts[ST_DELETE], &p, &row,
	    &r->err) != 0) {
		if (r->err.code != ERR_INVALID)
			return r->err.code;
		err_clear(&r->err);
		err_set(&r->err, ERR_CONFLICT, "vendor %s still has filaments",
		    p);
		err_hint(&r->err, "delete or reassign its filaments first");
		return ERR_CONFLICT;
	}
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such vendor: %s",
		    p);
	if (req_audit(r, "delete", "vendor", p, row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param create_params[] = {
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "website", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};
static const struct param update_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "website", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct route vendors_routes[] = {
	{ "GET", "/api/v1/vendors", vendors_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "POST", "/api/v1/vendors", vendors_create,
	    ROLE_OWNER | ROLE_STAFF, 0, create_params, NULL },
	{ "GET", "/api/v1/vendors/{id}", vendors_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/vendors/{id}", vendors_update,
	    ROLE_OWNER | ROLE_STAFF, 0, update_params, NULL },
	{ "DELETE", "/api/v1/vendors/{id}", vendors_delete, ROLE_OWNER,
	    0, params_id, NULL },
};

const struct resource vendors_resource = {
	"vendors", vendors_routes,
	sizeof(vendors_routes) / sizeof(vendors_routes[0]),
	vendors_stmts, sizeof(vendors_stmts) / sizeof(vendors_stmts[0]),
};

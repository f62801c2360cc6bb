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
#include "res/record.h"

#define VEN_COLS \
	"id, name, website, (SELECT count(*) FROM filaments f WHERE " \
	"f.vendor_id = vendors.id) AS filaments, created_at"
#define VEN_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(name), lower($1)) > 0) " \
	"AND $2::text IS NULL"
#define VEN_SORT(p) \
	RECORD_SORT_BY(p, "name", "name") \
	RECORD_SORT_BY(p, "created_at", "created_at") \
	RECORD_SORT_BY(p, "id", "id")

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

static const struct stock_field vendors_fields[] = {
	{ "name", SF_TEXT, 1, 1, 100, 0, NULL },
	{ "website", SF_TEXT, 0, 0, 300, 0, NULL },
};
#define NFIELDS	(sizeof(vendors_fields) / sizeof(vendors_fields[0]))

static const struct record vendors_record = {
	"vendor", vendors_stmts, vendors_fields, NFIELDS, "name|created_at|id",
	NULL, "still has filaments",
	"delete or reassign its filaments first",
};

static int
vendors_list(struct req *r)
{
	return record_list(r, &vendors_record);
}

static int
vendors_show(struct req *r)
{
	return record_show(r, &vendors_record);
}

static int
vendors_create(struct req *r)
{
	return record_create(r, &vendors_record);
}

static int
vendors_update(struct req *r)
{
	return record_update(r, &vendors_record);
}

static int
vendors_delete(struct req *r)
{
	return record_delete(r, &vendors_record);
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

static int
vendors_page(struct req *r)
{
	return record_page_list(r, &vendors_record, "inventory_vendors");
}

static int
vendors_page_create(struct req *r)
{
	return record_page_create(r, &vendors_record,
	    "inventory_flash_vendor_created", "/inventory/vendors");
}

static const struct param vendors_page_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 100, NULL },
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
	{ "GET", "/inventory/vendors", vendors_page, ROLE_ANY, ROUTE_PAGE,
	    vendors_page_params, "inventory/vendors" },
	{ "POST", "/inventory/vendors", vendors_page_create,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM, create_params,
	    "inventory/vendors" },
};

const struct resource vendors_resource = {
	"vendors", vendors_routes,
	sizeof(vendors_routes) / sizeof(vendors_routes[0]),
	vendors_stmts, sizeof(vendors_stmts) / sizeof(vendors_stmts[0]),
};

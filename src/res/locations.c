/*
 * locations.c -- where stock lives (a shelf, a dry box, a printer):
 * GET/POST /api/v1/locations, GET/PATCH/DELETE /api/v1/locations/{id}.
 *
 * Names are unique.  A location that spools, items or ledger rows still
 * name cannot be deleted (409); rename it instead.
 */
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/record.h"

#define LOC_COLS \
	"id, name, kind::text AS kind, note, created_at, (SELECT count(*) " \
	"FROM spools s WHERE s.location_id = locations.id AND " \
	"s.archived_at IS NULL) AS spools"
#define LOC_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(name), lower($1)) > 0) " \
	"AND ($2::text IS NULL OR kind::text = $2)"
#define LOC_SORT(p) \
	RECORD_SORT_BY(p, "name", "name") \
	RECORD_SORT_BY(p, "kind", "kind::text") \
	RECORD_SORT_BY(p, "created_at", "created_at") \
	RECORD_SORT_BY(p, "id", "id")

static const struct stmt locations_stmts[] = {
	{ "locations_list",
	  "SELECT " LOC_COLS " FROM locations " LOC_FILTER " ORDER BY "
	  LOC_SORT("$3") LOC_SORT("$4") "id LIMIT $5 OFFSET $6", 6 },
	{ "locations_count",
	  "SELECT count(*) AS n FROM locations " LOC_FILTER, 2 },
	{ "locations_show",
	  "SELECT " LOC_COLS " FROM locations WHERE id = $1", 1 },
	{ "locations_create",
	  "INSERT INTO locations (name, kind, note) VALUES ($1, "
	  "coalesce($2::location_kind, 'shelf'), $3) RETURNING " LOC_COLS, 3 },
	{ "locations_update",
	  "UPDATE locations SET name = $2, kind = coalesce($3::location_kind, "
	  "'shelf'), note = $4 WHERE id = $1 RETURNING " LOC_COLS, 4 },
	{ "locations_delete",
	  "DELETE FROM locations WHERE id = $1 RETURNING " LOC_COLS, 1 },
};

static const struct stock_field locations_fields[] = {
	{ "name", SF_TEXT, 1, 1, 100, 0, NULL },
	{ "kind", SF_ENUM, 0, 0, 0, 0, "shelf|dry_box|printer|other" },
	{ "note", SF_TEXT, 0, 0, 1000, 0, NULL },
};
#define NFIELDS	(sizeof(locations_fields) / sizeof(locations_fields[0]))

static const struct record locations_record = {
	"location", locations_stmts, locations_fields, NFIELDS,
	"name|kind|created_at|id",
	"kind", "still holds stock or appears in the stock ledger",
	"move its spools and items elsewhere, or rename it",
};

static int
locations_list(struct req *r)
{
	return record_list(r, &locations_record);
}

static int
locations_show(struct req *r)
{
	return record_show(r, &locations_record);
}

static int
locations_create(struct req *r)
{
	return record_create(r, &locations_record);
}

static int
locations_update(struct req *r)
{
	return record_update(r, &locations_record);
}

static int
locations_delete(struct req *r)
{
	return record_delete(r, &locations_record);
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "kind", IN_QUERY, P_ENUM, 0, 0, 0, "shelf|dry_box|printer|other" },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param create_params[] = {
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "kind", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "note", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};
static const struct param update_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "kind", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "note", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

static int
locations_page(struct req *r)
{
	json_t	*row;
	size_t	 i;

	if (record_page_list(r, &locations_record, "inventory_locations") !=
	    0)
		return r->err.code;
	json_array_foreach(json_object_get(r->out, "rows"), i, row)
		json_object_set_new(row, "kind_label", json_string(req_t(r,
		    arena_printf(r->arena, "inventory_location_kind_%s",
		    json_string_value(json_object_get(row, "kind"))))));
	return 0;
}

static int
locations_page_create(struct req *r)
{
	return record_page_create(r, &locations_record,
	    "inventory_flash_location_created", "/inventory/locations");
}

static const struct param locations_page_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 100, NULL },
	PARAM_END,
};

static const struct route locations_routes[] = {
	{ "GET", "/api/v1/locations", locations_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "POST", "/api/v1/locations", locations_create,
	    ROLE_OWNER | ROLE_STAFF, 0, create_params, NULL },
	{ "GET", "/api/v1/locations/{id}", locations_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/locations/{id}", locations_update,
	    ROLE_OWNER | ROLE_STAFF, 0, update_params, NULL },
	{ "DELETE", "/api/v1/locations/{id}", locations_delete, ROLE_OWNER,
	    0, params_id, NULL },
	{ "GET", "/inventory/locations", locations_page, ROLE_ANY, ROUTE_PAGE,
	    locations_page_params, "inventory/locations" },
	{ "POST", "/inventory/locations", locations_page_create,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM, create_params,
	    "inventory/locations" },
};

const struct resource locations_resource = {
	"locations", locations_routes,
	sizeof(locations_routes) / sizeof(locations_routes[0]),
	locations_stmts, sizeof(locations_stmts) / sizeof(locations_stmts[0]),
};

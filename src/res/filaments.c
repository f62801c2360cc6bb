/*
 * filaments.c -- filament products (vendor, material, colour, density,
 * diameter, weights, price): GET/POST /api/v1/filaments,
 * GET/PATCH/DELETE /api/v1/filaments/{id}, and the catalogue:
 * GET /api/v1/filament-catalog?q= searches the filament products shipped
 * in data/filament-catalog.json (made from SpoolmanDB by
 * scripts/spoolmandb-import), POST /api/v1/filaments/from-catalog creates
 * the vendor and the filament from one of them.
 *
 * Invariants: density > 0 (the mm -> g conversion divides by nothing but
 * needs it); one filament per catalogue product (catalog_id is unique, so
 * picking the same product twice returns the first filament).  The
 * catalogue is read once per worker, from beside the template folder,
 * and never from outside the installed tree.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/config.h"
#include "db/db.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/record.h"

#define FIL_COLS \
	"f.id, f.vendor_id, v.name AS vendor, f.name, f.material, " \
	"f.color_name, f.color_hex, f.diameter_mm::float8 AS diameter_mm, " \
	"f.density::float8 AS density, f.net_weight_g::float8 AS " \
	"net_weight_g, f.spool_weight_g::float8 AS spool_weight_g, " \
	"f.price_per_kg_cents, f.currency, f.extruder_temp, f.bed_temp, " \
	"f.article_number, f.low_stock_g::float8 AS low_stock_g, " \
	"f.catalog_id, f.created_at, (SELECT count(*) FROM spools s WHERE " \
	"s.filament_id = f.id AND s.archived_at IS NULL) AS spools, " \
	"(SELECT coalesce(sum(s.remaining_g), 0) FROM spools s WHERE " \
	"s.filament_id = f.id AND s.archived_at IS NULL)::float8 AS " \
	"remaining_g"
#define FIL_FROM \
	"FROM filaments f LEFT JOIN vendors v ON v.id = f.vendor_id "
#define FIL_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(concat_ws(' ', v.name, " \
	"f.name, f.material, f.color_name, f.article_number)), lower($1)) " \
	"> 0) AND ($2::bigint IS NULL OR f.vendor_id = $2) AND ($3::text IS " \
	"NULL OR lower(f.material) = lower($3)) AND ($4::text IS NULL OR " \
	"lower(f.color_name) = lower($4))"
#define FIL_SORT(p) \
	RECORD_SORT_BY(p, "name", "f.name") RECORD_SORT_BY(p, "material", "f.material") \
	RECORD_SORT_BY(p, "color_name", "f.color_name") \
	RECORD_SORT_BY(p, "vendor", "v.name") \
	RECORD_SORT_BY(p, "created_at", "f.created_at") RECORD_SORT_BY(p, "id", "f.id")
#define FIL_VALUES \
	"$1, $2, $3, $4, $5, coalesce($6::numeric, 1.75), $7, " \
	"coalesce($8::numeric, 1000), $9, $10, coalesce($11, 'EUR'), $12, " \
	"$13, $14, $15"

/* Ceiling for the shipped catalogue file. */
#define CATALOG_MAX	(16 * 1024 * 1024)

static const struct stmt filaments_stmts[] = {
	{ "filaments_list",
	  "SELECT " FIL_COLS " " FIL_FROM FIL_FILTER " ORDER BY "
	  FIL_SORT("$5") FIL_SORT("$6") "f.id LIMIT $7 OFFSET $8", 8 },
	{ "filaments_count",
	  "SELECT count(*) AS n " FIL_FROM FIL_FILTER, 4 },
	{ "filaments_show",
	  "SELECT " FIL_COLS " " FIL_FROM "WHERE f.id = $1", 1 },
	{ "filaments_create",
	  "INSERT INTO filaments (vendor_id, name, material, color_name, "
	  "color_hex, diameter_mm, density, net_weight_g, spool_weight_g, "
	  "price_per_kg_cents, currency, extruder_temp, bed_temp, "
	  "article_number, low_stock_g, catalog_id) VALUES (" FIL_VALUES
	  ", $16) ON CONFLICT (catalog_id) DO NOTHING RETURNING id", 16 },
	{ "filaments_update",
	  "UPDATE filaments SET (vendor_id, name, material, color_name, "
	  "color_hex, diameter_mm, density, net_weight_g, spool_weight_g, "
	  "price_per_kg_cents, currency, extruder_temp, bed_temp, "
	  "article_number, low_stock_g) = (" FIL_VALUES ") WHERE id = $16 "
	  "RETURNING id", 16 },
	{ "filaments_delete",
	  "DELETE FROM filaments WHERE id = $1 RETURNING id, name", 1 },
	{ "filaments_by_catalog",
	  "SELECT id FROM filaments WHERE catalog_id = $1", 1 },
	{ "filaments_vendor_named",
	  "WITH found AS (SELECT id FROM vendors WHERE lower(name) = "
	  "lower($1)), made AS (INSERT INTO vendors (name) SELECT $1 WHERE "
	  "NOT EXISTS (SELECT 1 FROM found) RETURNING id) SELECT id FROM "
	  "found UNION ALL SELECT id FROM made", 1 },
	{ "filaments_vendor_choices",
	  "SELECT id, name FROM vendors ORDER BY name", 0 },
};

enum {
	ST_LIST, ST_COUNT, ST_SHOW, ST_CREATE, ST_UPDATE, ST_DELETE,
	ST_BY_CATALOG, ST_VENDOR, ST_VENDORS
};

static const struct stock_field filaments_fields[] = {
	{ "vendor_id", SF_ID, 0, 0, 0, 0, NULL },
	{ "name", SF_TEXT, 1, 1, 200, 0, NULL },
	{ "material", SF_TEXT, 1, 1, 40, 0, NULL },
	{ "color_name", SF_TEXT, 0, 0, 100, 0, NULL },
	{ "color_hex", SF_HEX, 0, 0, 0, 0, NULL },
	{ "diameter_mm", SF_NUM, 0, 0, 10, 1, NULL },
	{ "density", SF_NUM, 1, 0, 30, 1, NULL },
	{ "net_weight_g", SF_NUM, 0, 0, 1e6, 1, NULL },
	{ "spool_weight_g", SF_NUM, 0, 0, 1e6, 0, NULL },
	{ "price_per_kg_cents", SF_INT, 0, 0, 1e9, 0, NULL },
	{ "currency", SF_CUR, 0, 0, 0, 0, NULL },
	{ "extruder_temp", SF_INT, 0, 0, 600, 0, NULL },
	{ "bed_temp", SF_INT, 0, 0, 200, 0, NULL },
	{ "article_number", SF_TEXT, 0, 0, 100, 0, NULL },
	{ "low_stock_g", SF_NUM, 0, 0, 1e9, 0, NULL },
};
#define NFIELDS	(sizeof(filaments_fields) / sizeof(filaments_fields[0]))

/* The catalogue: loaded on first use, kept for the worker's lifetime. */
static json_t	*filaments_catalog;

static int
filaments_list(struct req *r)
{
	const char	*p[8];

	p[0] = req_str(r, "q");
	p[1] = req_has(r, "vendor_id") ? arena_printf(r->arena, "%lld",
	    req_int(r, "vendor_id", 0)) : NULL;
	p[2] = req_str(r, "material");
	p[3] = req_str(r, "color");
	if (stock_sort(r->arena, req_str(r, "sort"),
	    "name|material|color_name|vendor|created_at|id", "material",
	    &p[4], &r->err) != 0)
		return r->err.code;
	if (p[5] == NULL)
		p[5] = "color_name";
	p[6] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[7] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &filaments_stmts[ST_LIST],
	    &filaments_stmts[ST_COUNT], p);
}

static int
filaments_get(struct req *r, long long id, json_t **row)
{
	return record_find(r, &filaments_stmts[ST_SHOW], id, "filament",
	    row);
}

static int
filaments_show(struct req *r)
{
	return record_answer(r, &filaments_stmts[ST_SHOW], "filament");
}

/* A vendor_id that names no vendor is a field error, not a 500. */
static int
filaments_fk(struct req *r)
{
	if (r->err.code == ERR_INVALID && strstr(r->err.message,
	    "foreign key") != NULL) {
		err_clear(&r->err);
		err_field(&r->err, "vendor_id", "names no vendor");
		err_set(&r->err, ERR_INVALID, "there is no such vendor");
	}
	return r->err.code;
}

/*
 * Creates a filament from validated params (p[15] = catalog id or NULL).
 * *created is 0 when the catalogue product existed already.
 */
static int
filaments_insert(struct req *r, const char **p, json_t **row, int *created)
{
	json_t	*id;

	if (db_one(r->db, r->arena, &filaments_stmts[ST_CREATE], p, &id,
	    &r->err) != 0)
		return filaments_fk(r);
	*created = id != NULL;
	if (id == NULL && db_one(r->db, r->arena,
	    &filaments_stmts[ST_BY_CATALOG], &p[15], &id, &r->err) != 0)
		return r->err.code;
	if (id == NULL)
		return err_set(&r->err, ERR_CONFLICT, "the filament changed "
		    "while it was created; try again");
	if (filaments_get(r, (long long)json_integer_value(json_object_get(id,
	    "id")), row) != 0)
		return r->err.code;
	if (*created && req_audit(r, "create", "filament",
	    arena_printf(r->arena, "%lld", (long long)json_integer_value(
	    json_object_get(*row, "id"))), NULL, *row) != 0)
		return r->err.code;
	return 0;
}

static int
filaments_create(struct req *r)
{
	const char	*p[NFIELDS + 1];
	json_t		*row;
	int		 created;

	if (stock_record(r->arena, filaments_fields, NFIELDS, NULL, r->input,
	    p, NULL, &r->err) != 0)
		return r->err.code;
	p[NFIELDS] = NULL;
	if (filaments_insert(r, p, &row, &created) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
filaments_update(struct req *r)
{
	const char	*p[NFIELDS + 1];
	json_t		*cur, *row;
	long long	 id;

	id = req_int(r, "id", 0);
	if (filaments_get(r, id, &cur) != 0)
		return r->err.code;
	if (stock_record(r->arena, filaments_fields, NFIELDS, cur, r->input,
	    p, NULL, &r->err) != 0)
		return r->err.code;
	p[NFIELDS] = arena_printf(r->arena, "%lld", id);
	if (db_one(r->db, r->arena, &filaments_stmts[ST_UPDATE], p, &row,
	    &r->err) != 0)
		return filaments_fk(r);
	if (filaments_get(r, id, &row) != 0 || req_audit(r, "update",
	    "filament", p[NFIELDS], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
filaments_delete(struct req *r)
{
	const char	*p;
	json_t		*row;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &filaments_stmts[ST_DELETE], &p, &row,
	    &r->err) != 0) {
		if (r->err.code != ERR_INVALID)
			return r->err.code;
		err_clear(&r->err);
		err_set(&r->err, ERR_CONFLICT, "filament %s still has spools",
		    p);
		err_hint(&r->err, "archive its spools instead; a filament with "
		    "history stays");
		return ERR_CONFLICT;
	}
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such filament: %s",
		    p);
	if (req_audit(r, "delete", "filament", p, row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

/* ---- the catalogue ---- */

/*
 * Loads data/filament-catalog.json from beside the template folder:
 * {"source", "columns": [...], "vendors": [...], "items": [[...], ...]}.
 */
static int
filaments_catalog_load(struct req *r)
{
	const char	*dir, *slash, *path;
	json_error_t	 je;

	if (filaments_catalog != NULL)
		return 0;
	dir = r->cfg->template_dir;
	slash = strrchr(dir, '/');
	while (slash != NULL && slash[1] == '\0' && slash > dir) {
		dir = arena_strndup(r->arena, dir, (size_t)(slash - dir));
		slash = strrchr(dir, '/');
	}
	path = slash != NULL ? arena_printf(r->arena,
	    "%.*s/data/filament-catalog.json", (int)(slash - dir), dir) :
	    "data/filament-catalog.json";
	filaments_catalog = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (filaments_catalog == NULL ||
	    !json_is_array(json_object_get(filaments_catalog, "items"))) {
		json_decref(filaments_catalog);
		filaments_catalog = NULL;
		err_set(&r->err, ERR_UNAVAILABLE, "the filament catalogue "
		    "cannot be read");
		err_detail(&r->err, "%s: %s", path, je.text);
		return ERR_UNAVAILABLE;
	}
	return 0;
}

/* Row i of the catalogue as an object (a new reference). */
static json_t *
filaments_catalog_entry(json_t *row)
{
	json_t	*vendors;

	vendors = json_object_get(filaments_catalog, "vendors");
	return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, "
	    "s:O, s:O, s:O}",
	    "id", json_array_get(row, 0),
	    "vendor", json_array_get(vendors, (size_t)json_integer_value(
	    json_array_get(row, 1))),
	    "name", json_array_get(row, 2),
	    "material", json_array_get(row, 3),
	    "color_name", json_array_get(row, 4),
	    "color_hex", json_array_get(row, 5),
	    "density", json_array_get(row, 6),
	    "net_weight_g", json_array_get(row, 7),
	    "spool_weight_g", json_array_get(row, 8),
	    "diameter_mm", json_array_get(row, 9),
	    "extruder_temp", json_array_get(row, 10),
	    "bed_temp", json_array_get(row, 11));
}

/* Case-insensitive: does hay hold every space-separated word of q? */
static int
filaments_words_match(const char *hay, const char *q)
{
	const char	*w, *end, *h;
	size_t		 n;

	for (w = q; *w != '\0'; w = end) {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		for (end = w; *end != '\0' && *end != ' '; end++)
			;
		n = (size_t)(end - w);
		for (h = hay; *h != '\0'; h++)
			if (strncasecmp(h, w, n) == 0)
				break;
		if (*h == '\0')
			return 0;
	}
	return 1;
}

static int
filaments_catalog_search(struct req *r)
{
	json_t		*row, *out, *vendors;
	const char	*q, *hay;
	long long	 limit, offset, total;
	size_t		 i;

	if (filaments_catalog_load(r) != 0)
		return r->err.code;
	q = req_str(r, "q");
	limit = req_int(r, "limit", 50);
	offset = req_int(r, "offset", 0);
	vendors = json_object_get(filaments_catalog, "vendors");
	out = json_array();
	total = 0;
	json_array_foreach(json_object_get(filaments_catalog, "items"), i,
	    row) {
		if (q != NULL) {
			hay = arena_printf(r->arena, "%s %s %s %s %g",
			    json_string_value(json_array_get(vendors,
			    (size_t)json_integer_value(json_array_get(row,
			    1)))), json_string_value(json_array_get(row, 3)),
			    json_string_value(json_array_get(row, 2)),
			    json_string_value(json_array_get(row, 4)),
			    json_number_value(json_array_get(row, 7)));
			if (!filaments_words_match(hay, q))
				continue;
		}
		if (total >= offset && total < offset + limit)
			json_array_append_new(out,
			    filaments_catalog_entry(row));
		total++;
	}
	req_json(r, 200, json_pack("{s:o, s:I, s:O}", "items", out, "total",
	    (json_int_t)total, "source", json_object_get(filaments_catalog,
	    "source")));
	return 0;
}

static int
filaments_catalog_fits(json_t *entry, struct req *r)
{
	const char	*s;
	double		 d;

	if ((s = req_str(r, "vendor")) != NULL && strcasecmp(s,
	    json_string_value(json_object_get(entry, "vendor"))) != 0)
		return 0;
	if ((s = req_str(r, "name")) != NULL && strcasecmp(s,
	    json_string_value(json_object_get(entry, "name"))) != 0 &&
	    strcasecmp(s, json_string_value(json_object_get(entry,
	    "material"))) != 0)
		return 0;
	if ((s = req_str(r, "material")) != NULL && strcasecmp(s,
	    json_string_value(json_object_get(entry, "material"))) != 0)
		return 0;
	if ((s = req_str(r, "color")) != NULL && strcasecmp(s,
	    json_string_value(json_object_get(entry, "color_name"))) != 0)
		return 0;
	if (stock_number(json_object_get(r->args, "weight_g"), &d) == 0 &&
	    d != json_number_value(json_object_get(entry, "net_weight_g")))
		return 0;
	if (stock_number(json_object_get(r->args, "diameter_mm"), &d) == 0 &&
	    d != json_number_value(json_object_get(entry, "diameter_mm")))
		return 0;
	return 1;
}

/* Finds the one catalogue product the request names. */
static int
filaments_catalog_pick(struct req *r, json_t **entry)
{
	json_t		*row, *e, *ids;
	const char	*id, *list;
	size_t		 i, n;

	*entry = NULL;
	id = req_str(r, "id");
	if (id == NULL && req_str(r, "vendor") == NULL)
		return err_field(&r->err, "id", "give a catalogue id, or "
		    "vendor, name, color and weight_g"), ERR_INVALID;
	ids = json_array();
	arena_json(r->arena, ids);
	n = 0;
	json_array_foreach(json_object_get(filaments_catalog, "items"), i,
	    row) {
		if (id != NULL && strcmp(id, json_string_value(
		    json_array_get(row, 0))) != 0)
			continue;
		e = filaments_catalog_entry(row);
		arena_json(r->arena, e);
		if (id == NULL && !filaments_catalog_fits(e, r))
			continue;
		if (n++ == 0)
			*entry = e;
		if (json_array_size(ids) < 5)
			json_array_append(ids, json_object_get(e, "id"));
	}
	if (n == 0) {
		err_set(&r->err, ERR_NOT_FOUND, "no catalogue product fits");
		err_hint(&r->err, "search with GET /api/v1/filament-catalog?q=");
		return ERR_NOT_FOUND;
	}
	if (n > 1) {
		list = "";
		json_array_foreach(ids, i, e)
			list = arena_printf(r->arena, "%s%s%s", list,
			    i > 0 ? ", " : "", json_string_value(e));
		err_set(&r->err, ERR_CONFLICT, "%zu catalogue products fit; "
		    "name one by id", n);
		err_detail(&r->err, "for example %s", list);
		return ERR_CONFLICT;
	}
	return 0;
}

/* Creates (or finds) the filament of the catalogue product named. */
static int
filaments_catalog_make(struct req *r, json_t **row, int *created)
{
	const char	*p[NFIELDS + 1];
	json_t		*entry, *vendor, *in, *v;

	if (filaments_catalog_load(r) != 0 ||
	    filaments_catalog_pick(r, &entry) != 0)
		return r->err.code;
	p[0] = json_string_value(json_object_get(entry, "vendor"));
	if (db_one(r->db, r->arena, &filaments_stmts[ST_VENDOR], p, &vendor,
	    &r->err) != 0)
		return r->err.code;
	in = json_deep_copy(entry);
	arena_json(r->arena, in);
	json_object_del(in, "id");
	json_object_del(in, "vendor");
	json_object_set(in, "vendor_id", json_object_get(vendor, "id"));
	if ((v = json_object_get(r->args, "price_per_kg_cents")) != NULL)
		json_object_set(in, "price_per_kg_cents", v);
	if ((v = json_object_get(r->args, "low_stock_g")) != NULL)
		json_object_set(in, "low_stock_g", v);
	if (stock_record(r->arena, filaments_fields, NFIELDS, NULL, in, p,
	    NULL, &r->err) != 0)
		return r->err.code;
	p[NFIELDS] = json_string_value(json_object_get(entry, "id"));
	return filaments_insert(r, p, row, created);
}

static int
filaments_from_catalog(struct req *r)
{
	json_t	*row;
	int	 created;

	if (filaments_catalog_make(r, &row, &created) != 0)
		return r->err.code;
	req_json(r, created ? 201 : 200, json_incref(row));
	return 0;
}

/* ---- pages ---- */

static int
filaments_page_new(struct req *r)
{
	json_t		*vendors, *found;
	const char	*q;

	if (db_exec(r->db, r->arena, &filaments_stmts[ST_VENDORS], NULL,
	    &vendors, &r->err) != 0)
		return r->err.code;
	r->out = json_pack("{s:O}", "vendors", vendors);
	if ((q = req_str(r, "q")) != NULL) {
		json_object_set_new(r->args, "limit", json_integer(30));
		if (filaments_catalog_search(r) != 0)
			return r->err.code;
		found = json_incref(json_object_get(r->out, "items"));
		json_decref(r->out);
		r->out = json_pack("{s:O, s:o, s:s, s:b}", "vendors", vendors,
		    "catalog", found, "q", q, "searched", 1);
		r->status = 200;
	}
	json_object_set_new(r->out, "title", json_string(arena_printf(
	    r->arena, "%s · %s", req_t(r, "inventory_new_filament"), req_t(r,
	    "page_inventory"))));
	json_object_set_new(r->out, "nav_inventory", json_true());
	return 0;
}

static int
filaments_page_create(struct req *r)
{
	const char	*p[NFIELDS + 1];
	json_t		*row, *in;
	int		 created;

	if (req_str(r, "catalog_id") != NULL) {
		json_object_set(r->args, "id", json_object_get(r->args,
		    "catalog_id"));
		if (filaments_catalog_make(r, &row, &created) != 0)
			return r->err.code;
	} else {
		in = json_deep_copy(r->input);
		arena_json(r->arena, in);
		json_object_del(in, "_csrf");
		if (stock_record(r->arena, filaments_fields, NFIELDS, NULL, in,
		    p, NULL, &r->err) != 0)
			return r->err.code;
		p[NFIELDS] = NULL;
		if (filaments_insert(r, p, &row, &created) != 0)
			return r->err.code;
	}
	req_flash(r, "ok", "inventory_flash_filament_created");
	req_redirect(r, "/inventory/spools/new");
	return 0;
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "vendor_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "material", IN_QUERY, P_STR, 0, 1, 40, NULL },
	{ "color", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
#define FIL_BODY \
	{ "vendor_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "material", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "color_name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "color_hex", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "diameter_mm", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "density", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "net_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "spool_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "price_per_kg_cents", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "currency", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "extruder_temp", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "bed_temp", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "article_number", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "low_stock_g", IN_BODY, P_ANY, 0, 0, 0, NULL }
static const struct param create_params[] = {
	FIL_BODY,
	PARAM_END,
};
static const struct param update_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	FIL_BODY,
	PARAM_END,
};
static const struct param catalog_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param from_catalog_params[] = {
	{ "id", IN_BODY, P_STR, 0, 1, 200, NULL },
	{ "vendor", IN_BODY, P_STR, 0, 1, 100, NULL },
	{ "name", IN_BODY, P_STR, 0, 1, 200, NULL },
	{ "material", IN_BODY, P_STR, 0, 1, 40, NULL },
	{ "color", IN_BODY, P_STR, 0, 1, 100, NULL },
	{ "weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "diameter_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "price_per_kg_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "low_stock_g", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct param page_new_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_END,
};
static const struct param page_create_params[] = {
	{ "catalog_id", IN_BODY, P_STR, 0, 1, 200, NULL },
	FIL_BODY,
	PARAM_END,
};

static const struct route filaments_routes[] = {
	{ "GET", "/api/v1/filaments", filaments_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "POST", "/api/v1/filaments", filaments_create,
	    ROLE_OWNER | ROLE_STAFF, 0, create_params, NULL },
	{ "GET", "/api/v1/filaments/{id}", filaments_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/filaments/{id}", filaments_update,
	    ROLE_OWNER | ROLE_STAFF, 0, update_params, NULL },
	{ "DELETE", "/api/v1/filaments/{id}", filaments_delete, ROLE_OWNER,
	    0, params_id, NULL },
	{ "GET", "/api/v1/filament-catalog", filaments_catalog_search,
	    ROLE_ANY, 0, catalog_params, NULL },
	{ "POST", "/api/v1/filaments/from-catalog", filaments_from_catalog,
	    ROLE_OWNER | ROLE_STAFF, 0, from_catalog_params, NULL },
	{ "GET", "/inventory/filaments/new", filaments_page_new,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE, page_new_params,
	    "inventory/filament-new" },
	{ "POST", "/inventory/filaments/new", filaments_page_create,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM,
	    page_create_params, "inventory/filament-new" },
};

const struct resource filaments_resource = {
	"filaments", filaments_routes,
	sizeof(filaments_routes) / sizeof(filaments_routes[0]),
	filaments_stmts, sizeof(filaments_stmts) / sizeof(filaments_stmts[0]),
};

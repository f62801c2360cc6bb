/*
 * labels.c -- printable labels as PDF: one spool
 * (GET /api/v1/spools/{id}/label.pdf), one item
 * (GET /api/v1/items/{id}/label.pdf) and an A4 sheet of spool labels
 * (GET /api/v1/labels/sheet.pdf?spools=1,2,3).  ?size= is 40x30
 * (default) or 62x29.
 *
 * Invariants: reads only; the QR code holds the absolute URL of the
 * thing's page built from the configured public_url and the id read
 * back from the database, never from input text; a sheet names at most
 * SHEET_MAX spools, each of which must exist (the first missing one is
 * a 404 naming it), and keeps the order and repetitions asked for.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "db/db.h"
#include "export/labels.h"
#include "http/req.h"

#define SHEET_MAX	200

#define LABEL_SPOOL_COLS \
	"s.id, s.code, f.material, v.name AS vendor, f.color_name, " \
	"f.color_hex"
#define LABEL_SPOOL_FROM \
	"spools s JOIN filaments f ON f.id = s.filament_id LEFT JOIN " \
	"vendors v ON v.id = f.vendor_id"

static const struct stmt labels_stmts[] = {
	{ "labels_spool",
	  "SELECT " LABEL_SPOOL_COLS " FROM " LABEL_SPOOL_FROM
	  " WHERE s.id = $1", 1 },
	{ "labels_item",
	  "SELECT id, name, sku, unit FROM items WHERE id = $1", 1 },
	{ "labels_spools",
	  "SELECT w.want, " LABEL_SPOOL_COLS " FROM unnest($1::bigint[]) "
	  "WITH ORDINALITY AS w(want, ord) LEFT JOIN (" LABEL_SPOOL_FROM
	  ") ON s.id = w.want ORDER BY w.ord", 1 },
};

enum { ST_SPOOL, ST_ITEM, ST_SPOOLS };

/* The label size asked for (the route's enum rule has checked it). */
static enum labels_size
labels_want_size(struct req *r)
{
	enum labels_size	size;
	const char		*s;

	s = req_str(r, "size");
	if (s == NULL || labels_size_parse(s, &size) != 0)
		size = LABELS_40X30;
	return size;
}

/* public_url without a trailing slash, then the page's path. */
static const char *
labels_url(struct req *r, const char *path)
{
	const char	*base;
	size_t		 len;

	base = r->cfg->public_url != NULL ? r->cfg->public_url : "";
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	return arena_printf(r->arena, "%.*s%s", (int)len, base, path);
}

static const char *
labels_field(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static void
labels_of_spool(struct req *r, json_t *row, struct label *lb)
{
	memset(lb, 0, sizeof(*lb));
	lb->url = labels_url(r, arena_printf(r->arena,
	    "/inventory/spools/%lld", (long long)json_integer_value(
	    json_object_get(row, "id"))));
	lb->title = labels_field(row, "material");
	lb->line2 = labels_field(row, "vendor");
	lb->line3 = labels_field(row, "color_name");
	lb->code = labels_field(row, "code");
	lb->swatch = 1;
	lb->color_hex = labels_field(row, "color_hex");
}

/* Hands the PDF to the framework: type, inline file name. */
static void
labels_answer(struct req *r, const char *filename)
{
	r->content_type_out = "application/pdf";
	req_header(r, "Content-Disposition", arena_printf(r->arena,
	    "inline; filename=\"%s\"", filename));
}

static const char *
labels_size_name(struct req *r)
{
	return labels_want_size(r) == LABELS_62X29 ? "62x29" : "40x30";
}

static int
labels_spool(struct req *r)
{
	struct label	 lb;
	json_t		*row;
	const char	*p;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &labels_stmts[ST_SPOOL], &p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such spool: %s", p);
	labels_of_spool(r, row, &lb);
	if (labels_pdf(r->arena, labels_want_size(r), &lb, 1, &r->body_out,
	    &r->err) != 0)
		return r->err.code;
	labels_answer(r, arena_printf(r->arena, "spool-%s-%s.pdf", lb.code,
	    labels_size_name(r)));
	return 0;
}

static int
labels_item(struct req *r)
{
	struct label	 lb;
	json_t		*row;
	const char	*p, *sku;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &labels_stmts[ST_ITEM], &p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such item: %s", p);
	memset(&lb, 0, sizeof(lb));
	lb.url = labels_url(r, arena_printf(r->arena, "/inventory/items/%s",
	    p));
	lb.title = labels_field(row, "name");
	sku = labels_field(row, "sku");
	lb.line2 = sku != NULL ? arena_printf(r->arena, "SKU %s", sku) : NULL;
	lb.line3 = labels_field(row, "unit");
	lb.code = arena_printf(r->arena, "#%s", p);
	if (labels_pdf(r->arena, labels_want_size(r), &lb, 1, &r->body_out,
	    &r->err) != 0)
		return r->err.code;
	labels_answer(r, arena_printf(r->arena, "item-%s-%s.pdf", p,
	    labels_size_name(r)));
	return 0;
}

/*
 * Parses "1,2,3" into a PostgreSQL array literal of positive ids;
 * *n gets how many.  Bad text or too many ids is a 400 naming the
 * parameter.
 */
static int
labels_ids(struct req *r, const char *s, const char **array, size_t *n)
{
	struct buf	*b;
	const char	*at;
	char		*end;
	long long	 id;

	*n = 0;
	/* The record outlives this frame: the arena frees it at reset. */
	b = arena_alloc(r->arena, sizeof(*b));
	buf_init(b, strlen(s) + 3);
	buf_on_arena(b, r->arena);
	buf_addc(b, '{');
	for (at = s; ; at = end + 1) {
		if (*at < '0' || *at > '9')
			return err_set(&r->err, ERR_BAD_REQUEST, "parameter "
			    "\"spools\" must be spool ids separated by commas");
		errno = 0;
		id = strtoll(at, &end, 10);
		if (errno != 0 || id < 1 || (*end != ',' && *end != '\0'))
			return err_set(&r->err, ERR_BAD_REQUEST, "parameter "
			    "\"spools\" must be spool ids separated by commas");
		if (++*n > SHEET_MAX)
			return err_set(&r->err, ERR_BAD_REQUEST, "parameter "
			    "\"spools\" names more than %d spools", SHEET_MAX);
		if (*n > 1)
			buf_addc(b, ',');
		buf_printf(b, "%lld", id);
		if (*end == '\0')
			break;
	}
	buf_addc(b, '}');
	*array = b->data;
	return 0;
}

static int
labels_sheet_pdf(struct req *r)
{
	struct label	*lb;
	json_t		*rows, *row;
	const char	*array;
	size_t		 n, i;

	if (labels_ids(r, req_str(r, "spools"), &array, &n) != 0)
		return r->err.code;
	if (db_exec(r->db, r->arena, &labels_stmts[ST_SPOOLS], &array, &rows,
	    &r->err) != 0)
		return r->err.code;
	lb = arena_calloc(r->arena, json_array_size(rows) + 1, sizeof(*lb));
	json_array_foreach(rows, i, row) {
		if (json_is_null(json_object_get(row, "id")))
			return err_set(&r->err, ERR_NOT_FOUND, "no such spool: "
			    "%lld", (long long)json_integer_value(
			    json_object_get(row, "want")));
		labels_of_spool(r, row, &lb[i]);
	}
	if (labels_sheet(r->arena, labels_want_size(r), lb,
	    json_array_size(rows), &r->body_out, &r->err) != 0)
		return r->err.code;
	labels_answer(r, arena_printf(r->arena, "spool-labels-%s.pdf",
	    labels_size_name(r)));
	return 0;
}

#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
#define SIZE_QUERY \
	{ "size", IN_QUERY, P_ENUM, 0, 0, 0, "40x30|62x29" }

static const struct param label_params[] = {
	ID_PATH,
	SIZE_QUERY,
	PARAM_END,
};
static const struct param sheet_params[] = {
	{ "spools", IN_QUERY, P_STR, 1, 1, 8000, NULL },
	SIZE_QUERY,
	PARAM_END,
};

static const struct route labels_routes[] = {
	{ "GET", "/api/v1/spools/{id}/label.pdf", labels_spool, ROLE_ANY,
	    ROUTE_RAW, label_params, NULL },
	{ "GET", "/api/v1/items/{id}/label.pdf", labels_item, ROLE_ANY,
	    ROUTE_RAW, label_params, NULL },
	{ "GET", "/api/v1/labels/sheet.pdf", labels_sheet_pdf, ROLE_ANY,
	    ROUTE_RAW, sheet_params, NULL },
};

const struct resource labels_resource = {
	"labels", labels_routes,
	sizeof(labels_routes) / sizeof(labels_routes[0]),
	labels_stmts, sizeof(labels_stmts) / sizeof(labels_stmts[0]),
};

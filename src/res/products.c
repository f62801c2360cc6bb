/*
 * products.c -- products and their bills of materials:
 * GET/POST /api/v1/products, GET/PATCH/DELETE /api/v1/products/{id},
 * GET/POST /api/v1/products/{id}/bom, DELETE
 * /api/v1/products/{id}/bom/{line_id}, the cost roll-up GET
 * /api/v1/products/{id}/cost, and the pages /products, /products/new,
 * /products/{id} with the BOM editor.  Print profiles (plates) live in
 * profiles.c.
 *
 * Invariants: the SKU is unique and the VAT rate names a rate of the
 * business settings (both kept by sql/0004_products.sql); a BOM never
 * makes a product contain itself (a trigger refuses it with 23514, so
 * every writer is covered); a product used in another BOM is not
 * deleted (409).  Cost amounts are computed exactly in SQL and rounded
 * only by domain/costing.c, one rounding per listed part.
 */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/costing.h"
#include "domain/money.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/profiles.h"
#include "res/record.h"

#define PROD_COLS \
	"p.id, p.sku, p.name, p.description, p.price_gross_cents, " \
	"(SELECT currency FROM business_settings) AS currency, p.vat_rate, " \
	"p.labour_minutes, p.active, p.created_at, p.updated_at, " \
	"(SELECT count(*) FROM product_plates pl WHERE pl.product_id = " \
	"p.id) AS plates, (SELECT count(*) FROM product_bom b WHERE " \
	"b.product_id = p.id) AS bom_lines"
#define PROD_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(concat_ws(' ', p.sku, " \
	"p.name, p.description)), lower($1)) > 0) AND ($2::boolean IS NULL " \
	"OR p.active = $2) AND ($3::text IS NULL OR p.vat_rate = $3)"
#define PROD_SORT(p) \
	RECORD_SORT_BY(p, "sku", "lower(p.sku)") RECORD_SORT_BY(p, "name", "lower(p.name)") \
	RECORD_SORT_BY(p, "price_gross_cents", "p.price_gross_cents") \
	RECORD_SORT_BY(p, "created_at", "p.created_at") RECORD_SORT_BY(p, "id", "p.id")
#define PROD_SORTS	"sku|name|price_gross_cents|created_at|id"
#define PROD_VALUES \
	"$1, $2, $3, coalesce($4::bigint, 0), coalesce($5, 'standard'), " \
	"coalesce($6::integer, 0), coalesce($7::boolean, true)"

#define BOM_COLS \
	"b.id, b.kind, b.filament_id, f.name AS filament, b.material, " \
	"b.color_name, b.grams::float8 AS grams, b.item_id, i.name AS item, " \
	"i.unit AS item_unit, b.component_id AS product_id, c.sku AS " \
	"product_sku, c.name AS product_name, b.qty::float8 AS qty, b.note"
#define BOM_FROM \
	"FROM product_bom b LEFT JOIN filaments f ON f.id = b.filament_id " \
	"LEFT JOIN items i ON i.id = b.item_id LEFT JOIN products c ON " \
	"c.id = b.component_id "

/*
 * The product and everything below it: mult is how many of a node one
 * unit of the top product holds, via the SKU path to it ("" for the top).
 */
#define COST_TREE \
	"WITH RECURSIVE tree (product_id, mult, depth, path, via) AS (" \
	"SELECT $1::bigint, 1::numeric, 0, ARRAY[$1::bigint], ''::text " \
	"UNION ALL SELECT b.component_id, t.mult * b.qty, t.depth + 1, " \
	"t.path || b.component_id, CASE WHEN t.depth = 0 THEN c.sku ELSE " \
	"t.via || ' > ' || c.sku END FROM tree t JOIN product_bom b ON " \
	"b.product_id = t.product_id AND b.kind = 'product' JOIN products c " \
	"ON c.id = b.component_id WHERE t.depth < 16 AND NOT b.component_id " \
	"= ANY (t.path)), "
/* Price per kg of a filament, or the average of matching ones. */
#define COST_PRICE(fid, mat, col) \
	"CROSS JOIN LATERAL (SELECT avg(x.price_per_kg_cents) AS per_kg, " \
	"count(*) AS n FROM filaments x WHERE x.price_per_kg_cents IS NOT " \
	"NULL AND CASE WHEN " fid " IS NOT NULL THEN x.id = " fid " ELSE " \
	"lower(x.material) = lower(" mat ") AND (" col " IS NULL OR " \
	"lower(x.color_name) = lower(" col ")) END) pr "
#define COST_LINES \
	COST_TREE "s AS (SELECT labour_rate_cents FROM business_settings) " \
	"SELECT 1 AS o, 'material' AS part, t.via, coalesce(f.name, " \
	"b.material || coalesce(' ' || b.color_name, '')) AS label, " \
	"(b.grams * t.mult)::float8 AS quantity, 'g' AS unit, " \
	"pr.per_kg::float8 AS rate, 'per_kg' AS rate_unit, pr.n AS matched, " \
	"(b.grams * t.mult * pr.per_kg / 1000)::text AS amount, " \
	"NULL::bigint AS printers FROM tree t " \
	"JOIN product_bom b ON b.product_id = t.product_id AND b.kind = " \
	"'filament' LEFT JOIN filaments f ON f.id = b.filament_id " \
	COST_PRICE("b.filament_id", "b.material", "b.color_name") \
	"UNION ALL SELECT 1, 'material', t.via, pl.name || ' #' || s.slot " \
	"|| ': ' || s.material || coalesce(' ' || s.color_name, ''), " \
	"(s.grams * t.mult / pl.units)::float8, 'g', pr.per_kg::float8, " \
	"'per_kg', pr.n, (s.grams * t.mult * pr.per_kg / (pl.units * " \
	"1000))::text, NULL FROM tree t JOIN product_plates pl ON " \
	"pl.product_id = t.product_id JOIN product_plate_slots s ON " \
	"s.plate_id = pl.id " \
	COST_PRICE("NULL::bigint", "s.material", "s.color_name") \
	"WHERE NOT EXISTS (SELECT 1 FROM product_bom fb WHERE " \
	"fb.product_id = t.product_id AND fb.kind = 'filament') " \
	"UNION ALL SELECT 2, 'items', t.via, i.name, (b.qty * t.mult)::float8, " \
	"i.unit, i.unit_cost_cents::float8, 'per_unit', 1, (b.qty * t.mult * " \
	"i.unit_cost_cents)::text, NULL FROM tree t JOIN product_bom b ON " \
	"b.product_id = t.product_id AND b.kind = 'item' JOIN items i ON " \
	"i.id = b.item_id " \
	"UNION ALL SELECT 3, 'machine', t.via, pl.name, (pl.print_seconds * " \
	"t.mult / pl.units / 60)::float8, 'min', coalesce(mr.rate, " \
	"$2::bigint)::float8, 'per_hour', 1, (pl.print_seconds * t.mult * " \
	"coalesce(mr.rate, $2::bigint) / (pl.units * 3600))::text, " \
	"mr.printers FROM tree t JOIN product_plates pl ON pl.product_id = " \
	"t.product_id CROSS JOIN LATERAL plate_machine_rate(pl.id) mr " \
	"UNION ALL SELECT 4, 'labour', t.via, p.sku, (p.labour_minutes * " \
	"t.mult)::float8, 'min', s.labour_rate_cents::float8, 'per_hour', 1, " \
	"(p.labour_minutes * t.mult * s.labour_rate_cents / 60)::text, NULL " \
	"FROM " \
	"tree t JOIN products p ON p.id = t.product_id CROSS JOIN s WHERE " \
	"p.labour_minutes > 0 ORDER BY 1, 3, 4"

static const struct stmt products_stmts[] = {
	{ "products_list",
	  "SELECT " PROD_COLS " FROM products p " PROD_FILTER " ORDER BY "
	  PROD_SORT("$4") PROD_SORT("$5") "p.id LIMIT $6 OFFSET $7", 7 },
	{ "products_count",
	  "SELECT count(*) AS n FROM products p " PROD_FILTER, 3 },
	{ "products_show",
	  "SELECT " PROD_COLS " FROM products p WHERE p.id = $1", 1 },
	{ "products_create",
	  "INSERT INTO products (sku, name, description, price_gross_cents, "
	  "vat_rate, labour_minutes, active) VALUES (" PROD_VALUES ") "
	  "RETURNING id", 7 },
	{ "products_update",
	  "UPDATE products SET (sku, name, description, price_gross_cents, "
	  "vat_rate, labour_minutes, active) = (" PROD_VALUES ") WHERE id = "
	  "$8 RETURNING id", 8 },
	{ "products_delete",
	  "DELETE FROM products WHERE id = $1 RETURNING id, sku, name", 1 },
	{ "products_bom",
	  "SELECT " BOM_COLS " " BOM_FROM "WHERE b.product_id = $1 ORDER BY "
	  "b.id", 1 },
	{ "products_bom_add",
	  "INSERT INTO product_bom (product_id, kind, filament_id, material, "
	  "color_name, grams, item_id, component_id, qty, note) VALUES ($1, "
	  "$2, $3::bigint, $4, $5, $6::numeric, $7::bigint, $8::bigint, "
	  "$9::numeric, $10) RETURNING id", 10 },
	{ "products_bom_line",
	  "SELECT " BOM_COLS " " BOM_FROM "WHERE b.id = $1", 1 },
	{ "products_bom_delete",
	  "DELETE FROM product_bom WHERE product_id = $1 AND id = $2 "
	  "RETURNING id, kind, filament_id, material, color_name, "
	  "grams::float8 AS grams, item_id, component_id AS product_id, "
	  "qty::float8 AS qty", 2 },
	{ "products_settings",
	  "SELECT currency, labour_rate_cents, overhead_bp, target_margin_bp, "
	  "vat_rates FROM business_settings", 0 },
	{ "products_cost_lines", COST_LINES, 2 },
	{ "products_choices",
	  "SELECT (SELECT coalesce(json_agg(json_build_object('id', id, "
	  "'label', name || ' (' || material || coalesce(' ' || color_name, "
	  "'') || ')') ORDER BY name), '[]') FROM filaments) AS filaments, "
	  "(SELECT coalesce(json_agg(json_build_object('id', id, 'label', "
	  "name) ORDER BY name), '[]') FROM items) AS items, (SELECT "
	  "coalesce(json_agg(json_build_object('id', id, 'label', sku || ' "
	  "' || name) ORDER BY sku), '[]') FROM products WHERE id <> $1) AS "
	  "products, (SELECT coalesce(json_agg(r->'name'), '[]') FROM "
	  "business_settings s, jsonb_array_elements(s.vat_rates) r) AS "
	  "vat_rates", 1 },
	{ "products_plates",
	  "SELECT pl.id, pl.name, pl.file_name, round(pl.print_seconds / "
	  "60.0, 1)::float8 AS print_minutes, pl.units, pl.nozzle_mm::float8 "
	  "AS nozzle_mm, plate_needs_enclosure(pl.id) AS enclosure_needed, "
	  "(SELECT coalesce(json_agg(json_build_object('slot', s.slot, "
	  "'material', s.material, 'color_name', s.color_name, 'grams', "
	  "s.grams::float8) ORDER BY s.slot), '[]') FROM product_plate_slots "
	  "s WHERE s.plate_id = pl.id) AS slots FROM product_plates pl WHERE "
	  "pl.product_id = $1 ORDER BY pl.id", 1 },
};

enum {
	ST_LIST, ST_COUNT, ST_SHOW, ST_CREATE, ST_UPDATE, ST_DELETE, ST_BOM,
	ST_BOM_ADD, ST_BOM_LINE, ST_BOM_DELETE, ST_SETTINGS, ST_COST,
	ST_CHOICES, ST_PLATES
};

static const struct stock_field products_fields[] = {
	{ "sku", SF_TEXT, 1, 1, 64, 0, NULL },
	{ "name", SF_TEXT, 1, 1, 200, 0, NULL },
	{ "description", SF_TEXT, 0, 0, 5000, 0, NULL },
	{ "price_gross_cents", SF_INT, 0, 0, 1e11, 0, NULL },
	{ "vat_rate", SF_TEXT, 0, 1, 40, 0, NULL },
	{ "labour_minutes", SF_INT, 0, 0, 100000, 0, NULL },
};
#define NFIELDS	(sizeof(products_fields) / sizeof(products_fields[0]))

static const char *
products_id_text(struct req *r, json_t *row)
{
	return arena_printf(r->arena, "%lld", (long long)json_integer_value(
	    json_object_get(row, "id")));
}

static int
products_list(struct req *r)
{
	const char	*p[7];

	p[0] = req_str(r, "q");
	p[1] = req_has(r, "active") ? (req_bool(r, "active", 1) ? "true" :
	    "false") : NULL;
	p[2] = req_str(r, "vat_rate");
	if (stock_sort(r->arena, req_str(r, "sort"), PROD_SORTS, "sku",
	    &p[3], &r->err) != 0)
		return r->err.code;
	p[5] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[6] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &products_stmts[ST_LIST],
	    &products_stmts[ST_COUNT], p);
}

static int
products_get(struct req *r, long long id, json_t **row)
{
	return record_find(r, &products_stmts[ST_SHOW], id, "product",
	    row);
}

static int
products_show(struct req *r)
{
	return record_answer(r, &products_stmts[ST_SHOW], "product");
}

/* A taken SKU names the field. */
static int
products_dupe(struct req *r, const char *sku)
{
	if (r->err.code == ERR_CONFLICT) {
		err_clear(&r->err);
		err_field(&r->err, "sku", "is taken");
		err_set(&r->err, ERR_CONFLICT, "a product with SKU \"%s\" "
		    "exists already", sku);
	}
	return r->err.code;
}

/* Validates a product (merged over cur) into p[0..7]. */
static int
products_params(struct req *r, json_t *cur, json_t *in, const char **p)
{
	json_t	*v;

	if (stock_record(r->arena, products_fields, NFIELDS, cur, in, p,
	    NULL, &r->err) != 0)
		return r->err.code;
	v = json_object_get(r->args, "active");
	if (v == NULL && cur != NULL)
		v = json_object_get(cur, "active");
	p[6] = v == NULL ? NULL : json_is_true(v) ? "true" : "false";
	return 0;
}

static int
products_insert(struct req *r, json_t *in, json_t **row)
{
	const char	*p[NFIELDS + 1];

	if (products_params(r, NULL, in, p) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &products_stmts[ST_CREATE], p, row,
	    &r->err) != 0)
		return products_dupe(r, p[0]);
	if (products_get(r, (long long)json_integer_value(json_object_get(
	    *row, "id")), row) != 0 || req_audit(r, "create", "product",
	    products_id_text(r, *row), NULL, *row) != 0)
		return r->err.code;
	return 0;
}

static int
products_create(struct req *r)
{
	json_t	*row;

	if (products_insert(r, r->input, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
products_update(struct req *r)
{
	const char	*p[NFIELDS + 2];
	json_t		*cur, *row;
	long long	 id;

	id = req_int(r, "id", 0);
	if (products_get(r, id, &cur) != 0 ||
	    products_params(r, cur, r->input, p) != 0)
		return r->err.code;
	p[7] = arena_printf(r->arena, "%lld", id);
	if (db_exec(r->db, r->arena, &products_stmts[ST_UPDATE], p, NULL,
	    &r->err) != 0)
		return products_dupe(r, p[0]);
	if (products_get(r, id, &row) != 0 || req_audit(r, "update",
	    "product", p[7], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
products_delete(struct req *r)
{
	const char	*p;
	json_t		*row;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &products_stmts[ST_DELETE], &p, &row,
	    &r->err) != 0) {
		if (r->err.code != ERR_INVALID)
			return r->err.code;
		err_clear(&r->err);
		err_set(&r->err, ERR_CONFLICT, "product %s is part of another "
		    "product's BOM", p);
		err_hint(&r->err, "remove it from those BOMs first, or set it "
		    "inactive");
		return ERR_CONFLICT;
	}
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such product: %s",
		    p);
	if (req_audit(r, "delete", "product", p, row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

/* ---- bill of materials ---- */

static int
products_bom_rows(struct req *r, long long id, json_t **rows)
{
	const char	*p;

	p = arena_printf(r->arena, "%lld", id);
	return db_exec(r->db, r->arena, &products_stmts[ST_BOM], &p, rows,
	    &r->err);
}

static int
products_bom(struct req *r)
{
	json_t	*row, *rows;

	if (products_get(r, req_int(r, "id", 0), &row) != 0 ||
	    products_bom_rows(r, req_int(r, "id", 0), &rows) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)json_array_size(rows)));
	return 0;
}

/* A positive whole id from JSON or form text into *out ("" = absent). */
static int
products_in_id(struct req *r, json_t *in, const char *name, const char **out)
{
	json_t		*v;
	const char	*s;
	long long	 n;

	*out = NULL;
	v = json_object_get(in, name);
	if (v == NULL || json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0))
		return 0;
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v) && money_parse((s = json_string_value(v)),
	    0, INT64_MAX / 10, &n) == 0)
		;
	else
		n = 0;
	if (n <= 0) {
		err_field(&r->err, name, "must be the id of a record");
		return ERR_INVALID;
	}
	*out = arena_printf(r->arena, "%lld", n);
	return 0;
}

/* A positive amount (grams, quantity) into *out ("" = absent). */
static int
products_in_amount(struct req *r, json_t *in, const char *name,
    const char **out)
{
	json_t	*v;
	double	 d;

	*out = NULL;
	v = json_object_get(in, name);
	if (v == NULL || json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0))
		return 0;
	if (stock_number(v, &d) != 0 || !(d > 0) || d > 1e6) {
		err_field(&r->err, name, "must be a number above 0");
		return ERR_INVALID;
	}
	*out = stock_fmt3(r->arena, d);
	if (strcmp(*out, "0") == 0) {
		err_field(&r->err, name, "must be at least 0.001");
		return ERR_INVALID;
	}
	return 0;
}

static const char *
products_in_text(json_t *in, const char *name)
{
	const char	*s;

	s = json_string_value(json_object_get(in, name));
	return s != NULL && *s != '\0' ? s : NULL;
}

/*
 * Validates a BOM line ({kind?, filament_id | material + color_name,
 * grams} | {item_id, qty} | {product_id, qty}, note) into p[1..9].
 */
static int
products_bom_params(struct req *r, json_t *in, const char **p)
{
	const char	*kind;

	if (products_in_id(r, in, "filament_id", &p[2]) != 0 ||
	    products_in_id(r, in, "item_id", &p[6]) != 0 ||
	    products_in_id(r, in, "product_id", &p[7]) != 0 ||
	    products_in_amount(r, in, "grams", &p[5]) != 0 ||
	    products_in_amount(r, in, "qty", &p[8]) != 0) {
		err_set(&r->err, ERR_INVALID, "the BOM line is not valid");
		return ERR_INVALID;
	}
	p[3] = products_in_text(in, "material");
	p[4] = products_in_text(in, "color_name");
	p[9] = products_in_text(in, "note");
	kind = products_in_text(in, "kind");
	if (kind == NULL)
		kind = p[6] != NULL ? "item" : p[7] != NULL ? "product" :
		    "filament";
	p[1] = kind;
	if (strcmp(kind, "filament") == 0) {
		p[6] = p[7] = p[8] = NULL;
		if (p[2] != NULL)
			p[3] = p[4] = NULL;
		if (p[2] == NULL && p[3] == NULL)
			err_field(&r->err, "material", "name a material (and "
			    "colour) or a filament_id");
		if (p[3] != NULL && strlen(p[3]) > 40)
			err_field(&r->err, "material", "is too long");
		if (p[4] != NULL && strlen(p[4]) > 100)
			err_field(&r->err, "color_name", "is too long");
		if (p[5] == NULL)
			err_field(&r->err, "grams", "is required");
	} else if (strcmp(kind, "item") == 0 || strcmp(kind, "product") ==
	    0) {
		p[2] = p[3] = p[4] = p[5] = NULL;
		if (strcmp(kind, "item") == 0) {
			p[7] = NULL;
			if (p[6] == NULL)
				err_field(&r->err, "item_id", "is required");
		} else {
			p[6] = NULL;
			if (p[7] == NULL)
				err_field(&r->err, "product_id", "is "
				    "required");
		}
		if (p[8] == NULL)
			err_field(&r->err, "qty", "is required");
	} else
		err_field(&r->err, "kind", "must be filament, item or product");
	if (p[9] != NULL && strlen(p[9]) > 500)
		err_field(&r->err, "note", "is too long");
	if (r->err.code != ERR_OK || r->err.fields != NULL) {
		err_set(&r->err, ERR_INVALID, "the BOM line is not valid");
		return ERR_INVALID;
	}
	return 0;
}

/* Foreign keys and the cycle rule of the database, named by field. */
static int
products_bom_error(struct req *r)
{
	const char	*field;

	if (r->err.code != ERR_INVALID)
		return r->err.code;
	if (strstr(r->err.message, "contain itself") != NULL) {
		if (r->err.fields != NULL)
			json_object_del(r->err.fields, "component_id");
		err_field(&r->err, "product_id", "%s", r->err.message);
		return ERR_INVALID;
	}
	if (strstr(r->err.message, "foreign key") == NULL)
		return r->err.code;
	field = strstr(r->err.message, "filament_id") != NULL ?
	    "filament_id" : strstr(r->err.message, "item_id") != NULL ?
	    "item_id" : "product_id";
	err_clear(&r->err);
	err_field(&r->err, field, "names no such record");
	err_set(&r->err, ERR_INVALID, "the BOM line names a %s that does not "
	    "exist", field);
	return ERR_INVALID;
}

static int
products_bom_insert(struct req *r, long long id, json_t *in, json_t **line)
{
	const char	*p[10];
	json_t		*row, *made;

	if (products_get(r, id, &row) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", id);
	if (products_bom_params(r, in, p) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &products_stmts[ST_BOM_ADD], p, &made,
	    &r->err) != 0)
		return products_bom_error(r);
	p[1] = products_id_text(r, made);
	if (db_one(r->db, r->arena, &products_stmts[ST_BOM_LINE], &p[1],
	    line, &r->err) != 0 || req_audit(r, "bom_add", "product", p[0],
	    NULL, *line) != 0)
		return r->err.code;
	return 0;
}

static int
products_bom_add(struct req *r)
{
	json_t	*line;

	if (products_bom_insert(r, req_int(r, "id", 0), r->input, &line) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(line));
	return 0;
}

static int
products_bom_remove(struct req *r)
{
	const char	*p[2];
	json_t		*row;

	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "line_id", 0));
	if (db_one(r->db, r->arena, &products_stmts[ST_BOM_DELETE], p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "product %s has no BOM "
		    "line %s", p[0], p[1]);
	if (req_audit(r, "bom_remove", "product", p[0], row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

/* ---- cost roll-up ---- */

/* The VAT rate named in basis points (0 when the name is unknown). */
static long long
products_vat_bp(json_t *rates, const char *name)
{
	json_t	*rate;
	size_t	 i;

	json_array_foreach(rates, i, rate)
		if (name != NULL && json_is_string(json_object_get(rate,
		    "name")) && strcmp(json_string_value(json_object_get(rate,
		    "name")), name) == 0)
			return json_integer_value(json_object_get(rate,
			    "rate_bp"));
	return 0;
}

/*
 * The roll-up of one unit of product id into *out (arena): every listed
 * part rounded once, parts summed, then overhead, cost, the suggested
 * price at the target margin and the margin at the current price.
 */
static int
products_cost_of(struct req *r, json_t *prod, json_t **out)
{
	const char	*p[2], *part;
	json_t		*set, *rows, *row, *lines, *parts, *warn, *rates;
	long long	 cents, direct, over, cost, net, gross, vat, price;
	long long	 margin;
	size_t		 i;

	p[0] = products_id_text(r, prod);
	p[1] = arena_printf(r->arena, "%d",
	    COSTING_MACHINE_RATE_CENTS_PER_HOUR);
	if (db_one(r->db, r->arena, &products_stmts[ST_SETTINGS], NULL, &set,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &products_stmts[ST_COST], p, &rows, &r->err) != 0)
		return r->err.code;
	lines = json_array();
	parts = json_pack("{s:i, s:i, s:i, s:i}", "material", 0, "items", 0,
	    "machine", 0, "labour", 0);
	warn = json_array();
	direct = 0;
	json_array_foreach(rows, i, row) {
		part = json_string_value(json_object_get(row, "part"));
		if (costing_round(json_string_value(json_object_get(row,
		    "amount")), &cents) != 0) {
			cents = 0;
			json_array_append_new(warn, json_string(arena_printf(
			    r->arena, "no filament with a price per kg "
			    "matches %s", json_string_value(json_object_get(
			    row, "label")))));
		}
		direct += cents;
		json_object_set_new(parts, part, json_integer(
		    json_integer_value(json_object_get(parts, part)) + cents));
		json_array_append_new(lines, json_pack("{s:O, s:O, s:O, s:O, "
		    "s:O, s:O, s:O, s:O, s:I}", "part", json_object_get(row,
		    "part"), "via", json_object_get(row, "via"), "label",
		    json_object_get(row, "label"), "quantity",
		    json_object_get(row, "quantity"), "unit",
		    json_object_get(row, "unit"), "rate", json_object_get(row,
		    "rate"), "rate_unit", json_object_get(row, "rate_unit"),
		    "filaments_matched", json_object_get(row, "matched"),
		    "cents", (json_int_t)cents));
		/* Machine time: how many printers the rate is the average of. */
		if (json_is_integer(json_object_get(row, "printers")))
			json_object_set(json_array_get(lines,
			    json_array_size(lines) - 1), "printers_matched",
			    json_object_get(row, "printers"));
	}
	over = costing_share(direct, json_integer_value(json_object_get(set,
	    "overhead_bp")));
	cost = direct + over;
	margin = json_integer_value(json_object_get(set, "target_margin_bp"));
	net = costing_price_for_margin(cost, margin);
	rates = json_object_get(set, "vat_rates");
	if (json_is_string(rates)) {
		rates = json_loads(json_string_value(rates), 0, NULL);
		arena_json(r->arena, rates);
	}
	vat = products_vat_bp(rates, json_string_value(json_object_get(prod,
	    "vat_rate")));
	gross = costing_gross_of_net(net, vat);
	price = json_integer_value(json_object_get(prod,
	    "price_gross_cents"));
	*out = json_pack("{s:O, s:O, s:O, s:o, s:o, s:o, s:i, s:I, s:O, "
	    "s:I, s:I, s:O, s:O, s:I, s:I, s:O, s:I, s:I, s:I, s:I}",
	    "product_id", json_object_get(prod, "id"),
	    "sku", json_object_get(prod, "sku"),
	    "currency", json_object_get(set, "currency"),
	    "lines", lines, "parts", parts, "warnings", warn,
	    "machine_rate_cents_per_hour",
	    COSTING_MACHINE_RATE_CENTS_PER_HOUR,
	    "direct_cents", (json_int_t)direct,
	    "overhead_bp", json_object_get(set, "overhead_bp"),
	    "overhead_cents", (json_int_t)over,
	    "cost_cents", (json_int_t)cost,
	    "labour_rate_cents", json_object_get(set, "labour_rate_cents"),
	    "target_margin_bp", json_object_get(set, "target_margin_bp"),
	    "suggested_net_cents", (json_int_t)net,
	    "suggested_gross_cents", (json_int_t)gross,
	    "vat_rate", json_object_get(prod, "vat_rate"),
	    "vat_bp", (json_int_t)vat,
	    "price_gross_cents", (json_int_t)price,
	    "price_net_cents", (json_int_t)costing_net_of_gross(price, vat),
	    "margin_bp", (json_int_t)costing_margin_bp(
	    costing_net_of_gross(price, vat), cost));
	arena_json(r->arena, *out);
	return 0;
}

static int
products_cost(struct req *r)
{
	json_t	*prod, *out;

	if (products_get(r, req_int(r, "id", 0), &prod) != 0 ||
	    products_cost_of(r, prod, &out) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(out));
	return 0;
}

/* ---- pages ---- */

/* Money as the page shows it (the shared formatter, from JSON cents). */
static const char *
products_money(struct req *r, json_t *cents, const char *cur)
{
	return record_money(r, json_integer_value(cents), cur);
}

static void
products_page_base(struct req *r, const char *title)
{
	if (r->out == NULL)
		r->out = json_object();
	json_object_set_new(r->out, "nav_products", json_true());
	json_object_set_new(r->out, "can_edit", json_boolean(r->who.role !=
	    ROLE_ACCOUNTANT));
	if (title != NULL)
		json_object_set_new(r->out, "title", json_string(arena_printf(
		    r->arena, "%s · %s", title, req_t(r, "page_products"))));
}

static int
products_page(struct req *r)
{
	json_t		*rows, *row;
	const char	*p[7];
	size_t		 i;

	p[0] = req_str(r, "q");
	p[1] = NULL;
	p[2] = NULL;
	p[3] = "sku";
	p[4] = NULL;
	p[5] = "200";
	p[6] = "0";
	if (db_exec(r->db, r->arena, &products_stmts[ST_LIST], p, &rows,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		json_object_set_new(row, "price", json_string(products_money(r,
		    json_object_get(row, "price_gross_cents"),
		    json_string_value(json_object_get(row, "currency")))));
	r->out = json_pack("{s:O, s:s}", "products", rows, "q", p[0] != NULL ?
	    p[0] : "");
	products_page_base(r, NULL);
	return 0;
}

static int
products_page_new(struct req *r)
{
	json_t	*ch;
	const char *p = "0";

	if (db_one(r->db, r->arena, &products_stmts[ST_CHOICES], &p, &ch,
	    &r->err) != 0)
		return r->err.code;
	r->out = json_pack("{s:O}", "vat_rates", json_object_get(ch,
	    "vat_rates"));
	products_page_base(r, req_t(r, "products_new"));
	return 0;
}

/* The form's "price" (a decimal of the currency) as price_gross_cents. */
static int
products_form_input(struct req *r, json_t **in)
{
	const char	*s;
	long long	 cents;

	*in = json_deep_copy(r->input);
	arena_json(r->arena, *in);
	json_object_del(*in, "_csrf");
	json_object_del(*in, "active");
	s = json_string_value(json_object_get(*in, "price"));
	s = s != NULL ? arena_strdup(r->arena, s) : NULL;
	json_object_del(*in, "price");
	if (s != NULL && *s != '\0') {
		if (money_parse(s, 2, 100000000000LL, &cents) != 0) {
			err_field(&r->err, "price", "must be an amount such "
			    "as 12.50");
			err_set(&r->err, ERR_INVALID, "the price is not an "
			    "amount");
			return ERR_INVALID;
		}
		json_object_set_new(*in, "price_gross_cents",
		    json_integer(cents));
	}
	return 0;
}

static int
products_page_create(struct req *r)
{
	json_t	*in, *row;

	if (products_form_input(r, &in) != 0 ||
	    products_insert(r, in, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "products_flash_created");
	req_redirect(r, arena_printf(r->arena, "/products/%s",
	    products_id_text(r, row)));
	return 0;
}

static int
products_page_show(struct req *r)
{
	json_t		*prod, *bom, *cost, *ch, *line, *plates;
	const char	*cur, *p;
	char		 text[32];
	size_t		 i;

	if (products_get(r, req_int(r, "id", 0), &prod) != 0 ||
	    products_bom_rows(r, req_int(r, "id", 0), &bom) != 0 ||
	    products_cost_of(r, prod, &cost) != 0)
		return r->err.code;
	p = products_id_text(r, prod);
	if (db_one(r->db, r->arena, &products_stmts[ST_CHOICES], &p, &ch,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &products_stmts[ST_PLATES], &p, &plates, &r->err) != 0)
		return r->err.code;
	cur = json_string_value(json_object_get(cost, "currency"));
	json_object_set_new(prod, "price", json_string(products_money(r,
	    json_object_get(prod, "price_gross_cents"), cur)));
	json_object_set_new(prod, "price_input", json_string(money_text(text,
	    sizeof(text), json_integer_value(json_object_get(prod,
	    "price_gross_cents")), 2, 0)));
	json_array_foreach(json_object_get(cost, "lines"), i, line)
		json_object_set_new(line, "amount", json_string(products_money(
		    r, json_object_get(line, "cents"), cur)));
	json_array_foreach(bom, i, line)
		json_object_set_new(line, "is_filament", json_boolean(strcmp(
		    json_string_value(json_object_get(line, "kind")),
		    "filament") == 0));
	cost = json_deep_copy(cost);
	arena_json(r->arena, cost);
	json_object_set_new(cost, "material", json_string(products_money(r,
	    json_object_get(json_object_get(cost, "parts"), "material"),
	    cur)));
	json_object_set_new(cost, "items", json_string(products_money(r,
	    json_object_get(json_object_get(cost, "parts"), "items"), cur)));
	json_object_set_new(cost, "machine", json_string(products_money(r,
	    json_object_get(json_object_get(cost, "parts"), "machine"), cur)));
	json_object_set_new(cost, "labour", json_string(products_money(r,
	    json_object_get(json_object_get(cost, "parts"), "labour"), cur)));
	json_object_set_new(cost, "overhead", json_string(products_money(r,
	    json_object_get(cost, "overhead_cents"), cur)));
	json_object_set_new(cost, "total", json_string(products_money(r,
	    json_object_get(cost, "cost_cents"), cur)));
	json_object_set_new(cost, "suggested_gross", json_string(
	    products_money(r, json_object_get(cost, "suggested_gross_cents"),
	    cur)));
	json_object_set_new(cost, "margin", json_string(money_text(text,
	    sizeof(text), json_integer_value(json_object_get(cost,
	    "margin_bp")), 2, 1)));
	r->out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "product",
	    prod, "plates", plates,
	    "bom", bom, "cost", cost, "filaments", json_object_get(ch,
	    "filaments"), "items", json_object_get(ch, "items"),
	    "components", json_object_get(ch, "products"));
	products_page_base(r, json_string_value(json_object_get(prod,
	    "sku")));
	return 0;
}

static int
products_page_bom_add(struct req *r)
{
	json_t		*in, *line;
	long long	 id;

	id = req_int(r, "id", 0);
	in = json_deep_copy(r->input);
	arena_json(r->arena, in);
	json_object_del(in, "_csrf");
	if (products_bom_insert(r, id, in, &line) != 0)
		return r->err.code;
	req_flash(r, "ok", "products_flash_line_added");
	req_redirect(r, arena_printf(r->arena, "/products/%lld", id));
	return 0;
}

/* The typed-in plate form: one slot (material, colour, grams) at most. */
static int
products_page_plate_add(struct req *r)
{
	static const char *const plain[] = { "name", "print_minutes",
	    "units", "nozzle_mm" };
	json_t		*in, *slot, *v;
	const char	*key;
	size_t		 i;

	in = json_object();
	arena_json(r->arena, in);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if ((v = json_object_get(r->input, plain[i])) != NULL &&
		    json_string_length(v) > 0)
			json_object_set(in, plain[i], v);
	if ((v = json_object_get(r->input, "material")) != NULL &&
	    json_string_length(v) > 0) {
		slot = json_pack("{s:O}", "material", v);
		if ((v = json_object_get(r->input, "color_name")) != NULL &&
		    json_string_length(v) > 0)
			json_object_set(slot, "color_name", v);
		json_object_set(slot, "grams", (v = json_object_get(r->input,
		    "grams")) != NULL && json_string_length(v) > 0 ? v :
		    json_integer(0));
		json_object_set_new(in, "slots", json_pack("[o]", slot));
	}
	if (profiles_insert(r, in, &v) != 0) {
		/* slot errors are named slots[0].x; the form names x */
		if (r->err.fields != NULL) {
			slot = json_object();
			json_object_foreach(r->err.fields, key, v)
				if (strncmp(key, "slots[0].", 9) == 0)
					json_object_set(slot, key + 9, v);
			json_object_update(r->err.fields, slot);
			json_decref(slot);
		}
		return r->err.code;
	}
	req_flash(r, "ok", "products_flash_plate_added");
	req_redirect(r, arena_printf(r->arena, "/products/%lld",
	    req_int(r, "id", 0)));
	return 0;
}

static int
products_page_bom_remove(struct req *r)
{
	if (products_bom_remove(r) != 0)
		return r->err.code;
	req_flash(r, "ok", "products_flash_line_removed");
	req_redirect(r, arena_printf(r->arena, "/products/%lld",
	    req_int(r, "id", 0)));
	return 0;
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "active", IN_QUERY, P_BOOL, 0, 0, 0, NULL },
	{ "vat_rate", IN_QUERY, P_STR, 0, 1, 40, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
#define PROD_BODY \
	{ "sku", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "description", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "price_gross_cents", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "vat_rate", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "labour_minutes", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "active", IN_BODY, P_BOOL, 0, 0, 0, NULL }
#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
#define BOM_BODY \
	{ "kind", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "filament_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "material", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "color_name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "grams", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "item_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "product_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "qty", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "note", IN_BODY, P_ANY, 0, 0, 0, NULL }
static const struct param create_params[] = {
	PROD_BODY,
	PARAM_END,
};
static const struct param update_params[] = {
	ID_PATH,
	PROD_BODY,
	PARAM_END,
};
static const struct param bom_params[] = {
	ID_PATH,
	BOM_BODY,
	PARAM_END,
};
static const struct param line_params[] = {
	ID_PATH,
	{ "line_id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	PARAM_END,
};
static const struct param plate_params[] = {
	ID_PATH,
	{ "name", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "print_minutes", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "units", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "nozzle_mm", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "material", IN_BODY, P_STR, 0, 0, 40, NULL },
	{ "color_name", IN_BODY, P_STR, 0, 0, 100, NULL },
	{ "grams", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "plate_form", IN_BODY, P_STR, 0, 0, 1, NULL },
	PARAM_END,
};
static const struct param page_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 100, NULL },
	PARAM_END,
};
static const struct param page_create_params[] = {
	{ "sku", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "description", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "price", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "vat_rate", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "labour_minutes", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "active", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)

static const struct route products_routes[] = {
	{ "GET", "/api/v1/products", products_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "POST", "/api/v1/products", products_create, WRITERS, 0,
	    create_params, NULL },
	{ "GET", "/api/v1/products/{id}", products_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/products/{id}", products_update, WRITERS, 0,
	    update_params, NULL },
	{ "DELETE", "/api/v1/products/{id}", products_delete, ROLE_OWNER, 0,
	    params_id, NULL },
	{ "GET", "/api/v1/products/{id}/bom", products_bom, ROLE_ANY, 0,
	    params_id, NULL },
	{ "POST", "/api/v1/products/{id}/bom", products_bom_add, WRITERS, 0,
	    bom_params, NULL },
	{ "DELETE", "/api/v1/products/{id}/bom/{line_id}",
	    products_bom_remove, WRITERS, 0, line_params, NULL },
	{ "GET", "/api/v1/products/{id}/cost", products_cost, ROLE_ANY, 0,
	    params_id, NULL },
	{ "GET", "/products", products_page, ROLE_ANY, ROUTE_PAGE,
	    page_params, "products/index" },
	{ "GET", "/products/new", products_page_new, WRITERS, ROUTE_PAGE,
	    NULL, "products/new" },
	{ "POST", "/products/new", products_page_create, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, page_create_params, "products/new" },
	{ "GET", "/products/{id}", products_page_show, ROLE_ANY, ROUTE_PAGE,
	    params_id, "products/show" },
	{ "GET", "/products/{id}/bom", products_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "products/show" },
	{ "POST", "/products/{id}/bom", products_page_bom_add, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, bom_params, "products/show" },
	{ "GET", "/products/{id}/plates", products_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "products/show" },
	{ "POST", "/products/{id}/plates", products_page_plate_add, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, plate_params, "products/show" },
	{ "POST", "/products/{id}/bom/{line_id}/delete",
	    products_page_bom_remove, WRITERS, ROUTE_PAGE | ROUTE_FORM,
	    line_params, "products/show" },
};

const struct resource products_resource = {
	"products", products_routes,
	sizeof(products_routes) / sizeof(products_routes[0]),
	products_stmts, sizeof(products_stmts) / sizeof(products_stmts[0]),
};

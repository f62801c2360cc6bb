/*
 * quote_settings.c -- what instant quotes charge: GET/PUT
 * /api/v1/quote-settings (the one quote_settings row and the list of
 * materials), POST /api/v1/quote-settings/materials and PUT
 * /api/v1/quote-settings/materials/{material}, and the pages
 * /settings/quotes and /settings/quotes/materials/... .
 *
 * Invariants: staff, owners and accountants read; only owners change.  A
 * change is the stored row merged with the fields sent, validated as a
 * whole against the same ranges as the table's CHECKs (so a refused change
 * is a 422 naming each bad field, never a database error), written under
 * a row lock in the request's transaction and audited with the changed
 * fields before and after.  Money is minor units of the business
 * currency, rates are basis points.  Materials are never deleted (quote
 * parts name them); they are deactivated, and the last active one stays,
 * because a quote needs a material to start from.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "db/db.h"
#include "domain/money.h"
#include "http/req.h"
#include "res/record.h"

#define QSET_COLS \
	"q.machine_rate_cents, q.setup_fee_cents, q.handling_minutes::float8 " \
	"AS handling_minutes, q.minimum_order_cents, q.rounding_cents, " \
	"q.validity_days, q.quantity_tiers, q.qualities, q.default_quality, " \
	"q.default_infill_pct, q.build_x_mm, q.build_y_mm, q.build_z_mm, " \
	"q.terms, q.slice_parts, q.updated_at"

#define QSET_MAT_COLS \
	"m.material, m.label, m.cost_per_kg_cents, m.density::float8 AS " \
	"density, m.markup_bp, m.position, m.active, (SELECT count(*) FROM " \
	"quote_parts p WHERE p.material = m.material) AS quoted_parts"

static const struct stmt qset_stmts[] = {
	{ "qset_get", "SELECT " QSET_COLS " FROM quote_settings q", 0 },
	{ "qset_lock",
	  "SELECT " QSET_COLS " FROM quote_settings q FOR UPDATE", 0 },
	{ "qset_update",
	  "UPDATE quote_settings AS q SET machine_rate_cents = $1::bigint, "
	  "setup_fee_cents = $2::bigint, handling_minutes = $3::numeric, "
	  "minimum_order_cents = $4::bigint, rounding_cents = $5::integer, "
	  "validity_days = $6::integer, quantity_tiers = $7::jsonb, "
	  "qualities = $8::jsonb, default_quality = $9, default_infill_pct = "
	  "$10::integer, build_x_mm = $11::integer, build_y_mm = "
	  "$12::integer, build_z_mm = $13::integer, terms = $14, slice_parts "
	  "= $15::boolean, updated_at = now() RETURNING " QSET_COLS, 15 },
	{ "qset_money",
	  "SELECT s.currency, coalesce(c.minor_digits, 2) AS digits FROM "
	  "business_settings s LEFT JOIN currencies c ON c.code = s.currency",
	  0 },
	{ "qset_materials",
	  "SELECT " QSET_MAT_COLS " FROM quote_materials m ORDER BY "
	  "m.position, m.material", 0 },
	{ "qset_material_lock",
	  "SELECT " QSET_MAT_COLS " FROM quote_materials m WHERE m.material "
	  "= $1 FOR UPDATE OF m", 1 },
	{ "qset_material_insert",
	  "INSERT INTO quote_materials AS m (material, label, "
	  "cost_per_kg_cents, density, markup_bp, position, active) VALUES "
	  "($1, $2, $3::bigint, $4::numeric, $5::integer, coalesce("
	  "$6::integer, (SELECT coalesce(max(position), 0) + 1 FROM "
	  "quote_materials)), $7::boolean) RETURNING " QSET_MAT_COLS, 7 },
	{ "qset_material_update",
	  "UPDATE quote_materials AS m SET label = $2, cost_per_kg_cents = "
	  "$3::bigint, density = $4::numeric, markup_bp = $5::integer, "
	  "position = $6::integer, active = $7::boolean WHERE m.material = $1 "
	  "RETURNING " QSET_MAT_COLS, 7 },
	{ "qset_material_others",
	  "SELECT material FROM quote_materials WHERE active AND material <> "
	  "$1 FOR UPDATE", 1 },
};

enum { QS_GET, QS_LOCK, QS_UPDATE, QS_MONEY, QS_MATERIALS, QS_MAT_LOCK,
    QS_MAT_INSERT, QS_MAT_UPDATE, QS_MAT_OTHERS };

#define QSET_MAX_TIERS		8	/* the table's CHECK, PRICING_MAX_TIERS */
#define QSET_MAX_QUALITIES	8
#define QSET_MAX_TERMS		4000	/* characters */
#define QSET_MONEY_MAX		100000000LL

/* How one field of a body is checked and written as statement text. */
enum qset_kind {
	QK_INT,		/* whole number min..max */
	QK_DEC,		/* number with at most `digits` places, min..max */
	QK_TEXT,	/* min..max characters */
	QK_BOOL,
	QK_CODE,	/* a material code */
	QK_TIERS,	/* the quantity tiers */
	QK_QUALITIES,	/* the quality presets */
	QK_QUALITY	/* the name of one of the presets */
};

struct qset_field {
	const char	*name;
	enum qset_kind	 kind;
	int		 digits;	/* QK_DEC */
	long long	 min;		/* QK_DEC: in units of 10^-digits */
	long long	 max;
};

/* In the order of qset_update's parameters. */
static const struct qset_field qset_fields[] = {
	{ "machine_rate_cents", QK_INT, 0, 0, QSET_MONEY_MAX },
	{ "setup_fee_cents", QK_INT, 0, 0, QSET_MONEY_MAX },
	{ "handling_minutes", QK_DEC, 2, 0, 100000 },
	{ "minimum_order_cents", QK_INT, 0, 0, QSET_MONEY_MAX },
	{ "rounding_cents", QK_INT, 0, 1, 10000 },
	{ "validity_days", QK_INT, 0, 1, 365 },
	{ "quantity_tiers", QK_TIERS, 0, 0, QSET_MAX_TIERS },
	{ "qualities", QK_QUALITIES, 0, 1, QSET_MAX_QUALITIES },
	{ "default_quality", QK_QUALITY, 0, 1, 40 },
	{ "default_infill_pct", QK_INT, 0, 0, 100 },
	{ "build_x_mm", QK_INT, 0, 10, 5000 },
	{ "build_y_mm", QK_INT, 0, 10, 5000 },
	{ "build_z_mm", QK_INT, 0, 10, 5000 },
	{ "terms", QK_TEXT, 0, 0, QSET_MAX_TERMS },
	{ "slice_parts", QK_BOOL, 0, 0, 0 },
};
#define QSET_NFIELDS	(sizeof(qset_fields) / sizeof(qset_fields[0]))

/* In the order of qset_material_insert's and _update's parameters. */
static const struct qset_field qset_mat_fields[] = {
	{ "material", QK_CODE, 0, 1, 20 },
	{ "label", QK_TEXT, 0, 1, 80 },
	{ "cost_per_kg_cents", QK_INT, 0, 0, 10000000 },
	{ "density", QK_DEC, 3, 500, 3000 },
	{ "markup_bp", QK_INT, 0, 0, 100000 },
	{ "position", QK_INT, 0, 0, 100000 },
	{ "active", QK_BOOL, 0, 0, 0 },
};
#define QSET_NMAT	(sizeof(qset_mat_fields) / sizeof(qset_mat_fields[0]))

static const long long qset_pow10[] = { 1, 10, 100, 1000 };

/* Characters of UTF-8 text, as PostgreSQL's length() counts them. */
static size_t
qset_chars(const char *s)
{
	size_t	n;

	for (n = 0; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * A JSON number with at most `digits` decimal places as an integer of
 * 10^-digits units: 0, or -1 when it is no such number.
 */
static int
qset_fixed(json_t *v, int digits, long long *out)
{
	double	d, scaled;

	if (json_is_integer(v)) {
		if (json_integer_value(v) > 1000000000LL ||
		    json_integer_value(v) < -1000000000LL)
			return -1;
		*out = (long long)json_integer_value(v) * qset_pow10[digits];
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	if (!(d < 1e9 && d > -1e9))
		return -1;
	scaled = d * (double)qset_pow10[digits];
	if (fabs(scaled - round(scaled)) > 1e-6)
		return -1;
	*out = (long long)llround(scaled);
	return 0;
}

/* A whole number min..max, or a field error saying the range. */
static int
qset_int(struct req *r, const char *field, const char *what, json_t *v,
    long long min, long long max, long long *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		err_field(&r->err, field, "%s must be a whole number from %lld "
		    "to %lld", what, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* min_qty ascending (1..10000), discount_bp 0..10000; JSON text in *out. */
static int
qset_check_tiers(struct req *r, const struct qset_field *f, json_t *v,
    const char **out)
{
	json_t		*t, *list;
	long long	 qty, bp, last;
	size_t		 i;

	if (!json_is_array(v) || json_array_size(v) > (size_t)f->max) {
		err_field(&r->err, f->name, "must be a list of at most %lld "
		    "tiers", f->max);
		return -1;
	}
	list = arena_json(r->arena, json_array());
	last = 0;
	json_array_foreach(v, i, t) {
		if (!json_is_object(t) || json_object_size(t) != 2 ||
		    json_object_get(t, "min_qty") == NULL ||
		    json_object_get(t, "discount_bp") == NULL) {
			err_field(&r->err, f->name, "tier %zu must be "
			    "{\"min_qty\": number, \"discount_bp\": number}",
			    i + 1);
			return -1;
		}
		if (qset_int(r, f->name, arena_printf(r->arena, "tier %zu: "
		    "min_qty", i + 1), json_object_get(t, "min_qty"), 1, 10000,
		    &qty) != 0 || qset_int(r, f->name, arena_printf(r->arena,
		    "tier %zu: discount_bp", i + 1), json_object_get(t,
		    "discount_bp"), 0, 10000, &bp) != 0)
			return -1;
		if (qty <= last) {
			err_field(&r->err, f->name, "tier %zu: min_qty must be "
			    "larger than the tier before", i + 1);
			return -1;
		}
		last = qty;
		json_array_append_new(list, json_pack("{s:I, s:I}", "min_qty",
		    (json_int_t)qty, "discount_bp", (json_int_t)bp));
	}
	*out = arena_json_text(r->arena, list);
	return 0;
}

/* A quality name: 1 to 40 of a-z 0-9 _ -, starting with a letter or digit. */
static int
qset_quality_name(const char *s)
{
	size_t	n;

	n = strlen(s);
	return n >= 1 && n <= 40 && strchr("_-", s[0]) == NULL &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* 1..8 presets {name, layer_mm}, names unique, layer 0.04..1 mm. */
static int
qset_check_qualities(struct req *r, const struct qset_field *f, json_t *v,
    const char **out)
{
	json_t		*q, *name, *list;
	long long	 layer;
	size_t		 i, j;
	char		*text;

	if (!json_is_array(v) || json_array_size(v) < (size_t)f->min ||
	    json_array_size(v) > (size_t)f->max) {
		err_field(&r->err, f->name, "must be a list of %lld to %lld "
		    "qualities", f->min, f->max);
		return -1;
	}
	list = arena_json(r->arena, json_array());
	json_array_foreach(v, i, q) {
		name = json_object_get(q, "name");
		if (!json_is_object(q) || json_object_size(q) != 2 ||
		    !json_is_string(name) || json_object_get(q, "layer_mm") ==
		    NULL) {
			err_field(&r->err, f->name, "quality %zu must be "
			    "{\"name\": text, \"layer_mm\": number}", i + 1);
			return -1;
		}
		if (!qset_quality_name(json_string_value(name))) {
			err_field(&r->err, f->name, "quality %zu: the name must "
			    "be 1 to 40 lower-case letters, digits, _ or -",
			    i + 1);
			return -1;
		}
		if (qset_fixed(json_object_get(q, "layer_mm"), 2, &layer) !=
		    0 || layer < 4 || layer > 100) {
			err_field(&r->err, f->name, "quality %zu: layer_mm must "
			    "be from 0.04 to 1 with at most two decimals", i + 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(name), json_row_str(
			    json_array_get(v, j), "name")) == 0) {
				err_field(&r->err, f->name, "the name \"%s\" is "
				    "used twice", json_string_value(name));
				return -1;
			}
		json_array_append_new(list, json_pack("{s:O, s:f}", "name",
		    name, "layer_mm", (double)layer / 100.0));
	}
	/* ten digits write 0.2 as 0.2, not as the double nearest to it */
	text = json_dumps(list, JSON_COMPACT | JSON_REAL_PRECISION(10));
	*out = arena_strdup(r->arena, text != NULL ? text : "[]");
	free(text);
	return 0;
}

/* One field of merged m: a field error, or its statement text in *out. */
static void
qset_check(struct req *r, const struct qset_field *f, json_t *m,
    const char **out)
{
	json_t		*v, *q;
	const char	*s;
	long long	 n;
	size_t		 i;
	char		 num[48], lo[48], hi[48];

	*out = NULL;
	v = json_object_get(m, f->name);
	if (v == NULL || json_is_null(v)) {
		err_field(&r->err, f->name, "is required");
		return;
	}
	switch (f->kind) {
	case QK_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			err_field(&r->err, f->name, "must be a whole number "
			    "from %lld to %lld", f->min, f->max);
		else
			*out = arena_printf(r->arena, "%lld",
			    (long long)json_integer_value(v));
		return;
	case QK_DEC:
		if (qset_fixed(v, f->digits, &n) != 0 || n < f->min ||
		    n > f->max) {
			money_text(lo, sizeof(lo), f->min, f->digits, 1);
			money_text(hi, sizeof(hi), f->max, f->digits, 1);
			err_field(&r->err, f->name, "must be a number from %s to "
			    "%s with at most %d decimals", lo, hi, f->digits);
			return;
		}
		*out = arena_strdup(r->arena, money_text(num, sizeof(num), n,
		    f->digits, 1));
		return;
	case QK_BOOL:
		if (!json_is_boolean(v))
			err_field(&r->err, f->name, "must be true or false");
		else
			*out = json_is_true(v) ? "true" : "false";
		return;
	case QK_TEXT:
	case QK_CODE:
	case QK_QUALITY:
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v)) {
			err_field(&r->err, f->name, "must be text");
			return;
		}
		s = json_string_value(v);
		if (f->kind == QK_CODE && (strlen(s) < 1 || strlen(s) > 20 ||
		    strchr("+-", s[0]) != NULL || strspn(s,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-") != strlen(s))) {
			err_field(&r->err, f->name, "must be 1 to 20 capital "
			    "letters, digits, + or -, such as PLA or PETG-CF");
			return;
		}
		if (f->kind == QK_QUALITY) {
			json_array_foreach(json_object_get(m, "qualities"), i,
			    q)
				if (json_is_string(json_object_get(q, "name")) &&
				    strcmp(json_row_str(q, "name"), s) == 0)
					break;
			if (i == json_array_size(json_object_get(m,
			    "qualities"))) {
				err_field(&r->err, f->name, "must be the name "
				    "of one of the qualities");
				return;
			}
		}
		if (f->kind == QK_TEXT && (qset_chars(s) < (size_t)f->min ||
		    qset_chars(s) > (size_t)f->max)) {
			if (f->min > 0)
				err_field(&r->err, f->name, "must be %lld to %lld "
				    "characters", f->min, f->max);
			else
				err_field(&r->err, f->name, "must be at most "
				    "%lld characters", f->max);
			return;
		}
		*out = s;
		return;
	case QK_TIERS:
		qset_check_tiers(r, f, v, out);
		return;
	case QK_QUALITIES:
		qset_check_qualities(r, f, v, out);
		return;
	}
}

/*
 * Merges the changes (field -> value) over the stored row cur and checks
 * every field; p[i] gets the statement text of fields[i].  Returns 0 or
 * ERR_INVALID naming the bad fields.
 */
static int
qset_merge(struct req *r, const struct qset_field *fields, size_t n,
    json_t *cur, json_t *changes, const char *what, const char **p)
{
	json_t	*m, *v;
	size_t	 i;

	m = arena_json(r->arena, json_object());
	for (i = 0; i < n; i++) {
		v = json_object_get(changes, fields[i].name);
		if (v == NULL && cur != NULL)
			v = json_object_get(cur, fields[i].name);
		if (v != NULL && json_is_string(v) && fields[i].kind !=
		    QK_TEXT) {
			v = json_string(str_trim(r->arena, json_string_value(
			    v)));
			arena_json(r->arena, v);
		}
		if (v != NULL)
			json_object_set(m, fields[i].name, v);
	}
	for (i = 0; i < n; i++)
		qset_check(r, &fields[i], m, &p[i]);
	if (r->err.code != ERR_OK)
		return req_invalid(r, what);
	return 0;
}

/* ---- the settings ---- */

/* The answer of GET and PUT: the settings with every material. */
static int
qset_answer(struct req *r, json_t *row, int status)
{
	json_t	*mats, *out;

	if (db_exec(r->db, r->arena, &qset_stmts[QS_MATERIALS], NULL, &mats,
	    &r->err) != 0)
		return r->err.code;
	out = json_deep_copy(row);
	json_object_set(out, "materials", mats);
	req_json(r, status, out);
	return 0;
}

static int
qset_row(struct req *r, int stmt, json_t **row)
{
	if (db_one(r->db, r->arena, &qset_stmts[stmt], NULL, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_INTERNAL, "the quote settings row "
		    "is missing");
	return 0;
}

static int
qset_show(struct req *r)
{
	json_t	*row;

	if (qset_row(r, QS_GET, &row) != 0)
		return r->err.code;
	return qset_answer(r, row, 200);
}

/*
 * Applies changes to the settings under the row lock, stores them and
 * audits what changed.  *after is the stored row (arena).
 */
static int
qset_apply(struct req *r, json_t *changes, json_t **after)
{
	json_t		*before;
	const char	*p[QSET_NFIELDS];

	if (qset_row(r, QS_LOCK, &before) != 0 ||
	    qset_merge(r, qset_fields, QSET_NFIELDS, before, changes,
	    "quote settings", p) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &qset_stmts[QS_UPDATE], p, after,
	    &r->err) != 0)
		return r->err.code;
	return record_audit_changed(r, "quote_settings", "shop", before,
	    *after, "updated_at");
}

static int
qset_update(struct req *r)
{
	json_t	*row;

	if (qset_apply(r, r->input, &row) != 0)
		return r->err.code;
	return qset_answer(r, row, 200);
}

/* ---- materials ---- */

static int
qset_material_find(struct req *r, const char *code, json_t **row)
{
	if (db_one(r->db, r->arena, &qset_stmts[QS_MAT_LOCK], &code, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such material: %s",
		    code);
	return 0;
}

/* A new material from in (its code upper-cased); *row is the stored one. */
static int
qset_material_add(struct req *r, json_t *in, json_t **row)
{
	json_t		*m;
	const char	*p[QSET_NMAT], *code;
	char		*c;

	m = arena_json(r->arena, json_deep_copy(in));
	if (json_is_string(json_object_get(m, "material"))) {
		c = str_trim(r->arena, json_row_str(m, "material"));
		for (code = c; *c != '\0'; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		json_object_set_new(m, "material", json_string(code));
	}
	if (json_object_get(m, "markup_bp") == NULL)
		json_object_set_new(m, "markup_bp", json_integer(0));
	if (json_object_get(m, "active") == NULL)
		json_object_set_new(m, "active", json_true());
	/* no position: after the others (the statement's coalesce) */
	if (json_object_get(m, "position") == NULL)
		json_object_set_new(m, "position", json_integer(0));
	if (qset_merge(r, qset_mat_fields, QSET_NMAT, NULL, m, "material",
	    p) != 0)
		return r->err.code;
	if (json_object_get(in, "position") == NULL)
		p[5] = NULL;
	if (db_one(r->db, r->arena, &qset_stmts[QS_MAT_INSERT], p, row,
	    &r->err) != 0) {
		if (r->err.code == ERR_CONFLICT) {
			err_set(&r->err, ERR_CONFLICT, "the material %s exists "
			    "already", p[0]);
			err_hint(&r->err, "change it with PUT "
			    "/api/v1/quote-settings/materials/%s", p[0]);
			err_field(&r->err, "material", "exists already");
		}
		return r->err.code;
	}
	return req_audit(r, "create", "quote_material", p[0], NULL, *row);
}

/*
 * Changes the material code (fields sent; the code itself stays) and
 * audits what changed.  The last active material is not deactivated.
 */
static int
qset_material_change(struct req *r, const char *code, json_t *changes,
    json_t **row)
{
	json_t		*cur, *others, *m;
	const char	*p[QSET_NMAT];

	if (qset_material_find(r, code, &cur) != 0)
		return r->err.code;
	m = arena_json(r->arena, json_deep_copy(changes));
	json_object_del(m, "material");
	if (qset_merge(r, qset_mat_fields, QSET_NMAT, cur, m, "material",
	    p) != 0)
		return r->err.code;
	if (strcmp(p[6], "false") == 0 && json_is_true(json_object_get(cur,
	    "active"))) {
		if (db_exec(r->db, r->arena, &qset_stmts[QS_MAT_OTHERS], &code,
		    &others, &r->err) != 0)
			return r->err.code;
		if (json_array_size(others) == 0) {
			err_field(&r->err, "active", "the last active material "
			    "stays active");
			return req_invalid(r, "material");
		}
	}
	if (db_one(r->db, r->arena, &qset_stmts[QS_MAT_UPDATE], p, row,
	    &r->err) != 0)
		return r->err.code;
	return record_audit_changed(r, "quote_material", code, cur, *row,
	    "quoted_parts");
}

static int
qset_material_create(struct req *r)
{
	json_t	*row;

	if (qset_material_add(r, r->input, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
qset_material_update(struct req *r)
{
	json_t	*row;

	if (r->input != NULL && json_object_get(r->input, "material") != NULL) {
		err_field(&r->err, "material", "cannot change; add a new "
		    "material and deactivate this one");
		return req_invalid(r, "material");
	}
	if (qset_material_change(r, req_str(r, "material"), r->input,
	    &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* ---- the pages ---- */

/* The business currency and its minor digits, for money on the pages. */
static int
qset_money(struct req *r, const char **currency, int *digits)
{
	json_t	*row;

	if (db_one(r->db, r->arena, &qset_stmts[QS_MONEY], NULL, &row,
	    &r->err) != 0)
		return r->err.code;
	*currency = json_row_str(row, "currency");
	*digits = (int)json_row_int(row, "digits");
	return 0;
}

/* A submitted form value, or NULL when this is not a form's redisplay. */
static const char *
qset_sent(struct req *r, const char *key)
{
	if (strcmp(r->method, "POST") != 0 || r->input == NULL)
		return NULL;
	return json_row_str(r->input, key);
}

/*
 * The rows of the tier and quality tables: the stored lists, or what was
 * sent when a failed form comes back; always the full number of rows.
 */
static json_t *
qset_rows(struct req *r, json_t *row)
{
	json_t		*tiers, *quals, *t, *q;
	const char	*sent, *cur;
	size_t		 i;

	tiers = json_array();
	quals = json_array();
	cur = qset_sent(r, "default_quality");
	if (cur == NULL)
		cur = json_row_str(row, "default_quality");
	for (i = 0; i < QSET_MAX_TIERS; i++) {
		t = json_array_get(json_object_get(row, "quantity_tiers"), i);
		json_array_append_new(tiers, json_pack("{s:I, s:s, s:s}", "n",
		    (json_int_t)(i + 1), "qty", t == NULL ? "" :
		    arena_printf(r->arena, "%lld", json_row_int(t, "min_qty")),
		    "pct", t == NULL ? "" : record_decimal(r, json_row_int(t,
		    "discount_bp"), 2, 1)));
		q = json_array_get(json_object_get(row, "qualities"), i);
		json_array_append_new(quals, json_pack("{s:I, s:s, s:s}", "n",
		    (json_int_t)(i + 1), "name", q == NULL ? "" :
		    json_row_str(q, "name"), "layer", q == NULL ? "" :
		    record_decimal(r, llround(json_row_num(q, "layer_mm") *
		    100.0), 2, 1)));
	}
	if (qset_sent(r, "machine_rate") != NULL)
		for (i = 0; i < QSET_MAX_TIERS; i++) {
			t = json_array_get(tiers, i);
			q = json_array_get(quals, i);
			sent = qset_sent(r, arena_printf(r->arena,
			    "tier_qty_%zu", i + 1));
			json_object_set_new(t, "qty", json_string(sent != NULL ?
			    sent : ""));
			sent = qset_sent(r, arena_printf(r->arena,
			    "tier_pct_%zu", i + 1));
			json_object_set_new(t, "pct", json_string(sent != NULL ?
			    sent : ""));
			sent = qset_sent(r, arena_printf(r->arena,
			    "quality_name_%zu", i + 1));
			json_object_set_new(q, "name", json_string(sent !=
			    NULL ? sent : ""));
			sent = qset_sent(r, arena_printf(r->arena,
			    "quality_layer_%zu", i + 1));
			json_object_set_new(q, "layer", json_string(sent !=
			    NULL ? sent : ""));
		}
	json_array_foreach(quals, i, q)
		json_object_set_new(q, "selected", json_boolean(cur != NULL &&
		    *json_row_str(q, "name") != '\0' && strcmp(json_row_str(q,
		    "name"), cur) == 0));
	return json_pack("{s:o, s:o}", "tiers", tiers, "qualities", quals);
}

/* The page's title: "<what> · Settings". */
static const char *
qset_title(struct req *r, const char *key)
{
	return arena_printf(r->arena, "%s · %s", req_t(r, key), req_t(r,
	    "page_settings"));
}

static int
qset_page(struct req *r)
{
	static const char *const ints[] = { "validity_days",
	    "default_infill_pct", "build_x_mm", "build_y_mm", "build_z_mm" };
	static const char *const money[][2] = {
	    { "machine_rate", "machine_rate_cents" },
	    { "setup_fee", "setup_fee_cents" },
	    { "minimum_order", "minimum_order_cents" },
	    { "rounding", "rounding_cents" } };
	json_t		*row, *mats, *m, *form;
	const char	*currency;
	size_t		 i;
	int		 digits;

	if (qset_row(r, QS_GET, &row) != 0 || qset_money(r, &currency,
	    &digits) != 0 || db_exec(r->db, r->arena,
	    &qset_stmts[QS_MATERIALS], NULL, &mats, &r->err) != 0)
		return r->err.code;
	form = json_object();
	for (i = 0; i < sizeof(money) / sizeof(money[0]); i++)
		json_object_set_new(form, money[i][0], json_string(
		    record_decimal(r, json_row_int(row, money[i][1]), digits,
		    0)));
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		json_object_set_new(form, ints[i], json_string(arena_printf(
		    r->arena, "%lld", json_row_int(row, ints[i]))));
	json_object_set_new(form, "handling_minutes", json_string(
	    record_decimal(r, llround(json_row_num(row, "handling_minutes") *
	    100.0), 2, 1)));
	json_object_set(form, "terms", json_object_get(row, "terms"));
	json_object_set(form, "slice_parts", json_object_get(row,
	    "slice_parts"));
	json_array_foreach(mats, i, m) {
		json_object_set_new(m, "cost_text", json_string(record_money(r,
		    json_row_int(m, "cost_per_kg_cents"), currency)));
		json_object_set_new(m, "markup_text", json_string(
		    record_decimal(r, json_row_int(m, "markup_bp"), 2, 1)));
		json_object_set_new(m, "density_text", json_string(
		    record_decimal(r, llround(json_row_num(m, "density") *
		    1000.0), 3, 1)));
	}
	r->out = json_pack("{s:O, s:o, s:o, s:O, s:b, s:s, s:s}", "settings",
	    row, "form", form, "rows", qset_rows(r, row), "materials", mats,
	    "has_materials", json_array_size(mats) > 0, "currency", currency,
	    "title", qset_title(r, "qset_title"));
	return 0;
}

/* One row of a list in the form: both empty is no row; 0 or -1. */
static int
qset_form_pair(struct req *r, const char *name_a, const char *name_b,
    size_t n, const char **a, const char **b)
{
	*a = req_str(r, arena_printf(r->arena, "%s_%zu", name_a, n));
	*b = req_str(r, arena_printf(r->arena, "%s_%zu", name_b, n));
	*a = str_trim(r->arena, *a != NULL ? *a : "");
	*b = str_trim(r->arena, *b != NULL ? *b : "");
	return **a == '\0' && **b == '\0' ? -1 : 0;
}

/* The tier and quality rows of the form as the API's lists. */
static void
qset_form_lists(struct req *r, json_t *changes)
{
	json_t		*tiers, *quals;
	const char	*a, *b;
	long long	 qty, bp, layer;
	size_t		 i;

	tiers = json_array();
	quals = json_array();
	json_object_set_new(changes, "quantity_tiers", tiers);
	json_object_set_new(changes, "qualities", quals);
	for (i = 1; i <= QSET_MAX_TIERS; i++) {
		if (qset_form_pair(r, "tier_qty", "tier_pct", i, &a,
		    &b) != 0)
			continue;
		if (money_parse(a, 0, 10000, &qty) != 0 || money_parse(b, 2,
		    10000, &bp) != 0) {
			err_field(&r->err, "quantity_tiers", "row %zu: a "
			    "quantity from 1 to 10000 and a discount from 0 to "
			    "100 %%", i);
			continue;
		}
		json_array_append_new(tiers, json_pack("{s:I, s:I}", "min_qty",
		    (json_int_t)qty, "discount_bp", (json_int_t)bp));
	}
	for (i = 1; i <= QSET_MAX_QUALITIES; i++) {
		if (qset_form_pair(r, "quality_name", "quality_layer",
		    i, &a, &b) != 0)
			continue;
		if (money_parse(b, 2, 100, &layer) != 0) {
			err_field(&r->err, "qualities", "row %zu: the layer must "
			    "be from 0.04 to 1 mm", i);
			continue;
		}
		json_array_append_new(quals, json_pack("{s:s, s:f}", "name", a,
		    "layer_mm", (double)layer / 100.0));
	}
}

static int
qset_page_save(struct req *r)
{
	static const char *const ints[] = { "validity_days",
	    "default_infill_pct", "build_x_mm", "build_y_mm", "build_z_mm" };
	json_t		*changes, *row, *v;
	const char	*currency;
	size_t		 i;
	int		 digits;

	if (qset_money(r, &currency, &digits) != 0)
		return r->err.code;
	changes = arena_json(r->arena, json_object());
	record_form_number(r, changes, "machine_rate", "machine_rate_cents",
	    digits, QSET_MONEY_MAX, "must be an amount such as 2.50");
	record_form_number(r, changes, "setup_fee", "setup_fee_cents",
	    digits, QSET_MONEY_MAX, "must be an amount such as 3.00");
	record_form_number(r, changes, "minimum_order",
	    "minimum_order_cents", digits, QSET_MONEY_MAX, "must be an "
	    "amount such as 15.00");
	record_form_number(r, changes, "rounding", "rounding_cents", digits,
	    QSET_MONEY_MAX, "must be an amount such as 0.10");
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		record_form_number(r, changes, ints[i], ints[i], 0, 1000000,
		    "must be a whole number");
	record_form_number(r, changes, "handling_minutes", "handling_minutes",
	    2, 100000, "must be minutes such as 3 or 2.5");
	if ((v = json_object_get(changes, "handling_minutes")) != NULL)
		json_object_set_new(changes, "handling_minutes", json_real(
		    (double)json_integer_value(v) / 100.0));
	if (req_str(r, "default_quality") != NULL)
		json_object_set_new(changes, "default_quality", json_string(
		    req_str(r, "default_quality")));
	if (req_str(r, "terms") != NULL)
		json_object_set_new(changes, "terms", json_string(req_str(r,
		    "terms")));
	/* a checkbox: the whole form is posted, an unticked box is absent */
	json_object_set_new(changes, "slice_parts", json_boolean(req_str(r,
	    "slice_parts") != NULL));
	qset_form_lists(r, changes);
	if (r->err.code != ERR_OK)
		return req_invalid(r, "quote settings");
	if (qset_apply(r, changes, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "qset_flash_saved");
	req_redirect(r, "/settings/quotes");
	return 0;
}

/* The material page: a stored material, or the empty form of a new one. */
static int
qset_material_page_view(struct req *r, json_t *mat)
{
	json_t		*form;
	const char	*currency;
	int		 is_new = mat == NULL, digits;

	if (qset_money(r, &currency, &digits) != 0)
		return r->err.code;
	form = json_object();
	if (!is_new) {
		json_object_set(form, "label", json_object_get(mat, "label"));
		json_object_set_new(form, "cost_per_kg", json_string(
		    record_decimal(r, json_row_int(mat, "cost_per_kg_cents"),
		    digits, 0)));
		json_object_set_new(form, "density", json_string(record_decimal(
		    r, llround(json_row_num(mat, "density") * 1000.0), 3, 1)));
		json_object_set_new(form, "markup_pct", json_string(
		    record_decimal(r, json_row_int(mat, "markup_bp"), 2, 1)));
		json_object_set_new(form, "position", json_string(arena_printf(
		    r->arena, "%lld", json_row_int(mat, "position"))));
		if (json_is_true(json_object_get(mat, "active")))
			json_object_set_new(form, "active", json_string("1"));
	} else
		json_object_set_new(form, "active", json_string("1"));
	r->out = json_pack("{s:O, s:o, s:b, s:s, s:s, s:s}", "material", is_new ?
	    json_null() : mat, "form", form, "is_new", is_new, "action",
	    is_new ? "/settings/quotes/materials/new" : arena_printf(r->arena,
	    "/settings/quotes/materials/%s", json_row_str(mat, "material")),
	    "currency", currency, "title", qset_title(r, is_new ?
	    "qset_material_new" : "qset_material_edit"));
	return 0;
}

static int
qset_material_page(struct req *r)
{
	json_t	*mat;

	if (qset_material_find(r, req_str(r, "material"), &mat) != 0)
		return r->err.code;
	return qset_material_page_view(r, mat);
}

static int
qset_material_page_new(struct req *r)
{
	return qset_material_page_view(r, NULL);
}

/* The material form as the API's fields; amounts as decimals. */
static json_t *
qset_material_form(struct req *r, int digits)
{
	json_t	*in, *v;

	in = arena_json(r->arena, json_object());
	if (req_str(r, "material") != NULL)
		json_object_set_new(in, "material", json_string(req_str(r,
		    "material")));
	if (req_str(r, "label") != NULL)
		json_object_set_new(in, "label", json_string(str_trim(r->arena,
		    req_str(r, "label"))));
	record_form_number(r, in, "cost_per_kg", "cost_per_kg_cents",
	    digits, 10000000, "must be an amount such as 22.00");
	record_form_number(r, in, "density", "density", 3, 1000000,
	    "must be a number such as 1.24");
	if ((v = json_object_get(in, "density")) != NULL)
		json_object_set_new(in, "density", json_real((double)
		    json_integer_value(v) / 1000.0));
	record_form_number(r, in, "markup_pct", "markup_bp", 2, 100000,
	    "must be a percentage such as 50");
	record_form_number(r, in, "position", "position", 0, 1000000,
	    "must be a whole number");
	json_object_set_new(in, "active", json_boolean(req_str(r,
	    "active") != NULL));
	return in;
}

/* The add and edit forms: the material stored, a flash and the list. */
static int
qset_material_page_post(struct req *r, int is_new)
{
	json_t		*in, *row;
	const char	*currency;
	int		 digits;

	if (qset_money(r, &currency, &digits) != 0)
		return r->err.code;
	in = qset_material_form(r, digits);
	if (r->err.code != ERR_OK)
		return req_invalid(r, "material");
	if ((is_new ? qset_material_add(r, in, &row) : qset_material_change(r,
	    req_str(r, "material"), in, &row)) != 0)
		return r->err.code;
	req_flash(r, "ok", is_new ? "qset_flash_material_added" :
	    "qset_flash_material_saved");
	req_redirect(r, "/settings/quotes");
	return 0;
}

static int
qset_material_page_create(struct req *r)
{
	return qset_material_page_post(r, 1);
}

static int
qset_material_page_save(struct req *r)
{
	return qset_material_page_post(r, 0);
}

/* The body rules only name the fields; qset_check says what is wrong. */
static const struct param update_params[] = {
	{ "machine_rate_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "setup_fee_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "handling_minutes", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "minimum_order_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "rounding_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "validity_days", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "quantity_tiers", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "qualities", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "default_quality", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "default_infill_pct", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "build_x_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "build_y_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "build_z_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "terms", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "slice_parts", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

#define MATERIAL_BODY \
	{ "label", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "cost_per_kg_cents", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "density", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "markup_bp", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "position", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "active", IN_BODY, P_ANY, 0, 0, 0, NULL }
#define MATERIAL_PATH \
	{ "material", IN_PATH, P_STR, 1, 1, 20, NULL }

static const struct param material_create_params[] = {
	{ "material", IN_BODY, P_ANY, 0, 0, 0, NULL },
	MATERIAL_BODY,
	PARAM_END,
};

static const struct param material_update_params[] = {
	MATERIAL_PATH,
	{ "material", IN_BODY, P_ANY, 0, 0, 0, NULL },
	MATERIAL_BODY,
	PARAM_END,
};

static const struct param material_path_params[] = {
	MATERIAL_PATH,
	PARAM_END,
};

#define TIER_ROW(n) \
	{ "tier_qty_" #n, IN_BODY, P_STR, 0, 0, 12, NULL }, \
	{ "tier_pct_" #n, IN_BODY, P_STR, 0, 0, 12, NULL }, \
	{ "quality_name_" #n, IN_BODY, P_STR, 0, 0, 40, NULL }, \
	{ "quality_layer_" #n, IN_BODY, P_STR, 0, 0, 12, NULL }

static const struct param form_params[] = {
	{ "machine_rate", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "setup_fee", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "handling_minutes", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "minimum_order", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "rounding", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "validity_days", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "default_quality", IN_BODY, P_STR, 0, 0, 40, NULL },
	{ "default_infill_pct", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "build_x_mm", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "build_y_mm", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "build_z_mm", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "terms", IN_BODY, P_STR, 0, 0, 16000, NULL },
	{ "slice_parts", IN_BODY, P_STR, 0, 0, 12, NULL },
	TIER_ROW(1), TIER_ROW(2), TIER_ROW(3), TIER_ROW(4),
	TIER_ROW(5), TIER_ROW(6), TIER_ROW(7), TIER_ROW(8),
	PARAM_END,
};

#define MATERIAL_FORM \
	{ "label", IN_BODY, P_STR, 0, 0, 200, NULL }, \
	{ "cost_per_kg", IN_BODY, P_STR, 0, 0, 20, NULL }, \
	{ "density", IN_BODY, P_STR, 0, 0, 12, NULL }, \
	{ "markup_pct", IN_BODY, P_STR, 0, 0, 12, NULL }, \
	{ "position", IN_BODY, P_STR, 0, 0, 12, NULL }, \
	{ "active", IN_BODY, P_STR, 0, 0, 4, NULL }

static const struct param material_form_new[] = {
	{ "material", IN_BODY, P_STR, 0, 0, 40, NULL },
	MATERIAL_FORM,
	PARAM_END,
};

static const struct param material_form_edit[] = {
	MATERIAL_PATH,
	MATERIAL_FORM,
	PARAM_END,
};

#define READERS	(ROLE_OWNER | ROLE_STAFF | ROLE_ACCOUNTANT)

static const struct route qset_routes[] = {
	{ "GET", "/api/v1/quote-settings", qset_show, READERS, 0, NULL,
	    NULL },
	{ "PUT", "/api/v1/quote-settings", qset_update, ROLE_OWNER, 0,
	    update_params, NULL },
	{ "POST", "/api/v1/quote-settings/materials", qset_material_create,
	    ROLE_OWNER, 0, material_create_params, NULL },
	{ "PUT", "/api/v1/quote-settings/materials/{material}",
	    qset_material_update, ROLE_OWNER, 0, material_update_params,
	    NULL },
	{ "GET", "/settings/quotes", qset_page, READERS, ROUTE_PAGE, NULL,
	    "settings/quotes" },
	{ "POST", "/settings/quotes", qset_page_save, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, form_params, "settings/quotes" },
	{ "GET", "/settings/quotes/materials/new", qset_material_page_new,
	    ROLE_OWNER, ROUTE_PAGE, NULL, "settings/quote-material" },
	{ "POST", "/settings/quotes/materials/new", qset_material_page_create,
	    ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM, material_form_new,
	    "settings/quote-material" },
	{ "GET", "/settings/quotes/materials/{material}", qset_material_page,
	    READERS, ROUTE_PAGE, material_path_params,
	    "settings/quote-material" },
	{ "POST", "/settings/quotes/materials/{material}",
	    qset_material_page_save, ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM,
	    material_form_edit, "settings/quote-material" },
};

const struct resource quote_settings_resource = {
	"quote_settings", qset_routes,
	sizeof(qset_routes) / sizeof(qset_routes[0]),
	qset_stmts, sizeof(qset_stmts) / sizeof(qset_stmts[0]),
};

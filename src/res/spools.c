/*
 * spools.c -- spools of filament: GET/POST /api/v1/spools,
 * GET/PATCH /api/v1/spools/{id}, the ledger operations measure, use,
 * adjust, move and archive (POST /api/v1/spools/{id}/<operation>), the
 * spool's ledger (GET /api/v1/spools/{id}/ledger), and the pages: the
 * inventory overview (GET /inventory), one spool (GET/POST
 * /inventory/spools/{id}) and the new-spool form.
 *
 * Invariants: the remaining weight is never written here; every change
 * is a ledger row appended by domain/stock.c under a lock on the spool,
 * and the database keeps remaining_g equal to the ledger's sum.  A new
 * spool starts with one receipt of its initial net weight.
 */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "db/db.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/record.h"
#include "res/spools.h"
#include "view/format.h"

#define SPOOL_COLS \
	"s.id, s.code, s.filament_id, f.name AS filament, v.name AS vendor, " \
	"f.material, f.color_name, f.color_hex, f.diameter_mm::float8 AS " \
	"diameter_mm, f.density::float8 AS density, " \
	"s.initial_weight_g::float8 AS initial_weight_g, " \
	"s.spool_weight_g::float8 AS spool_weight_g, s.remaining_g::float8 " \
	"AS remaining_g, s.reserved_g::float8 AS reserved_g, " \
	"(s.remaining_g - s.reserved_g)::float8 AS available_g, " \
	"least(100, round(100 * s.remaining_g / s.initial_weight_g))::int " \
	"AS remaining_pct, s.location_id, l.name AS location, s.lot, " \
	"s.price_cents, s.currency, s.purchased_on::text AS purchased_on, " \
	"round(CASE WHEN s.price_cents IS NOT NULL THEN s.price_cents * " \
	"s.remaining_g / s.initial_weight_g ELSE f.price_per_kg_cents * " \
	"s.remaining_g / 1000 END)::bigint AS value_cents, s.first_used_at, " \
	"s.last_used_at, s.archived_at, s.archived_at IS NOT NULL AS " \
	"archived, s.note, s.created_at"
#define SPOOL_FROM \
	"FROM spools s JOIN filaments f ON f.id = s.filament_id LEFT JOIN " \
	"vendors v ON v.id = f.vendor_id LEFT JOIN locations l ON l.id = " \
	"s.location_id "
#define SPOOL_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(concat_ws(' ', s.code, " \
	"s.lot, v.name, f.name, f.material, f.color_name, l.name)), " \
	"lower($1)) > 0) AND ($2::bigint IS NULL OR s.filament_id = $2) AND " \
	"($3::bigint IS NULL OR s.location_id = $3) AND ($4::text IS NULL " \
	"OR lower(f.material) = lower($4)) AND ((s.archived_at IS NOT NULL) " \
	"= $5::boolean)"
#define SORT_BY(p, key, expr) \
	"CASE WHEN " p " = '" key "' THEN " expr " END, " \
	"CASE WHEN " p " = '-" key "' THEN " expr " END DESC, "
#define SPOOL_SORT(p) \
	SORT_BY(p, "id", "s.id") SORT_BY(p, "code", "s.code") \
	SORT_BY(p, "material", "f.material") \
	SORT_BY(p, "color_name", "f.color_name") \
	SORT_BY(p, "remaining_g", "s.remaining_g") \
	SORT_BY(p, "last_used_at", "s.last_used_at") \
	SORT_BY(p, "created_at", "s.created_at")
#define MOVE_COLS \
	"m.id, m.at, m.kind::text AS kind, m.qty::float8 AS qty, " \
	"m.reserved_qty::float8 AS reserved_qty, m.balance::float8 AS " \
	"balance, m.location_id, l.name AS location, m.reason, m.ref_kind, " \
	"m.ref_id, m.actor"

static const struct stmt spools_stmts[] = {
	{ "spools_list",
	  "SELECT " SPOOL_COLS " " SPOOL_FROM SPOOL_FILTER " ORDER BY "
	  SPOOL_SORT("$6") SPOOL_SORT("$7") "s.id LIMIT $8 OFFSET $9", 9 },
	{ "spools_count",
	  "SELECT count(*) AS n " SPOOL_FROM SPOOL_FILTER, 5 },
	{ "spools_show",
	  "SELECT " SPOOL_COLS " " SPOOL_FROM "WHERE s.id = $1", 1 },
	{ "spools_create",
	  "INSERT INTO spools (filament_id, initial_weight_g, spool_weight_g, "
	  "location_id, lot, price_cents, currency, purchased_on, note) "
	  "SELECT f.id, coalesce($2::numeric, f.net_weight_g), "
	  "coalesce($3::numeric, f.spool_weight_g, 0), $4, $5, $6, "
	  "coalesce($7, f.currency), $8::date, $9 FROM filaments f WHERE "
	  "f.id = $1 RETURNING id, initial_weight_g::float8 AS "
	  "initial_weight_g", 9 },
	{ "spools_update",
	  "UPDATE spools SET spool_weight_g = coalesce($2::numeric, 0), lot = "
	  "$3, price_cents = $4, currency = coalesce($5, 'EUR'), "
	  "purchased_on = $6::date, note = $7 WHERE id = $1 RETURNING id", 7 },
	{ "spools_ledger",
	  "SELECT " MOVE_COLS " FROM stock_moves m LEFT JOIN locations l ON "
	  "l.id = m.location_id WHERE m.spool_id = $1 ORDER BY m.id DESC "
	  "LIMIT $2 OFFSET $3", 3 },
	{ "spools_ledger_count",
	  "SELECT count(*) AS n FROM stock_moves WHERE spool_id = $1", 1 },
	{ "spools_filament_choices",
	  "SELECT f.id, concat_ws(' ', v.name, f.material, f.name, "
	  "CASE WHEN f.color_name IS NOT NULL AND f.color_name <> f.name THEN "
	  "f.color_name END) AS label FROM filaments f LEFT JOIN vendors v ON "
	  "v.id = f.vendor_id ORDER BY 2", 0 },
	{ "spools_location_choices",
	  "SELECT id, name FROM locations ORDER BY name", 0 },
};

enum {
	ST_LIST, ST_COUNT, ST_SHOW, ST_CREATE, ST_UPDATE, ST_LEDGER,
	ST_LEDGER_COUNT, ST_FILAMENTS, ST_LOCATIONS
};

static const struct stock_field create_fields[] = {
	{ "filament_id", SF_ID, 1, 0, 0, 0, NULL },
	{ "initial_weight_g", SF_NUM, 0, 0, 1e6, 1, NULL },
	{ "spool_weight_g", SF_NUM, 0, 0, 1e6, 0, NULL },
	{ "location_id", SF_ID, 0, 0, 0, 0, NULL },
	{ "lot", SF_TEXT, 0, 0, 100, 0, NULL },
	{ "price_cents", SF_INT, 0, 0, 1e9, 0, NULL },
	{ "currency", SF_CUR, 0, 0, 0, 0, NULL },
	{ "purchased_on", SF_DATE, 0, 0, 0, 0, NULL },
	{ "note", SF_TEXT, 0, 0, 1000, 0, NULL },
};
#define NCREATE	(sizeof(create_fields) / sizeof(create_fields[0]))

static const struct stock_field update_fields[] = {
	{ "spool_weight_g", SF_NUM, 0, 0, 1e6, 0, NULL },
	{ "lot", SF_TEXT, 0, 0, 100, 0, NULL },
	{ "price_cents", SF_INT, 0, 0, 1e9, 0, NULL },
	{ "currency", SF_CUR, 0, 0, 0, 0, NULL },
	{ "purchased_on", SF_DATE, 0, 0, 0, 0, NULL },
	{ "note", SF_TEXT, 0, 0, 1000, 0, NULL },
};
#define NUPDATE	(sizeof(update_fields) / sizeof(update_fields[0]))

static void
spools_why(struct req *r, struct stock_why *why)
{
	why->reason = req_str(r, "reason");
	why->ref_kind = req_str(r, "ref_kind");
	why->ref_id = req_int(r, "ref_id", 0);
}

static int
spools_list(struct req *r)
{
	const char	*p[9];

	p[0] = req_str(r, "q");
	p[1] = req_has(r, "filament_id") ? arena_printf(r->arena, "%lld",
	    req_int(r, "filament_id", 0)) : NULL;
	p[2] = req_has(r, "location_id") ? arena_printf(r->arena, "%lld",
	    req_int(r, "location_id", 0)) : NULL;
	p[3] = req_str(r, "material");
	p[4] = req_bool(r, "archived", 0) ? "true" : "false";
	if (stock_sort(r->arena, req_str(r, "sort"), "id|code|material|"
	    "color_name|remaining_g|last_used_at|created_at", "id", &p[5],
	    &r->err) != 0)
		return r->err.code;
	p[7] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[8] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &spools_stmts[ST_LIST],
	    &spools_stmts[ST_COUNT], p);
}

static int
spools_get(struct req *r, long long id, json_t **row)
{
	return record_find(r, &spools_stmts[ST_SHOW], id, "spool",
	    row);
}

static int
spools_show(struct req *r)
{
	return record_answer(r, &spools_stmts[ST_SHOW], "spool");
}

/* A location_id that names nothing is a field error. */
static int
spools_fk(struct req *r)
{
	if (r->err.code == ERR_INVALID && strstr(r->err.message,
	    "foreign key") != NULL) {
		err_clear(&r->err);
		err_field(&r->err, "location_id", "names no location");
		err_set(&r->err, ERR_INVALID, "there is no such location");
	}
	return r->err.code;
}

/* Creates a spool and its first receipt; *id gets its id. */
static int
spools_make(struct req *r, long long *id)
{
	const char		*p[NCREATE];
	json_t			*row, *move;
	struct stock_actor	 who;
	struct stock_why	 why = { "new spool", NULL, 0 };

	if (stock_record(r->arena, create_fields, NCREATE, NULL, r->input, p,
	    NULL, &r->err) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &spools_stmts[ST_CREATE], p, &row,
	    &r->err) != 0)
		return spools_fk(r);
	if (row == NULL) {
		err_field(&r->err, "filament_id", "names no filament");
		return err_set(&r->err, ERR_INVALID, "there is no filament %s",
		    p[0]);
	}
	*id = (long long)json_integer_value(json_object_get(row, "id"));
	record_actor(r, &who);
	if (stock_spool_receive(r->db, r->arena, *id, json_number_value(
	    json_object_get(row, "initial_weight_g")), &why, &who, &move,
	    &r->err) != 0 || spools_get(r, *id, &row) != 0)
		return r->err.code;
	return req_audit(r, "create", "spool", arena_printf(r->arena, "%lld",
	    *id), NULL, row);
}

static int
spools_create(struct req *r)
{
	json_t		*row;
	long long	 id;

	if (spools_make(r, &id) != 0 || spools_get(r, id, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
spools_update(struct req *r)
{
	const char	*p[NUPDATE + 1];
	json_t		*cur, *row;
	long long	 id;

	id = req_int(r, "id", 0);
	if (spools_get(r, id, &cur) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", id);
	if (stock_record(r->arena, update_fields, NUPDATE, cur, r->input,
	    p + 1, NULL, &r->err) != 0)
		return r->err.code;
	if (db_exec(r->db, r->arena, &spools_stmts[ST_UPDATE], p, NULL,
	    &r->err) != 0 || spools_get(r, id, &row) != 0 ||
	    req_audit(r, "update", "spool", p[0], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* A number from the body; absent is *has = 0, bad is a field error. */
static int
spools_num(struct req *r, const char *key, double *v, int *has)
{
	json_t	*j;

	j = json_object_get(r->args, key);
	*has = j != NULL && !(json_is_string(j) && json_string_length(j) ==
	    0);
	if (*has && stock_number(j, v) != 0)
		return err_field(&r->err, key, "must be a number"), ERR_INVALID;
	return 0;
}

enum spools_op {
	OP_MEASURE, OP_USE, OP_ADJUST, OP_MOVE, OP_ARCHIVE, OP_RESERVE,
	OP_RELEASE
};

/* Runs one ledger operation on spool id; *out gets {spool, move}. */
static int
spools_op(struct req *r, long long id, enum spools_op op, json_t **out)
{
	struct stock_actor	 who;
	struct stock_why	 why;
	json_t			*move, *row;
	double			 v, mm;
	int			 has, has_mm;
	const char		*action;

	record_actor(r, &who);
	spools_why(r, &why);
	move = NULL;
	action = "";
	switch (op) {
	case OP_MEASURE:
		action = "measure";
		if (spools_num(r, "gross_weight_g", &v, &has) != 0)
			return r->err.code;
		if (!has)
			return err_field(&r->err, "gross_weight_g",
			    "is required"), ERR_INVALID;
		if (stock_spool_measure(r->db, r->arena, id, v, &why, &who,
		    &move, &r->err) != 0)
			return r->err.code;
		break;
	case OP_USE:
		action = "use";
		if (spools_num(r, "grams", &v, &has) != 0 ||
		    spools_num(r, "mm", &mm, &has_mm) != 0)
			return r->err.code;
		if (has == has_mm)
			return err_field(&r->err, "grams", "give grams or mm "
			    "(one of them)"), ERR_INVALID;
		if ((has ? stock_spool_use(r->db, r->arena, id, v, &why, &who,
		    &move, &r->err) : stock_spool_use_mm(r->db, r->arena, id,
		    mm, &why, &who, &move, &r->err)) != 0)
			return r->err.code;
		break;
	case OP_ADJUST:
		action = "adjust";
		if (spools_num(r, "grams", &v, &has) != 0)
			return r->err.code;
		if (!has)
			return err_field(&r->err, "grams", "is required"),
			    ERR_INVALID;
		if (why.reason == NULL)
			return err_field(&r->err, "reason", "say why the "
			    "stock is corrected"), ERR_INVALID;
		if (stock_spool_adjust(r->db, r->arena, id, v, &why, &who,
		    &move, &r->err) != 0)
			return r->err.code;
		break;
	case OP_RESERVE:
	case OP_RELEASE:
		action = op == OP_RESERVE ? "reserve" : "release";
		if (spools_num(r, "grams", &v, &has) != 0)
			return r->err.code;
		if (!has || !(v > 0))
			return err_field(&r->err, "grams", "must be a number "
			    "greater than 0"), ERR_INVALID;
		if (stock_spool_reserve(r->db, r->arena, id, op == OP_RESERVE ?
		    v : -v, &why, &who, &move, &r->err) != 0)
			return r->err.code;
		break;
	case OP_MOVE:
		action = "move";
		if (stock_spool_move(r->db, r->arena, id, req_int(r,
		    "location_id", 0), &why, &who, &move, &r->err) != 0)
			return r->err.code;
		break;
	case OP_ARCHIVE:
		action = "archive";
		if (stock_spool_archive(r->db, r->arena, id, &row,
		    &r->err) != 0)
			return r->err.code;
		break;
	}
	if (spools_get(r, id, &row) != 0 || req_audit(r, action, "spool",
	    arena_printf(r->arena, "%lld", id), NULL, move != NULL ? move :
	    row) != 0)
		return r->err.code;
	*out = json_pack("{s:O, s:O}", "spool", row, "move", move != NULL ?
	    move : json_null());
	return 0;
}

#define SPOOLS_OP_HANDLER(fn, op) \
static int \
fn(struct req *r) \
{ \
	json_t	*out; \
\
	if (spools_op(r, req_int(r, "id", 0), op, &out) != 0) \
		return r->err.code; \
	req_json(r, 200, out); \
	return 0; \
}

SPOOLS_OP_HANDLER(spools_measure, OP_MEASURE)
SPOOLS_OP_HANDLER(spools_use, OP_USE)
SPOOLS_OP_HANDLER(spools_adjust, OP_ADJUST)
SPOOLS_OP_HANDLER(spools_move, OP_MOVE)
SPOOLS_OP_HANDLER(spools_archive, OP_ARCHIVE)
SPOOLS_OP_HANDLER(spools_reserve, OP_RESERVE)
SPOOLS_OP_HANDLER(spools_release, OP_RELEASE)

static int
spools_ledger_rows(struct req *r, long long id, long long limit,
    long long offset, json_t **rows, json_t **cnt)
{
	const char	*p[3];

	p[0] = arena_printf(r->arena, "%lld", id);
	p[1] = arena_printf(r->arena, "%lld", limit);
	p[2] = arena_printf(r->arena, "%lld", offset);
	if (db_exec(r->db, r->arena, &spools_stmts[ST_LEDGER], p, rows,
	    &r->err) != 0 || db_one(r->db, r->arena,
	    &spools_stmts[ST_LEDGER_COUNT], p, cnt, &r->err) != 0)
		return r->err.code;
	return 0;
}

static int
spools_ledger(struct req *r)
{
	json_t		*row, *rows, *cnt;
	long long	 id;

	id = req_int(r, "id", 0);
	if (spools_get(r, id, &row) != 0 || spools_ledger_rows(r, id,
	    req_int(r, "limit", 50), req_int(r, "offset", 0), &rows,
	    &cnt) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:O}", "items", rows, "total",
	    json_object_get(cnt, "n")));
	return 0;
}

/* ---- pages ---- */

/* Display text for a spool row: weights, money, swatch colour. */
static void
spools_dress(struct req *r, json_t *row)
{
	char		 money[64];
	json_t		*v;
	const char	*hex;

	hex = json_string_value(json_object_get(row, "color_hex"));
	json_object_set_new(row, "swatch", json_string(hex != NULL ? hex :
	    "#888888"));
	json_object_set_new(row, "remaining_text", json_string(arena_printf(
	    r->arena, "%.0f g", json_number_value(json_object_get(row,
	    "remaining_g")))));
	json_object_set_new(row, "initial_text", json_string(arena_printf(
	    r->arena, "%.0f g", json_number_value(json_object_get(row,
	    "initial_weight_g")))));
	if ((v = json_object_get(row, "value_cents")) != NULL &&
	    json_is_integer(v))
		json_object_set_new(row, "value_text", json_string(
		    format_money(money, sizeof(money), json_integer_value(v),
		    json_string_value(json_object_get(row, "currency")),
		    r->lang)));
	json_object_set_new(row, "spool_weight_text", json_string(
	    arena_printf(r->arena, "%.0f g", json_number_value(
	    json_object_get(row, "spool_weight_g")))));
	json_object_set_new(row, "low", json_boolean(json_integer_value(
	    json_object_get(row, "remaining_pct")) < 15));
}

/* Ledger rows for people: signed grams and the kind in words. */
static void
spools_dress_ledger(struct req *r, json_t *rows)
{
	json_t	*row;
	size_t	 i;

	json_array_foreach(rows, i, row) {
		json_object_set_new(row, "kind_label", json_string(req_t(r,
		    arena_printf(r->arena, "inventory_kind_%s",
		    json_string_value(json_object_get(row, "kind"))))));
		json_object_set_new(row, "qty_text", json_string(arena_printf(
		    r->arena, "%+.1f g", json_number_value(json_object_get(row,
		    "qty")))));
		json_object_set_new(row, "balance_text", json_string(
		    arena_printf(r->arena, "%.1f g", json_number_value(
		    json_object_get(row, "balance")))));
	}
	req_localize_times(r, rows);
}

static int
spools_page_common(struct req *r, const char *title_key)
{
	json_object_set_new(r->out, "title", json_string(arena_printf(
	    r->arena, "%s · %s", req_t(r, title_key), req_t(r,
	    "page_inventory"))));
	json_object_set_new(r->out, "nav_inventory", json_true());
	return 0;
}

static int
spools_page_index(struct req *r)
{
	json_t		*rows, *row, *low;
	const char	*p[9];
	size_t		 i;

	p[0] = req_str(r, "q");
	p[1] = p[2] = p[3] = NULL;
	p[4] = "false";
	p[5] = "material";
	p[6] = "color_name";
	p[7] = "500";
	p[8] = "0";
	if (db_exec(r->db, r->arena, &spools_stmts[ST_LIST], p, &rows,
	    &r->err) != 0 || spools_low_for_page(r, &low) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		spools_dress(r, row);
	r->out = json_pack("{s:O, s:O, s:b, s:s*}", "spools", rows, "low",
	    low, "has_low", json_array_size(low) > 0, "q", p[0]);
	return 0;
}

int
spools_low_for_page(struct req *r, json_t **low)
{
	json_t	*row;
	size_t	 i;

	if (stock_low(r->db, r->arena, low, &r->err) != 0)
		return r->err.code;
	json_array_foreach(*low, i, row) {
		json_object_set_new(row, "available_text", json_string(
		    arena_printf(r->arena, "%.0f %s", json_number_value(
		    json_object_get(row, "available")), json_string_value(
		    json_object_get(row, "unit")))));
		json_object_set_new(row, "threshold_text", json_string(
		    arena_printf(r->arena, "%.0f %s", json_number_value(
		    json_object_get(row, "threshold")), json_string_value(
		    json_object_get(row, "unit")))));
		if (json_is_number(json_object_get(row, "days_left")))
			json_object_set_new(row, "days_text", json_string(
			    arena_printf(r->arena, "%.0f", json_number_value(
			    json_object_get(row, "days_left")))));
	}
	return 0;
}

static int
spools_page_show(struct req *r)
{
	json_t		*row, *rows, *cnt, *locs;
	long long	 id;

	id = req_int(r, "id", 0);
	if (spools_get(r, id, &row) != 0 || spools_ledger_rows(r, id, 100, 0,
	    &rows, &cnt) != 0 || db_exec(r->db, r->arena,
	    &spools_stmts[ST_LOCATIONS], NULL, &locs, &r->err) != 0)
		return r->err.code;
	spools_dress(r, row);
	spools_dress_ledger(r, rows);
	r->out = json_pack("{s:O, s:O, s:O}", "spool", row, "ledger", rows,
	    "locations", locs);
	return spools_page_common(r, "inventory_spool_title");
}

/* The spool page's forms: action = weigh | use | move | archive. */
static int
spools_page_post(struct req *r)
{
	json_t		*out;
	const char	*action;
	enum spools_op	 op;
	long long	 id;

	action = req_str(r, "action");
	id = req_int(r, "id", 0);
	if (strcmp(action, "weigh") == 0)
		op = OP_MEASURE;
	else if (strcmp(action, "use") == 0)
		op = OP_USE;
	else if (strcmp(action, "move") == 0)
		op = OP_MOVE;
	else
		op = OP_ARCHIVE;
	if (spools_op(r, id, op, &out) != 0)
		return r->err.code;
	json_decref(out);
	req_flash(r, "ok", arena_printf(r->arena, "inventory_flash_%s",
	    action));
	req_redirect(r, req_bool(r, "back", 0) ? "/inventory" :
	    arena_printf(r->arena, "/inventory/spools/%lld", id));
	return 0;
}

static int
spools_page_new(struct req *r)
{
	json_t	*fils, *locs;

	if (db_exec(r->db, r->arena, &spools_stmts[ST_FILAMENTS], NULL, &fils,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &spools_stmts[ST_LOCATIONS], NULL, &locs, &r->err) != 0)
		return r->err.code;
	r->out = json_pack("{s:O, s:O}", "filaments", fils, "locations",
	    locs);
	return spools_page_common(r, "inventory_new_spool");
}

static int
spools_page_create(struct req *r)
{
	long long	id;

	if (spools_make(r, &id) != 0)
		return r->err.code;
	req_flash(r, "ok", "inventory_flash_spool_created");
	req_redirect(r, arena_printf(r->arena, "/inventory/spools/%lld", id));
	return 0;
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "filament_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "location_id", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "material", IN_QUERY, P_STR, 0, 1, 40, NULL },
	{ "archived", IN_QUERY, P_BOOL, 0, 0, 0, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
#define SPOOL_NEW_BODY \
	{ "filament_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "initial_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "spool_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "location_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "lot", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "price_cents", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "currency", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "purchased_on", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "note", IN_BODY, P_ANY, 0, 0, 0, NULL }
static const struct param create_params[] = {
	SPOOL_NEW_BODY,
	PARAM_END,
};
static const struct param update_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "spool_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "lot", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "price_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "currency", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "purchased_on", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "note", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};
#define WHY_BODY \
	{ "reason", IN_BODY, P_STR, 0, 1, 500, NULL }, \
	{ "ref_kind", IN_BODY, P_STR, 0, 1, 40, NULL }, \
	{ "ref_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL }
#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
static const struct param measure_params[] = {
	ID_PATH,
	{ "gross_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param use_params[] = {
	ID_PATH,
	{ "grams", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param adjust_params[] = {
	ID_PATH,
	{ "grams", IN_BODY, P_ANY, 0, 0, 0, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param move_params[] = {
	ID_PATH,
	{ "location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param ledger_params[] = {
	ID_PATH,
	PARAM_PAGE,
	PARAM_END,
};
static const struct param index_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_END,
};
static const struct param page_post_params[] = {
	ID_PATH,
	{ "action", IN_BODY, P_ENUM, 1, 0, 0, "weigh|use|move|archive" },
	{ "gross_weight_g", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "grams", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "back", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	WHY_BODY,
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)

static const struct route spools_routes[] = {
	{ "GET", "/api/v1/spools", spools_list, ROLE_ANY, 0, list_params,
	    NULL },
	{ "POST", "/api/v1/spools", spools_create, WRITERS, ROUTE_IDEMPOTENT,
	    create_params, NULL },
	{ "GET", "/api/v1/spools/{id}", spools_show, ROLE_ANY, 0, params_id,
	    NULL },
	{ "PATCH", "/api/v1/spools/{id}", spools_update, WRITERS, 0,
	    update_params, NULL },
	{ "POST", "/api/v1/spools/{id}/measure", spools_measure, WRITERS,
	    ROUTE_IDEMPOTENT, measure_params, NULL },
	{ "POST", "/api/v1/spools/{id}/use", spools_use, WRITERS,
	    ROUTE_IDEMPOTENT, use_params, NULL },
	{ "POST", "/api/v1/spools/{id}/adjust", spools_adjust, WRITERS,
	    ROUTE_IDEMPOTENT, adjust_params, NULL },
	{ "POST", "/api/v1/spools/{id}/move", spools_move, WRITERS, 0,
	    move_params, NULL },
	{ "POST", "/api/v1/spools/{id}/reserve", spools_reserve, WRITERS,
	    ROUTE_IDEMPOTENT, adjust_params, NULL },
	{ "POST", "/api/v1/spools/{id}/release", spools_release, WRITERS,
	    ROUTE_IDEMPOTENT, adjust_params, NULL },
	{ "POST", "/api/v1/spools/{id}/archive", spools_archive, WRITERS, 0,
	    params_id, NULL },
	{ "GET", "/api/v1/spools/{id}/ledger", spools_ledger, ROLE_ANY, 0,
	    ledger_params, NULL },
	{ "GET", "/inventory", spools_page_index, ROLE_ANY, ROUTE_PAGE,
	    index_params, "inventory/index" },
	{ "GET", "/inventory/spools/{id}", spools_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "inventory/spool" },
	{ "POST", "/inventory/spools/{id}", spools_page_post, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, page_post_params, "inventory/spool" },
	{ "GET", "/inventory/spools/new", spools_page_new, WRITERS,
	    ROUTE_PAGE, NULL, "inventory/spool-new" },
	{ "POST", "/inventory/spools/new", spools_page_create, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, create_params, "inventory/spool-new" },
};

const struct resource spools_resource = {
	"spools", spools_routes, sizeof(spools_routes) / sizeof(spools_routes[0]),
	spools_stmts, sizeof(spools_stmts) / sizeof(spools_stmts[0]),
};

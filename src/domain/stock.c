/*
 * stock.c -- the stock ledger operations, stock levels and the helpers
 * the inventory resources share.
 *
 * Invariants: an operation locks its spool or item row before it reads a
 * balance, so concurrent uses and measurements of one spool run one after
 * the other and each sees the last one's result; balances are never
 * written here, only ledger rows (the trigger in sql/0002_inventory.sql
 * applies them).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/err.h"
#include "core/str.h"
#include "db/db.h"
#include "domain/stock.h"

#define MOVE_COLS \
	"id, at, kind::text AS kind, spool_id, item_id, location_id, " \
	"qty::float8 AS qty, reserved_qty::float8 AS reserved_qty, " \
	"unit_cost_cents::float8 AS unit_cost_cents, balance::float8 AS " \
	"balance, reason, ref_kind, ref_id, actor"

/* On hand, reserved and value of the spools that are not archived. */
#define SPOOL_VALUE \
	"round(CASE WHEN s.price_cents IS NOT NULL THEN s.price_cents * " \
	"s.remaining_g / s.initial_weight_g ELSE coalesce(f.price_per_kg_cents" \
	", 0) * s.remaining_g / 1000 END)"
#define GRAMS_30D \
	"(SELECT -sum(m.qty) FROM stock_moves m WHERE m.spool_id = s.id AND " \
	"m.kind = 'consumption' AND m.at > now() - interval '30 days')"

const struct stmt stock_stmts[] = {
	{ "stock_spool_lock",
	  "SELECT s.id, s.remaining_g::float8 AS remaining_g, "
	  "s.reserved_g::float8 AS reserved_g, s.spool_weight_g::float8 AS spool_weight_g, s.archived_at IS NOT "
	  "NULL AS archived, f.density::float8 AS density, "
	  "f.diameter_mm::float8 AS diameter_mm FROM spools s JOIN filaments "
	  "f ON f.id = s.filament_id WHERE s.id = $1 FOR UPDATE OF s", 1 },
	{ "stock_move_insert",
	  "INSERT INTO stock_moves (kind, spool_id, item_id, location_id, qty, "
	  "reserved_qty, unit_cost_cents, reason, ref_kind, ref_id, "
	  "actor_user_id, actor) VALUES ($1::stock_move_kind, $2, $3, $4, "
	  "$5::numeric, coalesce($6::numeric, 0), $7::numeric, $8, $9, $10, "
	  "$11, coalesce($12, 'system')) RETURNING " MOVE_COLS, 12 },
	{ "stock_spool_measure",
	  "INSERT INTO stock_moves (kind, spool_id, qty, reason, ref_kind, "
	  "ref_id, actor_user_id, actor) SELECT 'adjustment', s.id, "
	  "($2::numeric - s.spool_weight_g) - s.remaining_g, $3, $4, $5, $6, "
	  "coalesce($7, 'system') FROM spools s WHERE s.id = $1 RETURNING "
	  MOVE_COLS, 7 },
	{ "stock_spool_set_location",
	  "UPDATE spools SET location_id = $2 WHERE id = $1 RETURNING id", 2 },
	{ "stock_spool_archive",
	  "UPDATE spools SET archived_at = coalesce(archived_at, now()) "
	  "WHERE id = $1 RETURNING id, archived_at", 1 },
	{ "stock_item_lock",
	  "SELECT i.id, i.reserved::float8 AS reserved, coalesce((SELECT "
	  "sum(on_hand) FROM item_stock WHERE item_id = i.id), 0)::float8 AS "
	  "on_hand, coalesce((SELECT on_hand FROM item_stock WHERE item_id = "
	  "i.id AND coalesce(location_id, 0) = coalesce($2::bigint, 0)), "
	  "0)::float8 AS here FROM items i WHERE i.id = $1 FOR UPDATE", 2 },
	{ "stock_location_exists",
	  "SELECT id, name FROM locations WHERE id = $1", 1 },
	{ "stock_levels_filament",
	  "SELECT f.id AS filament_id, f.name, v.name AS vendor, f.material, "
	  "f.color_name, f.color_hex, count(s.id) AS spools, "
	  "coalesce(sum(s.remaining_g), 0)::float8 AS on_hand_g, "
	  "coalesce(sum(s.reserved_g), 0)::float8 AS reserved_g, "
	  "coalesce(sum(s.remaining_g - s.reserved_g), 0)::float8 AS "
	  "available_g, coalesce(sum(" SPOOL_VALUE "), 0)::bigint AS "
	  "value_cents, f.low_stock_g::float8 AS low_stock_g FROM filaments f "
	  "LEFT JOIN vendors v ON v.id = f.vendor_id LEFT JOIN spools s ON "
	  "s.filament_id = f.id AND s.archived_at IS NULL GROUP BY f.id, "
	  "v.name ORDER BY f.material, f.color_name, f.name, f.id", 0 },
	/* summed per filament first, then per material and colour */
	{ "stock_levels_material_color",
	  "SELECT f.material, coalesce(f.color_name, '') AS color_name, "
	  "min(f.color_hex) AS color_hex, coalesce(sum(s.spools), "
	  "0)::bigint AS spools, coalesce(sum(s.on_hand), 0)::float8 AS "
	  "on_hand_g, coalesce(sum(s.reserved), 0)::float8 AS reserved_g, "
	  "coalesce(sum(s.on_hand - s.reserved), 0)::float8 AS available_g, "
	  "coalesce(sum(s.value), 0)::bigint AS value_cents, "
	  "max(t.min_g)::float8 AS low_stock_g FROM filaments f LEFT JOIN "
	  "stock_thresholds t ON t.material = f.material AND t.color_name = "
	  "coalesce(f.color_name, '') LEFT JOIN (SELECT s.filament_id, "
	  "count(*) AS spools, sum(s.remaining_g) AS on_hand, "
	  "sum(s.reserved_g) AS reserved, sum(" SPOOL_VALUE ") AS value FROM "
	  "spools s JOIN filaments f ON f.id = s.filament_id WHERE "
	  "s.archived_at IS NULL GROUP BY s.filament_id) s ON s.filament_id = "
	  "f.id GROUP BY f.material, coalesce(f.color_name, '') ORDER BY 1, 2",
	  0 },
	{ "stock_levels_item",
	  "SELECT i.id AS item_id, i.name, i.unit, coalesce(sum(st.on_hand), "
	  "0)::float8 AS on_hand, i.reserved::float8 AS reserved, "
	  "(coalesce(sum(st.on_hand), 0) - i.reserved)::float8 AS available, "
	  "i.unit_cost_cents::float8 AS unit_cost_cents, "
	  "round(coalesce(sum(st.on_hand), 0) * i.unit_cost_cents)::bigint AS "
	  "value_cents, i.low_stock_qty::float8 AS low_stock_qty FROM items i "
	  "LEFT JOIN item_stock st ON st.item_id = i.id GROUP BY i.id "
	  "ORDER BY i.name", 0 },
	{ "stock_levels_location",
	  "SELECT l.id AS location_id, l.name, l.kind::text AS kind, "
	  "(SELECT count(*) FROM spools s WHERE s.location_id = l.id AND "
	  "s.archived_at IS NULL) AS spools, (SELECT coalesce(sum("
	  "s.remaining_g), 0) FROM spools s WHERE s.location_id = l.id AND "
	  "s.archived_at IS NULL)::float8 AS filament_g, (SELECT "
	  "coalesce(sum(" SPOOL_VALUE "), 0) FROM spools s JOIN filaments f "
	  "ON f.id = s.filament_id WHERE s.location_id = l.id AND "
	  "s.archived_at IS NULL)::bigint AS filament_value_cents, (SELECT "
	  "coalesce(sum(st.on_hand), 0) FROM item_stock st WHERE "
	  "st.location_id = l.id)::float8 AS item_units, (SELECT "
	  "coalesce(round(sum(st.on_hand * i.unit_cost_cents)), 0) FROM "
	  "item_stock st JOIN items i ON i.id = st.item_id WHERE "
	  "st.location_id = l.id)::bigint AS item_value_cents FROM locations "
	  "l ORDER BY l.name", 0 },
	{ "stock_low",
	  "WITH f AS (SELECT f.id, f.name, f.material, coalesce(f.color_name, "
	  "'') AS color_name, f.color_hex, f.low_stock_g, "
	  "coalesce(sum(s.remaining_g - s.reserved_g), 0) AS available, "
	  "coalesce(sum(" GRAMS_30D "), 0) AS used_30d FROM filaments f LEFT "
	  "JOIN spools s ON s.filament_id = f.id AND s.archived_at IS NULL "
	  "GROUP BY f.id), it AS (SELECT i.id, i.name, i.unit, "
	  "i.low_stock_qty, coalesce((SELECT sum(on_hand) FROM item_stock WHERE "
	  "item_id = i.id), 0) - i.reserved AS available, coalesce((SELECT "
	  "-sum(m.qty) FROM stock_moves m WHERE m.item_id = i.id AND m.kind = "
	  "'consumption' AND m.at > now() - interval '30 days'), 0) AS "
	  "used_30d FROM items i WHERE i.low_stock_qty IS NOT NULL) "
	  "SELECT 'filament' AS scope, f.id AS filament_id, NULL::bigint AS "
	  "item_id, f.name, f.material, f.color_name, f.color_hex, 'g' AS "
	  "unit, f.available::float8 AS available, f.low_stock_g::float8 AS "
	  "threshold, f.used_30d::float8 AS used_30d, CASE WHEN f.used_30d > "
	  "0 THEN round(greatest(f.available, 0) / (f.used_30d / 30), "
	  "1)::float8 END AS days_left FROM f WHERE f.low_stock_g IS NOT NULL "
	  "AND f.available < f.low_stock_g "
	  "UNION ALL SELECT 'material_color', NULL, NULL, NULL, t.material, "
	  "t.color_name, mc.color_hex, 'g', mc.available::float8, "
	  "t.min_g::float8, mc.used_30d::float8, CASE WHEN mc.used_30d > 0 "
	  "THEN round(greatest(mc.available, 0) / (mc.used_30d / 30), "
	  "1)::float8 END FROM stock_thresholds t CROSS JOIN LATERAL (SELECT "
	  "min(f.color_hex) AS color_hex, coalesce(sum(f.available), 0) AS "
	  "available, coalesce(sum(f.used_30d), 0) AS used_30d FROM f WHERE "
	  "f.material = t.material AND (t.color_name = '' OR f.color_name = "
	  "t.color_name)) mc WHERE mc.available < t.min_g "
	  "UNION ALL SELECT 'item', NULL, it.id, it.name, NULL, NULL, NULL, "
	  "it.unit, it.available::float8, it.low_stock_qty::float8, "
	  "it.used_30d::float8, CASE WHEN it.used_30d > 0 THEN "
	  "round(greatest(it.available, 0) / (it.used_30d / 30), 1)::float8 "
	  "END FROM it WHERE it.available < it.low_stock_qty "
	  "ORDER BY 12 NULLS LAST, 9", 0 },
	{ "stock_threshold_set",
	  "INSERT INTO stock_thresholds (material, color_name, min_g) VALUES "
	  "($1, coalesce($2, ''), $3::numeric) ON CONFLICT (material, "
	  "color_name) DO UPDATE SET min_g = EXCLUDED.min_g RETURNING "
	  "material, color_name, min_g::float8 AS min_g", 3 },
	{ "stock_threshold_delete",
	  "DELETE FROM stock_thresholds WHERE material = $1 AND color_name = "
	  "coalesce($2, '') RETURNING material, color_name", 2 },
	{ "stock_thresholds",
	  "SELECT material, color_name, min_g::float8 AS min_g FROM "
	  "stock_thresholds ORDER BY material, color_name", 0 },
};

enum {
	ST_SPOOL_LOCK, ST_MOVE, ST_MEASURE, ST_SPOOL_LOCATION, ST_ARCHIVE,
	ST_ITEM_LOCK, ST_LOCATION, ST_BY_FILAMENT, ST_BY_MATERIAL_COLOR,
	ST_BY_ITEM, ST_BY_LOCATION, ST_LOW, ST_THRESHOLD_SET,
	ST_THRESHOLD_DELETE, ST_THRESHOLDS, ST__COUNT
};

_Static_assert(ST__COUNT == STOCK_NSTMTS,
    "the statement enum and STOCK_NSTMTS disagree");

void
stock_register(void)
{
	db_register(stock_stmts, STOCK_NSTMTS);
}

static const char *
id_text(struct arena *a, long long id)
{
	return id > 0 ? arena_printf(a, "%lld", id) : NULL;
}

const char *
stock_fmt3(struct arena *a, double v)
{
	return arena_printf(a, "%.3f", v);
}

static double
num_of(json_t *row, const char *key)
{
	return json_number_value(json_object_get(row, key));
}

/* Appends one ledger row; *move gets it. */
static int
stock_append(struct db *db, struct arena *a, const char *kind,
    long long spool_id, long long item_id, long long location_id,
    const char *qty, const char *reserved, const char *unit_cost,
    const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	const char	*p[12];

	p[0] = kind;
	p[1] = id_text(a, spool_id);
	p[2] = id_text(a, item_id);
	p[3] = id_text(a, location_id);
	p[4] = qty;
	p[5] = reserved;
	p[6] = unit_cost;
	p[7] = why != NULL ? why->reason : NULL;
	p[8] = why != NULL ? why->ref_kind : NULL;
	p[9] = why != NULL ? id_text(a, why->ref_id) : NULL;
	p[10] = who != NULL ? id_text(a, who->user_id) : NULL;
	p[11] = who != NULL ? who->name : NULL;
	return db_one(db, a, &stock_stmts[ST_MOVE], p, move, e);
}

/* Locks the spool; *row gets remaining, spool weight, density... */
static int
spool_lock(struct db *db, struct arena *a, long long id, int for_change,
    json_t **row, struct err *e)
{
	const char	*p;

	p = arena_printf(a, "%lld", id);
	if (db_one(db, a, &stock_stmts[ST_SPOOL_LOCK], &p, row, e) != 0)
		return e->code;
	if (*row == NULL)
		return err_set(e, ERR_NOT_FOUND, "no such spool: %lld", id);
	if (for_change && json_is_true(json_object_get(*row, "archived")))
		return err_set(e, ERR_CONFLICT, "spool %lld is archived", id);
	return 0;
}

/* Rounds to the ledger's precision (a milligram); no libm needed. */
static double
grams_round(double g)
{
	if (!isfinite(g) || g > 1e12 || g < -1e12)
		return g;
	return (double)(long long)(g * 1000.0 + (g >= 0 ? 0.5 : -0.5)) /
	    1000.0;
}

static double
absval(double v)
{
	return v < 0 ? -v : v;
}

static int
spool_consume(struct db *db, struct arena *a, long long id, double amount,
    int is_mm, const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	json_t	*row;
	double	 grams, left;

	if (!isfinite(amount) || amount <= 0 || amount > 1e9)
		return err_field(e, is_mm ? "mm" : "grams",
		    "must be a number greater than 0"), ERR_INVALID;
	if (spool_lock(db, a, id, 1, &row, e) != 0)
		return e->code;
	grams = is_mm ? stock_mm_to_grams(amount, num_of(row, "density"),
	    num_of(row, "diameter_mm")) : amount;
	grams = grams_round(grams);
	if (grams <= 0)
		return err_field(e, is_mm ? "mm" : "grams",
		    "is less than a milligram of filament"), ERR_INVALID;
	left = num_of(row, "remaining_g");
	if (grams > left + 1e-9) {
		err_set(e, ERR_CONFLICT, "only %.3f g remain on spool %lld; "
		    "%.3f g cannot be used", left, id, grams);
		err_detail(e, "remaining_g=%.3f", left);
		err_hint(e, "weigh the spool (measure) if the stored weight is "
		    "wrong");
		return ERR_CONFLICT;
	}
	return stock_append(db, a, "consumption", id, 0, 0,
	    stock_fmt3(a, -grams), NULL, NULL, why, who, move, e);
}

int
stock_spool_use(struct db *db, struct arena *a, long long id, double grams,
    const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	return spool_consume(db, a, id, grams, 0, why, who, move, e);
}

int
stock_spool_use_mm(struct db *db, struct arena *a, long long id, double mm,
    const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	return spool_consume(db, a, id, mm, 1, why, who, move, e);
}

int
stock_spool_measure(struct db *db, struct arena *a, long long id,
    double gross, const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	json_t		*row;
	const char	*p[7];
	double		 empty;

	if (!isfinite(gross) || gross < 0 || gross > 1e9)
		return err_field(e, "gross_weight_g", "must be a number of "
		    "grams, 0 or more"), ERR_INVALID;
	if (spool_lock(db, a, id, 1, &row, e) != 0)
		return e->code;
	empty = num_of(row, "spool_weight_g");
	if (grams_round(gross) < empty) {
		err_field(e, "gross_weight_g", "is less than the empty spool "
		    "(%.3f g)", empty);
		return err_set(e, ERR_INVALID, "the gross weight %.3f g is "
		    "less than the empty spool weighs (%.3f g)", gross, empty);
	}
	p[0] = arena_printf(a, "%lld", id);
	p[1] = stock_fmt3(a, gross);
	p[2] = why != NULL && why->reason != NULL ? why->reason :
	    arena_printf(a, "weighed %.3f g gross", gross);
	p[3] = why != NULL ? why->ref_kind : NULL;
	p[4] = why != NULL ? id_text(a, why->ref_id) : NULL;
	p[5] = who != NULL ? id_text(a, who->user_id) : NULL;
	p[6] = who != NULL ? who->name : NULL;
	return db_one(db, a, &stock_stmts[ST_MEASURE], p, move, e);
}

int
stock_spool_adjust(struct db *db, struct arena *a, long long id,
    double delta, const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	json_t	*row;
	double	 left;

	delta = grams_round(delta);
	if (!isfinite(delta) || delta == 0 || absval(delta) > 1e9)
		return err_field(e, "grams", "must be a number other than 0"),
		    ERR_INVALID;
	if (spool_lock(db, a, id, 0, &row, e) != 0)
		return e->code;
	left = num_of(row, "remaining_g");
	if (left + delta < -1e-9) {
		err_set(e, ERR_CONFLICT, "only %.3f g remain on spool %lld; "
		    "a correction of %.3f g would leave less than nothing",
		    left, id, delta);
		err_detail(e, "remaining_g=%.3f", left);
		return ERR_CONFLICT;
	}
	return stock_append(db, a, "adjustment", id, 0, 0,
	    stock_fmt3(a, delta), NULL, NULL, why, who, move, e);
}

int
stock_spool_receive(struct db *db, struct arena *a, long long id,
    double grams, const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	json_t	*row;

	if (!isfinite(grams) || grams <= 0 || grams > 1e9)
		return err_field(e, "initial_weight_g", "must be a number "
		    "greater than 0"), ERR_INVALID;
	if (spool_lock(db, a, id, 1, &row, e) != 0)
		return e->code;
	return stock_append(db, a, "receipt", id, 0, 0, stock_fmt3(a, grams),
	    NULL, NULL, why, who, move, e);
}

int
stock_spool_reserve(struct db *db, struct arena *a, long long id,
    double grams, const struct stock_why *why, const struct stock_actor *who,
    json_t **move, struct err *e)
{
	json_t	*row;
	double	 free_g, held;

	grams = grams_round(grams);
	if (!isfinite(grams) || grams == 0 || absval(grams) > 1e9)
		return err_field(e, "grams", "must be a number greater than 0"),
		    ERR_INVALID;
	if (spool_lock(db, a, id, grams > 0, &row, e) != 0)
		return e->code;
	held = num_of(row, "reserved_g");
	free_g = num_of(row, "remaining_g") - held;
	if (grams > 0 && grams > free_g + 1e-9) {
		err_set(e, ERR_CONFLICT, "only %.3f g of spool %lld are free "
		    "(%.3f g reserved); %.3f g cannot be reserved", free_g > 0 ?
		    free_g : 0, id, held, grams);
		err_detail(e, "remaining_g=%.3f reserved_g=%.3f",
		    num_of(row, "remaining_g"), held);
		return ERR_CONFLICT;
	}
	if (grams < 0 && -grams > held + 1e-9) {
		err_set(e, ERR_CONFLICT, "only %.3f g of spool %lld are "
		    "reserved; %.3f g cannot be released", held, id, -grams);
		return ERR_CONFLICT;
	}
	return stock_append(db, a, grams > 0 ? "reservation" : "release", id,
	    0, 0, "0", stock_fmt3(a, grams), NULL, why, who, move, e);
}

static int
location_check(struct db *db, struct arena *a, long long id,
    const char *field, struct err *e)
{
	json_t		*row;
	const char	*p;

	if (id <= 0)
		return 0;
	p = arena_printf(a, "%lld", id);
	if (db_one(db, a, &stock_stmts[ST_LOCATION], &p, &row, e) != 0)
		return e->code;
	if (row == NULL) {
		err_field(e, field, "names no location");
		return err_set(e, ERR_INVALID, "there is no location %lld",
		    id);
	}
	return 0;
}

int
stock_spool_move(struct db *db, struct arena *a, long long id,
    long long location_id, const struct stock_why *why,
    const struct stock_actor *who, json_t **move, struct err *e)
{
	json_t		*row;
	const char	*p[2];

	if (spool_lock(db, a, id, 1, &row, e) != 0 ||
	    location_check(db, a, location_id, "location_id", e) != 0)
		return e->code;
	p[0] = arena_printf(a, "%lld", id);
	p[1] = id_text(a, location_id);
	if (db_exec(db, a, &stock_stmts[ST_SPOOL_LOCATION], p, NULL, e) != 0)
		return e->code;
	return stock_append(db, a, "transfer", id, 0, location_id, "0", NULL,
	    NULL, why, who, move, e);
}

int
stock_spool_archive(struct db *db, struct arena *a, long long id,
    json_t **spool, struct err *e)
{
	json_t		*row;
	const char	*p;

	if (spool_lock(db, a, id, 0, &row, e) != 0)
		return e->code;
	p = arena_printf(a, "%lld", id);
	return db_one(db, a, &stock_stmts[ST_ARCHIVE], &p, spool, e);
}

int
stock_item_move(struct db *db, struct arena *a,
    const struct stock_item_op *op, const struct stock_why *why,
    const struct stock_actor *who, json_t **moves, struct err *e)
{
	json_t		*row, *m;
	const char	*p[2], *q, *cost;
	double		 qty, here, onhand, reserved;

	qty = grams_round(op->qty);
	if (!isfinite(qty) || absval(qty) > 1e9 || qty == 0 ||
	    (op->kind != STOCK_ADJUST && qty < 0))
		return err_field(e, "qty", op->kind == STOCK_ADJUST ?
		    "must be a number other than 0" :
		    "must be a number greater than 0"), ERR_INVALID;
	if (location_check(db, a, op->location_id, op->kind == STOCK_TRANSFER
	    ? "from_location_id" : "location_id", e) != 0 ||
	    location_check(db, a, op->to_location_id, "to_location_id",
	    e) != 0)
		return e->code;
	if (op->kind == STOCK_TRANSFER && op->location_id ==
	    op->to_location_id)
		return err_field(e, "to_location_id", "must differ from "
		    "from_location_id"), ERR_INVALID;
	p[0] = arena_printf(a, "%lld", op->item_id);
	p[1] = id_text(a, op->location_id);
	if (db_one(db, a, &stock_stmts[ST_ITEM_LOCK], p, &row, e) != 0)
		return e->code;
	if (row == NULL)
		return err_set(e, ERR_NOT_FOUND, "no such item: %lld",
		    op->item_id);
	here = num_of(row, "here");
	onhand = num_of(row, "on_hand");
	reserved = num_of(row, "reserved");
	if ((op->kind == STOCK_CONSUME || op->kind == STOCK_TRANSFER) &&
	    qty > here + 1e-9) {
		err_set(e, ERR_CONFLICT, "only %g on hand at that location; "
		    "%g cannot be taken", here, qty);
		err_detail(e, "on_hand=%g", here);
		return ERR_CONFLICT;
	}
	if (op->kind == STOCK_ADJUST && here + qty < -1e-9) {
		err_set(e, ERR_CONFLICT, "only %g on hand at that location; "
		    "a correction of %g would leave less than nothing", here,
		    qty);
		err_detail(e, "on_hand=%g", here);
		return ERR_CONFLICT;
	}
	if (op->kind == STOCK_RESERVE && qty > onhand - reserved + 1e-9) {
		err_set(e, ERR_CONFLICT, "only %g available (%g on hand, %g "
		    "reserved); %g cannot be reserved", onhand - reserved,
		    onhand, reserved, qty);
		return ERR_CONFLICT;
	}
	if (op->kind == STOCK_RELEASE && qty > reserved + 1e-9) {
		err_set(e, ERR_CONFLICT, "only %g reserved; %g cannot be "
		    "released", reserved, qty);
		return ERR_CONFLICT;
	}
	*moves = json_array();
	q = stock_fmt3(a, qty);
	switch (op->kind) {
	case STOCK_RECEIVE:
		cost = op->unit_cost_cents >= 0 ? arena_printf(a, "%.4f",
		    op->unit_cost_cents) : NULL;
		if (stock_append(db, a, "receipt", 0, op->item_id,
		    op->location_id, q, NULL, cost, why, who, &m, e) != 0)
			goto fail;
		json_array_append(*moves, m);
		break;
	case STOCK_CONSUME:
	case STOCK_ADJUST:
		if (stock_append(db, a, op->kind == STOCK_CONSUME ?
		    "consumption" : "adjustment", 0, op->item_id,
		    op->location_id, op->kind == STOCK_CONSUME ?
		    stock_fmt3(a, -qty) : q, NULL, NULL, why, who, &m, e) != 0)
			goto fail;
		json_array_append(*moves, m);
		break;
	case STOCK_TRANSFER:
		if (stock_append(db, a, "transfer", 0, op->item_id,
		    op->location_id, stock_fmt3(a, -qty), NULL, NULL, why, who,
		    &m, e) != 0)
			goto fail;
		json_array_append(*moves, m);
		if (stock_append(db, a, "transfer", 0, op->item_id,
		    op->to_location_id, q, NULL, NULL, why, who, &m, e) != 0)
			goto fail;
		json_array_append(*moves, m);
		break;
	case STOCK_RESERVE:
	case STOCK_RELEASE:
		if (stock_append(db, a, op->kind == STOCK_RESERVE ?
		    "reservation" : "release", 0, op->item_id, 0, "0",
		    op->kind == STOCK_RESERVE ? q : stock_fmt3(a, -qty), NULL,
		    why, who, &m, e) != 0)
			goto fail;
		json_array_append(*moves, m);
		break;
	}
	arena_json(a, *moves);
	return 0;
fail:
	json_decref(*moves);
	*moves = NULL;
	return e->code;
}

double
stock_mm_to_grams(double mm, double density, double diameter)
{
	double	r;

	r = diameter / 2.0;
	return density * M_PI * r * r * mm / 1000.0;
}

int
stock_levels(struct db *db, struct arena *a, const char *by, json_t **rows,
    struct err *e)
{
	int	st;

	if (by == NULL || strcmp(by, "filament") == 0)
		st = ST_BY_FILAMENT;
	else if (strcmp(by, "material_color") == 0)
		st = ST_BY_MATERIAL_COLOR;
	else if (strcmp(by, "item") == 0)
		st = ST_BY_ITEM;
	else if (strcmp(by, "location") == 0)
		st = ST_BY_LOCATION;
	else
		return err_set(e, ERR_BAD_REQUEST, "by must be filament, "
		    "material_color, item or location");
	return db_exec(db, a, &stock_stmts[st], NULL, rows, e);
}

int
stock_low(struct db *db, struct arena *a, json_t **rows, struct err *e)
{
	return db_exec(db, a, &stock_stmts[ST_LOW], NULL, rows, e);
}

int
stock_thresholds(struct db *db, struct arena *a, json_t **rows,
    struct err *e)
{
	return db_exec(db, a, &stock_stmts[ST_THRESHOLDS], NULL, rows, e);
}

int
stock_threshold_set(struct db *db, struct arena *a, const char *material,
    const char *color, double min_g, json_t **row, struct err *e)
{
	const char	*p[3];

	p[0] = material;
	p[1] = color;
	p[2] = stock_fmt3(a, min_g);
	if (min_g < 0)
		return db_one(db, a, &stock_stmts[ST_THRESHOLD_DELETE], p, row,
		    e);
	return db_one(db, a, &stock_stmts[ST_THRESHOLD_SET], p, row, e);
}

/* ---- helpers for the inventory resources ---- */

int
stock_number(json_t *v, double *out)
{
	const char	*s;
	char		 buf[64], *end;
	size_t		 i, n;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out) ? 0 : -1;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != ',' && s[i] != '-' && s[i] != '+')
			return -1;
		buf[i] = s[i] == ',' ? '.' : s[i];
	}
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0' && isfinite(*out) ? 0 : -1;
}

/* "#a1b2c3", "a1b2c3" -> "#A1B2C3"; NULL when it is not a colour. */
static const char *
hex_colour(struct arena *a, const char *s)
{
	char	*out;
	size_t	 i;

	if (*s == '#')
		s++;
	if (strlen(s) != 6)
		return NULL;
	out = arena_alloc(a, 8);
	out[0] = '#';
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return NULL;
		out[i + 1] = (char)toupper((unsigned char)s[i]);
	}
	out[7] = '\0';
	return out;
}

/* YYYY-MM-DD naming a day of the calendar (no 2026-02-30). */
static int
is_date(const char *s)
{
	static const int	 days[] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	int			 i, y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0));
}

/* One field: validates v and returns its statement text (NULL = NULL). */
static int
field_text(struct arena *a, const struct stock_field *f, json_t *v,
    const char **text, json_t **norm, struct err *e)
{
	const char	*s;
	double		 d;
	size_t		 len;

	*text = NULL;
	*norm = json_null();
	if (v == NULL || json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0)) {
		if (f->required)
			err_field(e, f->name, "is required");
		return 0;
	}
	switch (f->type) {
	case SF_TEXT:
		if (!json_is_string(v))
			return err_field(e, f->name, "must be text"), -1;
		len = json_string_length(v);
		if (strlen(json_string_value(v)) != len ||
		    (double)len < f->min || (double)len > f->max)
			return err_field(e, f->name, "must be %g to %g "
			    "characters", f->min, f->max), -1;
		*text = json_string_value(v);
		*norm = json_incref(v);
		return 0;
	case SF_ENUM:
	case SF_CUR:
	case SF_HEX:
	case SF_DATE:
		if (!json_is_string(v))
			return err_field(e, f->name, "must be text"), -1;
		s = json_string_value(v);
		if (f->type == SF_ENUM && !str_in_choices(f->choices, s))
			return err_field(e, f->name, "must be one of %s",
			    f->choices), -1;
		if (f->type == SF_CUR && (strlen(s) != 3 ||
		    !isupper((unsigned char)s[0]) ||
		    !isupper((unsigned char)s[1]) ||
		    !isupper((unsigned char)s[2])))
			return err_field(e, f->name, "must be an ISO 4217 code "
			    "such as EUR"), -1;
		if (f->type == SF_HEX && (s = hex_colour(a, s)) == NULL)
			return err_field(e, f->name, "must be a colour such as "
			    "#1A2B3C"), -1;
		if (f->type == SF_DATE && !is_date(s))
			return err_field(e, f->name, "must be a date such as "
			    "2026-03-01"), -1;
		*text = s;
		*norm = json_string(s);
		return 0;
	case SF_INT:
	case SF_ID:
	case SF_NUM:
		if (stock_number(v, &d) != 0)
			return err_field(e, f->name, "must be a number"), -1;
		if (f->type != SF_NUM && (d > 9e15 || d < -9e15 || d != (double)(long long)d))
			return err_field(e, f->name, "must be a whole number"),
			    -1;
		if (f->type == SF_ID && d < 1)
			return err_field(e, f->name, "must be an id (1 or "
			    "more)"), -1;
		if (f->type != SF_ID && (d < f->min || d > f->max ||
		    (f->min_excl && d <= f->min)))
			return err_field(e, f->name, "must be %s %g and at "
			    "most %g", f->min_excl ? "greater than" :
			    "at least", f->min, f->max), -1;
		if (f->type == SF_NUM) {
			*text = arena_printf(a, "%.15g", d);
			*norm = json_real(d);
		} else {
			*text = arena_printf(a, "%lld", (long long)d);
			*norm = json_integer((json_int_t)d);
		}
		return 0;
	}
	return err_field(e, f->name, "has an unknown rule"), -1;
}

int
stock_record(struct arena *a, const struct stock_field *fields, size_t n,
    json_t *cur, json_t *input, const char **params, json_t **merged,
    struct err *e)
{
	json_t	*out, *v, *norm;
	size_t	 i;

	out = json_object();
	arena_json(a, out);
	for (i = 0; i < n; i++) {
		v = input != NULL ? json_object_get(input, fields[i].name) :
		    NULL;
		if (v == NULL && cur != NULL)
			v = json_object_get(cur, fields[i].name);
		field_text(a, &fields[i], v, &params[i], &norm, e);
		json_object_set_new(out, fields[i].name, norm);
	}
	if (merged != NULL)
		*merged = out;
	if (e->code != ERR_OK) {
		err_set(e, ERR_INVALID, "some fields are not valid");
		return ERR_INVALID;
	}
	return 0;
}

int
stock_sort(struct arena *a, const char *sort, const char *allowed,
    const char *def, const char **keys, struct err *e)
{
	const char	*comma, *name;
	char		*k;
	int		 n;

	keys[0] = def;
	keys[1] = NULL;
	for (n = 0; sort != NULL && *sort != '\0'; n++) {
		if (n == 2)
			return err_set(e, ERR_BAD_REQUEST, "parameter \"sort\" "
			    "takes at most two fields");
		comma = strchr(sort, ',');
		k = comma != NULL ? arena_strndup(a, sort, (size_t)(comma -
		    sort)) : arena_strdup(a, sort);
		name = *k == '-' ? k + 1 : k;
		if (*name == '\0' || !str_in_choices(allowed, name)) {
			err_set(e, ERR_BAD_REQUEST, "parameter \"sort\" cannot "
			    "sort by \"%s\"", name);
			err_hint(e, "sort by %s, with a leading - for "
			    "descending order", allowed);
			return ERR_BAD_REQUEST;
		}
		keys[n] = k;
		sort = comma != NULL ? comma + 1 : NULL;
	}
	return 0;
}

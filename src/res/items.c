/*
 * items.c -- parts kept in stock (magnets, inserts, screws, boxes):
 * GET/POST /api/v1/items, GET/PATCH/DELETE /api/v1/items/{id}, the
 * movements receive, consume, adjust, transfer, reserve and release
 * (POST /api/v1/items/{id}/<movement>) and GET /api/v1/items/{id}/ledger;
 * the pages /inventory/items (list, new item) and /inventory/items/{id}
 * (stock per place, receive / use / move / correct, history).
 *
 * Invariants: stock per location and the reserved amount are balances of
 * the stock ledger, kept by the database; this file never writes them.
 * The unit cost is a moving average updated by each receipt that names
 * a cost.  An item with ledger rows cannot be deleted (409).
 */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/money.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/record.h"

#define ITEM_ON_HAND \
	"coalesce((SELECT sum(st.on_hand) FROM item_stock st WHERE " \
	"st.item_id = i.id), 0)"
#define ITEM_COLS \
	"i.id, i.name, i.unit, i.sku, i.unit_cost_cents::float8 AS " \
	"unit_cost_cents, i.currency, " ITEM_ON_HAND "::float8 AS on_hand, " \
	"i.reserved::float8 AS reserved, (" ITEM_ON_HAND " - " \
	"i.reserved)::float8 AS available, round(" ITEM_ON_HAND " * " \
	"i.unit_cost_cents)::bigint AS value_cents, i.low_stock_qty::float8 " \
	"AS low_stock_qty, i.note, i.created_at, (SELECT coalesce(json_agg(" \
	"json_build_object('location_id', st.location_id, 'location', " \
	"l.name, 'on_hand', st.on_hand::float8) ORDER BY l.name), '[]') " \
	"FROM item_stock st LEFT JOIN locations l ON l.id = st.location_id " \
	"WHERE st.item_id = i.id AND st.on_hand <> 0) AS stock"
#define ITEM_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(concat_ws(' ', i.name, " \
	"i.sku)), lower($1)) > 0)"
#define ITEM_SORT(p) \
	RECORD_SORT_BY(p, "name", "i.name") RECORD_SORT_BY(p, "sku", "i.sku") \
	RECORD_SORT_BY(p, "on_hand", ITEM_ON_HAND) \
	RECORD_SORT_BY(p, "created_at", "i.created_at") RECORD_SORT_BY(p, "id", "i.id")

static const struct stmt items_stmts[] = {
	{ "items_list",
	  "SELECT " ITEM_COLS " FROM items i " ITEM_FILTER " ORDER BY "
	  ITEM_SORT("$2") ITEM_SORT("$3") "i.id LIMIT $4 OFFSET $5", 5 },
	{ "items_count",
	  "SELECT count(*) AS n FROM items i " ITEM_FILTER, 1 },
	{ "items_show",
	  "SELECT " ITEM_COLS " FROM items i WHERE i.id = $1", 1 },
	{ "items_create",
	  "INSERT INTO items (name, unit, sku, currency, low_stock_qty, note) "
	  "VALUES ($1, coalesce($2, 'pcs'), $3, coalesce($4, 'EUR'), "
	  "$5::numeric, $6) RETURNING id", 6 },
	{ "items_update",
	  "UPDATE items SET (name, unit, sku, currency, low_stock_qty, note) "
	  "= ($2, coalesce($3, 'pcs'), $4, coalesce($5, 'EUR'), $6::numeric, "
	  "$7) WHERE id = $1 RETURNING id", 7 },
	{ "items_delete",
	  "DELETE FROM items WHERE id = $1 RETURNING id, name", 1 },
	{ "items_ledger",
	  "SELECT m.id, m.at, m.kind::text AS kind, m.qty::float8 AS qty, "
	  "m.reserved_qty::float8 AS reserved_qty, m.unit_cost_cents::float8 "
	  "AS unit_cost_cents, m.balance::float8 AS balance, m.location_id, "
	  "l.name AS location, m.reason, m.ref_kind, m.ref_id, m.actor FROM "
	  "stock_moves m LEFT JOIN locations l ON l.id = m.location_id WHERE "
	  "m.item_id = $1 ORDER BY m.id DESC LIMIT $2 OFFSET $3", 3 },
	{ "items_ledger_count",
	  "SELECT count(*) AS n FROM stock_moves WHERE item_id = $1", 1 },
	{ "items_locations",
	  "SELECT id, name FROM locations ORDER BY name", 0 },
};

enum {
	ST_LIST, ST_COUNT, ST_SHOW, ST_CREATE, ST_UPDATE, ST_DELETE,
	ST_LEDGER, ST_LEDGER_COUNT, ST_LOCATIONS
};

static const struct stock_field items_fields[] = {
	{ "name", SF_TEXT, 1, 1, 200, 0, NULL },
	{ "unit", SF_TEXT, 0, 1, 20, 0, NULL },
	{ "sku", SF_TEXT, 0, 0, 100, 0, NULL },
	{ "currency", SF_CUR, 0, 0, 0, 0, NULL },
	{ "low_stock_qty", SF_NUM, 0, 0, 1e9, 0, NULL },
	{ "note", SF_TEXT, 0, 0, 1000, 0, NULL },
};
#define NFIELDS	(sizeof(items_fields) / sizeof(items_fields[0]))

static int
items_list(struct req *r)
{
	const char	*p[5];

	p[0] = req_str(r, "q");
	if (stock_sort(r->arena, req_str(r, "sort"),
	    "name|sku|on_hand|created_at|id", "name", &p[1], &r->err) != 0)
		return r->err.code;
	p[3] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[4] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &items_stmts[ST_LIST],
	    &items_stmts[ST_COUNT], p);
}

static int
items_get(struct req *r, long long id, json_t **row)
{
	return record_find(r, &items_stmts[ST_SHOW], id, "item",
	    row);
}

static int
items_show(struct req *r)
{
	return record_answer(r, &items_stmts[ST_SHOW], "item");
}

static int
items_dupe(struct req *r, const char *name)
{
	if (r->err.code == ERR_CONFLICT) {
		err_set(&r->err, ERR_CONFLICT, "an item named \"%s\" exists "
		    "already", name);
		err_field(&r->err, "name", "is taken");
	}
	return r->err.code;
}

static int
items_insert(struct req *r, json_t *in, json_t **row)
{
	const char	*p[NFIELDS];

	if (stock_record(r->arena, items_fields, NFIELDS, NULL, in, p, NULL,
	    &r->err) != 0)
		return req_invalid(r, "item");
	if (db_one(r->db, r->arena, &items_stmts[ST_CREATE], p, row,
	    &r->err) != 0)
		return items_dupe(r, p[0]);
	if (items_get(r, (long long)json_integer_value(json_object_get(*row,
	    "id")), row) != 0 || req_audit(r, "create", "item",
	    arena_printf(r->arena, "%lld", (long long)json_integer_value(
	    json_object_get(*row, "id"))), NULL, *row) != 0)
		return r->err.code;
	return 0;
}

static int
items_create(struct req *r)
{
	json_t		*row;

	if (items_insert(r, r->input, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
items_update(struct req *r)
{
	const char	*p[NFIELDS + 1];
	json_t		*cur, *row;
	long long	 id;

	id = req_int(r, "id", 0);
	if (items_get(r, id, &cur) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", id);
	if (stock_record(r->arena, items_fields, NFIELDS, cur, r->input, p + 1,
	    NULL, &r->err) != 0)
		return r->err.code;
	if (db_exec(r->db, r->arena, &items_stmts[ST_UPDATE], p, NULL,
	    &r->err) != 0)
		return items_dupe(r, p[1]);
	if (items_get(r, id, &row) != 0 || req_audit(r, "update", "item",
	    p[0], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
items_delete(struct req *r)
{
	const char	*p;
	json_t		*row;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &items_stmts[ST_DELETE], &p, &row,
	    &r->err) != 0) {
		if (r->err.code != ERR_INVALID)
			return r->err.code;
		err_clear(&r->err);
		err_set(&r->err, ERR_CONFLICT, "item %s has stock history",
		    p);
		err_hint(&r->err, "an item with ledger rows stays; adjust its "
		    "stock to 0 instead");
		return ERR_CONFLICT;
	}
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such item: %s", p);
	if (req_audit(r, "delete", "item", p, row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

/* One movement from r->args; *out gets {item, moves}. */
static int
items_move_do(struct req *r, enum stock_item_kind kind, const char *action,
    json_t **out)
{
	struct stock_item_op	 op;
	struct stock_actor	 who;
	struct stock_why	 why;
	json_t			*moves, *row, *v;

	memset(&op, 0, sizeof(op));
	op.kind = kind;
	op.item_id = req_int(r, "id", 0);
	op.location_id = req_int(r, kind == STOCK_TRANSFER ?
	    "from_location_id" : "location_id", 0);
	op.to_location_id = req_int(r, "to_location_id", 0);
	op.unit_cost_cents = -1;
	if ((v = json_object_get(r->args, "qty")) == NULL)
		return err_field(&r->err, "qty", "is required"), ERR_INVALID;
	if (stock_number(v, &op.qty) != 0)
		return err_field(&r->err, "qty", "must be a number"),
		    ERR_INVALID;
	if ((v = json_object_get(r->args, "unit_cost_cents")) != NULL &&
	    (stock_number(v, &op.unit_cost_cents) != 0 ||
	    op.unit_cost_cents < 0 || op.unit_cost_cents > 1e9))
		return err_field(&r->err, "unit_cost_cents", "must be a number "
		    "of cents, 0 or more"), ERR_INVALID;
	if (kind == STOCK_TRANSFER && op.to_location_id == 0)
		return err_field(&r->err, "to_location_id", "is required"),
		    ERR_INVALID;
	why.reason = req_str(r, "reason");
	why.ref_kind = req_str(r, "ref_kind");
	why.ref_id = req_int(r, "ref_id", 0);
	if (kind == STOCK_ADJUST && why.reason == NULL)
		return err_field(&r->err, "reason", "say why the stock is "
		    "corrected"), ERR_INVALID;
	record_actor(r, &who);
	if (stock_item_move(r->db, r->arena, &op, &why, &who, &moves,
	    &r->err) != 0 || items_get(r, op.item_id, &row) != 0 ||
	    req_audit(r, action, "item", arena_printf(r->arena, "%lld",
	    op.item_id), NULL, moves) != 0)
		return r->err.code;
	*out = json_pack("{s:O, s:O}", "item", row, "moves", moves);
	return 0;
}

/* One movement; the route's handler names the kind. */
static int
items_move(struct req *r, enum stock_item_kind kind, const char *action)
{
	json_t	*out;

	if (items_move_do(r, kind, action, &out) != 0)
		return r->err.code;
	req_json(r, 200, out);
	return 0;
}

static int
items_receive(struct req *r)
{
	return items_move(r, STOCK_RECEIVE, "receive");
}

static int
items_consume(struct req *r)
{
	return items_move(r, STOCK_CONSUME, "consume");
}

static int
items_adjust(struct req *r)
{
	return items_move(r, STOCK_ADJUST, "adjust");
}

static int
items_transfer(struct req *r)
{
	return items_move(r, STOCK_TRANSFER, "transfer");
}

static int
items_reserve(struct req *r)
{
	return items_move(r, STOCK_RESERVE, "reserve");
}

static int
items_release(struct req *r)
{
	return items_move(r, STOCK_RELEASE, "release");
}

static int
items_ledger(struct req *r)
{
	json_t		*row;
	const char	*p[3];

	if (items_get(r, req_int(r, "id", 0), &row) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[2] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &items_stmts[ST_LEDGER],
	    &items_stmts[ST_LEDGER_COUNT], p);
}

/* ---- pages ---- */

static void
items_page_base(struct req *r, const char *title_key)
{
	json_object_set_new(r->out, "title", json_string(arena_printf(
	    r->arena, "%s · %s", req_t(r, title_key), req_t(r,
	    "page_inventory"))));
	json_object_set_new(r->out, "nav_inventory", json_true());
	json_object_set_new(r->out, "can_edit", json_boolean(r->who.role !=
	    ROLE_ACCOUNTANT));
}

/* Display text: amounts in the item's unit, cost and value in money. */
static void
items_dress(struct req *r, json_t *row)
{
	const char	*unit, *cur;
	double		 low;

	unit = json_string_value(json_object_get(row, "unit"));
	cur = json_string_value(json_object_get(row, "currency"));
	json_object_set_new(row, "on_hand_text", json_string(arena_printf(
	    r->arena, "%g %s", json_number_value(json_object_get(row,
	    "on_hand")), unit)));
	json_object_set_new(row, "available_text", json_string(arena_printf(
	    r->arena, "%g %s", json_number_value(json_object_get(row,
	    "available")), unit)));
	json_object_set_new(row, "reserved_text", json_string(arena_printf(
	    r->arena, "%g %s", json_number_value(json_object_get(row,
	    "reserved")), unit)));
	json_object_set_new(row, "value_text", json_string(record_money(r,
	    json_row_int(row, "value_cents"), cur)));
	json_object_set_new(row, "unit_cost_text", json_string(arena_printf(
	    r->arena, "%.4g", json_number_value(json_object_get(row,
	    "unit_cost_cents")) / 100.0)));
	low = json_number_value(json_object_get(row, "low_stock_qty"));
	json_object_set_new(row, "low", json_boolean(json_is_number(
	    json_object_get(row, "low_stock_qty")) && json_number_value(
	    json_object_get(row, "on_hand")) < low));
}

static int
items_page_index(struct req *r)
{
	json_t		*rows, *row;
	const char	*p[5];
	size_t		 i;

	p[0] = req_str(r, "q");
	p[1] = "name";
	p[2] = NULL;
	p[3] = "500";
	p[4] = "0";
	if (db_exec(r->db, r->arena, &items_stmts[ST_LIST], p, &rows,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		items_dress(r, row);
	r->out = json_pack("{s:O, s:b, s:s*}", "items", rows, "has_items",
	    json_array_size(rows) > 0, "q", p[0]);
	items_page_base(r, "inventory_items");
	return 0;
}

static int
items_page_create(struct req *r)
{
	json_t	*in, *row;

	in = json_deep_copy(r->input);
	arena_json(r->arena, in);
	json_object_del(in, "_csrf");
	if (items_insert(r, in, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "inventory_flash_item_created");
	req_redirect(r, arena_printf(r->arena, "/inventory/items/%lld",
	    (long long)json_integer_value(json_object_get(row, "id"))));
	return 0;
}

static int
items_page_show(struct req *r)
{
	json_t		*row, *rows, *locs, *m;
	const char	*p[3];
	size_t		 i;

	if (items_get(r, req_int(r, "id", 0), &row) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	p[1] = "100";
	p[2] = "0";
	if (db_exec(r->db, r->arena, &items_stmts[ST_LEDGER], p, &rows,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &items_stmts[ST_LOCATIONS], NULL, &locs, &r->err) != 0)
		return r->err.code;
	items_dress(r, row);
	json_array_foreach(rows, i, m) {
		json_object_set_new(m, "kind_label", json_string(req_t(r,
		    arena_printf(r->arena, "inventory_kind_%s",
		    json_string_value(json_object_get(m, "kind"))))));
		json_object_set_new(m, "qty_text", json_string(arena_printf(
		    r->arena, "%+g", json_number_value(json_object_get(m,
		    json_number_value(json_object_get(m, "qty")) != 0 ? "qty" :
		    "reserved_qty")))));
	}
	req_localize_times(r, rows);
	r->out = json_pack("{s:O, s:O, s:O}", "item", row, "ledger", rows,
	    "locations", locs);
	items_page_base(r, "inventory_item_title");
	return 0;
}

/*
 * The item page's forms: op = receive | consume | transfer | adjust,
 * qty, location_id (transfer: from), to_location_id, unit_cost (a
 * decimal of the currency per unit), reason.
 */
static int
items_page_post(struct req *r)
{
	static const struct {
		const char		*op;
		enum stock_item_kind	 kind;
	} ops[] = {
		{ "receive", STOCK_RECEIVE }, { "consume", STOCK_CONSUME },
		{ "transfer", STOCK_TRANSFER }, { "adjust", STOCK_ADJUST },
	};
	json_t		*out, *v;
	const char	*op, *cost;
	long long	 units;
	size_t		 i;

	op = req_str(r, "op");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return err_set(&r->err, ERR_BAD_REQUEST, "unknown op");
	cost = req_str(r, "unit_cost");
	if (cost != NULL) {
		if (money_parse(cost, 4, 10000000000LL, &units) != 0) {
			err_field(&r->err, "unit_cost", "must be an amount such "
			    "as 0.15");
			return req_invalid(r, "receipt");
		}
		json_object_set_new(r->args, "unit_cost_cents", json_real(
		    (double)units / 100.0));
	}
	if (ops[i].kind == STOCK_TRANSFER && (v = json_object_get(r->args,
	    "location_id")) != NULL)
		json_object_set(r->args, "from_location_id", v);
	if (items_move_do(r, ops[i].kind, op, &out) != 0)
		return r->err.code;
	json_decref(out);
	req_flash(r, "ok", arena_printf(r->arena, "inventory_flash_item_%s",
	    op));
	req_redirect(r, arena_printf(r->arena, "/inventory/items/%lld",
	    req_int(r, "id", 0)));
	return 0;
}

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
#define ITEM_BODY \
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "unit", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "sku", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "currency", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "low_stock_qty", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "note", IN_BODY, P_ANY, 0, 0, 0, NULL }
#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
#define WHY_BODY \
	{ "reason", IN_BODY, P_STR, 0, 1, 500, NULL }, \
	{ "ref_kind", IN_BODY, P_STR, 0, 1, 40, NULL }, \
	{ "ref_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL }
static const struct param create_params[] = {
	ITEM_BODY,
	PARAM_END,
};
static const struct param update_params[] = {
	ID_PATH,
	ITEM_BODY,
	PARAM_END,
};
static const struct param receive_params[] = {
	ID_PATH,
	{ "qty", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "unit_cost_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param move_params[] = {
	ID_PATH,
	{ "qty", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param transfer_params[] = {
	ID_PATH,
	{ "qty", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "from_location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "to_location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param reserve_params[] = {
	ID_PATH,
	{ "qty", IN_BODY, P_ANY, 0, 0, 0, NULL },
	WHY_BODY,
	PARAM_END,
};
static const struct param ledger_params[] = {
	ID_PATH,
	PARAM_PAGE,
	PARAM_END,
};

static const struct param page_list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 100, NULL },
	PARAM_END,
};
static const struct param page_post_params[] = {
	ID_PATH,
	{ "op", IN_BODY, P_ENUM, 1, 0, 0, "receive|consume|transfer|adjust" },
	{ "qty", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "to_location_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "unit_cost", IN_BODY, P_STR, 0, 1, 20, NULL },
	{ "reason", IN_BODY, P_STR, 0, 1, 500, NULL },
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)

static const struct route items_routes[] = {
	{ "GET", "/api/v1/items", items_list, ROLE_ANY, 0, list_params,
	    NULL },
	{ "POST", "/api/v1/items", items_create, WRITERS, 0, create_params,
	    NULL },
	{ "GET", "/api/v1/items/{id}", items_show, ROLE_ANY, 0, params_id,
	    NULL },
	{ "PATCH", "/api/v1/items/{id}", items_update, WRITERS, 0,
	    update_params, NULL },
	{ "DELETE", "/api/v1/items/{id}", items_delete, ROLE_OWNER, 0,
	    params_id, NULL },
	{ "POST", "/api/v1/items/{id}/receive", items_receive, WRITERS,
	    ROUTE_IDEMPOTENT, receive_params, NULL },
	{ "POST", "/api/v1/items/{id}/consume", items_consume, WRITERS,
	    ROUTE_IDEMPOTENT, move_params, NULL },
	{ "POST", "/api/v1/items/{id}/adjust", items_adjust, WRITERS,
	    ROUTE_IDEMPOTENT, move_params, NULL },
	{ "POST", "/api/v1/items/{id}/transfer", items_transfer, WRITERS,
	    ROUTE_IDEMPOTENT, transfer_params, NULL },
	{ "POST", "/api/v1/items/{id}/reserve", items_reserve, WRITERS,
	    ROUTE_IDEMPOTENT, reserve_params, NULL },
	{ "POST", "/api/v1/items/{id}/release", items_release, WRITERS,
	    ROUTE_IDEMPOTENT, reserve_params, NULL },
	{ "GET", "/api/v1/items/{id}/ledger", items_ledger, ROLE_ANY, 0,
	    ledger_params, NULL },
	{ "GET", "/inventory/items", items_page_index, ROLE_ANY, ROUTE_PAGE,
	    page_list_params, "inventory/items" },
	{ "POST", "/inventory/items", items_page_create, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, create_params, "inventory/items" },
	{ "GET", "/inventory/items/{id}", items_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "inventory/item" },
	{ "POST", "/inventory/items/{id}", items_page_post, WRITERS,
	    ROUTE_PAGE | ROUTE_FORM, page_post_params, "inventory/item" },
};

const struct resource items_resource = {
	"items", items_routes, sizeof(items_routes) / sizeof(items_routes[0]),
	items_stmts, sizeof(items_stmts) / sizeof(items_stmts[0]),
};

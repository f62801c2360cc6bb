/*
 * stock.c -- stock levels and low stock: GET /api/v1/stock?by=filament|
 * material_color|item|location, GET /api/v1/stock/low, and the low-stock
 * thresholds per material and colour (GET/POST
 * /api/v1/stock/thresholds).
 *
 * The statements belong to domain/stock.c (the ledger operations that
 * other resources and workers call); this resource registers them, so
 * that every `serve` worker prepares them at connect.
 */
#include "core/arena.h"
#include "db/db.h"
#include "domain/stock.h"
#include "http/req.h"

static int
stock_levels_list(struct req *r)
{
	json_t		*rows, *row;
	json_int_t	 value;
	size_t		 i;

	if (stock_levels(r->db, r->arena, req_str(r, "by"), &rows,
	    &r->err) != 0)
		return r->err.code;
	value = 0;
	json_array_foreach(rows, i, row) {
		value += json_integer_value(json_object_get(row,
		    "value_cents"));
		value += json_integer_value(json_object_get(row,
		    "filament_value_cents"));
		value += json_integer_value(json_object_get(row,
		    "item_value_cents"));
	}
	req_json(r, 200, json_pack("{s:s, s:O, s:I, s:I}", "by",
	    req_str(r, "by") != NULL ? req_str(r, "by") : "filament",
	    "items", rows, "total", (json_int_t)json_array_size(rows),
	    "value_cents", value));
	return 0;
}

static int
stock_low_list(struct req *r)
{
	json_t	*rows;

	if (stock_low(r->db, r->arena, &rows, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)json_array_size(rows)));
	return 0;
}

static int
stock_thresholds_list(struct req *r)
{
	json_t	*rows;

	if (stock_thresholds(r->db, r->arena, &rows, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)json_array_size(rows)));
	return 0;
}

/* Sets a threshold; "min_g": null removes it. */
static int
stock_thresholds_set(struct req *r)
{
	json_t		*row, *v;
	double		 min_g;

	v = json_object_get(r->input, "min_g");
	if (v == NULL)
		return err_field(&r->err, "min_g", "is required (null removes "
		    "the threshold)"), ERR_INVALID;
	if (json_is_null(v))
		min_g = -1;
	else if (stock_number(v, &min_g) != 0 || min_g < 0 || min_g > 1e9)
		return err_field(&r->err, "min_g", "must be grams, 0 or more"),
		    ERR_INVALID;
	if (stock_threshold_set(r->db, r->arena, req_str(r, "material"),
	    req_str(r, "color_name"), min_g, &row, &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "there is no such "
		    "threshold");
	if (req_audit(r, min_g < 0 ? "delete" : "set", "stock_threshold",
	    req_str(r, "material"), NULL, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static const struct param levels_params[] = {
	{ "by", IN_QUERY, P_ENUM, 0, 0, 0,
	    "filament|material_color|item|location" },
	PARAM_END,
};
static const struct param threshold_params[] = {
	{ "material", IN_BODY, P_STR, 1, 1, 40, NULL },
	{ "color_name", IN_BODY, P_STR, 0, 0, 100, NULL },
	{ "min_g", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct route stock_routes[] = {
	{ "GET", "/api/v1/stock", stock_levels_list, ROLE_ANY, 0,
	    levels_params, NULL },
	{ "GET", "/api/v1/stock/low", stock_low_list, ROLE_ANY, 0, NULL,
	    NULL },
	{ "GET", "/api/v1/stock/thresholds", stock_thresholds_list, ROLE_ANY,
	    0, NULL, NULL },
	{ "POST", "/api/v1/stock/thresholds", stock_thresholds_set,
	    ROLE_OWNER | ROLE_STAFF, 0, threshold_params, NULL },
};

const struct resource stock_resource = {
	"stock", stock_routes, sizeof(stock_routes) / sizeof(stock_routes[0]),
	stock_stmts, STOCK_NSTMTS,
};

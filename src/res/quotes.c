/*
 * quotes.c -- instant quotes for customers' own files.
 *
 * Public (no login, the random token is the key):
 *   POST /api/v1/quotes                          multipart upload + options
 *   GET  /api/v1/public/quotes/{token}           the quote
 *   PUT  /api/v1/public/quotes/{token}/options   new options, new prices
 *   POST /api/v1/public/quotes/{token}/accept    name, email, address
 * Staff:
 *   GET /api/v1/quotes, GET/PATCH /api/v1/quotes/{id},
 *   POST /api/v1/quotes/{id}/convert
 *
 * An upload is typed by its content (binary or ASCII STL, 3MF, OBJ),
 * measured by the parsers of src/parse/ before any database work, and
 * stored under a random name in the file store (outside the web root),
 * written and synced on a second thread while it is measured; the quote
 * is written only once every file is durably stored.
 * Each mesh becomes a part: its measures, warnings, the customer's
 * choices, an estimate per piece (domain/estimate.c, or the figures of
 * the slicer that made a 3MF) and its price lines (domain/pricing.c).
 * Changing options prices again from the stored measures: nothing is
 * uploaded twice.
 *
 * Acceptance takes the customer's details; unless a part needs a person
 * to look at it first, the quote is converted at once: the customer (an
 * existing one with that e-mail address, else a new one), a one-off
 * product per part whose plate is the uploaded file with its estimate,
 * a sales order (source quote, external id the quote number) with a line
 * per part and the minimum-order line, confirmed so that production
 * orders and print jobs follow -- all in the request's one transaction.
 * The quote row is locked first, so a second click finds it accepted and
 * answers with the same order.
 *
 * A quote past its date reads as expired (the status is computed when
 * read, so no clock job is needed for it to hold).
 *
 * Invariants: a token reaches one quote and nothing else (unknown
 * tokens and ids are 404 alike); money is integer cents rounded in
 * pricing.c only; a quote's totals are stored with the lines they are
 * the sum of; every write is audited.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "db/db.h"
#include "domain/corrections.h"
#include "domain/estimate.h"
#include "domain/money.h"
#include "domain/numbers.h"
#include "domain/outbox.h"
#include "domain/pricing.h"
#include "export/quotepdf.h"
#include "export/silhouette.h"
#include "domain/jobs.h"
#include "http/req.h"
#include "integrations/cura.h"
#include "parse/mesh.h"
#include "parse/model3mf.h"
#include "parse/multipart.h"
#include "parse/threemf.h"
#include "res/customers.h"
#include "res/orders.h"
#include "res/quotes.h"
#include "res/record.h"

#define QUOTES_FILES_MAX	10	/* files in one upload */
#define QUOTES_PARTS_MAX	20	/* meshes in one quote */
#define QUOTES_TOKEN_BYTES	32	/* 43 characters */
#define QUOTES_SMALL_MM		20.0	/* "very small" below this */
#define QUOTES_THIN_MM		0.8	/* "very thin" below this */
#define QUOTES_UNITS_MM		8.0	/* largest side: units probably wrong */
#define QUOTES_CHANGES_PER_MINUTE 60	/* option changes of one quote */

#define QUOTE_STATES	"draft|sent|accepted|converted|expired|rejected"

/* The status as it holds today. */
#define QUOTE_STATUS \
	"CASE WHEN q.status IN ('draft', 'sent') AND q.valid_until < " \
	"current_date THEN 'expired' ELSE q.status::text END"
#define QUOTE_COLS \
	"q.id, q.number, q.token, " QUOTE_STATUS " AS status, q.currency, " \
	"q.valid_until::text AS valid_until, q.review_required, " \
	"q.review_reasons, q.customer_kind, q.contact, q.customer_id, " \
	"q.sales_order_id, q.net_cents, q.vat_cents, q.gross_cents, " \
	"q.breakdown, q.note, q.sent_at, q.accepted_at, q.converted_at, " \
	"q.created_at, q.updated_at, o.number AS order_number, " \
	"o.status::text AS order_status"
#define QUOTE_FROM \
	"FROM quotes q LEFT JOIN sales_orders o ON o.id = q.sales_order_id "
#define PART_COLS \
	"id, position, file_name, file_kind, file_path, file_sha256, " \
	"file_size, name, mesh, warnings, slicer_seconds, " \
	"slicer_grams::float8 AS slicer_grams, material, color_name, " \
	"quality, layer_mm::float8 AS layer_mm, infill_pct, quantity, " \
	"grams::float8 AS grams, minutes::float8 AS minutes, method, price, " \
	"unit_cents, override_unit_cents, product_id, slice_state, " \
	"slice_key, sliced_grams::float8 AS sliced_grams, " \
	"sliced_minutes::float8 AS sliced_minutes, slice_engine, " \
	"slice_error, basis_grams::float8 AS basis_grams, " \
	"basis_minutes::float8 AS basis_minutes, correction"

static const struct stmt quotes_stmts[] = {
	{ "quotes_shop",
	  "SELECT q.machine_rate_cents, q.setup_fee_cents, "
	  "q.handling_minutes::float8 AS handling_minutes, "
	  "q.minimum_order_cents, q.rounding_cents, q.validity_days, "
	  "q.quantity_tiers, q.qualities, q.default_quality, "
	  "q.default_infill_pct, q.build_x_mm, q.build_y_mm, q.build_z_mm, "
	  "q.terms, q.slice_parts, s.currency, s.labour_rate_cents, s.overhead_bp, "
	  "s.target_margin_bp, (SELECT (v->>'rate_bp')::integer FROM "
	  "jsonb_array_elements(s.vat_rates) v WHERE v->>'name' = "
	  "'standard') AS vat_bp, (SELECT coalesce(jsonb_agg("
	  "jsonb_build_object('material', m.material, 'label', m.label, "
	  "'density', m.density, 'cost_per_kg_cents', m.cost_per_kg_cents, "
	  "'markup_bp', m.markup_bp, 'colors', (SELECT coalesce(jsonb_agg("
	  "jsonb_build_object('name', c.name, 'hex', c.hex, 'in_stock', "
	  "c.in_stock) ORDER BY c.in_stock DESC, c.name), '[]') FROM (SELECT "
	  "f.color_name AS name, min(f.color_hex) AS hex, bool_or(EXISTS "
	  "(SELECT 1 FROM spools sp WHERE sp.filament_id = f.id AND "
	  "sp.archived_at IS NULL AND sp.remaining_g - sp.reserved_g >= 50)) "
	  "AS in_stock FROM filaments f WHERE upper(f.material) = m.material "
	  "AND f.color_name IS NOT NULL GROUP BY f.color_name) c)) ORDER BY "
	  "m.position, m.material), '[]') FROM quote_materials m WHERE "
	  "m.active) AS materials, (SELECT coalesce(jsonb_agg("
	  "jsonb_build_object('material', c.material, 'printer_class', "
	  "c.printer_class, 'grams_factor', c.grams_factor, "
	  "'minutes_factor', c.minutes_factor, 'samples', c.samples, "
	  "'fitted_at', c.fitted_at) ORDER BY c.material, c.samples DESC, "
	  "c.printer_class), '[]') FROM quote_corrections c) AS corrections "
	  "FROM quote_settings q, business_settings s", 0 },
	{ "quotes_insert",
	  "INSERT INTO quotes (number, token, currency, valid_until, "
	  "created_ip) VALUES ($1, $2, $3, current_date + $4::integer, $5) "
	  "RETURNING id", 5 },
	{ "quotes_part_insert",
	  "INSERT INTO quote_parts (quote_id, position, file_name, file_kind, "
	  "file_path, file_sha256, file_size, name, mesh, warnings, "
	  "slicer_seconds, slicer_grams, material, color_name, quality, "
	  "layer_mm, infill_pct, quantity, grams, minutes, method) VALUES "
	  "($1::bigint, $2::integer, $3, $4, $5, $6, $7::bigint, $8, "
	  "$9::jsonb, $10::jsonb, $11::integer, $12::numeric, $13, $14, $15, "
	  "$16::numeric, $17::integer, $18::integer, 0, 0, $19)", 19 },
	{ "quotes_by_token",
	  "SELECT " QUOTE_COLS " " QUOTE_FROM "WHERE q.token = $1", 1 },
	{ "quotes_by_id",
	  "SELECT " QUOTE_COLS " " QUOTE_FROM "WHERE q.id = $1::bigint", 1 },
	{ "quotes_lock",
	  "SELECT id FROM quotes WHERE id = $1::bigint FOR UPDATE", 1 },
	{ "quotes_parts",
	  "SELECT " PART_COLS " FROM quote_parts WHERE quote_id = $1::bigint "
	  "ORDER BY position", 1 },
	{ "quotes_part_price",
	  "UPDATE quote_parts SET material = $2, color_name = $3, quality = "
	  "$4, layer_mm = $5::numeric, infill_pct = $6::integer, quantity = "
	  "$7::integer, grams = $8::numeric, minutes = $9::numeric, method = "
	  "$10, price = $11::jsonb, unit_cents = $12::bigint, "
	  "override_unit_cents = $13::bigint, basis_grams = $14::numeric, "
	  "basis_minutes = $15::numeric, correction = $16::jsonb WHERE id = "
	  "$1::bigint", 16 },
	{ "quotes_totals",
	  "UPDATE quotes SET net_cents = $2::bigint, vat_cents = $3::bigint, "
	  "gross_cents = $4::bigint, breakdown = $5::jsonb, review_required = "
	  "($6::boolean AND reviewed_at IS NULL) OR review_manual, "
	  "review_reasons = $7::jsonb, customer_kind = $8, "
	  "updated_at = now() WHERE id = $1::bigint", 8 },
	{ "quotes_accept",
	  "UPDATE quotes SET status = 'accepted', contact = $2::jsonb, "
	  "customer_id = $3::bigint, accepted_at = now(), updated_at = now(), "
	  "customer_kind = CASE WHEN $2::jsonb ? 'vat_id' THEN 'business' "
	  "ELSE customer_kind END WHERE id = $1::bigint", 3 },
	{ "quotes_converted",
	  "UPDATE quotes SET status = 'converted', sales_order_id = "
	  "$2::bigint, converted_at = now(), updated_at = now() WHERE id = "
	  "$1::bigint", 2 },
	{ "quotes_set",
	  "UPDATE quotes SET status = coalesce($2::quote_status, status), "
	  "sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END, "
	  "note = CASE WHEN $3::boolean THEN $4 ELSE note END, valid_until = "
	  "coalesce($5::date, valid_until), review_manual = "
	  "coalesce($6::boolean, review_manual), reviewed_at = CASE "
	  "$6::boolean WHEN false THEN now() WHEN true THEN NULL ELSE "
	  "reviewed_at END, review_required = CASE $6::boolean WHEN false "
	  "THEN false WHEN true THEN true ELSE review_required END, "
	  "updated_at = now() WHERE id = $1::bigint", 6 },
	{ "quotes_customer_by_email",
	  "SELECT id FROM customers WHERE lower(email) = lower($1) AND "
	  "anonymised_at IS NULL ORDER BY id LIMIT 1", 1 },
	{ "quotes_product",
	  "INSERT INTO products (sku, name, description, price_gross_cents, "
	  "vat_rate, labour_minutes) VALUES ($1, $2, $3, $4::bigint, "
	  "'standard', $5::integer) RETURNING id", 5 },
	{ "quotes_plate",
	  "INSERT INTO product_plates (product_id, name, file_name, file_path, "
	  "file_sha256, file_size, print_seconds, time_source, min_x_mm, "
	  "min_y_mm, min_z_mm) VALUES ($1::bigint, $2, $3, $4, $5, "
	  "$6::bigint, $7::integer, 'estimate', $8::numeric, $9::numeric, "
	  "$10::numeric) RETURNING id", 10 },
	{ "quotes_slot",
	  "INSERT INTO product_plate_slots (plate_id, slot, material, "
	  "color_name, grams, grams_source) VALUES ($1::bigint, 1, $2, $3, "
	  "$4::numeric, 'estimate')", 4 },
	{ "quotes_part_product",
	  "UPDATE quote_parts SET product_id = $2::bigint WHERE id = "
	  "$1::bigint", 2 },
	{ "quotes_order_gross",
	  "SELECT gross_cents FROM sales_orders WHERE id = $1::bigint", 1 },
	{ "quotes_of_order",
	  "SELECT token FROM quotes WHERE sales_order_id = $1::bigint", 1 },
	{ "quotes_company",
	  "SELECT business_name, business_street, business_postal_code, "
	  "business_city, business_country, business_vat_id FROM "
	  "business_settings", 0 },
	{ "quotes_list",
	  "SELECT " QUOTE_COLS ", (SELECT count(*) FROM quote_parts p WHERE "
	  "p.quote_id = q.id) AS parts " QUOTE_FROM "WHERE ($1::text IS NULL "
	  "OR " QUOTE_STATUS " = $1) AND ($2::boolean IS NULL OR "
	  "q.review_required = $2::boolean) ORDER BY q.id DESC LIMIT "
	  "$3::integer OFFSET $4::integer", 4 },
	{ "quotes_slice_queue",
	  "UPDATE quote_parts SET slice_state = 'queued', slice_key = $2, "
	  "slice_error = NULL WHERE id = $1::bigint", 2 },
	{ "quotes_slice_job",
	  "INSERT INTO jobs (kind, args, unique_key) VALUES ('quote_slice', "
	  "$1::jsonb, $2) ON CONFLICT DO NOTHING", 2 },
	{ "quotes_slice_quote",
	  "SELECT quote_id FROM quote_parts WHERE id = $1::bigint", 1 },
	{ "quotes_slice_done",
	  "UPDATE quote_parts SET slice_state = 'done', sliced_grams = "
	  "$2::numeric, sliced_minutes = $3::numeric, slice_engine = $4, "
	  "slice_error = NULL, sliced_at = now() WHERE id = $1::bigint", 4 },
	{ "quotes_slice_failed",
	  "UPDATE quote_parts SET slice_state = $2, slice_error = left($3, "
	  "500), sliced_at = now() WHERE id = $1::bigint AND slice_key = $4 "
	  "AND slice_state = 'queued'", 4 },
	/*
	 * Printed quotes of the last $1 days: each quote's cost as quoted
	 * and as printed (material at its cost per kg, machine time at the
	 * machine rate, both as they are now), and how many came within 10 %.
	 */
	{ "quotes_accuracy",
	  "WITH c AS (SELECT a.quote_id, sum(a.quoted_grams * "
	  "m.cost_per_kg_cents / 1000 + a.quoted_minutes * "
	  "s.machine_rate_cents / 60) AS quoted, sum(a.actual_grams * "
	  "m.cost_per_kg_cents / 1000 + a.actual_minutes * "
	  "s.machine_rate_cents / 60) AS actual FROM quote_actuals a JOIN "
	  "quote_materials m ON m.material = a.material, quote_settings s "
	  "WHERE a.recorded_at > now() - make_interval(days => $1::integer) "
	  "GROUP BY a.quote_id) SELECT count(*) AS quotes, count(*) FILTER "
	  "(WHERE abs(quoted - actual) <= 0.1 * actual) AS within FROM c", 1 },
	/* one more change in the quote's current minute (a new one starts) */
	{ "quotes_count_change",
	  "UPDATE quotes SET options_changes = CASE WHEN options_window IS "
	  "NULL OR options_window <= now() - interval '1 minute' THEN 1 ELSE "
	  "options_changes + 1 END, options_window = CASE WHEN "
	  "options_window IS NULL OR options_window <= now() - interval "
	  "'1 minute' THEN now() ELSE options_window END WHERE id = "
	  "$1::bigint RETURNING options_changes", 1 },
};

enum { ST_SHOP, ST_INSERT, ST_PART_INSERT, ST_BY_TOKEN, ST_BY_ID, ST_LOCK,
    ST_PARTS, ST_PART_PRICE, ST_TOTALS, ST_ACCEPT, ST_CONVERTED, ST_SET,
    ST_CUSTOMER_BY_EMAIL, ST_PRODUCT, ST_PLATE, ST_SLOT, ST_PART_PRODUCT,
    ST_ORDER_GROSS, ST_OF_ORDER, ST_COMPANY, ST_LIST, ST_SLICE_QUEUE,
    ST_SLICE_JOB, ST_SLICE_QUOTE, ST_SLICE_DONE, ST_SLICE_FAILED,
    ST_ACCURACY, ST_COUNT_CHANGE, ST_COUNT };
_Static_assert(sizeof(quotes_stmts) / sizeof(quotes_stmts[0]) == ST_COUNT,
    "quotes_stmts and its names differ");

/* The shop's pricing, read once per request. */
struct quotes_shop {
	json_t			*row;
	json_t			*materials;	/* [{material, density, ...}] */
	json_t			*qualities;	/* [{name, layer_mm}] */
	struct pricing_settings	 ps;
	double			 build[3];	/* mm */
};

/* What an upload measured: one mesh of one file. */
struct quotes_mesh {
	const char		*file_name;
	const char		*kind;		/* stl, 3mf, obj */
	const char		*path;		/* in the file store */
	const char		*sha;
	size_t			 size;
	const char		*name;
	struct mesh_stats	 st;
	long			 slicer_seconds;	/* -1: none */
	double			 slicer_grams;		/* -1 */
};

static struct estimate_model	quotes_model;
static int			quotes_model_ready;

static const char	*quotes_channel(struct req *, const char *token);

static const char *
quotes_num(struct req *r, double v)
{
	return arena_printf(r->arena, "%.3f", v);
}

/* ---- the shop ---- */

static int
quotes_shop(struct req *r, struct quotes_shop *s)
{
	json_t	*row, *tiers, *t;
	size_t	 i;

	memset(s, 0, sizeof(*s));
	if (db_one(r->db, r->arena, &quotes_stmts[ST_SHOP], NULL, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_INTERNAL, "the quote settings are "
		    "missing");
	s->row = row;
	s->materials = json_object_get(row, "materials");
	s->qualities = json_object_get(row, "qualities");
	s->ps.machine_rate_cents = json_row_int(row, "machine_rate_cents");
	s->ps.labour_rate_cents = json_row_int(row, "labour_rate_cents");
	s->ps.setup_fee_cents = json_row_int(row, "setup_fee_cents");
	s->ps.handling_minutes = json_row_num(row, "handling_minutes");
	s->ps.overhead_bp = json_row_int(row, "overhead_bp");
	s->ps.margin_bp = json_row_int(row, "target_margin_bp");
	s->ps.minimum_cents = json_row_int(row, "minimum_order_cents");
	s->ps.rounding_cents = json_row_int(row, "rounding_cents");
	s->ps.vat_rate = "standard";
	s->ps.vat_bp = json_row_int(row, "vat_bp");
	tiers = json_object_get(row, "quantity_tiers");
	json_array_foreach(tiers, i, t) {
		if (s->ps.ntiers == PRICING_MAX_TIERS)
			break;
		s->ps.tier_qty[s->ps.ntiers] = json_row_int(t, "min_qty");
		s->ps.tier_bp[s->ps.ntiers++] = json_row_int(t, "discount_bp");
	}
	s->build[0] = (double)json_row_int(row, "build_x_mm");
	s->build[1] = (double)json_row_int(row, "build_y_mm");
	s->build[2] = (double)json_row_int(row, "build_z_mm");
	if (!quotes_model_ready) {
		estimate_defaults(&quotes_model);
		/* a missing or bad file leaves the defaults; say why once */
		if (estimate_load(&quotes_model, arena_printf(r->arena,
		    "%s/../data/quote-coefficients.json",
		    r->cfg->template_dir), &r->err) != 0)
			err_clear(&r->err);
		quotes_model_ready = 1;
	}
	return 0;
}

static json_t *
quotes_material(const struct quotes_shop *s, const char *m)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(s->materials, i, v)
		if (m != NULL && strcmp(json_row_str(v, "material"), m) == 0)
			return v;
	return NULL;
}

/* The layer height of a quality preset; 0 when there is none. */
static double
quotes_layer(const struct quotes_shop *s, const char *q)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(s->qualities, i, v)
		if (q != NULL && json_row_str(v, "name") != NULL &&
		    strcmp(json_row_str(v, "name"), q) == 0)
			return json_row_num(v, "layer_mm");
	return 0;
}

/* ---- measuring uploads ---- */

static json_t *
quotes_mesh_json(const struct mesh_stats *st)
{
	return json_pack("{s:I, s:f, s:f, s:[f, f, f], s:[f, f, f], s:I, "
	    "s:I, s:I, s:I, s:I, s:b}", "triangles", (json_int_t)st->triangles,
	    "volume_mm3", st->volume, "area_mm2", st->area, "min", st->min[0],
	    st->min[1], st->min[2], "max", st->max[0], st->max[1], st->max[2],
	    "shells", (json_int_t)st->shells, "degenerate",
	    (json_int_t)st->degenerate, "open_edges",
	    (json_int_t)st->open_edges, "nonmanifold_edges",
	    (json_int_t)st->nonmanifold_edges, "flipped_edges",
	    (json_int_t)st->flipped_edges, "watertight", st->watertight);
}

static void
quotes_mesh_stats(json_t *m, struct mesh_stats *st)
{
	int	d;

	memset(st, 0, sizeof(*st));
	st->triangles = (size_t)json_row_int(m, "triangles");
	st->volume = json_row_num(m, "volume_mm3");
	st->area = json_row_num(m, "area_mm2");
	for (d = 0; d < 3; d++) {
		st->min[d] = json_number_value(json_array_get(
		    json_object_get(m, "min"), (size_t)d));
		st->max[d] = json_number_value(json_array_get(
		    json_object_get(m, "max"), (size_t)d));
	}
	st->shells = (size_t)json_row_int(m, "shells");
	st->degenerate = (size_t)json_row_int(m, "degenerate");
	st->open_edges = (size_t)json_row_int(m, "open_edges");
	st->nonmanifold_edges = (size_t)json_row_int(m, "nonmanifold_edges");
	st->flipped_edges = (size_t)json_row_int(m, "flipped_edges");
	st->watertight = json_is_true(json_object_get(m, "watertight"));
}

/* What the bytes are, whatever the file is called; NULL: none of ours. */
static const char *
quotes_kind(const char *d, size_t n)
{
	size_t	i, lines = 0;

	if (n >= 4 && memcmp(d, "PK\003\004", 4) == 0)
		return "3mf";
	if (n >= 84 && n == 84 + 50 * (size_t)((const unsigned char *)d)[80] +
	    50 * 256 * (size_t)((const unsigned char *)d)[81] +
	    50 * 65536 * (size_t)((const unsigned char *)d)[82] +
	    50 * 16777216 * (size_t)((const unsigned char *)d)[83])
		return "stl";
	for (i = 0; i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' ||
	    d[i] == '\n'); i++)
		;
	if (n - i >= 5 && strncmp(d + i, "solid", 5) == 0)
		return "stl";
	/* OBJ: text whose lines start with v, vn, vt, f, o, g, # ... */
	for (i = 0; i < n && i < 65536; i++) {
		if (d[i] == '\0')
			return NULL;
		if ((i == 0 || d[i - 1] == '\n') && d[i] == 'v' && i + 1 < n &&
		    d[i + 1] == ' ')
			lines++;
	}
	return lines > 0 ? "obj" : NULL;
}

/*
 * Measures one uploaded file into out (up to max meshes); *n gets how
 * many.  Errors are the request's: 413 past a limit, 422 for a file that
 * is not a usable mesh.
 */
static int
quotes_measure(struct req *r, const struct form_part *fp,
    struct quotes_mesh *out, size_t max, size_t *n)
{
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct model3mf		 m;
	struct threemf_meta	 meta;
	struct err		 e;
	const char		*kind;
	size_t			 i;
	int			 rc;

	memset(&e, 0, sizeof(e));
	*n = 0;
	kind = quotes_kind(fp->data, fp->len);
	if (kind == NULL)
		return err_set(&r->err, ERR_INVALID, "%s is not an STL, 3MF "
		    "or OBJ file (whatever its name says)", fp->filename);
	memset(&out[0], 0, sizeof(out[0]));
	out[0].slicer_seconds = -1;
	out[0].slicer_grams = -1;
	if (strcmp(kind, "3mf") != 0) {
		rc = strcmp(kind, "stl") == 0 ? mesh_stl(fp->data, fp->len,
		    MESH_MAX_TRIANGLES, &out[0].st, &e) : mesh_obj(fp->data,
		    fp->len, MESH_MAX_TRIANGLES, &out[0].st, &e);
		if (rc != 0)
			goto bad;
		out[0].name = fp->filename;
		*n = 1;
	} else {
		memset(&m, 0, sizeof(m));
		if ((rc = model3mf_read(fp->data, fp->len, &lim, &m, &e)) != 0)
			goto bad;
		if (m.nparts == 0 || m.nparts > max) {
			model3mf_free(&m);
			return err_set(&r->err, m.nparts == 0 ? ERR_INVALID :
			    ERR_TOO_LARGE, m.nparts == 0 ? "%s places no "
			    "object on its build plate" : "%s holds more than "
			    "%zu objects", fp->filename, max);
		}
		for (i = 0; i < m.nparts; i++) {
			memset(&out[i], 0, sizeof(out[i]));
			out[i].st = m.parts[i].stats;
			out[i].name = m.nparts == 1 ? fp->filename :
			    arena_strdup(r->arena, m.parts[i].name);
			out[i].slicer_seconds = -1;
			out[i].slicer_grams = -1;
		}
		*n = m.nparts;
		model3mf_free(&m);
		/* a sliced project's own figures, when it holds one object */
		if (*n == 1 && threemf_parse(fp->data, fp->len, 0, &meta,
		    NULL) == 0 && meta.gcode.seconds > 0) {
			out[0].slicer_seconds = meta.gcode.seconds;
			out[0].slicer_grams = 0;
			for (i = 0; i < GCODE_MAX_SLOTS; i++)
				if (meta.gcode.grams[i] > 0)
					out[0].slicer_grams +=
					    meta.gcode.grams[i];
			if (out[0].slicer_grams <= 0)
				out[0].slicer_seconds = -1;
		}
	}
	for (i = 0; i < *n; i++) {
		out[i].file_name = fp->filename;
		out[i].kind = kind;
		out[i].size = fp->len;
	}
	return 0;
bad:
	err_set(&r->err, rc == ERR_TOO_LARGE ? ERR_TOO_LARGE : ERR_INVALID,
	    "%s: %s", fp->filename, e.message);
	return r->err.code;
}

/* 500: the file store did not take the upload (errno says why). */
static int
quotes_keep_failed(struct req *r)
{
	err_set(&r->err, ERR_INTERNAL, "the file store cannot keep the "
	    "upload");
	err_detail(&r->err, "%s: %s", r->cfg->file_store, strerror(errno));
	return ERR_INTERNAL;
}

/*
 * Starts storing the upload fp (of that kind) under a random name on a
 * thread of its own (core/fs.c), so that it is written and synced while
 * it is measured; *rel gets its name in the file store.  Every start is
 * followed by quotes_keep_done, before fp's bytes go with the request,
 * which also says when the store failed: a file that is not a mesh is
 * refused as such, whatever the store does.
 */
static void
quotes_keep_start(struct req *r, const struct form_part *fp,
    const char *kind, struct fs_write *fw, const char **rel)
{
	const char	*dir = "quotes";

	*rel = arena_printf(r->arena, "%s/%s.%s", dir, crypto_token(r->arena,
	    18), kind);
	if (fs_mkdirs(arena_printf(r->arena, "%s/%s", r->cfg->file_store,
	    dir)) != 0) {
		memset(fw, 0, sizeof(*fw));
		fw->rc = -1;
		fw->err = errno;
		return;
	}
	fs_write_start(fw, arena_printf(r->arena, "%s/%s", r->cfg->file_store,
	    *rel), fp->data, fp->len);
}

/*
 * Waits for the file that quotes_keep_start began; the n meshes measured
 * from it get its name and hash.  With none (the file was refused), the
 * file is removed again.  0 once the file is durably stored, else 500.
 */
static int
quotes_keep_done(struct req *r, const struct form_part *fp,
    struct fs_write *fw, const char *rel, struct quotes_mesh *ms, size_t n)
{
	char	 sha[65];
	size_t	 i;

	if (n > 0)
		sha256_hex(fp->data, fp->len, sha);
	if (fs_write_wait(fw) != 0)
		return n > 0 ? quotes_keep_failed(r) : 0;
	if (n == 0) {
		unlink(fw->path);
		return 0;
	}
	for (i = 0; i < n; i++) {
		ms[i].path = rel;
		ms[i].sha = arena_strdup(r->arena, sha);
	}
	return 0;
}

/* ---- warnings ---- */

static void
quotes_sorted(const double v[3], double out[3])
{
	double	t;
	int	i, j;

	memcpy(out, v, 3 * sizeof(double));
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			if (out[j] > out[i]) {
				t = out[i];
				out[i] = out[j];
				out[j] = t;
			}
}

/*
 * The warnings of a part as codes with their figures; *review is set when
 * a person must look before the price holds (not watertight, too big).
 */
static json_t *
quotes_warnings(const struct quotes_shop *s, const struct mesh_stats *st,
    int *review)
{
	json_t	*w;
	double	 size[3], dims[3], build[3], over = 0;
	int	 d;

	w = json_array();
	for (d = 0; d < 3; d++)
		size[d] = st->max[d] - st->min[d];
	quotes_sorted(size, dims);
	quotes_sorted(s->build, build);
	if (!st->watertight) {
		json_array_append_new(w, json_pack("{s:s, s:I, s:I}", "code",
		    "not_watertight", "open_edges", (json_int_t)st->open_edges,
		    "shells", (json_int_t)st->shells));
		*review = 1;
	}
	/* the largest side against the largest, and so on, any turn */
	for (d = 0; d < 3; d++)
		if (dims[d] - build[d] > over)
			over = dims[d] - build[d];
	if (over > 0) {
		json_array_append_new(w, json_pack("{s:s, s:f, s:[f, f, f]}",
		    "code", "too_big", "over_mm", ceil(over * 10) / 10, "build_mm",
		    s->build[0], s->build[1], s->build[2]));
		*review = 1;
	}
	if (dims[0] <= QUOTES_UNITS_MM)
		json_array_append_new(w, json_pack("{s:s, s:f, s:f}", "code",
		    "units", "largest_mm", dims[0], "as_inch_mm",
		    dims[0] * 25.4));
	else if (dims[2] < QUOTES_THIN_MM)
		json_array_append_new(w, json_pack("{s:s, s:f}", "code", "thin",
		    "thinnest_mm", dims[2]));
	else if (dims[0] < QUOTES_SMALL_MM)
		json_array_append_new(w, json_pack("{s:s, s:f}", "code",
		    "small", "largest_mm", dims[0]));
	return w;
}

/* ---- estimate and price ---- */

#define QUOTES_SLICE_KEY	96

/* What a slice is for: "material|layer_mm|infill_pct" of the part. */
static void
quotes_slice_key(json_t *part, char *key, size_t size)
{
	snprintf(key, size, "%s|%.2f|%lld", json_row_str(part, "material"),
	    json_row_num(part, "layer_mm"), (long long)json_row_int(part,
	    "infill_pct"));
}

/* Is the part's slice (state st) one for the options it has now? */
static int
quotes_slice_is(json_t *part, const char *st)
{
	char		 key[QUOTES_SLICE_KEY];
	const char	*had = json_row_str(part, "slice_key");

	quotes_slice_key(part, key, sizeof(key));
	return had != NULL && strcmp(had, key) == 0 &&
	    json_row_str(part, "slice_state") != NULL &&
	    strcmp(json_row_str(part, "slice_state"), st) == 0;
}

/*
 * The correction learnt from printed quotes (domain/corrections.c) for
 * part's material: the printer class with the most pairs, as the shop
 * prints that material most there.  Multiplies the part's grams and
 * minutes, keeping them as basis_grams and basis_minutes, and records
 * it as correction (null: none).
 */
static void
quotes_correct(const struct quotes_shop *s, json_t *part)
{
	json_t		*c, *found = NULL;
	double		 g = json_row_num(part, "grams");
	double		 m = json_row_num(part, "minutes");
	size_t		 i;

	json_object_set_new(part, "basis_grams", json_real(g));
	json_object_set_new(part, "basis_minutes", json_real(m));
	/* ordered by material, then most pairs first */
	json_array_foreach(json_object_get(s->row, "corrections"), i, c)
		if (strcmp(json_row_str(c, "material"), json_row_str(part,
		    "material")) == 0) {
			found = c;
			break;
		}
	if (found == NULL) {
		json_object_set_new(part, "correction", json_null());
		return;
	}
	json_object_set_new(part, "grams", json_real(round(g * json_row_num(
	    found, "grams_factor") * 1000) / 1000));
	json_object_set_new(part, "minutes", json_real(round(m *
	    json_row_num(found, "minutes_factor") * 100) / 100));
	json_object_set(part, "correction", found);
}

/*
 * Fills each part's grams and minutes per piece: the slicer's figures
 * when the part keeps them; else its slice when that was made for its
 * options, or the estimator's from the stored measures, either then
 * corrected by what printed quotes taught (quotes_correct).
 */
static void
quotes_estimate(const struct quotes_shop *s, json_t *part)
{
	struct estimate_in	 in;
	struct estimate_out	 out;
	struct mesh_stats	 st;
	const char		*method = json_row_str(part, "method");
	json_t			*mat;

	if (method != NULL && strcmp(method, "slicer_file") == 0) {
		json_object_set_new(part, "grams", json_real(json_row_num(part,
		    "slicer_grams")));
		json_object_set_new(part, "minutes", json_real((double)
		    json_row_int(part, "slicer_seconds") / 60.0));
		json_object_set_new(part, "basis_grams", json_null());
		json_object_set_new(part, "basis_minutes", json_null());
		json_object_set_new(part, "correction", json_null());
		return;
	}
	if (quotes_slice_is(part, "done")) {
		json_object_set_new(part, "grams", json_real(json_row_num(part,
		    "sliced_grams")));
		json_object_set_new(part, "minutes", json_real(json_row_num(
		    part, "sliced_minutes")));
		json_object_set_new(part, "method", json_string("sliced"));
		quotes_correct(s, part);
		return;
	}
	quotes_mesh_stats(json_object_get(part, "mesh"), &st);
	mat = quotes_material(s, json_row_str(part, "material"));
	memset(&in, 0, sizeof(in));
	in.mesh = &st;
	in.material = json_row_str(part, "material");
	in.density = mat != NULL ? json_row_num(mat, "density") : 1.24;
	in.layer_mm = json_row_num(part, "layer_mm");
	in.infill_pct = (int)json_row_int(part, "infill_pct");
	estimate_part(&quotes_model, &in, &out);
	json_object_set_new(part, "grams", json_real(round(out.grams * 1000) /
	    1000));
	json_object_set_new(part, "minutes", json_real(round(out.minutes *
	    100) / 100));
	json_object_set_new(part, "method", json_string("estimate"));
	quotes_correct(s, part);
}

static json_t *
quotes_lines(const struct pricing_part *p)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I}", "material_cents", (json_int_t)p->lines.material_cents,
	    "machine_cents", (json_int_t)p->lines.machine_cents, "labour_cents",
	    (json_int_t)p->lines.labour_cents, "setup_cents",
	    (json_int_t)p->lines.setup_cents, "overhead_cents",
	    (json_int_t)p->lines.overhead_cents, "margin_cents",
	    (json_int_t)p->lines.margin_cents, "discount_cents",
	    (json_int_t)p->lines.discount_cents, "discount_bp",
	    (json_int_t)p->discount_bp, "unit_cents", (json_int_t)p->unit_cents,
	    "unit_gross_cents", (json_int_t)p->unit_gross_cents,
	    "amount_cents", (json_int_t)p->amount_cents);
}

/*
 * Estimates and prices the parts (rows of quote_parts, changed in
 * memory) and stores parts and totals of quote id.
 */
static int
quotes_reprice(struct req *r, const struct quotes_shop *s, long long id,
    json_t *parts, const char *kind)
{
	struct pricing_part	 pp[QUOTES_PARTS_MAX];
	struct pricing_total	 t;
	const char		*p[16];
	json_t			*part, *mat, *bd, *reasons, *w;
	size_t			 i, n = json_array_size(parts), k;
	int			 review = 0;

	if (n > QUOTES_PARTS_MAX)
		return err_set(&r->err, ERR_TOO_LARGE, "a quote holds at most "
		    "%d parts", QUOTES_PARTS_MAX);
	reasons = arena_json(r->arena, json_array());
	json_array_foreach(parts, i, part) {
		quotes_estimate(s, part);
		mat = quotes_material(s, json_row_str(part, "material"));
		memset(&pp[i], 0, sizeof(pp[i]));
		pp[i].grams = json_row_num(part, "grams");
		pp[i].minutes = json_row_num(part, "minutes");
		pp[i].quantity = json_row_int(part, "quantity");
		pp[i].cost_per_kg_cents = json_row_int(mat, "cost_per_kg_cents");
		pp[i].markup_bp = json_row_int(mat, "markup_bp");
		pp[i].override_unit_cents = json_is_integer(json_object_get(part,
		    "override_unit_cents")) ? json_row_int(part,
		    "override_unit_cents") : -1;
		json_array_foreach(json_object_get(part, "warnings"), k, w)
			if (strcmp(json_row_str(w, "code"), "not_watertight") ==
			    0 || strcmp(json_row_str(w, "code"), "too_big") ==
			    0) {
				review = 1;
				json_array_append_new(reasons, json_pack(
				    "{s:I, s:s}", "position", (json_int_t)
				    json_row_int(part, "position"), "code",
				    json_row_str(w, "code")));
			}
	}
	if (pricing_quote(&s->ps, pp, n, &t) != 0)
		return err_set(&r->err, ERR_INVALID, "the quote cannot be "
		    "priced: a figure is out of range (quantity 1 to 10000)");
	json_array_foreach(parts, i, part) {
		json_object_set_new(part, "price", quotes_lines(&pp[i]));
		json_object_set_new(part, "unit_cents",
		    json_integer(pp[i].unit_cents));
		p[0] = record_int(r, json_row_int(part, "id"));
		p[1] = json_row_str(part, "material");
		p[2] = json_row_str(part, "color_name");
		p[3] = json_row_str(part, "quality");
		p[4] = quotes_num(r, json_row_num(part, "layer_mm"));
		p[5] = record_int(r, json_row_int(part, "infill_pct"));
		p[6] = record_int(r, pp[i].quantity);
		p[7] = quotes_num(r, pp[i].grams);
		p[8] = arena_printf(r->arena, "%.2f", pp[i].minutes);
		p[9] = json_row_str(part, "method");
		p[10] = arena_json_text(r->arena, json_object_get(part,
		    "price"));
		p[11] = record_int(r, pp[i].unit_cents);
		p[12] = pp[i].override_unit_cents >= 0 ? record_int(r,
		    pp[i].override_unit_cents) : NULL;
		p[13] = json_is_number(json_object_get(part, "basis_grams")) ?
		    quotes_num(r, json_row_num(part, "basis_grams")) : NULL;
		p[14] = json_is_number(json_object_get(part,
		    "basis_minutes")) ? arena_printf(r->arena, "%.2f",
		    json_row_num(part, "basis_minutes")) : NULL;
		p[15] = json_is_object(json_object_get(part, "correction")) ?
		    arena_json_text(r->arena, json_object_get(part,
		    "correction")) : NULL;
		if (db_exec(r->db, r->arena, &quotes_stmts[ST_PART_PRICE], p,
		    NULL, &r->err) != 0)
			return r->err.code;
	}
	bd = arena_json(r->arena, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:I}", "material_cents",
	    (json_int_t)t.lines.material_cents, "machine_cents",
	    (json_int_t)t.lines.machine_cents, "labour_cents",
	    (json_int_t)t.lines.labour_cents, "setup_cents",
	    (json_int_t)t.lines.setup_cents, "overhead_cents",
	    (json_int_t)t.lines.overhead_cents, "margin_cents",
	    (json_int_t)t.lines.margin_cents, "discount_cents",
	    (json_int_t)t.lines.discount_cents, "minimum_cents",
	    (json_int_t)t.minimum_cents, "net_cents", (json_int_t)t.net_cents,
	    "vat_cents", (json_int_t)t.vat_cents, "vat_bp",
	    (json_int_t)s->ps.vat_bp, "gross_cents",
	    (json_int_t)t.gross_cents));
	p[0] = record_int(r, id);
	p[1] = record_int(r, t.net_cents);
	p[2] = record_int(r, t.vat_cents);
	p[3] = record_int(r, t.gross_cents);
	p[4] = arena_json_text(r->arena, bd);
	p[5] = review ? "true" : "false";
	p[6] = arena_json_text(r->arena, reasons);
	p[7] = kind;
	return db_exec(r->db, r->arena, &quotes_stmts[ST_TOTALS], p, NULL,
	    &r->err);
}

/*
 * Queues a slice of every estimated part (parts as quotes_reprice left
 * them) that has none asked for its options yet, when the shop slices
 * at all.  A slice that failed or could not be made for these options
 * is not asked for again.
 */
static int
quotes_slice_queue(struct req *r, const struct quotes_shop *s,
    json_t *parts)
{
	char		 key[QUOTES_SLICE_KEY];
	const char	*p[2], *had;
	json_t		*part;
	size_t		 i;

	if (r->cfg->cura_engine == NULL || r->cfg->cura_engine[0] == '\0' ||
	    !json_is_true(json_object_get(s->row, "slice_parts")))
		return 0;
	json_array_foreach(parts, i, part) {
		if (strcmp(json_row_str(part, "method"), "estimate") != 0)
			continue;
		quotes_slice_key(part, key, sizeof(key));
		had = json_row_str(part, "slice_key");
		if (had != NULL && strcmp(had, key) == 0)
			continue;
		p[0] = record_int(r, json_row_int(part, "id"));
		p[1] = key;
		if (db_exec(r->db, r->arena, &quotes_stmts[ST_SLICE_QUEUE], p,
		    NULL, &r->err) != 0)
			return r->err.code;
		p[0] = arena_json_text(r->arena, arena_json(r->arena,
		    json_pack("{s:I, s:s}", "part_id", (json_int_t)
		    json_row_int(part, "id"), "key", key)));
		p[1] = arena_printf(r->arena, "quote_slice:%lld:%s",
		    (long long)json_row_int(part, "id"), key);
		if (db_exec(r->db, r->arena, &quotes_stmts[ST_SLICE_JOB], p,
		    NULL, &r->err) != 0)
			return r->err.code;
		json_object_set_new(part, "slice_state", json_string("queued"));
		json_object_set_new(part, "slice_key", json_string(key));
	}
	return 0;
}

/* ---- reading ---- */

/*
 * Words for a warning in the request's language: the translation's
 * {name} placeholders take the warning's figures (numbers to a tenth of
 * a millimetre), so a translation never acts as a format string.
 */
static const char *
quotes_warning_text(struct req *r, json_t *w)
{
	const char	*tpl, *open, *close;
	char		 key[32];
	struct buf	 b;
	json_t		*v;
	size_t		 kl;

	tpl = req_t(r, arena_printf(r->arena, "quote_warn_%s",
	    json_row_str(w, "code")));
	buf_init(&b, 4096);
	while ((open = strchr(tpl, '{')) != NULL &&
	    (close = strchr(open, '}')) != NULL) {
		buf_add(&b, tpl, (size_t)(open - tpl));
		kl = (size_t)(close - open - 1);
		v = NULL;
		if (kl < sizeof(key)) {
			memcpy(key, open + 1, kl);
			key[kl] = '\0';
			v = json_object_get(w, key);
		}
		if (json_is_integer(v))
			buf_printf(&b, "%lld", (long long)json_integer_value(v));
		else if (json_is_number(v))
			buf_printf(&b, "%.1f", json_number_value(v));
		else
			buf_add(&b, open, (size_t)(close - open + 1));
		tpl = close + 1;
	}
	buf_addstr(&b, tpl);
	tpl = arena_strdup(r->arena, b.data != NULL ? b.data : "");
	buf_free(&b);
	return tpl;
}

/* The parts of quote id, with their warnings in words. */
static int
quotes_parts(struct req *r, long long id, json_t **parts)
{
	const char	*p = record_int(r, id);
	json_t		*part, *w;
	size_t		 i, k;

	if (db_exec(r->db, r->arena, &quotes_stmts[ST_PARTS], &p, parts,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(*parts, i, part)
		json_array_foreach(json_object_get(part, "warnings"), k, w)
			json_object_set_new(w, "text", json_string(
			    quotes_warning_text(r, w)));
	return 0;
}

/* The materials a customer chooses from: what it costs the shop is not
 * the customer's business. */
static json_t *
quotes_options_view(json_t *materials)
{
	json_t	*mats, *m;
	size_t	 i;

	mats = json_array();
	json_array_foreach(materials, i, m)
		json_array_append_new(mats, json_pack("{s:O, s:O, s:O}",
		    "material", json_object_get(m, "material"), "label",
		    json_object_get(m, "label"), "colors", json_object_get(m,
		    "colors")));
	return mats;
}

/*
 * The quote as its customer sees it: no paths, no staff notes, no other
 * customer's anything; with the options to choose from.
 */
static json_t *
quotes_public(struct req *r, const struct quotes_shop *s, json_t *q,
    json_t *parts)
{
	static const char *const hidden[] = { "file_path", "file_sha256",
	    "product_id", "override_unit_cents", "slice_key", "slice_error",
	    "slice_engine", "sliced_grams", "sliced_minutes", "basis_grams",
	    "basis_minutes", "correction" };
	const char	*st = json_row_str(q, "status");
	json_t		*out, *ps, *part, *o, *mats;
	size_t		 i, k;
	int		 open = strcmp(st, "draft") == 0 || strcmp(st, "sent") == 0;

	mats = quotes_options_view(s->materials);
	ps = json_array();
	json_array_foreach(parts, i, part) {
		o = json_deep_copy(part);
		for (k = 0; k < sizeof(hidden) / sizeof(hidden[0]); k++)
			json_object_del(o, hidden[k]);
		/* a slice on its way will change the figures */
		json_object_set_new(o, "slicing", json_boolean(open &&
		    quotes_slice_is(part, "queued")));
		json_array_append_new(ps, o);
	}
	out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, "
	    "s:o, s:{s:o, s:O, s:O, s:O, s:O}, s:{s:s, s:s, s:s, s:s}}",
	    "number", json_object_get(q, "number"),
	    "token", json_object_get(q, "token"),
	    "status", json_object_get(q, "status"),
	    "currency", json_object_get(q, "currency"),
	    "valid_until", json_object_get(q, "valid_until"),
	    "customer_kind", json_object_get(q, "customer_kind"),
	    "review_required", json_object_get(q, "review_required"),
	    "breakdown", json_object_get(q, "breakdown"),
	    "created_at", json_object_get(q, "created_at"),
	    "order", json_object_get(q, "order_number") != NULL &&
	    !json_is_null(json_object_get(q, "order_number")) ?
	    json_pack("{s:O, s:O}", "number", json_object_get(q,
	    "order_number"), "status", json_object_get(q, "order_status")) :
	    json_null(),
	    "parts", ps,
	    "options", "materials", mats, "qualities", s->qualities,
	    "default_quality", json_object_get(s->row, "default_quality"),
	    "default_infill_pct", json_object_get(s->row,
	    "default_infill_pct"), "terms", json_object_get(s->row, "terms"),
	    "links", "page", arena_printf(r->arena, "/q/%s", json_row_str(q,
	    "token")), "live", arena_printf(r->arena, "/live/sub/%s",
	    quotes_channel(r, json_row_str(q, "token"))), "pdf", arena_printf(r->arena,
	    "/api/v1/public/quotes/%s/pdf", json_row_str(q, "token")),
	    "self", arena_printf(r->arena, "/api/v1/public/quotes/%s",
	    json_row_str(q, "token")));
	return out;
}

static int
quotes_by(struct req *r, int stmt, const char *key, json_t **q)
{
	if (db_one(r->db, r->arena, &quotes_stmts[stmt], &key, q,
	    &r->err) != 0)
		return r->err.code;
	if (*q == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such quote");
	return 0;
}

/*
 * The quote that statement by (ST_BY_TOKEN or ST_BY_ID) finds for key,
 * its parts and its public view (arena-owned), or 404.
 */
static int
quotes_load(struct req *r, int by, const char *key, json_t **q,
    json_t **parts, json_t **pub)
{
	struct quotes_shop	 s;

	if (quotes_by(r, by, key, q) != 0 ||
	    quotes_parts(r, json_row_int(*q, "id"), parts) != 0 ||
	    quotes_shop(r, &s) != 0)
		return r->err.code;
	*pub = arena_json(r->arena, quotes_public(r, &s, *q, *parts));
	return 0;
}

/* Answers the public view of the quote with that token. */
static int
quotes_answer(struct req *r, int status, const char *token)
{
	json_t	*q, *parts, *pub;

	if (quotes_load(r, ST_BY_TOKEN, token, &q, &parts, &pub) != 0)
		return r->err.code;
	req_json(r, status, json_incref(pub));
	return 0;
}

static int
quotes_public_show(struct req *r)
{
	return quotes_answer(r, 200, req_str(r, "token"));
}

/* ---- options ---- */

/* The customer's choices for parts, checked against the shop. */
struct quotes_opts {
	const char	*material;
	const char	*color;
	const char	*quality;
	double		 layer;
	long long	 infill;
	long long	 quantity;
};

/* A whole number in [lo, hi] from text; -1 when it is not one. */
static long long
quotes_int(const char *v, long long lo, long long hi)
{
	char		*end;
	long long	 n;

	if (v == NULL || *v == '\0')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -1;
	return n;
}

/*
 * Checks o (fields not given: NULL / -1 keep base's); errors are fields
 * named under prefix.  Colours must be one the material comes in when
 * the shop lists any for it.
 */
static void
quotes_opts_check(struct req *r, const struct quotes_shop *s,
    const char *prefix, struct quotes_opts *o)
{
	json_t	*mat, *c;
	size_t	 i;
	int	 found;

	mat = quotes_material(s, o->material);
	if (mat == NULL)
		err_field(&r->err, arena_printf(r->arena, "%smaterial", prefix),
		    "is not a material this shop prints");
	o->layer = quotes_layer(s, o->quality);
	if (o->layer <= 0)
		err_field(&r->err, arena_printf(r->arena, "%squality", prefix),
		    "is not one of the shop's quality presets");
	if (o->infill < 0)
		err_field(&r->err, arena_printf(r->arena, "%sinfill_pct",
		    prefix), "must be a whole number from 0 to 100");
	if (o->quantity < 0)
		err_field(&r->err, arena_printf(r->arena, "%squantity", prefix),
		    "must be a whole number from 1 to 10000");
	if (mat == NULL || o->color == NULL)
		return;
	found = json_array_size(json_object_get(mat, "colors")) == 0 &&
	    strlen(o->color) <= 100;
	json_array_foreach(json_object_get(mat, "colors"), i, c)
		if (strcmp(json_row_str(c, "name"), o->color) == 0)
			found = 1;
	if (!found)
		err_field(&r->err, arena_printf(r->arena, "%scolor_name",
		    prefix), "is not a colour this material comes in");
}

/* A form field as text (at most max bytes); NULL when not sent. */
static const char *
quotes_field(struct req *r, const struct form_part *parts, int n,
    const char *name, size_t max)
{
	const struct form_part	*f = form_field(parts, n, name);

	if (f == NULL)
		return NULL;
	if (f->len > max || memchr(f->data, '\0', f->len) != NULL) {
		err_field(&r->err, name, "is longer than %zu bytes", max);
		return NULL;
	}
	return str_trim(r->arena, arena_strndup(r->arena, f->data, f->len));
}

/* ---- a new quote ---- */

static int
quotes_store(struct req *r, const struct quotes_shop *s,
    struct quotes_mesh *ms, size_t n, const struct quotes_opts *o,
    long long *id)
{
	const char	*p[19], *number;
	json_t		*row, *parts, *w;
	size_t		 i;
	int		 review = 0;

	if (numbers_next(r->db, r->arena, NUMBERS_QUOTE, NULL, &number,
	    &r->err) != 0)
		return r->err.code;
	p[0] = number;
	p[1] = crypto_token(r->arena, QUOTES_TOKEN_BYTES);
	p[2] = json_row_str(s->row, "currency");
	p[3] = record_int(r, json_row_int(s->row, "validity_days"));
	p[4] = r->remote_addr;
	if (db_one(r->db, r->arena, &quotes_stmts[ST_INSERT], p, &row,
	    &r->err) != 0)
		return r->err.code;
	*id = json_row_int(row, "id");
	for (i = 0; i < n; i++) {
		w = arena_json(r->arena, quotes_warnings(s, &ms[i].st,
		    &review));
		p[0] = record_int(r, *id);
		p[1] = record_int(r, (long long)i + 1);
		p[2] = ms[i].file_name;
		p[3] = ms[i].kind;
		p[4] = ms[i].path;
		p[5] = ms[i].sha;
		p[6] = record_int(r, (long long)ms[i].size);
		p[7] = ms[i].name;
		p[8] = arena_json_text(r->arena, arena_json(r->arena,
		    quotes_mesh_json(&ms[i].st)));
		p[9] = arena_json_text(r->arena, w);
		p[10] = ms[i].slicer_seconds >= 0 ? record_int(r,
		    ms[i].slicer_seconds) : NULL;
		p[11] = ms[i].slicer_seconds >= 0 ? quotes_num(r,
		    ms[i].slicer_grams) : NULL;
		p[12] = o->material;
		p[13] = o->color;
		p[14] = o->quality;
		p[15] = quotes_num(r, o->layer);
		p[16] = record_int(r, o->infill);
		p[17] = record_int(r, o->quantity);
		p[18] = ms[i].slicer_seconds >= 0 ? "slicer_file" : "estimate";
		if (db_exec(r->db, r->arena, &quotes_stmts[ST_PART_INSERT], p,
		    NULL, &r->err) != 0)
			return r->err.code;
	}
	p[0] = record_int(r, *id);
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_PARTS], p, &parts,
	    &r->err) != 0 || quotes_reprice(r, s, *id, parts, "consumer") != 0 ||
	    quotes_slice_queue(r, s, parts) != 0)
		return r->err.code;
	return req_audit(r, "create", "quote", record_int(r, *id), NULL,
	    arena_json(r->arena, json_pack("{s:s, s:I}", "number", number,
	    "parts", (json_int_t)n)));
}

static int
quotes_create(struct req *r)
{
	struct form_part	 fp[FORM_PARTS_MAX];
	struct quotes_mesh	 ms[QUOTES_PARTS_MAX];
	struct quotes_shop	 s;
	struct quotes_opts	 o;
	struct fs_write		 fw;
	char			 why[256];
	const char		*v, *rel = NULL, *kind;
	json_t			*q;
	size_t			 i, got, n = 0, files = 0;
	long long		 id = 0;
	int			 k, rc;

	k = form_split(r->content_type, r->body, r->body_len, fp,
	    FORM_PARTS_MAX, why, sizeof(why));
	if (k < 0)
		return err_set(&r->err, strncmp(why, "more than", 9) == 0 ?
		    ERR_TOO_LARGE : ERR_BAD_REQUEST, "the upload form cannot "
		    "be read: %s", why);
	if (quotes_shop(r, &s) != 0)
		return r->err.code;
	memset(&o, 0, sizeof(o));
	o.material = quotes_field(r, fp, k, "material", 20);
	if (o.material == NULL)
		o.material = json_row_str(json_array_get(s.materials, 0),
		    "material");
	o.color = quotes_field(r, fp, k, "color_name", 100);
	if (o.color != NULL && *o.color == '\0')
		o.color = NULL;
	o.quality = quotes_field(r, fp, k, "quality", 40);
	if (o.quality == NULL)
		o.quality = json_row_str(s.row, "default_quality");
	v = quotes_field(r, fp, k, "infill_pct", 8);
	o.infill = v == NULL ? json_row_int(s.row, "default_infill_pct") :
	    quotes_int(v, 0, 100);
	v = quotes_field(r, fp, k, "quantity", 8);
	o.quantity = v == NULL ? 1 : quotes_int(v, 1, 10000);
	quotes_opts_check(r, &s, "", &o);
	for (i = 0; i < (size_t)k; i++) {
		if (strcmp(fp[i].name, "file") != 0)
			continue;
		if (!fp[i].has_filename || fp[i].filename[0] == '\0' ||
		    strchr(fp[i].filename, '/') != NULL ||
		    strchr(fp[i].filename, '\\') != NULL)
			err_field(&r->err, "file", "each file needs a plain "
			    "file name");
		files++;
	}
	if (files == 0)
		err_field(&r->err, "file", "upload at least one STL, 3MF or "
		    "OBJ file");
	if (files > QUOTES_FILES_MAX)
		return err_set(&r->err, ERR_TOO_LARGE, "at most %d files in "
		    "one quote", QUOTES_FILES_MAX);
	if (r->err.code != ERR_OK)
		return req_invalid(r, "quote");
	/* measure everything before the database is asked for anything */
	for (i = 0; i < (size_t)k; i++) {
		if (strcmp(fp[i].name, "file") != 0)
			continue;
		/* written while it is measured; none of ours: not written */
		kind = quotes_kind(fp[i].data, fp[i].len);
		if (kind != NULL)
			quotes_keep_start(r, &fp[i], kind, &fw, &rel);
		rc = quotes_measure(r, &fp[i], ms + n, QUOTES_PARTS_MAX - n,
		    &got);
		if ((kind != NULL && quotes_keep_done(r, &fp[i], &fw, rel,
		    ms + n, rc == 0 ? got : 0) != 0) || rc != 0)
			return r->err.code;
		n += got;
		if (n == QUOTES_PARTS_MAX && i + 1 < (size_t)k)
			return err_set(&r->err, ERR_TOO_LARGE, "a quote holds "
			    "at most %d parts", QUOTES_PARTS_MAX);
	}
	if (quotes_store(r, &s, ms, n, &o, &id) != 0 ||
	    quotes_by(r, ST_BY_ID, record_int(r, id), &q) != 0)
		return r->err.code;
	req_header(r, "Location", arena_printf(r->arena,
	    "/api/v1/public/quotes/%s", json_row_str(q, "token")));
	return quotes_answer(r, 201, json_row_str(q, "token"));
}

/* ---- changing a quote ---- */

/* Locks the quote with that token (or id); *q gets it as it is now. */
static int
quotes_lock(struct req *r, int by, const char *key, json_t **q)
{
	const char	*p;

	if (quotes_by(r, by, key, q) != 0)
		return r->err.code;
	p = record_int(r, json_row_int(*q, "id"));
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_LOCK], &p, NULL,
	    &r->err) != 0)
		return r->err.code;
	/* read again under the lock: a concurrent change is seen */
	return quotes_by(r, ST_BY_ID, p, q);
}

/* 409 unless the quote is still open to changes. */
static int
quotes_open(struct req *r, json_t *q)
{
	const char	*st = json_row_str(q, "status");

	if (strcmp(st, "draft") == 0 || strcmp(st, "sent") == 0)
		return 0;
	if (strcmp(st, "expired") == 0)
		return err_set(&r->err, ERR_CONFLICT, "quote %s expired on %s; "
		    "ask for a new one", json_row_str(q, "number"),
		    json_row_str(q, "valid_until"));
	return err_set(&r->err, ERR_CONFLICT, "quote %s is %s and no longer "
	    "changes", json_row_str(q, "number"), st);
}

/* Applies o's given fields to part, as text or numbers. */
static void
quotes_opts_apply(json_t *part, const struct quotes_opts *o)
{
	double	layer = json_row_num(part, "layer_mm");
	long	infill = (long)json_row_int(part, "infill_pct");

	if (o->material != NULL)
		json_object_set_new(part, "material", json_string(o->material));
	if (o->color != NULL)
		json_object_set_new(part, "color_name", *o->color == '\0' ?
		    json_null() : json_string(o->color));
	if (o->quality != NULL) {
		json_object_set_new(part, "quality", json_string(o->quality));
		json_object_set_new(part, "layer_mm", json_real(o->layer));
	}
	if (o->infill >= 0)
		json_object_set_new(part, "infill_pct", json_integer(o->infill));
	if (o->quantity >= 0)
		json_object_set_new(part, "quantity",
		    json_integer(o->quantity));
	/* the slicer's figures hold for its own layers and infill only */
	if (json_row_num(part, "layer_mm") != layer ||
	    json_row_int(part, "infill_pct") != infill)
		json_object_set_new(part, "method", json_string("estimate"));
}

/* Options of a JSON object (missing: keep); errors under prefix. */
static void
quotes_opts_json(struct req *r, const struct quotes_shop *s, json_t *in,
    json_t *part, const char *prefix, struct quotes_opts *o)
{
	struct quotes_opts	 chk;
	json_t			*v;

	memset(o, 0, sizeof(*o));
	o->material = json_string_value(json_object_get(in, "material"));
	v = json_object_get(in, "color_name");
	o->color = json_is_null(v) ? "" : json_string_value(v);
	o->quality = json_string_value(json_object_get(in, "quality"));
	v = json_object_get(in, "infill_pct");
	o->infill = v == NULL ? -1 : json_is_integer(v) &&
	    json_integer_value(v) >= 0 && json_integer_value(v) <= 100 ?
	    json_integer_value(v) : -2;
	v = json_object_get(in, "quantity");
	o->quantity = v == NULL ? -1 : json_is_integer(v) &&
	    json_integer_value(v) >= 1 && json_integer_value(v) <= 10000 ?
	    json_integer_value(v) : -2;
	/* check what the part would become */
	chk.material = o->material != NULL ? o->material : json_row_str(part,
	    "material");
	chk.color = o->color != NULL ? (*o->color != '\0' ? o->color : NULL) :
	    o->material != NULL ? NULL : json_row_str(part, "color_name");
	chk.quality = o->quality != NULL ? o->quality : json_row_str(part,
	    "quality");
	chk.infill = o->infill == -1 ? 0 : o->infill;
	chk.quantity = o->quantity == -1 ? 1 : o->quantity;
	quotes_opts_check(r, s, prefix, &chk);
	o->layer = chk.layer;
	/* another material drops a colour it does not come in */
	if (o->material != NULL && o->color == NULL)
		o->color = "";
}

/*
 * Counts a change of the locked quote q: 429 beyond
 * QUOTES_CHANGES_PER_MINUTE in its current minute.  A refused change is
 * rolled back with its count, so the quote stays refused until the
 * minute is over.
 */
static int
quotes_count_change(struct req *r, json_t *q)
{
	json_t		*row;
	const char	*id = record_int(r, json_row_int(q, "id"));

	if (db_one(r->db, r->arena, &quotes_stmts[ST_COUNT_CHANGE], &id,
	    &row, &r->err) != 0)
		return r->err.code;
	if (json_row_int(row, "options_changes") > QUOTES_CHANGES_PER_MINUTE)
		return err_set(&r->err, ERR_RATE_LIMITED, "quote %s changed "
		    "more than %d times in a minute; wait a moment and try "
		    "again", json_row_str(q, "number"),
		    QUOTES_CHANGES_PER_MINUTE);
	return 0;
}

static int
quotes_options(struct req *r)
{
	struct quotes_shop	 s;
	struct quotes_opts	 all, one;
	json_t			*q, *parts, *part, *given, *g;
	const char		*kind;
	size_t			 i, k;
	int			 found;

	if (quotes_lock(r, ST_BY_TOKEN, req_str(r, "token"), &q) != 0 ||
	    quotes_open(r, q) != 0 || quotes_count_change(r, q) != 0 ||
	    quotes_shop(r, &s) != 0)
		return r->err.code;
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_PARTS], (const char *[]){
	    record_int(r, json_row_int(q, "id")) }, &parts, &r->err) != 0)
		return r->err.code;
	given = json_object_get(r->input, "parts");
	if (given != NULL && !json_is_array(given))
		err_field(&r->err, "parts", "must be a list of {id, ...}");
	json_array_foreach(parts, i, part) {
		quotes_opts_json(r, &s, r->input, part, "", &all);
		quotes_opts_apply(part, &all);
	}
	json_array_foreach(given, k, g) {
		found = 0;
		json_array_foreach(parts, i, part) {
			if (json_row_int(part, "id") != json_row_int(g, "id"))
				continue;
			found = 1;
			quotes_opts_json(r, &s, g, part, arena_printf(r->arena,
			    "parts[%zu].", k), &one);
			quotes_opts_apply(part, &one);
		}
		if (!found)
			err_field(&r->err, arena_printf(r->arena, "parts[%zu].id",
			    k), "is not a part of this quote");
	}
	if (r->err.code != ERR_OK)
		return req_invalid(r, "options");
	kind = req_str(r, "customer_kind") != NULL ? req_str(r,
	    "customer_kind") : json_row_str(q, "customer_kind");
	if (quotes_reprice(r, &s, json_row_int(q, "id"), parts, kind) != 0 ||
	    quotes_slice_queue(r, &s, parts) != 0 ||
	    req_audit(r, "options", "quote", record_int(r, json_row_int(q,
	    "id")), NULL, r->input) != 0)
		return r->err.code;
	return quotes_answer(r, 200, req_str(r, "token"));
}

/* ---- live ---- */

/* The live channel of a quote: named after its token, never its id. */
static const char *
quotes_channel(struct req *r, const char *token)
{
	char	hex[65];

	sha256_hex(token, strlen(token), hex);
	hex[32] = '\0';
	return arena_printf(r->arena, "quote_%s", hex);
}

/* Tells the quote's page that something changed; it draws itself again. */
static void
quotes_changed(struct req *r, const char *token, const char *what)
{
	req_publish(r, quotes_channel(r, token), json_pack("{s:s, s:s}",
	    "type", "quote", "event", what));
}

void
quotes_order_moved(struct req *r, long long order_id)
{
	struct err	 e;
	const char	*p = record_int(r, order_id);
	json_t		*row;

	memset(&e, 0, sizeof(e));
	if (db_one(r->db, r->arena, &quotes_stmts[ST_OF_ORDER], &p, &row,
	    &e) != 0) {
		log_kv(LOG_WARN, "quote page not told of an order's move",
		    "order_id", p, "error", e.message, NULL);
		return;
	}
	if (row != NULL)
		quotes_changed(r, json_row_str(row, "token"), "order");
}

/* ---- acceptance and conversion ---- */

/* The one-off product of a part: its plate is the uploaded file. */
static int
quotes_product(struct req *r, json_t *q, json_t *part, long long *pid)
{
	const char	*p[10];
	json_t		*row, *mesh;
	long long	 plate;
	int		 d;

	p[0] = arena_printf(r->arena, "%s-%lld", json_row_str(q, "number"),
	    (long long)json_row_int(part, "position"));
	p[1] = arena_printf(r->arena, "%.160s (%s)", json_row_str(part, "name"),
	    json_row_str(q, "number"));
	p[2] = arena_printf(r->arena, "%s, %s, %s, %lld %% infill; from "
	    "quote %s", json_row_str(part, "material"), json_row_str(part,
	    "color_name") != NULL ? json_row_str(part, "color_name") :
	    "any colour", json_row_str(part, "quality"), (long long)
	    json_row_int(part, "infill_pct"), json_row_str(q, "number"));
	p[3] = record_int(r, json_row_int(json_object_get(part, "price"),
	    "unit_gross_cents"));
	p[4] = record_int(r, 0);
	if (db_one(r->db, r->arena, &quotes_stmts[ST_PRODUCT], p, &row,
	    &r->err) != 0)
		return r->err.code;
	*pid = json_row_int(row, "id");
	mesh = json_object_get(part, "mesh");
	p[0] = record_int(r, *pid);
	p[1] = json_row_str(part, "name");
	p[2] = json_row_str(part, "file_name");
	p[3] = json_row_str(part, "file_path");
	p[4] = json_row_str(part, "file_sha256");
	p[5] = record_int(r, json_row_int(part, "file_size"));
	p[6] = record_int(r, llround(json_row_num(part, "minutes") * 60));
	for (d = 0; d < 3; d++)
		p[7 + d] = arena_printf(r->arena, "%.1f", fmin(10000,
		    json_number_value(json_array_get(json_object_get(mesh,
		    "max"), (size_t)d)) - json_number_value(json_array_get(
		    json_object_get(mesh, "min"), (size_t)d))));
	if (db_one(r->db, r->arena, &quotes_stmts[ST_PLATE], p, &row,
	    &r->err) != 0)
		return r->err.code;
	plate = json_row_int(row, "id");
	p[0] = record_int(r, plate);
	p[1] = json_row_str(part, "material");
	p[2] = json_row_str(part, "color_name");
	p[3] = quotes_num(r, json_row_num(part, "grams"));
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_SLOT], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	p[0] = record_int(r, json_row_int(part, "id"));
	p[1] = record_int(r, *pid);
	return db_exec(r->db, r->arena, &quotes_stmts[ST_PART_PRODUCT], p,
	    NULL, &r->err);
}

/*
 * Turns accepted quote q into a confirmed sales order with its products;
 * the order's totals must be the quote's.
 */
static int
quotes_convert_do(struct req *r, json_t *q)
{
	json_t		*parts, *part, *in, *lines, *row, *bd;
	const char	*p[2];
	long long	 pid = 0, oid = 0;
	size_t		 i;

	p[0] = record_int(r, json_row_int(q, "id"));
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_PARTS], p, &parts,
	    &r->err) != 0)
		return r->err.code;
	lines = json_array();
	in = arena_json(r->arena, json_pack("{s:I, s:s, s:O, s:b, s:o}",
	    "customer_id", (json_int_t)json_row_int(q, "customer_id"),
	    "source", "quote", "external_id", json_object_get(q, "number"),
	    "prices_include_vat", 0, "lines", lines));
	json_array_foreach(parts, i, part) {
		if (quotes_product(r, q, part, &pid) != 0)
			return r->err.code;
		json_array_append_new(lines, json_pack("{s:I, s:I, s:I, s:I, "
		    "s:s}", "product_id", (json_int_t)pid, "quantity",
		    (json_int_t)json_row_int(part, "quantity"),
		    "unit_price_cents", (json_int_t)json_row_int(part,
		    "unit_cents"), "discount_bp", (json_int_t)json_row_int(
		    json_object_get(part, "price"), "discount_bp"), "vat_rate",
		    "standard"));
	}
	bd = json_object_get(q, "breakdown");
	if (json_row_int(bd, "minimum_cents") > 0)
		json_array_append_new(lines, json_pack("{s:s, s:i, s:I, s:s}",
		    "description", req_t(r, "quote_minimum_line"), "quantity",
		    1, "unit_price_cents", (json_int_t)json_row_int(bd,
		    "minimum_cents"), "vat_rate", "standard"));
	if (orders_make(r, in, &oid) != 0 || orders_confirm(r, oid) != 0)
		return r->err.code;
	p[0] = record_int(r, oid);
	if (db_one(r->db, r->arena, &quotes_stmts[ST_ORDER_GROSS], p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL || json_row_int(row, "gross_cents") !=
	    json_row_int(q, "gross_cents"))
		return err_set(&r->err, ERR_INTERNAL, "the order of quote %s "
		    "would not add up to the quote's total",
		    json_row_str(q, "number"));
	p[0] = record_int(r, json_row_int(q, "id"));
	p[1] = record_int(r, oid);
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_CONVERTED], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	req_publish(r, "quotes", json_pack("{s:s, s:s, s:I, s:I}", "type",
	    "quote", "event", "converted", "id", (json_int_t)json_row_int(q,
	    "id"), "order_id", (json_int_t)oid));
	quotes_changed(r, json_row_str(q, "token"), "converted");
	return req_audit(r, "convert", "quote", p[0], NULL, arena_json(
	    r->arena, json_pack("{s:I}", "sales_order_id", (json_int_t)oid)));
}

/* The contact fields acceptance takes, as given. */
static const char *const quotes_contact_fields[] = { "name", "email",
    "phone", "billing_street", "billing_postal_code", "billing_city",
    "billing_country", "shipping_street", "shipping_postal_code",
    "shipping_city", "shipping_country", "vat_id" };
#define NCONTACT \
	(sizeof(quotes_contact_fields) / sizeof(quotes_contact_fields[0]))

static int
quotes_accept(struct req *r)
{
	json_t		*q, *cust, *contact;
	const char	*p[3], *st, *email;
	size_t		 i;
	long long	 cid;

	if (quotes_lock(r, ST_BY_TOKEN, req_str(r, "token"), &q) != 0)
		return r->err.code;
	st = json_row_str(q, "status");
	/* a second click: the same answer, nothing made twice */
	if (strcmp(st, "accepted") == 0 || strcmp(st, "converted") == 0)
		return quotes_answer(r, 200, req_str(r, "token"));
	if (quotes_open(r, q) != 0)
		return r->err.code;
	/* the price the customer saw: a slice may have changed it since */
	if (req_has(r, "expected_gross_cents") && req_int(r,
	    "expected_gross_cents", -1) != json_row_int(q, "gross_cents"))
		return err_set(&r->err, ERR_CONFLICT, "the price of quote %s "
		    "is now %s: look at it again before accepting",
		    json_row_str(q, "number"), record_money(r, json_row_int(q,
		    "gross_cents"), json_row_str(q, "currency")));
	if (!req_bool(r, "accept_terms", 0))
		err_field(&r->err, "accept_terms", "must be true: the customer "
		    "accepts the quote and its terms");
	email = req_str(r, "email");
	if (email == NULL)
		err_field(&r->err, "email", "is required: the order's status "
		    "is sent there");
	if (req_str(r, "billing_street") == NULL ||
	    req_str(r, "billing_postal_code") == NULL ||
	    req_str(r, "billing_city") == NULL ||
	    req_str(r, "billing_country") == NULL)
		err_field(&r->err, "billing_street", "the billing address "
		    "(street, postal code, city, country) is required");
	if (r->err.code != ERR_OK)
		return req_invalid(r, "acceptance");
	if (db_one(r->db, r->arena, &quotes_stmts[ST_CUSTOMER_BY_EMAIL],
	    &email, &cust, &r->err) != 0)
		return r->err.code;
	/* a new customer is checked as the customers API checks one */
	if (cust == NULL && customers_make_from(r, "quote", &cust) != 0)
		return r->err.code;
	cid = json_row_int(cust, "id");
	contact = arena_json(r->arena, json_object());
	for (i = 0; i < NCONTACT; i++)
		if (req_str(r, quotes_contact_fields[i]) != NULL)
			json_object_set_new(contact, quotes_contact_fields[i],
			    json_string(req_str(r, quotes_contact_fields[i])));
	p[0] = record_int(r, json_row_int(q, "id"));
	p[1] = arena_json_text(r->arena, contact);
	p[2] = record_int(r, cid);
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_ACCEPT], p, NULL,
	    &r->err) != 0 || req_audit(r, "accept", "quote", p[0], NULL,
	    contact) != 0)
		return r->err.code;
	if (!json_is_true(json_object_get(q, "review_required"))) {
		if (quotes_by(r, ST_BY_ID, p[0], &q) != 0 ||
		    quotes_convert_do(r, q) != 0)
			return r->err.code;
	}
	quotes_changed(r, req_str(r, "token"), "accepted");
	return quotes_answer(r, 200, req_str(r, "token"));
}

/* ---- staff ---- */

/* The quotes the status and review filters of the request let through. */
static int
quotes_rows(struct req *r, long long limit, long long offset, json_t **rows)
{
	const char	*p[4];

	p[0] = req_str(r, "status");
	p[1] = req_has(r, "review") ? (req_bool(r, "review", 0) ? "true" :
	    "false") : NULL;
	p[2] = record_int(r, limit);
	p[3] = record_int(r, offset);
	return db_exec(r->db, r->arena, &quotes_stmts[ST_LIST], p, rows,
	    &r->err);
}

static int
quotes_list(struct req *r)
{
	json_t	*rows;

	if (quotes_rows(r, req_int(r, "limit", 50), req_int(r, "offset", 0),
	    &rows) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O}", "items", rows));
	return 0;
}

/* The whole quote as staff see it: contact, files, overrides. */
static int
quotes_staff(struct req *r, int status, long long id)
{
	json_t	*q, *parts;

	if (quotes_by(r, ST_BY_ID, record_int(r, id), &q) != 0 ||
	    quotes_parts(r, id, &parts) != 0)
		return r->err.code;
	json_object_set(q, "parts", parts);
	req_json(r, status, json_incref(q));
	return 0;
}

static int
quotes_show(struct req *r)
{
	return quotes_staff(r, 200, req_int(r, "id", 0));
}

/*
 * Queues the e-mail that sends quote q's link to email (name: NULL or
 * the customer's), in the language of the request, in its transaction.
 */
static int
quotes_mail_link(struct req *r, json_t *q, const char *email,
    const char *name)
{
	json_t		*co;
	const char	*shop, *link, *subject, *text;

	if (db_one(r->db, r->arena, &quotes_stmts[ST_COMPANY], NULL, &co,
	    &r->err) != 0)
		return r->err.code;
	shop = co != NULL && json_row_str(co, "business_name") != NULL ?
	    json_row_str(co, "business_name") : "Printyard";
	link = arena_printf(r->arena, "%s/q/%s", r->cfg->public_url,
	    json_row_str(q, "token"));
	subject = arena_printf(r->arena, "%s %s · %s", req_t(r,
	    "quote_mail_subject"), json_row_str(q, "number"), shop);
	text = arena_printf(r->arena, "%s%s%s,\r\n\r\n%s %s: %s %s.\r\n%s "
	    "%s.\r\n\r\n%s\r\n%s\r\n\r\n%s\r\n", req_t(r,
	    "quote_mail_hello"), name != NULL ? " " : "", name != NULL ? name :
	    "", req_t(r, "quote_mail_total"), json_row_str(q, "number"),
	    record_money(r, json_row_int(q, "gross_cents"), json_row_str(q,
	    "currency")), req_t(r, "quote_mail_vat"), req_t(r,
	    "quote_mail_valid"), record_date(r, json_row_str(q,
	    "valid_until")), req_t(r, "quote_mail_link"), link, shop);
	return outbox_queue(r->db, r->arena, email, name, subject, text, NULL,
	    "quote", record_int(r, json_row_int(q, "id")), &r->err);
}

static int
quotes_update(struct req *r)
{
	struct quotes_shop	 s;
	json_t			*q, *parts, *part, *g, *v;
	const char		*p[6], *st, *to;
	size_t			 i, k;
	int			 found;

	if (quotes_lock(r, ST_BY_ID, record_int(r, req_int(r, "id", 0)),
	    &q) != 0 || quotes_shop(r, &s) != 0)
		return r->err.code;
	st = json_row_str(q, "status");
	to = req_str(r, "status");
	if (to != NULL && strcmp(to, st) != 0 && ((strcmp(to, "sent") == 0 &&
	    strcmp(st, "draft") != 0) || (strcmp(to, "rejected") == 0 &&
	    strcmp(st, "draft") != 0 && strcmp(st, "sent") != 0 &&
	    strcmp(st, "accepted") != 0)))
		return err_set(&r->err, ERR_CONFLICT, "a %s quote cannot "
		    "become %s", st, to);
	if (req_has(r, "parts") && quotes_open(r, q) != 0 &&
	    strcmp(st, "accepted") != 0)
		return r->err.code;
	err_clear(&r->err);
	p[0] = record_int(r, json_row_int(q, "id"));
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_PARTS], p, &parts,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(json_object_get(r->input, "parts"), k, g) {
		found = 0;
		v = json_object_get(g, "override_unit_cents");
		json_array_foreach(parts, i, part)
			if (json_row_int(part, "id") == json_row_int(g, "id")) {
				found = 1;
				json_object_set(part, "override_unit_cents",
				    v != NULL ? v : json_null());
			}
		if (!found)
			err_field(&r->err, arena_printf(r->arena,
			    "parts[%zu].id", k), "is not a part of this quote");
		if (v != NULL && !json_is_null(v) && (!json_is_integer(v) ||
		    json_integer_value(v) < 0 || json_integer_value(v) >
		    100000000000LL))
			err_field(&r->err, arena_printf(r->arena,
			    "parts[%zu].override_unit_cents", k), "must be a "
			    "price in cents or null");
	}
	if (json_object_get(r->input, "parts") != NULL &&
	    !json_is_array(json_object_get(r->input, "parts")))
		err_field(&r->err, "parts", "must be a list of {id, "
		    "override_unit_cents}");
	if (r->err.code != ERR_OK)
		return req_invalid(r, "quote");
	p[1] = to;
	p[2] = req_has(r, "note") ? "true" : "false";
	p[3] = req_str(r, "note");
	p[4] = req_str(r, "valid_until");
	p[5] = req_has(r, "review_required") ? (req_bool(r, "review_required",
	    0) ? "true" : "false") : NULL;
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_SET], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	if (json_object_get(r->input, "parts") != NULL &&
	    quotes_reprice(r, &s, json_row_int(q, "id"), parts,
	    json_row_str(q, "customer_kind")) != 0)
		return r->err.code;
	if (to != NULL && strcmp(to, "sent") == 0 && req_str(r, "email") !=
	    NULL && quotes_mail_link(r, q, req_str(r, "email"), req_str(r,
	    "name")) != 0) {
		if (r->err.code == ERR_INVALID && r->err.fields == NULL)
			err_field(&r->err, "email", "%s", r->err.message);
		return r->err.code;
	}
	if (req_audit(r, "update", "quote", p[0], NULL, r->input) != 0)
		return r->err.code;
	quotes_changed(r, json_row_str(q, "token"), "updated");
	return quotes_staff(r, 200, json_row_int(q, "id"));
}

static int
quotes_convert(struct req *r)
{
	json_t	*q;

	if (quotes_lock(r, ST_BY_ID, record_int(r, req_int(r, "id", 0)),
	    &q) != 0)
		return r->err.code;
	if (strcmp(json_row_str(q, "status"), "accepted") != 0)
		return err_set(&r->err, ERR_CONFLICT, "only an accepted quote "
		    "is converted; quote %s is %s", json_row_str(q, "number"),
		    json_row_str(q, "status"));
	if (quotes_convert_do(r, q) != 0)
		return r->err.code;
	return quotes_staff(r, 200, json_row_int(q, "id"));
}

/* ---- pages ---- */

/* A part's size as people read it: "40 × 30 × 10 mm". */
static const char *
quotes_page_dims(struct req *r, json_t *mesh)
{
	double	d[3];
	int	i;

	for (i = 0; i < 3; i++)
		d[i] = json_number_value(json_array_get(json_object_get(mesh,
		    "max"), (size_t)i)) - json_number_value(json_array_get(
		    json_object_get(mesh, "min"), (size_t)i));
	return arena_printf(r->arena, "%.1f × %.1f × %.1f mm", d[0], d[1],
	    d[2]);
}

/*
 * Adds what a page shows of quote v (the public view): money as text,
 * labels, the price lines that are not zero, and the steps of its order.
 */
static void
quotes_page_texts(struct req *r, json_t *v)
{
	static const char *const lines[] = { "material", "machine", "labour",
	    "setup", "overhead", "margin", "discount", "minimum" };
	static const char *const steps[] = { "confirmed", "in_production",
	    "ready", "shipped", "completed" };
	json_t		*bd, *part, *ls, *order, *st;
	const char	*cur, *os;
	size_t		 i;
	long long	 c;
	int		 gross, reached;

	cur = json_row_str(v, "currency");
	bd = json_object_get(v, "breakdown");
	gross = json_row_str(v, "customer_kind") == NULL ||
	    strcmp(json_row_str(v, "customer_kind"), "business") != 0;
	json_array_foreach(json_object_get(v, "parts"), i, part) {
		json_object_set_new(part, "dims_text", json_string(
		    quotes_page_dims(r, json_object_get(part, "mesh"))));
		json_object_set_new(part, "unit_text", json_string(record_money(
		    r, json_row_int(json_object_get(part, "price"), gross ?
		    "unit_gross_cents" : "unit_cents"), cur)));
		json_object_set_new(part, "grams_text", json_string(
		    arena_printf(r->arena, "%.0f g", json_row_num(part,
		    "grams"))));
		json_object_set_new(part, "hours_text", json_string(
		    arena_printf(r->arena, "%.1f h", json_row_num(part,
		    "minutes") / 60)));
		json_object_set_new(part, "method_label", json_string(req_t(r,
		    arena_printf(r->arena, "quote_method_%s", json_is_object(
		    json_object_get(part, "correction")) ? "corrected" :
		    json_row_str(part, "method")))));
	}
	ls = json_array();
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		c = json_row_int(bd, arena_printf(r->arena, "%s_cents",
		    lines[i]));
		if (c == 0)
			continue;
		json_array_append_new(ls, json_pack("{s:s, s:s, s:s}", "key",
		    lines[i], "label", req_t(r, arena_printf(r->arena,
		    "quote_line_%s", lines[i])), "text", record_money(r,
		    strcmp(lines[i], "discount") == 0 ? -c : c, cur)));
	}
	json_object_set_new(v, "lines", ls);
	json_object_set_new(v, "net_text", json_string(record_money(r,
	    json_row_int(bd, "net_cents"), cur)));
	json_object_set_new(v, "vat_text", json_string(record_money(r,
	    json_row_int(bd, "vat_cents"), cur)));
	json_object_set_new(v, "vat_pct", json_string(arena_printf(r->arena,
	    "%g", (double)json_row_int(bd, "vat_bp") / 100)));
	json_object_set_new(v, "gross_text", json_string(record_money(r,
	    json_row_int(bd, "gross_cents"), cur)));
	json_object_set_new(v, "status_label", json_string(req_t(r,
	    arena_printf(r->arena, "quote_status_%s", json_row_str(v,
	    "status")))));
	json_object_set_new(v, "valid_until_text", json_string(record_date(r,
	    json_row_str(v, "valid_until"))));
	json_object_set_new(v, "is_open", json_boolean(strcmp(json_row_str(v,
	    "status"), "draft") == 0 || strcmp(json_row_str(v, "status"),
	    "sent") == 0));
	order = json_object_get(v, "order");
	if (!json_is_object(order))
		return;
	os = json_row_str(order, "status");
	json_object_set_new(order, "status_label", json_string(req_t(r,
	    arena_printf(r->arena, "orders_status_%s", os))));
	st = json_array();
	reached = 1;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		json_array_append_new(st, json_pack("{s:s, s:s, s:b, s:b}",
		    "key", steps[i], "label", req_t(r, arena_printf(r->arena,
		    "orders_status_%s", steps[i])), "done", reached, "current",
		    strcmp(os, steps[i]) == 0));
		if (strcmp(os, steps[i]) == 0)
			reached = 0;
	}
	json_object_set_new(order, "steps", st);
	json_object_set_new(order, "cancelled", json_boolean(strcmp(os,
	    "cancelled") == 0));
}

/* The public upload page: the shop's choices; the rest is quote.js. */
static int
quotes_page_new(struct req *r)
{
	struct quotes_shop	 s;

	json_t			*mats, *qs, *q;
	const char		*key;
	size_t			 i;

	if (quotes_shop(r, &s) != 0)
		return r->err.code;
	mats = quotes_options_view(s.materials);
	qs = json_deep_copy(s.qualities);
	json_array_foreach(qs, i, q) {
		key = arena_printf(r->arena, "quote_quality_%s",
		    json_row_str(q, "name"));
		json_object_set_new(q, "label", json_string(strcmp(req_t(r,
		    key), key) != 0 ? req_t(r, key) : json_row_str(q, "name")));
		json_object_set_new(q, "selected", json_boolean(strcmp(
		    json_row_str(q, "name"), json_row_str(s.row,
		    "default_quality")) == 0));
	}
	r->out = json_pack("{s:s, s:s, s:o, s:s, s:o, s:O, s:I, s:I}",
	    "page", "quote", "title", req_t(r, "page_quote"),
	    "materials", mats, "materials_json", arena_json_text(r->arena,
	    mats), "qualities", qs, "terms", json_object_get(s.row, "terms"),
	    "default_infill_pct", (json_int_t)json_row_int(s.row,
	    "default_infill_pct"), "upload_max_mb", (json_int_t)(
	    r->cfg->upload_max >> 20));
	return 0;
}

/* /q/{token}: the customer's quote and how its order is getting on. */
static int
quotes_page_token(struct req *r)
{
	json_t		*q, *parts, *v;
	const char	*token = req_str(r, "token");

	if (quotes_load(r, ST_BY_TOKEN, token, &q, &parts, &v) != 0)
		return r->err.code;
	quotes_page_texts(r, v);
	r->out = json_pack("{s:s, s:s, s:O, s:s}", "page", "quote-status",
	    "title", json_row_str(q, "number"), "quote", v, "quote_live_url",
	    arena_printf(r->arena, "/live/sub/%s", quotes_channel(r,
	    token)));
	return 0;
}

/* The staff list: newest first, by status, review marks. */
static int
quotes_page_list(struct req *r)
{
	struct quotes_shop	 s;
	const char		*cur, *want = req_str(r, "status"), *st, *p;
	json_t			*rows, *row, *filters, *states, *v, *acc;
	size_t			 i;
	long long		 n, within;

	p = record_int(r, CORRECTIONS_DAYS);
	if (quotes_rows(r, 100, 0, &rows) != 0 || quotes_shop(r, &s) != 0 ||
	    db_one(r->db, r->arena, &quotes_stmts[ST_ACCURACY], &p, &acc,
	    &r->err) != 0)
		return r->err.code;
	n = json_row_int(acc, "quotes");
	within = json_row_int(acc, "within");
	json_array_foreach(rows, i, row) {
		cur = json_row_str(row, "currency");
		json_object_set_new(row, "gross_text", json_string(record_money(
		    r, json_row_int(row, "gross_cents"), cur)));
		json_object_set_new(row, "status_label", json_string(req_t(r,
		    arena_printf(r->arena, "quote_status_%s", json_row_str(row,
		    "status")))));
		json_object_set_new(row, "who", json_object_get(json_object_get(
		    row, "contact"), "name") != NULL ? json_incref(
		    json_object_get(json_object_get(row, "contact"), "name")) :
		    json_string("—"));
	}
	filters = json_array();
	states = arena_json(r->arena, json_words(QUOTE_STATES));
	json_array_foreach(states, i, v) {
		st = json_string_value(v);
		json_array_append_new(filters, json_pack("{s:s, s:s, s:b}",
		    "status", st, "label", req_t(r, arena_printf(r->arena,
		    "quote_status_%s", st)), "current", want != NULL &&
		    strcmp(want, st) == 0));
	}
	r->out = json_pack("{s:s, s:b, s:s, s:O, s:b, s:o, s:b, s:{s:I, s:I, "
	    "s:I}, s:O, s:b}", "page", "quotes", "nav_quotes", 1, "title",
	    req_t(r, "page_quotes"), "quotes", rows, "has_quotes",
	    json_array_size(rows) > 0, "filters", filters, "review_only",
	    req_has(r, "review"), "accuracy", "quotes", (json_int_t)n,
	    "within", (json_int_t)within, "within_pct", (json_int_t)(n > 0 ?
	    (within * 100 + n / 2) / n : 0), "corrections", json_object_get(
	    s.row, "corrections"), "has_corrections", json_array_size(
	    json_object_get(s.row, "corrections")) > 0);
	return 0;
}

/* A quote as staff see it on its page, with what they can do to it. */
static int
quotes_page_show(struct req *r)
{
	json_t		*q, *parts, *v, *part;
	const char	*st;
	size_t		 i;

	if (quotes_load(r, ST_BY_ID, record_int(r, req_int(r, "id", 0)), &q,
	    &parts, &v) != 0)
		return r->err.code;
	/* the staff see what the customer does not: overrides, corrections */
	json_array_foreach(json_object_get(v, "parts"), i, part) {
		json_object_set(part, "override_unit_cents", json_object_get(
		    json_array_get(parts, i), "override_unit_cents"));
		json_object_set(part, "correction", json_object_get(
		    json_array_get(parts, i), "correction"));
		json_object_set_new(part, "unit_net_text", json_string(
		    record_money(r, json_row_int(json_array_get(parts, i),
		    "unit_cents"), json_row_str(q, "currency"))));
	}
	quotes_page_texts(r, v);
	st = json_row_str(q, "status");
	r->out = json_pack("{s:s, s:b, s:s, s:O, s:O, s:O, s:O, s:O, s:b, "
	    "s:b, s:b, s:b, s:b}", "page", "quotes", "nav_quotes", 1, "title",
	    json_row_str(q, "number"), "quote", v, "quote_id", json_object_get(q,
	    "id"), "contact", json_object_get(q, "contact"), "note",
	    json_object_get(q, "note"), "review_reasons", json_object_get(q,
	    "review_reasons"), "can_edit", r->who.role != ROLE_ACCOUNTANT,
	    "can_send", strcmp(st, "draft") == 0 || strcmp(st, "sent") == 0,
	    "can_reject", strcmp(st,
	    "draft") == 0 || strcmp(st, "sent") == 0 || strcmp(st,
	    "accepted") == 0, "can_convert", strcmp(st, "accepted") == 0,
	    "can_price", strcmp(st, "draft") == 0 || strcmp(st, "sent") == 0 ||
	    strcmp(st, "accepted") == 0);
	json_object_set_new(r->out, "page_url", json_string(arena_printf(
	    r->arena, "/q/%s", json_row_str(q, "token"))));
	return 0;
}

/*
 * The staff page's buttons: they change the quote through the same code
 * as PATCH /api/v1/quotes/{id} and POST .../convert, then show it again.
 */
static int
quotes_page_action(struct req *r)
{
	const char	*a = req_str(r, "action"), *price;
	long long	 cents;
	json_t		*in;

	/* the change is made, and audited, as the API's body would say it */
	in = arena_json(r->arena, json_object());
	if (strcmp(a, "send") == 0 || strcmp(a, "reject") == 0)
		json_object_set_new(in, "status", json_string(strcmp(a,
		    "send") == 0 ? "sent" : "rejected"));
	else if (strcmp(a, "review") == 0 || strcmp(a, "release") == 0)
		json_object_set_new(in, "review_required", json_boolean(
		    strcmp(a, "review") == 0));
	else if (strcmp(a, "price") == 0) {
		price = req_str(r, "unit_price");
		cents = -1;
		if (price != NULL && *price != '\0' && money_parse(price, 2,
		    100000000000LL, &cents) != 0) {
			err_field(&r->err, "unit_price", "is not an amount");
			return req_invalid(r, "quote");
		}
		json_object_set_new(in, "parts", json_pack("[{s:I, s:o}]", "id",
		    (json_int_t)req_int(r, "part_id", 0), "override_unit_cents",
		    cents < 0 ? json_null() : json_integer(cents)));
	}
	/* a link to send goes to an address, with a name when given */
	if (strcmp(a, "send") == 0 && req_str(r, "email") != NULL &&
	    *req_str(r, "email") != '\0') {
		json_object_set_new(in, "email", json_string(req_str(r,
		    "email")));
		if (req_str(r, "name") != NULL && *req_str(r, "name") != '\0')
			json_object_set_new(in, "name", json_string(req_str(r,
			    "name")));
	}
	json_object_del(r->args, "email");
	json_object_del(r->args, "name");
	json_object_update(r->args, in);
	r->input = in;
	if ((strcmp(a, "convert") == 0 ? quotes_convert(r) :
	    quotes_update(r)) != 0)
		return r->err.code;
	req_flash(r, "ok", arena_printf(r->arena, "quote_flash_%s", a));
	req_redirect(r, arena_printf(r->arena, "/quotes/%lld", req_int(r,
	    "id", 0)));
	return 0;
}

/* ---- stored meshes ---- */

/* Reads the stored mesh d[0..len) of kind again for its triangles. */
static int
quotes_mesh_sink(const char *kind, const char *d, size_t len,
    const struct mesh_sink *sink, struct err *e)
{
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct model3mf		 m;
	struct mesh_stats	 st;
	int			 rc;

	if (strcmp(kind, "stl") == 0)
		return mesh_stl_sink(d, len, MESH_MAX_TRIANGLES, sink, &st, e);
	if (strcmp(kind, "obj") == 0)
		return mesh_obj_sink(d, len, MESH_MAX_TRIANGLES, sink, &st, e);
	lim.sink = sink;
	memset(&m, 0, sizeof(m));
	rc = model3mf_read(d, len, &lim, &m, e);
	model3mf_free(&m);
	return rc;
}

/*
 * One part's triangles out of its file's: the parts of a 3MF share the
 * file, whose sink sees them build item after build item, in the order
 * of the parts' positions, each as many triangles as its measure says.
 */
struct quotes_pick {
	const struct mesh_sink	*to;
	size_t			 skip;	/* earlier parts' triangles */
	size_t			 take;
	size_t			 seen;
};

static void
quotes_pick_triangle(void *ctx, const double a[3], const double b[3],
    const double c[3])
{
	struct quotes_pick	*k = ctx;

	if (k->seen >= k->skip && k->seen - k->skip < k->take)
		k->to->triangle(k->to->ctx, a, b, c);
	k->seen++;
}

/*
 * Reads the stored file of part into *d (freed with the arena); 0, or
 * ERR_NOT_FOUND when the file is gone.
 */
static int
quotes_part_file(struct req *r, json_t *part, char **d, size_t *len,
    struct err *e)
{
	*d = fs_read(arena_printf(r->arena, "%s/%s", r->cfg->file_store,
	    json_row_str(part, "file_path")), r->cfg->upload_max, len);
	if (*d == NULL)
		return err_set(e, ERR_NOT_FOUND, "the stored file of part %lld "
		    "cannot be read: %s", (long long)json_row_int(part,
		    "position"), strerror(errno));
	arena_defer(r->arena, free, *d);
	return 0;
}

/*
 * Hands the triangles of part i of parts (rows of quote_parts), out of
 * its stored file d[0..len), to sink; 0, or the reader's error.
 */
static int
quotes_part_mesh(json_t *parts, size_t i, const char *d, size_t len,
    const struct mesh_sink *sink, struct err *e)
{
	struct quotes_pick	 k;
	struct mesh_sink	 pick;
	json_t			*part = json_array_get(parts, i), *o;
	const char		*path = json_row_str(part, "file_path");
	size_t			 j;

	memset(&k, 0, sizeof(k));
	k.to = sink;
	k.take = (size_t)json_row_int(json_object_get(part, "mesh"),
	    "triangles");
	for (j = 0; j < i; j++) {
		o = json_array_get(parts, j);
		if (strcmp(json_row_str(o, "file_path"), path) == 0)
			k.skip += (size_t)json_row_int(json_object_get(o,
			    "mesh"), "triangles");
	}
	pick.triangle = quotes_pick_triangle;
	pick.ctx = &k;
	return quotes_mesh_sink(json_row_str(part, "file_kind"), d, len,
	    &pick, e);
}

/* ---- the PDF ---- */

#define QUOTES_THUMB_MAX	(4 * 1024 * 1024)	/* a 3MF's preview */

/*
 * The picture of part i: the thumbnail of a 3MF that holds this part
 * alone, else the part's silhouette drawn from its stored mesh; nothing
 * (an empty frame) when neither can be had.
 */
static void
quotes_picture(struct req *r, json_t *pub, json_t *parts, size_t i,
    struct silhouette *sil, struct quotepdf_image *img)
{
	struct mesh_sink	 sink;
	struct err		 e;
	json_t			*part = json_array_get(parts, i), *o;
	unsigned char		*png, rgb[3];
	double			 lo[3], hi[3];
	size_t			 len, tl, k, same = 0;
	char			*d;

	memset(&e, 0, sizeof(e));
	if (quotes_part_file(r, part, &d, &len, &e) != 0) {
		err_clear(&e);
		return;
	}
	/* a 3MF of several parts has one thumbnail for all of them */
	json_array_foreach(parts, k, o)
		if (strcmp(json_row_str(o, "file_path"), json_row_str(part,
		    "file_path")) == 0)
			same++;
	if (strcmp(json_row_str(part, "file_kind"), "3mf") == 0 &&
	    same == 1) {
		png = arena_alloc(r->arena, QUOTES_THUMB_MAX);
		if (threemf_thumbnail(d, len, 0, png, QUOTES_THUMB_MAX, &tl,
		    NULL) == 0) {
			img->png = png;
			img->png_len = tl;
			return;
		}
	}
	if (quotepdf_part_view(pub, i, lo, hi, rgb) != 0)
		return;
	silhouette_init(sil, r->arena, SILHOUETTE_SIDE, SILHOUETTE_SIDE, lo,
	    hi, rgb);
	sink.triangle = silhouette_triangle;
	sink.ctx = sil;
	if (quotes_part_mesh(parts, i, d, len, &sink, &e) != 0) {
		err_clear(&e);
		return;
	}
	silhouette_finish(sil);
	img->rgb = sil->rgb;
	img->w = sil->w;
	img->h = sil->h;
}

/* GET /api/v1/public/quotes/{token}/pdf: the quote as a document. */
static int
quotes_pdf(struct req *r)
{
	struct quotepdf_image	 img[QUOTES_PARTS_MAX];
	struct silhouette	 sil[QUOTES_PARTS_MAX];
	json_t			*q, *parts, *pub, *company;
	size_t			 i, n;

	if (quotes_load(r, ST_BY_TOKEN, req_str(r, "token"), &q, &parts,
	    &pub) != 0 || db_one(r->db, r->arena, &quotes_stmts[ST_COMPANY],
	    NULL, &company, &r->err) != 0)
		return r->err.code;
	n = json_array_size(parts);
	if (n > QUOTES_PARTS_MAX)
		n = QUOTES_PARTS_MAX;
	memset(img, 0, sizeof(img));
	for (i = 0; i < n; i++)
		quotes_picture(r, pub, parts, i, &sil[i], &img[i]);
	if (quotepdf_render(r->arena, pub, company, r->lang, img, n,
	    &r->body_out, &r->err) != 0)
		return r->err.code;
	r->status = 200;
	r->content_type_out = "application/pdf";
	req_header(r, "Content-Disposition", arena_printf(r->arena,
	    "inline; filename=\"%s.pdf\"", json_row_str(q, "number")));
	return 0;
}

/* ---- slicing ---- */

/*
 * The part of job args as it stands: the quote (read under its lock
 * when lock), its parts and the part's index; *i is -1 when the slice
 * is no longer wanted (why says why): the part or quote is gone, the
 * quote no longer open, or the part's options or slice moved on.
 */
static int
quotes_slice_find(struct req *r, long long part_id, const char *key,
    int lock, json_t **q, json_t **parts, long long *i, const char **why)
{
	const char	*p = record_int(r, part_id), *st;
	json_t		*row, *part;
	size_t		 k;

	*i = -1;
	*why = "the part is gone";
	if (db_one(r->db, r->arena, &quotes_stmts[ST_SLICE_QUOTE], &p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return 0;
	p = record_int(r, json_row_int(row, "quote_id"));
	if ((lock ? quotes_lock(r, ST_BY_ID, p, q) : quotes_by(r, ST_BY_ID,
	    p, q)) != 0 || db_exec(r->db, r->arena, &quotes_stmts[ST_PARTS],
	    &p, parts, &r->err) != 0)
		return r->err.code;
	st = json_row_str(*q, "status");
	if (strcmp(st, "draft") != 0 && strcmp(st, "sent") != 0) {
		*why = "the quote is no longer open";
		return 0;
	}
	json_array_foreach(*parts, k, part)
		if (json_row_int(part, "id") == part_id) {
			*why = "the part's options changed since";
			if (quotes_slice_is(part, "queued") &&
			    strcmp(json_row_str(part, "slice_key"), key) == 0)
				*i = (long long)k;
		}
	return 0;
}

/*
 * Slices part i with CuraEngine: its triangles written as an STL file
 * standing on the build plate, the shop's print profile (the one the
 * estimator was calibrated with), its material, layer height and
 * infill.  Returns 0 with res, or the engine's error in e.
 */
static int
quotes_slice_run(struct req *r, json_t *parts, size_t i,
    struct cura_result *res, struct err *e)
{
	const struct estimate_profile	*pf = &quotes_model.profile;
	struct quotes_shop		 s;
	struct cura_stl			 stl;
	struct cura_job			 cj;
	struct mesh_sink		 sink;
	json_t				*part = json_array_get(parts, i), *mat;
	double				 shift[3] = { 0, 0, 0 };
	size_t				 len;
	char				*d;
	int				 rc;

	if (quotes_shop(r, &s) != 0)
		return err_set(e, r->err.code, "%s", r->err.message);
	shift[2] = -json_number_value(json_array_get(json_object_get(
	    json_object_get(part, "mesh"), "min"), 2));
	if (cura_stl_open(&stl, shift, e) != 0)
		return e->code;
	sink.triangle = cura_stl_triangle;
	sink.ctx = &stl;
	if (quotes_part_file(r, part, &d, &len, e) != 0 ||
	    quotes_part_mesh(parts, i, d, len, &sink, e) != 0 ||
	    cura_stl_close(&stl, e) != 0) {
		cura_stl_remove(&stl);
		return e->code;
	}
	mat = quotes_material(&s, json_row_str(part, "material"));
	memset(&cj, 0, sizeof(cj));
	cj.engine = r->cfg->cura_engine;
	cj.definitions = r->cfg->cura_definitions;
	cj.stl = stl.path;
	/* a material the engine has no settings for prints like PLA */
	cj.material = cura_material(json_row_str(part, "material")) != NULL ?
	    json_row_str(part, "material") : "PLA";
	cj.density = mat != NULL ? json_row_num(mat, "density") : 0;
	cj.layer_mm = json_row_num(part, "layer_mm");
	cj.infill_pct = (int)json_row_int(part, "infill_pct");
	cj.walls = pf->walls;
	cj.line_mm = pf->line_mm;
	cj.top_bottom_mm = pf->top_bottom_mm;
	cj.min_layer_s = pf->min_layer_s;
	cj.min_speed_mm_s = pf->min_speed_mm_s;
	rc = cura_slice(&cj, res, e);
	cura_stl_remove(&stl);
	return rc;
}

/* Stores a slice that could not be made, and tells the quote's page. */
static int
quotes_slice_failed(struct req *r, json_t *q, json_t *part,
    const struct err *e, json_t **result)
{
	const char	*p[4];
	char		 line[sizeof(e->message) + sizeof(e->detail) +
			     sizeof(e->hint) + 8];

	err_line(line, sizeof(line), e);
	p[0] = record_int(r, json_row_int(part, "id"));
	p[1] = e->code == ERR_UNAVAILABLE ? "unavailable" : "failed";
	p[2] = line;
	p[3] = json_row_str(part, "slice_key");
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_SLICE_FAILED], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	log_kv(LOG_WARN, "quoted part not sliced", "quote", json_row_str(q,
	    "number"), "part_id", p[0], "error", line, NULL);
	quotes_changed(r, json_row_str(q, "token"), "slice_failed");
	*result = json_pack("{s:s, s:s}", "state", p[1], "error", line);
	return 0;
}

/* Prices the quote again with the slice of part i, in one transaction. */
static int
quotes_slice_store(struct req *r, long long part_id, const char *key,
    const struct cura_result *res, json_t **result)
{
	struct quotes_shop	 s;
	const char		*p[4], *why;
	json_t			*q, *parts, *part;
	long long		 i;

	if (db_begin(r->db, &r->err) != 0)
		return r->err.code;
	if (quotes_slice_find(r, part_id, key, 1, &q, &parts, &i, &why) !=
	    0)
		goto fail;
	if (i < 0) {
		db_rollback(r->db);
		*result = json_pack("{s:s}", "skipped", why);
		return 0;
	}
	part = json_array_get(parts, (size_t)i);
	p[0] = record_int(r, part_id);
	p[1] = quotes_num(r, res->grams);
	p[2] = arena_printf(r->arena, "%.2f", res->minutes);
	p[3] = arena_printf(r->arena, "CuraEngine %s", res->version);
	if (db_exec(r->db, r->arena, &quotes_stmts[ST_SLICE_DONE], p, NULL,
	    &r->err) != 0)
		goto fail;
	*result = json_pack("{s:s, s:f, s:f, s:f, s:f, s:s}", "state", "done",
	    "grams", round(res->grams * 1000) / 1000, "minutes",
	    round(res->minutes * 100) / 100, "estimate_grams",
	    json_row_num(part, "grams"), "estimate_minutes",
	    json_row_num(part, "minutes"), "engine", p[3]);
	json_object_set_new(part, "slice_state", json_string("done"));
	json_object_set_new(part, "sliced_grams", json_real(res->grams));
	json_object_set_new(part, "sliced_minutes", json_real(res->minutes));
	if (quotes_shop(r, &s) != 0 || quotes_reprice(r, &s, json_row_int(q,
	    "id"), parts, json_row_str(q, "customer_kind")) != 0 ||
	    req_audit(r, "slice", "quote", record_int(r, json_row_int(q,
	    "id")), NULL, arena_json(r->arena, json_pack("{s:I, s:O}",
	    "part_id", (json_int_t)part_id, "slice", *result))) != 0 ||
	    db_commit(r->db, &r->err) != 0)
		goto fail;
	quotes_changed(r, json_row_str(q, "token"), "sliced");
	return 0;
fail:
	if (db_in_tx(r->db))
		db_rollback(r->db);
	json_decref(*result);
	*result = NULL;
	return r->err.code;
}

static int
quotes_slice(struct req *r, long long part_id, const char *key,
    json_t **result)
{
	struct cura_result	 res;
	struct err		 e;
	const char		*why;
	json_t			*q, *parts;
	long long		 i;
	int			 rc;

	if (key == NULL || part_id <= 0)
		return err_set(&r->err, ERR_INVALID, "a quote_slice job needs "
		    "part_id and key");
	if (quotes_slice_find(r, part_id, key, 0, &q, &parts, &i, &why) != 0)
		return r->err.code;
	if (i < 0) {
		*result = json_pack("{s:s}", "skipped", why);
		return 0;
	}
	memset(&e, 0, sizeof(e));
	rc = quotes_slice_run(r, parts, (size_t)i, &res, &e);
	if (rc == ERR_UNAVAILABLE || rc == ERR_INVALID || rc == ERR_NOT_FOUND) {
		rc = quotes_slice_failed(r, q, json_array_get(parts, (size_t)i),
		    &e, result);
		err_clear(&e);
		return rc;
	}
	if (rc != 0) {
		err_set(&r->err, rc, "%s", e.message);
		err_clear(&e);
		return rc;
	}
	return quotes_slice_store(r, part_id, key, &res, result);
}

int
quotes_slice_job(struct job *j, json_t **result, struct err *e)
{
	struct req	r;
	int		rc;

	req_background(&r, j->arena, j->cfg, j->db, "jobs");
	rc = quotes_slice(&r, json_integer_value(json_object_get(j->args,
	    "part_id")), json_string_value(json_object_get(j->args, "key")),
	    result);
	if (rc != 0)
		err_set(e, rc, "%s", r.err.message);
	err_clear(&r.err);
	return rc;
}

/* ---- routes ---- */

#define TOKEN_PARAM	{ "token", IN_PATH, P_STR, 1, 32, 64, NULL }
#define OPTION_PARAMS \
	{ "material", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "color_name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "quality", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "infill_pct", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "quantity", IN_BODY, P_ANY, 0, 0, 0, NULL }

static const struct param token_params[] = {
	TOKEN_PARAM,
	PARAM_END,
};
static const struct param options_params[] = {
	TOKEN_PARAM,
	OPTION_PARAMS,
	{ "customer_kind", IN_BODY, P_ENUM, 0, 0, 0, "consumer|business" },
	{ "parts", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};
static const struct param accept_params[] = {
	TOKEN_PARAM,
	{ "accept_terms", IN_BODY, P_BOOL, 1, 0, 0, NULL },
	{ "name", IN_BODY, P_STR, 1, 1, 200, NULL },
	{ "email", IN_BODY, P_STR, 1, 3, 254, NULL },
	{ "phone", IN_BODY, P_STR, 0, 0, 40, NULL },
	{ "billing_street", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "billing_postal_code", IN_BODY, P_STR, 0, 0, 16, NULL },
	{ "billing_city", IN_BODY, P_STR, 0, 0, 100, NULL },
	{ "billing_country", IN_BODY, P_STR, 0, 0, 2, NULL },
	{ "shipping_street", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "shipping_postal_code", IN_BODY, P_STR, 0, 0, 16, NULL },
	{ "shipping_city", IN_BODY, P_STR, 0, 0, 100, NULL },
	{ "shipping_country", IN_BODY, P_STR, 0, 0, 2, NULL },
	{ "vat_id", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "expected_gross_cents", IN_BODY, P_INT, 0, 0, INT64_MAX, NULL },
	PARAM_END,
};
static const struct param list_params[] = {
	{ "status", IN_QUERY, P_ENUM, 0, 0, 0, QUOTE_STATES },
	{ "review", IN_QUERY, P_BOOL, 0, 0, 0, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param update_params[] = {
	PARAM_ID,
	{ "status", IN_BODY, P_ENUM, 0, 0, 0, "sent|rejected" },
	{ "note", IN_BODY, P_STR, 0, 0, 2000, NULL },
	{ "valid_until", IN_BODY, P_STR, 0, 10, 10, NULL },
	{ "review_required", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	{ "parts", IN_BODY, P_ANY, 0, 0, 0, NULL },
	/* with status sent: the customer the link is mailed to */
	{ "email", IN_BODY, P_STR, 0, 3, 254, NULL },
	{ "name", IN_BODY, P_STR, 0, 1, 200, NULL },
	PARAM_END,
};

static const struct param page_list_params[] = {
	{ "status", IN_QUERY, P_ENUM, 0, 0, 0, QUOTE_STATES },
	{ "review", IN_QUERY, P_BOOL, 0, 0, 0, NULL },
	PARAM_END,
};
static const struct param page_action_params[] = {
	PARAM_ID,
	{ "action", IN_BODY, P_ENUM, 1, 0, 0,
	    "send|reject|review|release|price|convert" },
	{ "part_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "unit_price", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "email", IN_BODY, P_STR, 0, 0, 254, NULL },
	{ "name", IN_BODY, P_STR, 0, 0, 200, NULL },
	PARAM_END,
};

#define STAFF	(ROLE_OWNER | ROLE_STAFF)

static const struct route quotes_routes[] = {
	{ "POST", "/api/v1/quotes", quotes_create, ROLE_PUBLIC | ROLE_ANY,
	    ROUTE_RAW | ROUTE_UPLOAD, NULL, NULL },
	{ "GET", "/api/v1/public/quotes/{token}", quotes_public_show,
	    ROLE_PUBLIC | ROLE_ANY, 0, token_params, NULL },
	{ "PUT", "/api/v1/public/quotes/{token}/options", quotes_options,
	    ROLE_PUBLIC | ROLE_ANY, 0, options_params, NULL },
	{ "POST", "/api/v1/public/quotes/{token}/accept", quotes_accept,
	    ROLE_PUBLIC | ROLE_ANY, 0, accept_params, NULL },
	{ "GET", "/api/v1/public/quotes/{token}/pdf", quotes_pdf,
	    ROLE_PUBLIC | ROLE_ANY, ROUTE_RAW, token_params, NULL },
	{ "GET", "/api/v1/quotes", quotes_list, STAFF, 0, list_params, NULL },
	{ "GET", "/api/v1/quotes/{id}", quotes_show, STAFF, 0, params_id,
	    NULL },
	{ "PATCH", "/api/v1/quotes/{id}", quotes_update, STAFF, 0,
	    update_params, NULL },
	{ "POST", "/api/v1/quotes/{id}/convert", quotes_convert, STAFF, 0,
	    params_id, NULL },
	{ "GET", "/quote", quotes_page_new, ROLE_PUBLIC | ROLE_ANY,
	    ROUTE_PAGE, NULL, "quotes/new" },
	{ "GET", "/q/{token}", quotes_page_token, ROLE_PUBLIC | ROLE_ANY,
	    ROUTE_PAGE, token_params, "quotes/status" },
	{ "GET", "/quotes", quotes_page_list, ROLE_ANY, ROUTE_PAGE,
	    page_list_params, "quotes/index" },
	{ "GET", "/quotes/{id}", quotes_page_show, ROLE_ANY, ROUTE_PAGE,
	    params_id, "quotes/show" },
	{ "GET", "/quotes/{id}/action", quotes_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "quotes/show" },
	{ "POST", "/quotes/{id}/action", quotes_page_action, STAFF,
	    ROUTE_PAGE | ROUTE_FORM, page_action_params, "quotes/show" },
};

const struct resource quotes_resource = {
	"quotes", quotes_routes,
	sizeof(quotes_routes) / sizeof(quotes_routes[0]),
	quotes_stmts, sizeof(quotes_stmts) / sizeof(quotes_stmts[0]),
};

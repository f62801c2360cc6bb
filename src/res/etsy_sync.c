/*
 * etsy_sync.c -- the jobs worker's side of Etsy: the connection's tokens,
 * the receipt sync and the shipment push.
 *
 * The sync (job etsy_sync; the worker asks every ETSY_TICK_S whether one
 * is due, "Sync now" queues it at once) reads the receipts changed since
 * the watermark less an overlap, 100 a page sorted by update time, and
 * stores each receipt in its own transaction: the receipt and its lines,
 * their products (by SKU, then by a mapping rule), and for a paid one its
 * customer and its sales order (source etsy, external id the receipt
 * id).  The receipt id is the key of everything it writes, so a sync run
 * twice, or killed and run again, writes nothing twice.  The watermark
 * moves only when every page was read.
 *
 * A receipt seen again with the same update time is skipped without a
 * write.  One that changed updates its order: cancelled on Etsy cancels
 * the order while production has not started (its reservations go) and
 * flags it for a person once it has; a new address is copied while the
 * order is not shipped; a shipment made on Etsy is kept so that ours is
 * not pushed again.
 *
 * The push (job etsy_ship, queued by a trigger when an Etsy order is
 * marked shipped) calls createReceiptShipment with the order's carrier
 * and tracking number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "db/db.h"
#include "domain/jobs.h"
#include "http/req.h"
#include "parse/etsy.h"
#include "res/customers.h"
#include "res/etsy.h"
#include "res/orders.h"
#include "res/record.h"

#define ACCOUNT_COLS \
	"a.keystring, a.shared_secret, a.status, a.oauth_state, " \
	"a.oauth_verifier, extract(epoch FROM now() - a.oauth_started_at)" \
	"::bigint AS oauth_age, a.user_id, a.shop_id, a.access_token, " \
	"a.refresh_token, (a.access_expires_at IS NULL OR " \
	"a.access_expires_at < now() + make_interval(secs => " \
	"$1::integer)) AS stale, a.sync_minutes, a.first_sync_days, " \
	"a.overlap_seconds, a.auto_confirm, a.synced_until, " \
	"(a.last_sync_at IS NULL OR a.last_sync_at <= now() - " \
	"make_interval(mins => a.sync_minutes)) AS due, " \
	"extract(epoch FROM now())::bigint AS now_s, a.fee_transaction_bp, " \
	"a.fee_processing_bp, a.fee_processing_fixed_cents, " \
	"a.fee_listing_cents, a.vat_rate"

static const struct stmt sync_stmts[] = {
	{ "etsy_account", "SELECT " ACCOUNT_COLS " FROM etsy_account a", 1 },
	{ "etsy_account_lock",
	  "SELECT " ACCOUNT_COLS " FROM etsy_account a FOR UPDATE", 1 },
	{ "etsy_tokens",
	  "UPDATE etsy_account SET access_token = $1, refresh_token = $2, "
	  "access_expires_at = now() + make_interval(secs => $3::integer), "
	  "refreshed_at = now(), updated_at = now()", 3 },
	{ "etsy_revoked",
	  "UPDATE etsy_account SET status = 'revoked', access_token = NULL, "
	  "refresh_token = NULL, access_expires_at = NULL, last_error = "
	  "left($1, 1000), last_error_at = now(), updated_at = now()", 1 },
	{ "etsy_limits",
	  "UPDATE etsy_account SET limit_per_day = $1::integer, "
	  "remaining_today = $2::integer", 2 },
	{ "etsy_sync_start",
	  "INSERT INTO etsy_syncs (id, trigger, since, until) VALUES "
	  "($1::bigint, $2, $3::bigint, $4::bigint) ON CONFLICT (id) DO "
	  "UPDATE SET status = 'running', since = $3::bigint, until = "
	  "$4::bigint, pages = 0, requests = 0, total_receipts = 0, "
	  "new_orders = 0, updated_orders = 0, unmapped_lines = 0, "
	  "skipped_receipts = 0, errors = '[]', started_at = now(), "
	  "finished_at = NULL", 4 },
	{ "etsy_sync_progress",
	  "UPDATE etsy_syncs SET pages = $2::integer, requests = $3::integer, "
	  "total_receipts = $4::integer, new_orders = $5::integer, "
	  "updated_orders = $6::integer, unmapped_lines = $7::integer, "
	  "skipped_receipts = $8::integer, errors = $9::jsonb, status = $10, "
	  "finished_at = CASE WHEN $10 = 'running' THEN NULL ELSE now() END "
	  "WHERE id = $1::bigint", 10 },
	{ "etsy_synced",
	  "UPDATE etsy_account SET synced_until = coalesce($1::bigint, "
	  "synced_until), last_sync_at = now(), last_error = left($2, 1000), "
	  "last_error_at = CASE WHEN $2 IS NULL THEN last_error_at ELSE "
	  "now() END", 2 },
	{ "etsy_currency",
	  "SELECT minor_digits FROM currencies WHERE code = $1", 1 },
	{ "etsy_receipt_lock",
	  "SELECT r.receipt_id, r.order_id, r.updated_ts, r.status, "
	  "r.is_shipped, o.status::text AS order_status FROM etsy_receipts r "
	  "LEFT JOIN sales_orders o ON o.id = r.order_id WHERE r.receipt_id "
	  "= $1::bigint FOR UPDATE OF r", 1 },
	{ "etsy_receipt_put",
	  "INSERT INTO etsy_receipts AS r (receipt_id, status, is_paid, "
	  "is_shipped, created_ts, updated_ts, buyer_user_id, buyer_email, "
	  "country, currency, grandtotal_cents, subtotal_cents, "
	  "shipping_cents, tax_cents, vat_cents, discount_cents, "
	  "refunded_cents, fees_cents, message_from_buyer, etsy_carrier, "
	  "etsy_tracking) VALUES ($1::bigint, $2, $3::boolean, $4::boolean, "
	  "$5::bigint, $6::bigint, $7::bigint, $8, $9, $10, $11::bigint, "
	  "$12::bigint, $13::bigint, $14::bigint, $15::bigint, $16::bigint, "
	  "$17::bigint, $18::bigint, $19, $20, $21) ON CONFLICT (receipt_id) "
	  "DO UPDATE SET status = EXCLUDED.status, is_paid = "
	  "EXCLUDED.is_paid, is_shipped = EXCLUDED.is_shipped, updated_ts = "
	  "EXCLUDED.updated_ts, buyer_email = EXCLUDED.buyer_email, country "
	  "= EXCLUDED.country, grandtotal_cents = EXCLUDED.grandtotal_cents, "
	  "subtotal_cents = EXCLUDED.subtotal_cents, shipping_cents = "
	  "EXCLUDED.shipping_cents, tax_cents = EXCLUDED.tax_cents, "
	  "vat_cents = EXCLUDED.vat_cents, discount_cents = "
	  "EXCLUDED.discount_cents, refunded_cents = EXCLUDED.refunded_cents, "
	  "fees_cents = EXCLUDED.fees_cents, message_from_buyer = "
	  "EXCLUDED.message_from_buyer, etsy_carrier = coalesce("
	  "EXCLUDED.etsy_carrier, r.etsy_carrier), etsy_tracking = coalesce("
	  "EXCLUDED.etsy_tracking, r.etsy_tracking), synced_at = now()", 21 },
	{ "etsy_line_put",
	  "INSERT INTO etsy_lines (transaction_id, receipt_id, position, "
	  "listing_id, etsy_product_id, sku, title, quantity, "
	  "unit_price_cents, variations, variation_key, personalisation) "
	  "VALUES ($1::bigint, $2::bigint, $3::integer, $4::bigint, "
	  "$5::bigint, $6, $7, $8::integer, $9::bigint, $10::jsonb, $11, $12) "
	  "ON CONFLICT (transaction_id) DO UPDATE SET title = "
	  "EXCLUDED.title, quantity = EXCLUDED.quantity, unit_price_cents = "
	  "EXCLUDED.unit_price_cents, personalisation = "
	  "EXCLUDED.personalisation", 12 },
	/* a line's product: its SKU first, then a rule for its variation,
	   then a rule for the whole listing */
	{ "etsy_map_sku",
	  "UPDATE etsy_lines l SET product_id = p.id, mapped_by = 'sku' FROM "
	  "products p WHERE l.receipt_id = $1::bigint AND l.product_id IS "
	  "NULL AND l.sku <> '' AND lower(p.sku) = lower(l.sku) AND "
	  "p.active", 1 },
	{ "etsy_map_rules",
	  "UPDATE etsy_lines l SET (product_id, mapped_by, mapping_id, "
	  "material, color) = (SELECT m.product_id, 'rule', m.id, m.material, "
	  "m.color FROM etsy_mappings m WHERE m.listing_id = l.listing_id AND "
	  "m.variation_key IN (l.variation_key, '') ORDER BY m.variation_key "
	  "= '' LIMIT 1) WHERE l.receipt_id = $1::bigint AND l.product_id IS "
	  "NULL AND EXISTS (SELECT 1 FROM etsy_mappings m WHERE m.listing_id "
	  "= l.listing_id AND m.variation_key IN (l.variation_key, ''))", 1 },
	{ "etsy_lines_of",
	  "SELECT l.transaction_id, l.position, l.title, l.quantity, "
	  "l.unit_price_cents, l.variations, l.personalisation, l.product_id, "
	  "l.material, l.color, l.order_line_id, p.name AS product_name FROM "
	  "etsy_lines l LEFT JOIN products p ON p.id = l.product_id WHERE "
	  "l.receipt_id = $1::bigint ORDER BY l.position", 1 },
	{ "etsy_customer_find",
	  "SELECT id FROM customers WHERE anonymised_at IS NULL AND ((source "
	  "= 'etsy' AND external_id = $1) OR ($2::text IS NOT NULL AND "
	  "lower(email) = lower($2))) ORDER BY (source = 'etsy' AND "
	  "external_id = $1) DESC, id LIMIT 1", 2 },
	{ "etsy_receipt_order",
	  "UPDATE etsy_receipts SET order_id = $2::bigint WHERE receipt_id = "
	  "$1::bigint", 2 },
	{ "etsy_order_lines",
	  "SELECT id, position FROM sales_order_lines WHERE order_id = "
	  "$1::bigint ORDER BY position", 1 },
	{ "etsy_line_link",
	  "UPDATE etsy_lines SET order_line_id = $2::bigint WHERE "
	  "transaction_id = $1::bigint", 2 },
	{ "etsy_line_personal",
	  "UPDATE sales_order_lines SET personalisation = $2 WHERE id = "
	  "$1::bigint", 2 },
	{ "etsy_order_fees",
	  "UPDATE sales_orders SET fees_cents = $2::bigint, fees_estimated = "
	  "true WHERE id = $1::bigint", 2 },
	{ "etsy_order_address",
	  "UPDATE sales_orders SET ship_name = $2, ship_street = $3, "
	  "ship_postal_code = $4, ship_city = $5, ship_country = $6, "
	  "updated_at = now() WHERE id = $1::bigint AND status NOT IN "
	  "('shipped', 'completed', 'cancelled') AND (ship_name, ship_street, "
	  "ship_postal_code, ship_city, ship_country) IS DISTINCT FROM ($2, "
	  "$3, $4, $5, $6) RETURNING id", 6 },
	{ "etsy_attention",
	  "UPDATE etsy_receipts SET attention = left($2, 500) WHERE "
	  "receipt_id = $1::bigint AND attention IS DISTINCT FROM $2", 2 },
	{ "etsy_ship_of",
	  "SELECT r.receipt_id, r.is_shipped, r.push_state, o.carrier, "
	  "o.tracking_number, o.number FROM etsy_receipts r JOIN sales_orders "
	  "o ON o.id = r.order_id WHERE r.order_id = $1::bigint FOR UPDATE OF "
	  "r", 1 },
	{ "etsy_pushed",
	  "UPDATE etsy_receipts SET push_state = $2, push_error = left($3, "
	  "1000), pushed_at = CASE WHEN $2 = 'pushed' THEN now() ELSE "
	  "pushed_at END, is_shipped = is_shipped OR $2 = 'pushed', "
	  "etsy_carrier = CASE WHEN $2 = 'pushed' THEN $4 ELSE etsy_carrier "
	  "END, etsy_tracking = CASE WHEN $2 = 'pushed' THEN $5 ELSE "
	  "etsy_tracking END WHERE receipt_id = $1::bigint", 5 },
};

enum { ST_ACCOUNT, ST_ACCOUNT_LOCK, ST_TOKENS, ST_REVOKED, ST_LIMITS,
    ST_SYNC_START, ST_SYNC_PROGRESS, ST_SYNCED, ST_CURRENCY,
    ST_RECEIPT_LOCK, ST_RECEIPT_PUT, ST_LINE_PUT, ST_MAP_SKU, ST_MAP_RULES,
    ST_LINES_OF, ST_CUSTOMER_FIND, ST_RECEIPT_ORDER, ST_ORDER_LINES,
    ST_LINE_LINK, ST_LINE_PERSONAL, ST_ORDER_FEES, ST_ORDER_ADDRESS,
    ST_ATTENTION, ST_SHIP_OF, ST_PUSHED, ST_COUNT };
_Static_assert(sizeof(sync_stmts) / sizeof(sync_stmts[0]) == ST_COUNT,
    "sync_stmts and its names differ");

const struct resource etsy_sync_resource = {
	"etsy_sync", NULL, 0, sync_stmts, ST_COUNT,
};

/* ---- the connection ---- */

/* A sealed column of the account, opened; NULL (err set) when bad. */
static char *
etsy_unseal(struct req *r, struct etsy_conn *c, const char *col,
    const char *ctx)
{
	const char	*sealed = json_row_str(c->account, col);
	size_t		 len;

	if (sealed == NULL) {
		err_set(&r->err, ERR_CONFLICT, "Etsy is not connected");
		return NULL;
	}
	return secret_open(r->arena, c->secret, ctx, sealed, &len, &r->err);
}

int
etsy_conn_open(struct req *r, const struct secret *sec, int lock,
    struct etsy_conn *c)
{
	const char	*margin, *shared;

	memset(c, 0, sizeof(*c));
	c->secret = sec;
	margin = record_int(r, ETSY_REFRESH_MARGIN_S);
	if (db_one(r->db, r->arena, &sync_stmts[lock ? ST_ACCOUNT_LOCK :
	    ST_ACCOUNT], &margin, &c->account, &r->err) != 0)
		return r->err.code;
	if (json_row_str(c->account, "keystring") == NULL ||
	    json_row_str(c->account, "shared_secret") == NULL)
		return err_set(&r->err, ERR_CONFLICT, "the Etsy app's keystring "
		    "and shared secret are not set");
	if ((shared = etsy_unseal(r, c, "shared_secret",
	    "etsy:shared_secret")) == NULL)
		return r->err.code;
	if (etsy_client_open(&c->client, r->arena, r->cfg->etsy_api_url,
	    json_row_str(c->account, "keystring"), shared, &r->err) != 0)
		return r->err.code;
	c->client.timeout_ms = r->cfg->etsy_timeout_s * 1000;
	c->open = 1;
	return 0;
}

void
etsy_conn_close(struct etsy_conn *c)
{
	if (c->open)
		etsy_client_close(&c->client);
	c->open = 0;
}

int
etsy_store_tokens(struct req *r, struct etsy_conn *c,
    const struct etsy_token *t)
{
	const char	*p[3];

	p[0] = secret_seal(r->arena, c->secret, "etsy:access",
	    t->access_token, strlen(t->access_token));
	p[1] = secret_seal(r->arena, c->secret, "etsy:refresh",
	    t->refresh_token, strlen(t->refresh_token));
	p[2] = record_int(r, t->expires_in);
	c->client.bearer = arena_strdup(r->arena, t->access_token);
	return db_exec(r->db, r->arena, &sync_stmts[ST_TOKENS], p, NULL,
	    &r->err);
}

/* Marks the account revoked (its own transaction) with why. */
static int
etsy_mark_revoked(struct req *r, const char *why)
{
	struct err	 keep = r->err;

	err_clear(&r->err);
	if (db_begin(r->db, &r->err) == 0 && db_exec(r->db, r->arena,
	    &sync_stmts[ST_REVOKED], &why, NULL, &r->err) == 0 &&
	    req_audit(r, "revoked", "etsy", "account", NULL, arena_json(
	    r->arena, json_pack("{s:s}", "reason", why))) == 0 &&
	    db_commit(r->db, &r->err) == 0)
		log_kv(LOG_WARN, "etsy connection revoked", "reason", why,
		    NULL);
	else
		db_rollback(r->db);
	r->err = keep;
	return err_set(&r->err, ERR_CONFLICT, "%s", why);
}

int
etsy_conn_token(struct req *r, struct etsy_conn *c)
{
	struct etsy_reply	 rep;
	struct etsy_token	 t;
	struct etsy_error	 ee;
	const char		*refresh, *form;

	if (strcmp(json_row_str(c->account, "status"), "connected") != 0)
		return err_set(&r->err, ERR_CONFLICT, "Etsy is not connected "
		    "(%s)", json_row_str(c->account, "status"));
	if (!json_is_true(json_object_get(c->account, "stale"))) {
		if (c->client.bearer == NULL)
			c->client.bearer = etsy_unseal(r, c, "access_token",
			    "etsy:access");
		return c->client.bearer != NULL ? 0 : r->err.code;
	}
	if ((refresh = etsy_unseal(r, c, "refresh_token", "etsy:refresh")) ==
	    NULL)
		return r->err.code;
	form = arena_printf(r->arena, "grant_type=refresh_token&client_id=%s&"
	    "refresh_token=%s", etsy_escape(r->arena, json_row_str(
	    c->account, "keystring")), etsy_escape(r->arena, refresh));
	c->client.bearer = NULL;
	if (etsy_request(&c->client, r->arena, "POST", "/v3/public/oauth/token",
	    form, &rep, &r->err) != 0)
		return r->err.code;
	if (rep.status != 200) {
		etsy_error_parse(rep.body, rep.len, 1, &ee);
		if (ee.kind == ETSY_ERR_REVOKED)
			return etsy_mark_revoked(r, arena_printf(r->arena,
			    "Etsy refused the refresh token (%s%s%s): "
			    "reconnect Etsy", ee.code, *ee.description != '\0' ?
			    ": " : "", ee.description));
		return err_set(&r->err, ERR_UNAVAILABLE, "Etsy's token "
		    "endpoint answered %ld: %s %s", rep.status, ee.code,
		    ee.description);
	}
	if (etsy_token_parse(rep.body, rep.len, &t, &r->err) != 0)
		return r->err.code;
	/* the new refresh token replaces the old one at once: Etsy has
	   already forgotten the old one */
	if (db_begin(r->db, &r->err) != 0)
		return r->err.code;
	if (etsy_store_tokens(r, c, &t) != 0 || req_audit(r,
	    "token_refreshed", "etsy", "account", NULL, NULL) != 0 ||
	    db_commit(r->db, &r->err) != 0) {
		db_rollback(r->db);
		return r->err.code;
	}
	json_object_set_new(c->account, "stale", json_false());
	return 0;
}

/*
 * An API request with the access token: an answer of 401 refreshes the
 * token once and asks again.
 */
static int
etsy_call(struct req *r, struct etsy_conn *c, const char *method,
    const char *path, const char *form, struct etsy_reply *rep)
{
	const char	*p[2];
	int		 again;

	for (again = 0; again < 2; again++) {
		if (etsy_conn_token(r, c) != 0 || etsy_request(&c->client,
		    r->arena, method, path, form, rep, &r->err) != 0)
			return r->err.code;
		if (rep->status != 401)
			break;
		json_object_set_new(c->account, "stale", json_true());
	}
	if (c->client.rate.remaining_day >= 0) {
		p[0] = record_int(r, c->client.rate.per_day);
		p[1] = record_int(r, c->client.rate.remaining_day);
		db_exec(r->db, r->arena, &sync_stmts[ST_LIMITS], p, NULL,
		    &r->err);
	}
	return 0;
}

/* ---- one receipt ---- */

struct sync_run {
	struct req		*r;
	struct job		*job;
	struct etsy_conn	*c;
	long long		 id;
	int			 pages, total, created, updated, unmapped;
	int			 skipped, page_lost;
	json_t			*errors;
	json_t			*digits;	/* currency -> minor digits */
};

/* Notes a problem of the run (the first ETSY_SYNC_ERRORS are kept). */
#define ETSY_SYNC_ERRORS	50

static void
sync_error(struct sync_run *s, long long receipt_id, const char *what)
{
	log_kv(LOG_WARN, "etsy sync", "receipt_id", record_int(s->r,
	    receipt_id), "error", what, NULL);
	if (json_array_size(s->errors) < ETSY_SYNC_ERRORS)
		json_array_append_new(s->errors, receipt_id > 0 ? json_pack(
		    "{s:I, s:s}", "receipt_id", (json_int_t)receipt_id,
		    "error", what) : json_pack("{s:s}", "error", what));
}

/* Minor units of m in a currency of digits; -1 when not exact. */
static int
sync_cents(const struct etsy_money *m, int digits, long long *out)
{
	int64_t	v;

	if (m->divisor == 0) {
		*out = 0;
		return 0;
	}
	if (etsy_money_minor(m, digits, &v) != 0)
		return -1;
	*out = v;
	return 0;
}

/* "Colour=Red|Size=M": the variations by name, the key of a rule. */
static const char *
sync_variation_key(struct arena *a, const struct etsy_transaction *t,
    json_t **list)
{
	const struct etsy_variation	*v[ETSY_VARIATIONS_MAX], *x;
	struct buf			 b;
	size_t				 i, j;
	const char			*key;

	*list = arena_json(a, json_array());
	for (i = 0; i < t->nvariations && i < ETSY_VARIATIONS_MAX; i++) {
		x = &t->variations[i];
		for (j = i; j > 0 && strcmp(v[j - 1]->name, x->name) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
		json_array_append_new(*list, json_pack("{s:s, s:s}", "name",
		    x->name, "value", x->value));
	}
	buf_init(&b, 4096);
	for (j = 0; j < i; j++)
		buf_printf(&b, "%s%s=%s", j > 0 ? "|" : "", v[j]->name,
		    v[j]->value);
	buf_addc(&b, '\0');
	key = arena_strdup(a, b.data != NULL ? b.data : "");
	buf_free(&b);
	return key;
}

/* Text cut to max characters' worth of bytes on a UTF-8 boundary. */
static const char *
sync_cut(struct arena *a, const char *s, size_t max)
{
	size_t	n = strlen(s);

	if (n <= max)
		return s;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return arena_strndup(a, s, max);
}

static const char *
sync_opt(struct arena *a, const char *s, size_t max)
{
	return s == NULL || *s == '\0' ? NULL : sync_cut(a, s, max);
}

/*
 * The buyer's text, or NULL: Etsy fills an optional personalisation the
 * buyer left empty with a sentence of its own.
 */
static const char *
sync_personal(struct arena *a, const char *s)
{
	if (s == NULL || strcasecmp(s, "Not requested on this item.") == 0)
		return NULL;
	return sync_opt(a, s, 1024);
}

/* The receipt's figures in minor units; -1 with err when inexact. */
struct receipt_cents {
	long long	grand, total, sub, shipping, tax, vat, discount;
	long long	refunded, fees;
	int		digits;
};

static int
sync_receipt_cents(struct sync_run *s, const struct etsy_receipt *rc,
    struct receipt_cents *m)
{
	struct req	*r = s->r;
	json_t		*row;
	const char	*cur = rc->grandtotal.currency;
	long long	 items = 0, q = 0;
	size_t		 i;

	/* a shop sells in few currencies: each is looked up once a run */
	if ((row = json_object_get(s->digits, cur)) == NULL) {
		if (db_one(r->db, r->arena, &sync_stmts[ST_CURRENCY], &cur,
		    &row, &r->err) != 0)
			return -1;
		if (row == NULL) {
			err_set(&r->err, ERR_INVALID, "unknown currency \"%s\"",
			    cur);
			return -1;
		}
		json_object_set(s->digits, cur, row);
	}
	m->digits = (int)json_row_int(row, "minor_digits");
	if (sync_cents(&rc->grandtotal, m->digits, &m->grand) != 0 ||
	    sync_cents(&rc->total_price, m->digits, &m->total) != 0 ||
	    sync_cents(&rc->subtotal, m->digits, &m->sub) != 0 ||
	    sync_cents(&rc->total_shipping_cost, m->digits,
	    &m->shipping) != 0 ||
	    sync_cents(&rc->total_tax_cost, m->digits, &m->tax) != 0 ||
	    sync_cents(&rc->total_vat_cost, m->digits, &m->vat) != 0 ||
	    sync_cents(&rc->discount_amt, m->digits, &m->discount) != 0 ||
	    sync_cents(&rc->refunds, m->digits, &m->refunded) != 0) {
		err_set(&r->err, ERR_INVALID, "an amount is not a whole "
		    "number of %s minor units", cur);
		return -1;
	}
	for (i = 0; i < rc->ntransactions; i++)
		q += rc->transactions[i].quantity;
	items = m->sub + m->shipping;
	/* Etsy's fees, estimated: transaction % of items and shipping,
	   payment processing % of the total plus a fixed part, and the
	   listing renewed for every item sold */
	m->fees = (items * json_row_int(s->c->account, "fee_transaction_bp") +
	    5000) / 10000 + (m->grand * json_row_int(s->c->account,
	    "fee_processing_bp") + 5000) / 10000 + json_row_int(s->c->account,
	    "fee_processing_fixed_cents") + q * json_row_int(s->c->account,
	    "fee_listing_cents");
	return 0;
}

/* Stores the receipt row and its lines, their products found. */
static int
sync_put(struct sync_run *s, const struct etsy_receipt *rc,
    const struct receipt_cents *m)
{
	struct req			*r = s->r;
	const struct etsy_transaction	*t;
	const char			*p[21], *key, *rid;
	json_t				*vars;
	long long			 unit;
	size_t				 i;

	rid = record_int(r, rc->receipt_id);
	p[0] = rid;
	p[1] = etsy_status_name(rc->status);
	p[2] = rc->is_paid ? "true" : "false";
	p[3] = rc->is_shipped ? "true" : "false";
	p[4] = record_int(r, rc->created);
	p[5] = record_int(r, rc->updated);
	p[6] = rc->buyer_user_id > 0 ? record_int(r, rc->buyer_user_id) : NULL;
	p[7] = sync_opt(r->arena, rc->buyer_email, 254);
	p[8] = rc->country_iso[0] != '\0' ? rc->country_iso : NULL;
	p[9] = rc->grandtotal.currency;
	p[10] = record_int(r, m->grand);
	p[11] = record_int(r, m->sub);
	p[12] = record_int(r, m->shipping);
	p[13] = record_int(r, m->tax);
	p[14] = record_int(r, m->vat);
	p[15] = record_int(r, m->discount);
	p[16] = record_int(r, m->refunded);
	p[17] = record_int(r, m->fees);
	p[18] = sync_opt(r->arena, rc->message_from_buyer, 4000);
	p[19] = p[20] = NULL;
	if (rc->nshipments > 0) {
		p[19] = sync_opt(r->arena, rc->shipments[rc->nshipments -
		    1].carrier_name, 100);
		p[20] = sync_opt(r->arena, rc->shipments[rc->nshipments -
		    1].tracking_code, 100);
	}
	if (db_exec(r->db, r->arena, &sync_stmts[ST_RECEIPT_PUT], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	for (i = 0; i < rc->ntransactions; i++) {
		t = &rc->transactions[i];
		if (sync_cents(&t->price, m->digits, &unit) != 0)
			return err_set(&r->err, ERR_INVALID, "transaction %lld: "
			    "the price is not a whole number of minor units",
			    (long long)t->transaction_id);
		key = sync_variation_key(r->arena, t, &vars);
		p[0] = record_int(r, t->transaction_id);
		p[1] = rid;
		p[2] = record_int(r, (long long)i + 1);
		p[3] = record_int(r, t->listing_id);
		p[4] = t->product_id > 0 ? record_int(r, t->product_id) : NULL;
		p[5] = t->sku;
		p[6] = *t->title != '\0' ? sync_cut(r->arena, t->title, 500) :
		    arena_printf(r->arena, "Etsy listing %lld",
		    (long long)t->listing_id);
		p[7] = record_int(r, t->quantity);
		p[8] = record_int(r, unit);
		p[9] = arena_json_text(r->arena, vars);
		p[10] = sync_cut(r->arena, key, 500);
		p[11] = sync_personal(r->arena, t->personalisation);
		if (db_exec(r->db, r->arena, &sync_stmts[ST_LINE_PUT], p, NULL,
		    &r->err) != 0)
			return r->err.code;
	}
	if (db_exec(r->db, r->arena, &sync_stmts[ST_MAP_SKU], &rid, NULL,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &sync_stmts[ST_MAP_RULES], &rid, NULL, &r->err) != 0)
		return r->err.code;
	return 0;
}

/* The request's body as a background request reads it. */
static void
sync_body(struct req *r, json_t *in)
{
	r->input = in;
	r->args = in;
}

static void
sync_set(json_t *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(o, k, json_string(v));
}

/* The street of an Etsy address: its two lines. */
static const char *
sync_street(struct arena *a, const struct etsy_receipt *rc)
{
	if (*rc->first_line == '\0')
		return NULL;
	if (*rc->second_line == '\0')
		return sync_cut(a, rc->first_line, 200);
	return sync_cut(a, arena_printf(a, "%s, %s", rc->first_line,
	    rc->second_line), 200);
}

/* The buyer as a customer: by Etsy buyer id, then e-mail, else new. */
static int
sync_customer(struct sync_run *s, const struct etsy_receipt *rc,
    long long *id)
{
	struct req	*r = s->r;
	json_t		*row, *in;
	const char	*p[2], *street, *zip;

	p[0] = record_int(r, rc->buyer_user_id);
	p[1] = sync_opt(r->arena, rc->buyer_email, 254);
	if (db_one(r->db, r->arena, &sync_stmts[ST_CUSTOMER_FIND], p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row != NULL) {
		*id = json_row_int(row, "id");
		return 0;
	}
	in = arena_json(r->arena, json_object());
	json_object_set_new(in, "name", json_string(*rc->name != '\0' ?
	    sync_cut(r->arena, rc->name, 200) : arena_printf(r->arena,
	    "Etsy buyer %lld", (long long)rc->buyer_user_id)));
	json_object_set_new(in, "external_id", json_string(p[0]));
	sync_set(in, "email", p[1]);
	street = sync_street(r->arena, rc);
	zip = strlen(rc->zip) <= 16 ? rc->zip : "";
	if (street != NULL && *zip != '\0' && *rc->city != '\0' &&
	    rc->country_iso[0] != '\0') {
		sync_set(in, "shipping_street", street);
		sync_set(in, "shipping_postal_code", zip);
		sync_set(in, "shipping_city", sync_cut(r->arena,
		    rc->city, 100));
		sync_set(in, "shipping_country", rc->country_iso);
	}
	sync_body(r, in);
	if (customers_make_from(r, "etsy", &row) == ERR_INVALID) {
		/* an address or e-mail our rules refuse: the buyer by name */
		err_clear(&r->err);
		in = arena_json(r->arena, json_pack("{s:O, s:O}", "name",
		    json_object_get(in, "name"), "external_id",
		    json_object_get(in, "external_id")));
		sync_body(r, in);
		customers_make_from(r, "etsy", &row);
	}
	if (r->err.code != ERR_OK)
		return r->err.code;
	*id = json_row_int(row, "id");
	return 0;
}

/* The order's shipping address from the receipt, as far as it goes. */
static void
sync_address(struct req *r, const struct etsy_receipt *rc, const char **p)
{
	p[0] = sync_opt(r->arena, rc->name, 200);
	p[1] = sync_street(r->arena, rc);
	p[2] = *rc->zip != '\0' && strlen(rc->zip) <= 16 ? rc->zip : NULL;
	p[3] = sync_opt(r->arena, rc->city, 100);
	p[4] = rc->country_iso[0] != '\0' ? rc->country_iso : NULL;
}

/*
 * The sales order of a paid receipt whose stored lines are etsy; *order
 * gets its id.
 */
static int
sync_order(struct sync_run *s, const struct etsy_receipt *rc,
    const struct receipt_cents *m, json_t *etsy, long long *order)
{
	struct req	*r = s->r;
	json_t		*in, *lines, *line, *olines, *ol;
	const char	*addr[5], *p[2], *rid = record_int(r, rc->receipt_id);
	const char	*vat = json_row_str(s->c->account, "vat_rate");
	long long	 cust = 0, disc;
	char		 day[16];
	time_t		 when = (time_t)rc->created;
	struct tm	 tm;
	size_t		 i, k;

	if (sync_customer(s, rc, &cust) != 0)
		return r->err.code;
	gmtime_r(&when, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	/* a coupon (discount_amt) is a share of every item line */
	disc = m->total > 0 && m->discount > 0 ? (m->discount * 10000 +
	    m->total / 2) / m->total : 0;
	if (disc > 10000)
		disc = 10000;
	lines = json_array();
	json_array_foreach(etsy, i, line) {
		ol = json_pack("{s:s, s:O, s:O, s:s, s:I}", "description",
		    json_row_str(line, "title"), "quantity", json_object_get(
		    line, "quantity"), "unit_price_cents", json_object_get(line,
		    "unit_price_cents"), "vat_rate", vat, "discount_bp",
		    (json_int_t)disc);
		if (json_row_int(line, "product_id") > 0)
			json_object_set(ol, "product_id", json_object_get(line,
			    "product_id"));
		json_array_append_new(lines, ol);
	}
	if (m->shipping > 0)
		json_array_append_new(lines, json_pack("{s:s, s:i, s:I, s:s}",
		    "description", "Shipping (Etsy)", "quantity", 1,
		    "unit_price_cents", (json_int_t)m->shipping, "vat_rate",
		    vat));
	in = arena_json(r->arena, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}",
	    "customer_id", (json_int_t)cust, "source", "etsy", "external_id",
	    rid, "currency", rc->grandtotal.currency, "order_date", day,
	    "lines", lines));
	sync_address(r, rc, addr);
	sync_set(in, "ship_name", addr[0]);
	sync_set(in, "ship_street", addr[1]);
	sync_set(in, "ship_postal_code", addr[2]);
	sync_set(in, "ship_city", addr[3]);
	sync_set(in, "ship_country", addr[4]);
	sync_set(in, "notes", sync_opt(r->arena,
	    rc->message_from_buyer, 4000));
	sync_body(r, in);
	if (orders_make(r, in, order) != 0)
		return r->err.code;
	p[0] = rid;
	p[1] = record_int(r, *order);
	if (db_exec(r->db, r->arena, &sync_stmts[ST_RECEIPT_ORDER], p, NULL,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &sync_stmts[ST_ORDER_LINES], &p[1], &olines, &r->err) != 0)
		return r->err.code;
	/* the order's lines are the receipt's, in its order */
	json_array_foreach(etsy, i, line) {
		k = i;
		if (k >= json_array_size(olines))
			break;
		ol = json_array_get(olines, k);
		p[0] = record_int(r, json_row_int(line, "transaction_id"));
		p[1] = record_int(r, json_row_int(ol, "id"));
		if (db_exec(r->db, r->arena, &sync_stmts[ST_LINE_LINK], p, NULL,
		    &r->err) != 0)
			return r->err.code;
		if (json_row_str(line, "personalisation") == NULL)
			continue;
		p[0] = p[1];
		p[1] = json_row_str(line, "personalisation");
		if (db_exec(r->db, r->arena, &sync_stmts[ST_LINE_PERSONAL], p,
		    NULL, &r->err) != 0)
			return r->err.code;
	}
	p[0] = record_int(r, *order);
	p[1] = record_int(r, m->fees);
	return db_exec(r->db, r->arena, &sync_stmts[ST_ORDER_FEES], p, NULL,
	    &r->err);
}

/* A receipt Etsy cancelled or refunded in full. */
static int
sync_cancelled(const struct etsy_receipt *rc)
{
	return rc->status == ETSY_CANCELED ||
	    rc->status == ETSY_FULLY_REFUNDED;
}

/* What changed on Etsy, carried to the order; 1 when something did. */
static int
sync_changes(struct sync_run *s, const struct etsy_receipt *rc,
    long long order, const char *status)
{
	struct req	*r = s->r;
	const char	*addr[6], *p[2];
	json_t		*row;

	if (sync_cancelled(rc)) {
		if (strcmp(status, "draft") == 0 ||
		    strcmp(status, "confirmed") == 0)
			return orders_move(r, order, "cancelled") == 0 ? 1 : -1;
		if (strcmp(status, "cancelled") == 0)
			return 0;
		p[0] = record_int(r, rc->receipt_id);
		p[1] = arena_printf(r->arena, "%s on Etsy while the order is "
		    "%s: stop or refund it by hand", etsy_status_name(
		    rc->status), status);
		return db_exec(r->db, r->arena, &sync_stmts[ST_ATTENTION], p,
		    NULL, &r->err) == 0 ? 1 : -1;
	}
	addr[0] = record_int(r, order);
	sync_address(r, rc, &addr[1]);
	if (db_one(r->db, r->arena, &sync_stmts[ST_ORDER_ADDRESS], addr, &row,
	    &r->err) != 0)
		return -1;
	if (row != NULL)
		return req_audit(r, "etsy_address", "order", addr[0], NULL,
		    arena_json(r->arena, json_pack("{s:s?, s:s?, s:s?, s:s?, "
		    "s:s?}", "ship_name", addr[1], "ship_street", addr[2],
		    "ship_postal_code", addr[3], "ship_city", addr[4],
		    "ship_country", addr[5]))) == 0 ? 1 : -1;
	return 0;
}

enum outcome { SAME, NEW_ORDER, CHANGED, STORED };

/* One receipt in one transaction. */
static int
sync_receipt(struct sync_run *s, const struct etsy_receipt *rc,
    enum outcome *out, long long *confirm)
{
	struct req		*r = s->r;
	struct receipt_cents	 m;
	json_t			*old, *lines, *line;
	const char		*rid = record_int(r, rc->receipt_id);
	long long		 order = 0;
	size_t			 i;
	int			 ch;

	*out = STORED;
	*confirm = 0;
	if (db_begin(r->db, &r->err) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &sync_stmts[ST_RECEIPT_LOCK], &rid, &old,
	    &r->err) != 0)
		goto fail;
	if (old != NULL && json_row_int(old, "updated_ts") == rc->updated &&
	    (json_row_int(old, "order_id") > 0 || !rc->is_paid ||
	    sync_cancelled(rc))) {
		db_rollback(r->db);
		*out = SAME;
		return 0;
	}
	if (sync_receipt_cents(s, rc, &m) != 0 || sync_put(s, rc, &m) != 0 ||
	    db_exec(r->db, r->arena, &sync_stmts[ST_LINES_OF], &rid, &lines,
	    &r->err) != 0)
		goto fail;
	if (old != NULL && json_row_int(old, "order_id") > 0) {
		order = json_row_int(old, "order_id");
		if ((ch = sync_changes(s, rc, order, json_row_str(old,
		    "order_status"))) < 0)
			goto fail;
		*out = CHANGED;
	} else if (rc->is_paid && !sync_cancelled(rc)) {
		if (sync_order(s, rc, &m, lines, &order) != 0)
			goto fail;
		*out = NEW_ORDER;
		*confirm = order;
	}
	json_array_foreach(lines, i, line)
		if (json_row_int(line, "product_id") == 0) {
			s->unmapped++;
			*confirm = 0;
		}
	if (!json_is_true(json_object_get(s->c->account, "auto_confirm")))
		*confirm = 0;
	if (db_commit(r->db, &r->err) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(r->db);
	return r->err.code;
}

/* Confirms a new order whose lines all found their product. */
static void
sync_confirm(struct sync_run *s, long long receipt_id, long long order)
{
	struct req	*r = s->r;
	char		 why[300];

	if (db_begin(r->db, &r->err) == 0 && orders_confirm(r, order) == 0 &&
	    db_commit(r->db, &r->err) == 0)
		return;
	db_rollback(r->db);
	err_line(why, sizeof(why), &r->err);
	sync_error(s, receipt_id, arena_printf(r->arena, "the order stays a "
	    "draft: %s", why));
	err_clear(&r->err);
}

/* ---- the run ---- */

static void
sync_save(struct sync_run *s, const char *status)
{
	struct req	*r = s->r;
	struct err	 keep = r->err;
	const char	*p[10];

	err_clear(&r->err);
	p[0] = record_int(r, s->id);
	p[1] = record_int(r, s->pages);
	p[2] = record_int(r, s->c->client.requests);
	p[3] = record_int(r, s->total);
	p[4] = record_int(r, s->created);
	p[5] = record_int(r, s->updated);
	p[6] = record_int(r, s->unmapped);
	p[7] = record_int(r, s->skipped);
	p[8] = arena_json_text(r->arena, s->errors);
	p[9] = status;
	db_exec(r->db, r->arena, &sync_stmts[ST_SYNC_PROGRESS], p, NULL,
	    &r->err);
	req_publish(r, "etsy", json_pack("{s:s, s:I, s:s, s:i, s:i, s:i, "
	    "s:i, s:i}", "type", "etsy_sync", "id", (json_int_t)s->id,
	    "status", status, "pages", s->pages, "total_receipts", s->total,
	    "new_orders", s->created, "updated_orders", s->updated,
	    "unmapped_lines", s->unmapped));
	r->err = keep;
}

/* Reads and stores every page; 0, or the error that ended the run. */
static int
sync_pages(struct sync_run *s, long long since)
{
	struct req		*r = s->r;
	struct etsy_reply	 rep;
	struct etsy_page	 page;
	struct etsy_error	 ee;
	enum outcome		 out;
	long long		 offset = 0, count = -1, confirm;
	char			 why[300];
	size_t			 i;
	const char		*path;

	for (;;) {
		/* the last answer said so: asking more would only be refused */
		if (s->c->client.rate.remaining_day == 0)
			return err_set(&r->err, ERR_UNAVAILABLE, "Etsy's "
			    "requests for today are used up (%ld a day); the "
			    "sync goes on when Etsy allows more",
			    s->c->client.rate.per_day);
		path = arena_printf(r->arena, "/v3/application/shops/%lld/"
		    "receipts?min_last_modified=%lld&limit=%d&offset=%lld&"
		    "sort_on=updated&sort_order=asc", json_row_int(
		    s->c->account, "shop_id"), since, ETSY_PAGE_MAX, offset);
		if (etsy_call(r, s->c, "GET", path, NULL, &rep) != 0)
			return r->err.code;
		if (rep.status != 200) {
			etsy_error_parse(rep.body, rep.len, 0, &ee);
			return err_set(&r->err, ERR_UNAVAILABLE, "Etsy answered "
			    "%ld to the receipts at offset %lld: %s %s",
			    rep.status, offset, ee.code, ee.description);
		}
		s->pages++;
		if (etsy_receipts_page(rep.body, rep.len, r->arena, &page,
		    &r->err) != 0) {
			err_line(why, sizeof(why), &r->err);
			err_clear(&r->err);
			sync_error(s, 0, arena_printf(r->arena, "the page at "
			    "offset %lld was skipped: %s", offset, why));
			s->page_lost = 1;
			if (count < 0)
				return err_set(&r->err, ERR_UNAVAILABLE, "the "
				    "first page of receipts could not be read");
			offset += ETSY_PAGE_MAX;
			if (offset >= count)
				return 0;
			continue;
		}
		count = page.count;
		for (i = 0; i < page.nbad; i++) {
			s->skipped++;
			sync_error(s, page.bad[i].receipt_id, arena_printf(
			    r->arena, "skipped: %s", page.bad[i].reason));
		}
		for (i = 0; i < page.nreceipts; i++) {
			s->total++;
			if (sync_receipt(s, &page.receipts[i], &out,
			    &confirm) != 0) {
				err_line(why, sizeof(why), &r->err);
				err_clear(&r->err);
				s->skipped++;
				sync_error(s, page.receipts[i].receipt_id, why);
				continue;
			}
			if (out == NEW_ORDER)
				s->created++;
			else if (out == CHANGED)
				s->updated++;
			if (confirm > 0)
				sync_confirm(s, page.receipts[i].receipt_id,
				    confirm);
		}
		offset += (long long)(page.nreceipts + page.nbad);
		jobs_progress(s->job, count > 0 ? (int)(offset * 100 /
		    (count > offset ? count : offset)) : 100,
		    arena_printf(r->arena, "%lld of %lld receipts", offset,
		    count));
		sync_save(s, "running");
		if (page.nreceipts + page.nbad == 0 || offset >= count)
			return 0;
	}
}

int
etsy_sync_job(struct job *j, json_t **result, struct err *e)
{
	struct req	 r;
	struct secret	 sec;
	struct etsy_conn c;
	struct sync_run	 s;
	const char	*trigger, *p[4];
	long long	 since, until;
	char		 why[300];
	int		 rc;

	req_background(&r, j->arena, j->cfg, j->db, "etsy");
	trigger = json_row_str(j->args, "trigger");
	trigger = trigger != NULL && strcmp(trigger, "manual") == 0 ?
	    "manual" : "schedule";
	if (secret_load(j->cfg->secret_file, &sec, e) != 0)
		return e->code;
	r.secret = &sec;
	if (etsy_conn_open(&r, &sec, 0, &c) != 0 || strcmp(json_row_str(
	    c.account, "status"), "connected") != 0 || (strcmp(trigger,
	    "schedule") == 0 && !json_is_true(json_object_get(c.account,
	    "due")))) {
		*result = json_pack("{s:s}", "skipped", r.err.code != ERR_OK ?
		    r.err.message : c.account != NULL && strcmp(json_row_str(
		    c.account, "status"), "connected") != 0 ?
		    "Etsy is not connected" : "not due");
		etsy_conn_close(&c);
		return 0;
	}
	until = json_row_int(c.account, "now_s");
	since = json_row_int(c.account, "synced_until");
	since = since > 0 ? since - json_row_int(c.account,
	    "overlap_seconds") : until - 86400LL * json_row_int(c.account,
	    "first_sync_days");
	if (since < 946684800LL)
		since = 946684800LL;
	memset(&s, 0, sizeof(s));
	s.r = &r;
	s.job = j;
	s.c = &c;
	s.id = j->id;
	s.errors = arena_json(r.arena, json_array());
	s.digits = arena_json(r.arena, json_object());
	p[0] = record_int(&r, s.id);
	p[1] = trigger;
	p[2] = record_int(&r, since);
	p[3] = record_int(&r, until);
	if (db_exec(r.db, r.arena, &sync_stmts[ST_SYNC_START], p, NULL,
	    &r.err) != 0) {
		etsy_conn_close(&c);
		*e = r.err;
		return e->code;
	}
	sync_save(&s, "running");
	rc = sync_pages(&s, since);
	if (rc != 0) {
		err_line(why, sizeof(why), &r.err);
		sync_error(&s, 0, why);
	}
	err_clear(&r.err);
	p[0] = rc == 0 && !s.page_lost ? record_int(&r, until) : NULL;
	p[1] = rc != 0 ? why : s.page_lost ? "a page of receipts could not "
	    "be read; the next sync asks for it again" : NULL;
	db_exec(r.db, r.arena, &sync_stmts[ST_SYNCED], p, NULL, &r.err);
	sync_save(&s, rc == 0 ? "done" : "failed");
	log_kv(rc == 0 ? LOG_INFO : LOG_WARN, "etsy sync", "sync_id",
	    record_int(&r, s.id), "receipts", record_int(&r, s.total),
	    "new_orders", record_int(&r, s.created), "error", rc != 0 ? why :
	    "", NULL);
	*result = json_pack("{s:I, s:s, s:i, s:i, s:i, s:i, s:i, s:i}",
	    "sync_id", (json_int_t)s.id, "status", rc == 0 ? "done" :
	    "failed", "total_receipts", s.total, "new_orders", s.created,
	    "updated_orders", s.updated, "unmapped_lines", s.unmapped,
	    "skipped_receipts", s.skipped, "requests", c.client.requests);
	etsy_conn_close(&c);
	return 0;
}

/* ---- the shipment push ---- */

/* Records the push's outcome (its own transaction). */
static int
ship_record(struct req *r, const char *rid, const char *state,
    const char *error, const char *carrier, const char *tracking)
{
	const char	*p[5] = { rid, state, error, carrier, tracking };

	if (db_begin(r->db, &r->err) != 0)
		return r->err.code;
	if (db_exec(r->db, r->arena, &sync_stmts[ST_PUSHED], p, NULL,
	    &r->err) != 0 || req_audit(r, arena_printf(r->arena, "shipment_%s",
	    state), "etsy_receipt", rid, NULL, arena_json(r->arena, json_pack(
	    "{s:s?, s:s?, s:s?}", "carrier", carrier, "tracking", tracking,
	    "error", error))) != 0 ||
	    db_commit(r->db, &r->err) != 0) {
		db_rollback(r->db);
		return r->err.code;
	}
	return 0;
}

int
etsy_ship_job(struct job *j, json_t **result, struct err *e)
{
	struct req		 r;
	struct secret		 sec;
	struct etsy_conn	 c;
	struct etsy_reply	 rep;
	struct etsy_error	 ee;
	json_t			*row;
	const char		*oid, *rid, *carrier, *tracking, *path, *form;
	const char		*p[5];
	char			 why[400];

	req_background(&r, j->arena, j->cfg, j->db, "etsy");
	if (secret_load(j->cfg->secret_file, &sec, e) != 0)
		return e->code;
	r.secret = &sec;
	oid = record_int(&r, json_row_int(j->args, "order_id"));
	if (db_one(r.db, r.arena, &sync_stmts[ST_SHIP_OF], &oid, &row,
	    &r.err) != 0)
		goto fail;
	if (row == NULL || strcmp(json_row_str(row, "push_state"), "queued") !=
	    0 || json_is_true(json_object_get(row, "is_shipped"))) {
		*result = json_pack("{s:s}", "skipped", row == NULL ?
		    "not an Etsy order" : "nothing to push");
		return 0;
	}
	rid = record_int(&r, json_row_int(row, "receipt_id"));
	carrier = json_row_str(row, "carrier");
	tracking = json_row_str(row, "tracking_number");
	if (etsy_conn_open(&r, &sec, 0, &c) != 0)
		goto fail;
	path = arena_printf(r.arena, "/v3/application/shops/%lld/receipts/%s/"
	    "tracking", json_row_int(c.account, "shop_id"), rid);
	/* without a tracking number the receipt is only marked shipped */
	form = tracking == NULL ? "send_bcc=false" : arena_printf(r.arena,
	    "tracking_code=%s&carrier_name=%s&send_bcc=false", etsy_escape(
	    r.arena, tracking), etsy_escape(r.arena, carrier != NULL ? carrier :
	    "other"));
	if (etsy_call(&r, &c, "POST", path, form, &rep) != 0) {
		etsy_conn_close(&c);
		goto retry;
	}
	etsy_conn_close(&c);
	if (rep.status >= 200 && rep.status < 300) {
		if (ship_record(&r, rid, "pushed", NULL, carrier, tracking) != 0)
			goto fail;
		*result = json_pack("{s:s, s:s}", "receipt_id", rid, "state",
		    "pushed");
		return 0;
	}
	/* Etsy refused it: asking again would not change its mind */
	etsy_error_parse(rep.body, rep.len, 0, &ee);
	snprintf(why, sizeof(why), "Etsy refused the shipment (%ld): %s %s",
	    rep.status, ee.code, ee.description);
	if (ship_record(&r, rid, "failed", why, NULL, NULL) != 0)
		goto fail;
	*result = json_pack("{s:s, s:s, s:s}", "receipt_id", rid, "state",
	    "failed", "error", why);
	return 0;
retry:
	/* Etsy could not be reached: the worker tries again later, and the
	   order shows why meanwhile */
	err_line(why, sizeof(why), &r.err);
	err_clear(&r.err);
	p[0] = rid;
	p[1] = "queued";
	p[2] = why;
	p[3] = p[4] = NULL;
	db_exec(r.db, r.arena, &sync_stmts[ST_PUSHED], p, NULL, &r.err);
	return err_set(e, ERR_UNAVAILABLE, "%s", why);
fail:
	*e = r.err;
	return e->code;
}

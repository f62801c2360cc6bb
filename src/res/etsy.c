/*
 * etsy.c -- the Etsy connection as people use it:
 *
 *   GET    /api/v1/etsy                      status, settings, recent syncs
 *   PUT    /api/v1/etsy                      keystring, secret, settings
 *   POST   /api/v1/etsy/connect              the address to grant access
 *   GET    /settings/etsy/callback           Etsy sends the owner back
 *   DELETE /api/v1/etsy/connection           forget the tokens
 *   POST   /api/v1/etsy/sync                 sync now: the sync's id
 *   GET    /api/v1/etsy/sync/{id}            its progress and counters
 *   GET    /api/v1/etsy/lines                lines waiting for a product
 *   POST   /api/v1/etsy/mappings             a listing (+ variation) is a
 *                                            product: waiting lines follow
 *   GET    /settings/etsy, /etsy/inbox       the pages of the same
 *
 * Connecting is OAuth 2.0 with PKCE: connect stores a random state and
 * the verifier (sealed) and answers Etsy's address with the S256
 * challenge; the callback checks the state (once, within
 * ETSY_OAUTH_MAX_AGE_S), trades the code and the verifier for tokens,
 * asks Etsy who the shop is and queues the first sync.
 */
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/json.h"
#include "db/db.h"
#include "http/req.h"
#include "parse/etsy.h"
#include "res/etsy.h"
#include "res/orders.h"
#include "res/record.h"

#define STATUS_COLS \
	"a.status, a.keystring, a.shared_secret IS NOT NULL AS has_secret, " \
	"a.user_id, a.shop_id, a.connected_at, a.refreshed_at, " \
	"a.access_expires_at, a.sync_minutes, a.first_sync_days, " \
	"a.overlap_seconds, a.auto_confirm, a.synced_until, " \
	"a.last_sync_at, CASE WHEN a.status = 'connected' THEN " \
	"coalesce(a.last_sync_at + make_interval(mins => a.sync_minutes), " \
	"now()) END AS next_sync_at, a.last_error, a.last_error_at, " \
	"a.limit_per_day, a.remaining_today, a.fee_transaction_bp, " \
	"a.fee_processing_bp, a.fee_processing_fixed_cents, " \
	"a.fee_listing_cents, a.vat_rate, (SELECT count(*) FROM etsy_lines " \
	"WHERE product_id IS NULL) AS waiting_lines, (SELECT count(*) FROM " \
	"etsy_receipts WHERE attention IS NOT NULL) AS attention"

#define SYNC_COLS \
	"id, trigger, status, pages, requests, total_receipts, new_orders, " \
	"updated_orders, unmapped_lines, skipped_receipts, errors, " \
	"started_at, finished_at"

static const struct stmt etsy_stmts[] = {
	{ "etsy_status", "SELECT " STATUS_COLS " FROM etsy_account a", 0 },
	{ "etsy_syncs_recent",
	  "SELECT " SYNC_COLS " FROM etsy_syncs ORDER BY started_at DESC "
	  "LIMIT 10", 0 },
	{ "etsy_settings_lock",
	  "SELECT keystring, shared_secret, status, sync_minutes, "
	  "first_sync_days, overlap_seconds, auto_confirm, "
	  "fee_transaction_bp, fee_processing_bp, "
	  "fee_processing_fixed_cents, fee_listing_cents, vat_rate FROM "
	  "etsy_account FOR UPDATE", 0 },
	{ "etsy_settings_put",
	  "UPDATE etsy_account SET keystring = $1, shared_secret = $2, "
	  "sync_minutes = $3::integer, first_sync_days = $4::integer, "
	  "overlap_seconds = $5::integer, fee_transaction_bp = $6::integer, "
	  "fee_processing_bp = $7::integer, fee_processing_fixed_cents = "
	  "$8::integer, fee_listing_cents = $9::integer, auto_confirm = "
	  "$10::boolean, vat_rate = $11, updated_at = now()", 11 },
	{ "etsy_oauth_start",
	  "UPDATE etsy_account SET oauth_state = $1, oauth_verifier = $2, "
	  "oauth_started_at = now(), updated_at = now()", 2 },
	{ "etsy_connected",
	  "UPDATE etsy_account SET status = 'connected', user_id = "
	  "$1::bigint, shop_id = $2::bigint, oauth_state = NULL, "
	  "oauth_verifier = NULL, oauth_started_at = NULL, connected_at = "
	  "now(), last_error = NULL, updated_at = now()", 2 },
	{ "etsy_oauth_clear",
	  "UPDATE etsy_account SET oauth_state = NULL, oauth_verifier = NULL, "
	  "oauth_started_at = NULL", 0 },
	{ "etsy_disconnect",
	  "UPDATE etsy_account SET status = 'disconnected', access_token = "
	  "NULL, refresh_token = NULL, access_expires_at = NULL, oauth_state "
	  "= NULL, oauth_verifier = NULL, updated_at = now()", 0 },
	/* "Sync now": the waiting tick runs at once, as a manual sync */
	{ "etsy_sync_now",
	  "UPDATE jobs SET run_at = now(), args = '{\"trigger\": \"manual\"}' "
	  "WHERE unique_key = 'etsy_sync' AND state = 'queued' RETURNING id, "
	  "state::text AS state", 0 },
	{ "etsy_sync_running",
	  "SELECT id, state::text AS state FROM jobs WHERE unique_key = "
	  "'etsy_sync' AND state = 'running'", 0 },
	{ "etsy_sync_add",
	  "INSERT INTO jobs (kind, args, every_seconds, unique_key) VALUES "
	  "('etsy_sync', '{\"trigger\": \"manual\"}', $1::integer, "
	  "'etsy_sync') ON CONFLICT DO NOTHING RETURNING id, state::text AS "
	  "state", 1 },
	{ "etsy_sync_get",
	  "SELECT j.id, coalesce(s.status, CASE j.state WHEN 'queued' THEN "
	  "'queued' WHEN 'running' THEN 'running' WHEN 'done' THEN 'done' "
	  "ELSE 'failed' END) AS status, j.result->>'skipped' AS skipped, "
	  "coalesce(s.trigger, j.args->>'trigger') AS trigger, "
	  "coalesce(s.pages, 0) AS pages, coalesce(s.requests, 0) AS "
	  "requests, coalesce(s.total_receipts, 0) AS total_receipts, "
	  "coalesce(s.new_orders, 0) AS new_orders, coalesce("
	  "s.updated_orders, 0) AS updated_orders, coalesce("
	  "s.unmapped_lines, 0) AS unmapped_lines, coalesce("
	  "s.skipped_receipts, 0) AS skipped_receipts, coalesce(s.errors, "
	  "'[]') AS errors, j.progress, s.started_at, s.finished_at FROM jobs "
	  "j LEFT JOIN etsy_syncs s ON s.id = j.id WHERE j.id = $1::bigint "
	  "AND j.kind = 'etsy_sync' UNION ALL SELECT s.id, s.status, NULL, "
	  "s.trigger, s.pages, s.requests, s.total_receipts, s.new_orders, "
	  "s.updated_orders, s.unmapped_lines, s.skipped_receipts, s.errors, "
	  "100, s.started_at, s.finished_at FROM etsy_syncs s WHERE s.id = "
	  "$1::bigint AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = "
	  "$1::bigint AND kind = 'etsy_sync')", 1 },
	{ "etsy_waiting",
	  "SELECT l.listing_id, l.variation_key, min(l.title) AS title, "
	  "min(l.sku) AS sku, (array_agg(l.variations))[1] AS variations, "
	  "count(*) AS lines, sum(l.quantity) AS quantity, "
	  "array_agg(l.receipt_id ORDER BY l.receipt_id) AS receipts FROM "
	  "etsy_lines l WHERE l.product_id IS NULL GROUP BY l.listing_id, "
	  "l.variation_key ORDER BY count(*) DESC, l.listing_id, "
	  "l.variation_key LIMIT $1::integer", 1 },
	{ "etsy_product",
	  "SELECT id, sku, name FROM products WHERE id = $1::bigint AND "
	  "active", 1 },
	{ "etsy_rule_put",
	  "INSERT INTO etsy_mappings (listing_id, variation_key, product_id, "
	  "material, color, title, created_by) VALUES ($1::bigint, $2, "
	  "$3::bigint, $4, $5, $6, $7) ON CONFLICT (listing_id, "
	  "variation_key) DO UPDATE SET product_id = EXCLUDED.product_id, "
	  "material = EXCLUDED.material, color = EXCLUDED.color RETURNING id, "
	  "listing_id, variation_key, product_id, material, color", 7 },
	/* the waiting lines a mapping covers take its product (and the
	   order line, while the order is a draft); the orders they belong
	   to come back */
	{ "etsy_map_waiting",
	  "WITH l AS (UPDATE etsy_lines l SET product_id = $3::bigint, "
	  "mapped_by = $6, mapping_id = $7::bigint, material = $4, color = "
	  "$5 WHERE l.product_id IS NULL AND l.listing_id = $1::bigint AND "
	  "($2::text IS NULL OR l.variation_key = $2) AND ($8::bigint IS "
	  "NULL OR l.transaction_id = $8::bigint) RETURNING l.receipt_id, "
	  "l.order_line_id), o AS (UPDATE sales_order_lines sl SET "
	  "product_id = $3::bigint FROM l, sales_orders so WHERE sl.id = "
	  "l.order_line_id AND so.id = sl.order_id AND so.status = 'draft' "
	  "RETURNING sl.order_id) SELECT DISTINCT r.order_id FROM l JOIN "
	  "etsy_receipts r ON r.receipt_id = l.receipt_id WHERE r.order_id "
	  "IS NOT NULL", 8 },
	{ "etsy_products",
	  "SELECT id, sku, name FROM products WHERE active ORDER BY sku "
	  "LIMIT 2000", 0 },
	{ "etsy_of_order",
	  "SELECT r.receipt_id, o.fees_cents, r.push_state, r.push_error, "
	  "r.attention, r.etsy_tracking FROM etsy_receipts r JOIN "
	  "sales_orders o ON o.id = r.order_id WHERE r.order_id = "
	  "$1::bigint", 1 },
	{ "etsy_dashboard",
	  "SELECT status = 'revoked' AS etsy_reconnect, (SELECT nullif("
	  "count(*), 0) FROM etsy_lines WHERE product_id IS NULL) AS "
	  "etsy_waiting, (SELECT nullif(count(*), 0) FROM etsy_receipts WHERE "
	  "attention IS NOT NULL) AS etsy_attention FROM etsy_account", 0 },
	{ "etsy_rules",
	  "SELECT m.id, m.listing_id, m.variation_key, m.product_id, p.sku, "
	  "p.name AS product_name, m.material, m.color, m.created_by, "
	  "m.created_at, (SELECT count(*) FROM etsy_lines l WHERE "
	  "l.mapping_id = m.id) AS lines, (SELECT min(l.title) FROM "
	  "etsy_lines l WHERE l.listing_id = m.listing_id) AS title FROM "
	  "etsy_mappings m JOIN products p ON p.id = m.product_id ORDER BY "
	  "m.listing_id, m.variation_key LIMIT 1000", 0 },
	{ "etsy_rule_delete",
	  "DELETE FROM etsy_mappings WHERE id = $1::bigint RETURNING id, "
	  "listing_id, variation_key, product_id", 1 },
	{ "etsy_order_ready",
	  "SELECT so.id FROM sales_orders so WHERE so.id = $1::bigint AND "
	  "so.status = 'draft' AND NOT EXISTS (SELECT 1 FROM etsy_lines l "
	  "JOIN etsy_receipts r ON r.receipt_id = l.receipt_id WHERE "
	  "r.order_id = so.id AND l.product_id IS NULL) AND (SELECT "
	  "auto_confirm FROM etsy_account)", 1 },
};

enum { ST_STATUS, ST_RECENT, ST_SETTINGS_LOCK, ST_SETTINGS_PUT,
    ST_OAUTH_START, ST_CONNECTED, ST_OAUTH_CLEAR, ST_DISCONNECT,
    ST_SYNC_NOW, ST_SYNC_RUNNING, ST_SYNC_ADD, ST_SYNC_GET, ST_WAITING,
    ST_PRODUCT, ST_RULE_PUT, ST_MAP_WAITING, ST_PRODUCTS, ST_OF_ORDER,
    ST_DASHBOARD, ST_RULES, ST_RULE_DELETE, ST_ORDER_READY, ST_COUNT };
_Static_assert(sizeof(etsy_stmts) / sizeof(etsy_stmts[0]) == ST_COUNT,
    "etsy_stmts and its names differ");

/* ---- status and settings ---- */

static int
etsy_status_json(struct req *r, json_t **out)
{
	json_t	*row, *recent;

	if (db_one(r->db, r->arena, &etsy_stmts[ST_STATUS], NULL, &row,
	    &r->err) != 0 || db_exec(r->db, r->arena, &etsy_stmts[ST_RECENT],
	    NULL, &recent, &r->err) != 0)
		return r->err.code;
	*out = json_deep_copy(row);
	json_object_set(*out, "recent_syncs", recent);
	json_object_set_new(*out, "reconnect", json_boolean(strcmp(
	    json_row_str(row, "status"), "revoked") == 0));
	return 0;
}

static int
etsy_get(struct req *r)
{
	json_t	*out;

	if (etsy_status_json(r, &out) != 0)
		return r->err.code;
	req_json(r, 200, out);
	return 0;
}

/* Integer settings: body name, minimum, maximum (parameters $3..$9). */
static const struct {
	const char	*name;
	long long	 min, max;
} etsy_ints[] = {
	{ "sync_minutes", 1, 1440 },
	{ "first_sync_days", 1, 365 },
	{ "overlap_seconds", 0, 86400 },
	{ "fee_transaction_bp", 0, 10000 },
	{ "fee_processing_bp", 0, 10000 },
	{ "fee_processing_fixed_cents", 0, 100000 },
	{ "fee_listing_cents", 0, 100000 },
};
#define NINTS	(sizeof(etsy_ints) / sizeof(etsy_ints[0]))
_Static_assert(2 + NINTS + 2 == 11, "etsy_settings_put takes 11 parameters");

/*
 * Merges the body over the stored settings; p[] as etsy_settings_put:
 * keystring, sealed secret, the integers in etsy_ints' order,
 * auto_confirm, vat_rate.
 */
static int
etsy_settings_merge(struct req *r, json_t *cur, json_t *in, const char **p)
{
	const char	*s;
	json_t		*v;
	size_t		 i;

	p[0] = json_row_str(cur, "keystring");
	if ((v = json_object_get(in, "keystring")) != NULL) {
		s = json_string_value(v);
		if (s == NULL || strlen(s) < 1 || strlen(s) > 100 || strspn(s,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_-") != strlen(s))
			err_field(&r->err, "keystring", "must be the app's "
			    "keystring: 1 to 100 letters, digits, _ or -");
		p[0] = s;
	}
	p[1] = json_row_str(cur, "shared_secret");
	if ((v = json_object_get(in, "shared_secret")) != NULL) {
		s = json_string_value(v);
		if (s == NULL || strlen(s) < 1 || strlen(s) > 200 ||
		    strpbrk(s, " \t\r\n") != NULL)
			err_field(&r->err, "shared_secret", "must be the app's "
			    "shared secret: 1 to 200 characters, no blanks");
		else
			p[1] = secret_seal(r->arena, r->secret,
			    "etsy:shared_secret", s, strlen(s));
	}
	for (i = 0; i < NINTS; i++) {
		v = json_object_get(in, etsy_ints[i].name);
		if (v == NULL)
			v = json_object_get(cur, etsy_ints[i].name);
		if (!json_is_integer(v) || json_integer_value(v) <
		    etsy_ints[i].min || json_integer_value(v) >
		    etsy_ints[i].max)
			err_field(&r->err, etsy_ints[i].name, "must be a whole "
			    "number from %lld to %lld", etsy_ints[i].min,
			    etsy_ints[i].max);
		else
			p[2 + i] = record_int(r, json_integer_value(v));
	}
	v = json_object_get(in, "auto_confirm");
	if (v == NULL)
		v = json_object_get(cur, "auto_confirm");
	if (!json_is_boolean(v))
		err_field(&r->err, "auto_confirm", "must be true or false");
	p[2 + NINTS] = json_is_true(v) ? "true" : "false";
	v = json_object_get(in, "vat_rate");
	p[10] = json_row_str(cur, "vat_rate");
	if (v != NULL) {
		s = json_string_value(v);
		if (s == NULL || strlen(s) < 1 || strlen(s) > 40)
			err_field(&r->err, "vat_rate", "must name a VAT rate of "
			    "the business settings");
		p[10] = s;
	}
	return r->err.code != ERR_OK ? req_invalid(r, "Etsy settings") : 0;
}

/* Stores the settings of in over the row, audited (the API and the form). */
static int
etsy_settings_apply(struct req *r, json_t *in)
{
	json_t		*cur, *shown;
	const char	*p[11];

	if (db_one(r->db, r->arena, &etsy_stmts[ST_SETTINGS_LOCK], NULL, &cur,
	    &r->err) != 0 || etsy_settings_merge(r, cur, in, p) != 0 ||
	    db_exec(r->db, r->arena, &etsy_stmts[ST_SETTINGS_PUT], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	/* the audit names the secret's change, never the secret */
	shown = arena_json(r->arena, json_deep_copy(in));
	if (json_object_get(shown, "shared_secret") != NULL)
		json_object_set_new(shown, "shared_secret", json_string(
		    "(changed)"));
	return req_audit(r, "update", "etsy", "account", NULL, shown);
}

static int
etsy_put(struct req *r)
{
	json_t	*out;

	if (etsy_settings_apply(r, r->input) != 0 ||
	    etsy_status_json(r, &out) != 0)
		return r->err.code;
	req_json(r, 200, out);
	return 0;
}

/* ---- connecting ---- */

static const char *
etsy_redirect_uri(struct req *r)
{
	return arena_printf(r->arena, "%s/settings/etsy/callback",
	    r->cfg->public_url);
}

/* Starts an authorization; *url gets the address to send the owner to. */
static int
etsy_start(struct req *r, const char **url)
{
	json_t		*cur;
	const char	*p[2], *verifier, *state;

	if (db_one(r->db, r->arena, &etsy_stmts[ST_SETTINGS_LOCK], NULL, &cur,
	    &r->err) != 0)
		return r->err.code;
	if (json_row_str(cur, "keystring") == NULL ||
	    json_row_str(cur, "shared_secret") == NULL) {
		err_set(&r->err, ERR_CONFLICT, "enter the Etsy app's keystring "
		    "and shared secret first");
		err_hint(&r->err, "PUT /api/v1/etsy with keystring and "
		    "shared_secret");
		return ERR_CONFLICT;
	}
	verifier = pkce_verifier(r->arena);
	state = crypto_token(r->arena, 24);
	p[0] = state;
	p[1] = secret_seal(r->arena, r->secret, "etsy:verifier", verifier,
	    strlen(verifier));
	if (db_exec(r->db, r->arena, &etsy_stmts[ST_OAUTH_START], p, NULL,
	    &r->err) != 0 || req_audit(r, "connect_started", "etsy",
	    "account", NULL, NULL) != 0)
		return r->err.code;
	*url = etsy_authorize_url(r->arena, r->cfg->etsy_auth_url,
	    json_row_str(cur, "keystring"), etsy_redirect_uri(r), state,
	    pkce_challenge(r->arena, verifier));
	return 0;
}

static int
etsy_connect(struct req *r)
{
	const char	*url;

	if (etsy_start(r, &url) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:s, s:s}", "authorize_url", url,
	    "redirect_uri", etsy_redirect_uri(r)));
	return 0;
}

/*
 * The callback's work (its own transactions: it talks to Etsy between
 * them).  0 when the shop is connected; else the error says why.
 */
static int
etsy_finish(struct req *r)
{
	struct etsy_conn	 c;
	struct etsy_reply	 rep;
	struct etsy_token	 t;
	struct etsy_error	 ee;
	struct etsy_me		 me;
	const char		*code, *state, *verifier, *form, *p[2];
	size_t			 len;
	int			 rc;

	code = req_str(r, "code");
	state = req_str(r, "state");
	if (req_str(r, "error") != NULL)
		return err_set(&r->err, ERR_CONFLICT, "Etsy did not grant "
		    "access: %s", req_str(r, "error_description") != NULL ?
		    req_str(r, "error_description") : req_str(r, "error"));
	if (code == NULL || state == NULL)
		return err_set(&r->err, ERR_INVALID, "Etsy's answer lacks the "
		    "code or the state");
	if (db_begin(r->db, &r->err) != 0)
		return r->err.code;
	if (etsy_conn_open(r, r->secret, 1, &c) != 0)
		goto fail;
	if (json_row_str(c.account, "oauth_state") == NULL ||
	    strlen(state) != strlen(json_row_str(c.account, "oauth_state")) ||
	    crypto_memcmp(state, json_row_str(c.account, "oauth_state"),
	    strlen(state)) != 0 || json_row_int(c.account, "oauth_age") >
	    ETSY_OAUTH_MAX_AGE_S) {
		err_set(&r->err, ERR_CONFLICT, "this answer from Etsy does not "
		    "belong to a connection started here in the last %d "
		    "minutes; connect again", ETSY_OAUTH_MAX_AGE_S / 60);
		goto fail;
	}
	verifier = secret_open(r->arena, r->secret, "etsy:verifier",
	    json_row_str(c.account, "oauth_verifier"), &len, &r->err);
	/* a state is good once */
	if (verifier == NULL || db_exec(r->db, r->arena,
	    &etsy_stmts[ST_OAUTH_CLEAR], NULL, NULL, &r->err) != 0 ||
	    db_commit(r->db, &r->err) != 0)
		goto fail;
	form = arena_printf(r->arena, "grant_type=authorization_code&"
	    "client_id=%s&redirect_uri=%s&code=%s&code_verifier=%s",
	    etsy_escape(r->arena, json_row_str(c.account, "keystring")),
	    etsy_escape(r->arena, etsy_redirect_uri(r)), etsy_escape(r->arena,
	    code), etsy_escape(r->arena, verifier));
	if (etsy_request(&c.client, r->arena, "POST", "/v3/public/oauth/token",
	    form, &rep, &r->err) != 0)
		goto out;
	if (rep.status != 200) {
		etsy_error_parse(rep.body, rep.len, 0, &ee);
		err_set(&r->err, ERR_CONFLICT, "Etsy refused the authorization "
		    "code (%ld): %s %s", rep.status, ee.code, ee.description);
		goto out;
	}
	if (etsy_token_parse(rep.body, rep.len, &t, &r->err) != 0)
		goto out;
	c.client.bearer = arena_strdup(r->arena, t.access_token);
	if (etsy_request(&c.client, r->arena, "GET",
	    "/v3/application/users/me", NULL, &rep, &r->err) != 0)
		goto out;
	if (rep.status != 200 || etsy_me_parse(rep.body, rep.len, &me,
	    &r->err) != 0) {
		if (r->err.code == ERR_OK)
			err_set(&r->err, ERR_CONFLICT, "Etsy did not say which "
			    "shop this is (%ld)", rep.status);
		goto out;
	}
	p[0] = record_int(r, me.user_id);
	p[1] = record_int(r, me.shop_id);
	if (db_begin(r->db, &r->err) != 0)
		goto out;
	if (etsy_store_tokens(r, &c, &t) != 0 || db_exec(r->db, r->arena,
	    &etsy_stmts[ST_CONNECTED], p, NULL, &r->err) != 0 ||
	    db_exec(r->db, r->arena, &etsy_stmts[ST_SYNC_NOW], NULL, NULL,
	    &r->err) != 0 || req_audit(r, "connected", "etsy", "account",
	    NULL, arena_json(r->arena, json_pack("{s:I, s:I}", "user_id",
	    (json_int_t)me.user_id, "shop_id", (json_int_t)me.shop_id))) != 0 ||
	    db_commit(r->db, &r->err) != 0)
		goto fail;
	etsy_conn_close(&c);
	return 0;
fail:
	db_rollback(r->db);
out:
	rc = r->err.code;
	etsy_conn_close(&c);
	return rc;
}

static int
etsy_callback(struct req *r)
{
	char	why[300];

	if (etsy_finish(r) == 0) {
		req_flash(r, "ok", "etsy_flash_connected");
		req_redirect(r, "/settings/etsy");
		return 0;
	}
	err_line(why, sizeof(why), &r->err);
	err_clear(&r->err);
	req_flash(r, "error", "etsy_flash_not_connected");
	req_redirect(r, arena_printf(r->arena, "/settings/etsy?error=%s",
	    etsy_escape(r->arena, why)));
	return 0;
}

/* Forgets the tokens (orders, receipts and mappings stay), audited. */
static int
etsy_forget(struct req *r)
{
	if (db_exec(r->db, r->arena, &etsy_stmts[ST_DISCONNECT], NULL, NULL,
	    &r->err) != 0)
		return r->err.code;
	return req_audit(r, "disconnected", "etsy", "account", NULL, NULL);
}

static int
etsy_disconnect(struct req *r)
{
	if (etsy_forget(r) != 0)
		return r->err.code;
	return etsy_get(r);
}

/* ---- syncing ---- */

/* Queues a sync now (or finds the one running); *row gets {id, state}. */
static int
etsy_sync_queue(struct req *r, json_t **row)
{
	const char	*every = record_int(r, ETSY_TICK_S);
	json_t		*st;

	/* the account's lock also lines up two people asking at once */
	if (db_one(r->db, r->arena, &etsy_stmts[ST_SETTINGS_LOCK], NULL, &st,
	    &r->err) != 0)
		return r->err.code;
	if (strcmp(json_row_str(st, "status"), "connected") != 0) {
		err_set(&r->err, ERR_CONFLICT, "Etsy is not connected (%s)",
		    json_row_str(st, "status"));
		err_hint(&r->err, "connect it at /settings/etsy");
		return ERR_CONFLICT;
	}
	if (db_one(r->db, r->arena, &etsy_stmts[ST_SYNC_NOW], NULL, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL && db_one(r->db, r->arena,
	    &etsy_stmts[ST_SYNC_RUNNING], NULL, row, &r->err) != 0)
		return r->err.code;
	if (*row == NULL && db_one(r->db, r->arena, &etsy_stmts[ST_SYNC_ADD],
	    &every, row, &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_CONFLICT, "a sync is being "
		    "queued; ask again");
	return req_audit(r, "sync_requested", "etsy", record_int(r,
	    json_row_int(*row, "id")), NULL, NULL);
}

static int
etsy_sync(struct req *r)
{
	json_t	*row;

	if (etsy_sync_queue(r, &row) != 0)
		return r->err.code;
	req_header(r, "Location", arena_printf(r->arena,
	    "/api/v1/etsy/sync/%lld", json_row_int(row, "id")));
	req_json(r, 202, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)
	    json_row_int(row, "id"), "status", json_row_str(row, "state"),
	    "progress", arena_printf(r->arena, "/api/v1/etsy/sync/%lld",
	    json_row_int(row, "id"))));
	return 0;
}

static int
etsy_sync_show(struct req *r)
{
	json_t		*row;
	const char	*id = record_int(r, req_int(r, "id", 0));

	if (db_one(r->db, r->arena, &etsy_stmts[ST_SYNC_GET], &id, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such Etsy sync");
	req_json(r, 200, json_incref(row));
	return 0;
}

/* ---- mapping ---- */

static int
etsy_lines(struct req *r)
{
	json_t		*rows;
	const char	*limit = record_int(r, req_int(r, "limit", 200));

	if (db_exec(r->db, r->arena, &etsy_stmts[ST_WAITING], &limit, &rows,
	    &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O}", "waiting", rows));
	return 0;
}

/*
 * Maps the waiting lines of listing (variation key; NULL: any) to
 * product, as a rule when rule, else the one transaction; confirms the
 * orders whose lines are now all mapped, when the shop says so.  *out
 * gets {rule, lines mapped, orders confirmed}.
 */
static int
etsy_map(struct req *r, long long listing, const char *key,
    long long product, const char *material, const char *color,
    long long transaction, int rule, json_t **out)
{
	json_t		*prod, *m = NULL, *orders, *o, *ready, *done;
	const char	*p[8];
	size_t		 i;

	p[0] = record_int(r, product);
	if (db_one(r->db, r->arena, &etsy_stmts[ST_PRODUCT], p, &prod,
	    &r->err) != 0)
		return r->err.code;
	if (prod == NULL) {
		err_field(&r->err, "product_id", "is not an active product");
		return req_invalid(r, "mapping");
	}
	if (rule) {
		p[0] = record_int(r, listing);
		p[1] = key != NULL ? key : "";
		p[2] = record_int(r, product);
		p[3] = material;
		p[4] = color;
		p[5] = NULL;
		p[6] = req_actor(r);
		if (db_one(r->db, r->arena, &etsy_stmts[ST_RULE_PUT], p, &m,
		    &r->err) != 0)
			return r->err.code;
	}
	p[0] = record_int(r, listing);
	p[1] = key;
	p[2] = record_int(r, product);
	p[3] = material;
	p[4] = color;
	p[5] = rule ? "rule" : "manual";
	p[6] = m != NULL ? record_int(r, json_row_int(m, "id")) : NULL;
	p[7] = transaction > 0 ? record_int(r, transaction) : NULL;
	if (db_exec(r->db, r->arena, &etsy_stmts[ST_MAP_WAITING], p, &orders,
	    &r->err) != 0)
		return r->err.code;
	done = json_array();
	json_array_foreach(orders, i, o) {
		p[0] = record_int(r, json_row_int(o, "order_id"));
		if (db_one(r->db, r->arena, &etsy_stmts[ST_ORDER_READY], p,
		    &ready, &r->err) != 0)
			goto fail;
		if (ready == NULL)
			continue;
		if (orders_confirm(r, json_row_int(o, "order_id")) != 0)
			goto fail;
		json_array_append_new(done, json_integer(json_row_int(o,
		    "order_id")));
	}
	*out = json_pack("{s:O?, s:O, s:o}", "rule", m, "orders", orders,
	    "confirmed", done);
	arena_json(r->arena, *out);
	return req_audit(r, "map", "etsy_listing", record_int(r, listing), NULL,
	    *out);
fail:
	json_decref(done);
	return r->err.code;
}

static int
etsy_mapping_create(struct req *r)
{
	json_t	*out;
	int	 rule = req_bool(r, "apply_to_all", 1);

	if (!rule && req_int(r, "transaction_id", 0) == 0) {
		err_field(&r->err, "transaction_id", "is needed to map one line "
		    "alone");
		return req_invalid(r, "mapping");
	}
	if (etsy_map(r, req_int(r, "listing_id", 0), req_has(r,
	    "variation_key") ? req_str(r, "variation_key") : NULL, req_int(r,
	    "product_id", 0), req_str(r, "material"), req_str(r, "color"),
	    req_int(r, "transaction_id", 0), rule, &out) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(out));
	return 0;
}

static int
etsy_mappings(struct req *r)
{
	json_t	*rows;

	if (db_exec(r->db, r->arena, &etsy_stmts[ST_RULES], NULL, &rows,
	    &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O}", "mappings", rows));
	return 0;
}

/*
 * Deletes mapping rule id: later lines of its listing wait for a person
 * again; lines it already mapped keep their product.
 */
static int
etsy_rule_forget(struct req *r, long long id)
{
	json_t		*row;
	const char	*p = record_int(r, id);

	if (db_one(r->db, r->arena, &etsy_stmts[ST_RULE_DELETE], &p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such mapping");
	return req_audit(r, "delete", "etsy_mapping", p, row, NULL);
}

static int
etsy_mapping_delete(struct req *r)
{
	if (etsy_rule_forget(r, req_int(r, "id", 0)) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:I}", "deleted", (json_int_t)req_int(r,
	    "id", 0)));
	return 0;
}

/* ---- pages ---- */

int
etsy_dashboard(struct req *r, json_t *view)
{
	json_t	*row;

	if (db_one(r->db, r->arena, &etsy_stmts[ST_DASHBOARD], NULL, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row != NULL)
		json_object_update(view, row);
	return 0;
}

int
etsy_order_view(struct req *r, long long order_id, json_t **row)
{
	const char	*id = record_int(r, order_id), *st;

	if (db_one(r->db, r->arena, &etsy_stmts[ST_OF_ORDER], &id, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return 0;
	/* the seller's orders on Etsy (Shop Manager -> Orders & Shipping) */
	json_object_set_new(*row, "etsy_url", json_string(arena_printf(
	    r->arena, "%s/your/orders/sold", r->cfg->etsy_auth_url)));
	st = json_row_str(*row, "push_state");
	if (strcmp(st, "none") != 0)
		json_object_set_new(*row, "push_label", json_string(req_t(r,
		    arena_printf(r->arena, "etsy_push_%s", st))));
	return 0;
}

/* The settings page: status, the form, recent syncs. */
static int
etsy_page(struct req *r)
{
	json_t	*st;

	if (etsy_status_json(r, &st) != 0)
		return r->err.code;
	arena_json(r->arena, st);
	r->out = json_pack("{s:O, s:O, s:b, s:b, s:b, s:s?, s:s}", "etsy", st,
	    "recent", json_object_get(st, "recent_syncs"), "connected",
	    strcmp(json_row_str(st, "status"), "connected") == 0, "revoked",
	    strcmp(json_row_str(st, "status"), "revoked") == 0, "has_keys",
	    json_row_str(st, "keystring") != NULL && json_is_true(
	    json_object_get(st, "has_secret")), "error", req_str(r, "error"),
	    "redirect_uri", etsy_redirect_uri(r));
	if (req_has(r, "sync"))
		json_object_set_new(r->out, "sync_id", json_integer(req_int(r,
		    "sync", 0)));
	/* sync progress is for those who may sync (src/res/live.c) */
	if (r->who.role & (ROLE_OWNER | ROLE_STAFF))
		json_object_set_new(r->out, "live_url", json_string(
		    "/live/sub/etsy"));
	return 0;
}

static int
etsy_page_save(struct req *r)
{
	json_t		*in;

	in = arena_json(r->arena, json_object());
	if (req_str(r, "keystring") != NULL)
		json_object_set_new(in, "keystring", json_string(req_str(r,
		    "keystring")));
	/* a blank secret keeps the stored one */
	if (req_str(r, "shared_secret") != NULL &&
	    *req_str(r, "shared_secret") != '\0')
		json_object_set_new(in, "shared_secret", json_string(req_str(r,
		    "shared_secret")));
	record_form_number(r, in, "sync_minutes", "sync_minutes", 0, 1000000,
	    "must be a whole number of minutes");
	if (r->err.code != ERR_OK)
		return req_invalid(r, "Etsy settings");
	json_object_set_new(in, "auto_confirm", json_boolean(req_str(r,
	    "auto_confirm") != NULL));
	if (etsy_settings_apply(r, in) != 0)
		return r->err.code;
	req_flash(r, "ok", "etsy_flash_saved");
	req_redirect(r, "/settings/etsy");
	return 0;
}

static int
etsy_page_connect(struct req *r)
{
	const char	*url;

	if (etsy_start(r, &url) != 0)
		return r->err.code;
	req_redirect(r, url);
	return 0;
}

static int
etsy_page_disconnect(struct req *r)
{
	if (etsy_forget(r) != 0)
		return r->err.code;
	req_flash(r, "ok", "etsy_flash_disconnected");
	req_redirect(r, "/settings/etsy");
	return 0;
}

static int
etsy_page_sync(struct req *r)
{
	json_t	*row;

	if (etsy_sync_queue(r, &row) != 0)
		return r->err.code;
	req_redirect(r, arena_printf(r->arena, "/settings/etsy?sync=%lld",
	    json_row_int(row, "id")));
	return 0;
}

/* The inbox: lines waiting for a product, the products to pick from. */
static int
etsy_inbox(struct req *r)
{
	json_t		*rows, *prods, *rules, *g;
	const char	*limit = "200";
	size_t		 i;

	if (db_exec(r->db, r->arena, &etsy_stmts[ST_WAITING], &limit, &rows,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &etsy_stmts[ST_PRODUCTS], NULL, &prods, &r->err) != 0 ||
	    db_exec(r->db, r->arena, &etsy_stmts[ST_RULES], NULL, &rules,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, g)
		json_object_set_new(g, "n", json_integer((json_int_t)i + 1));
	r->out = json_pack("{s:O, s:O, s:b, s:O, s:b}", "waiting", rows,
	    "products", prods, "has_waiting", json_array_size(rows) > 0,
	    "rules", rules, "has_rules", json_array_size(rules) > 0);
	return 0;
}

static int
etsy_inbox_map(struct req *r)
{
	json_t	*out;
	int	 rule = req_str(r, "apply_to_all") != NULL;

	if (etsy_map(r, req_int(r, "listing_id", 0), req_str(r,
	    "variation_key") != NULL ? req_str(r, "variation_key") : "",
	    req_int(r, "product_id", 0), NULL, NULL, 0, rule, &out) != 0)
		return r->err.code;
	req_flash(r, "ok", "etsy_flash_mapped");
	req_redirect(r, "/etsy/inbox");
	return 0;
}

static int
etsy_inbox_forget(struct req *r)
{
	if (etsy_rule_forget(r, req_int(r, "id", 0)) != 0)
		return r->err.code;
	req_flash(r, "ok", "etsy_flash_rule_deleted");
	req_redirect(r, "/etsy/inbox");
	return 0;
}

/* ---- routes ---- */

static const struct param put_params[] = {
	{ "keystring", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "shared_secret", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "sync_minutes", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "first_sync_days", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "overlap_seconds", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "auto_confirm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "fee_transaction_bp", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "fee_processing_bp", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "fee_processing_fixed_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "fee_listing_cents", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "vat_rate", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct param callback_params[] = {
	{ "code", IN_QUERY, P_STR, 0, 1, 512, NULL },
	{ "state", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "error", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "error_description", IN_QUERY, P_STR, 0, 0, 500, NULL },
	PARAM_END,
};

static const struct param lines_params[] = {
	{ "limit", IN_QUERY, P_INT, 0, 1, 1000, NULL },
	PARAM_END,
};

static const struct param mapping_params[] = {
	{ "listing_id", IN_BODY, P_INT, 1, 1, INT64_MAX, NULL },
	{ "variation_key", IN_BODY, P_STR, 0, 0, 500, NULL },
	{ "product_id", IN_BODY, P_INT, 1, 1, INT64_MAX, NULL },
	{ "material", IN_BODY, P_STR, 0, 1, 40, NULL },
	{ "color", IN_BODY, P_STR, 0, 1, 60, NULL },
	{ "transaction_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "apply_to_all", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct param page_params[] = {
	{ "error", IN_QUERY, P_STR, 0, 0, 400, NULL },
	{ "sync", IN_QUERY, P_INT, 0, 1, INT64_MAX, NULL },
	PARAM_END,
};

static const struct param form_params[] = {
	{ "keystring", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "shared_secret", IN_BODY, P_STR, 0, 0, 400, NULL },
	{ "sync_minutes", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "auto_confirm", IN_BODY, P_STR, 0, 0, 12, NULL },
	PARAM_END,
};

static const struct param inbox_params[] = {
	{ "listing_id", IN_BODY, P_INT, 1, 1, INT64_MAX, NULL },
	{ "variation_key", IN_BODY, P_STR, 0, 0, 500, NULL },
	{ "product_id", IN_BODY, P_INT, 1, 1, INT64_MAX, NULL },
	{ "apply_to_all", IN_BODY, P_STR, 0, 0, 12, NULL },
	PARAM_END,
};

#define STAFF	(ROLE_OWNER | ROLE_STAFF)

static const struct route etsy_routes[] = {
	{ "GET", "/api/v1/etsy", etsy_get, ROLE_ANY, 0, NULL, NULL },
	{ "PUT", "/api/v1/etsy", etsy_put, ROLE_OWNER, 0, put_params, NULL },
	{ "POST", "/api/v1/etsy/connect", etsy_connect, ROLE_OWNER, 0, NULL,
	    NULL },
	{ "DELETE", "/api/v1/etsy/connection", etsy_disconnect, ROLE_OWNER,
	    0, NULL, NULL },
	{ "POST", "/api/v1/etsy/sync", etsy_sync, STAFF, 0, NULL, NULL },
	{ "GET", "/api/v1/etsy/sync/{id}", etsy_sync_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "GET", "/api/v1/etsy/lines", etsy_lines, ROLE_ANY, 0, lines_params,
	    NULL },
	{ "GET", "/api/v1/etsy/mappings", etsy_mappings, ROLE_ANY, 0, NULL,
	    NULL },
	{ "POST", "/api/v1/etsy/mappings", etsy_mapping_create, STAFF, 0,
	    mapping_params, NULL },
	{ "DELETE", "/api/v1/etsy/mappings/{id}", etsy_mapping_delete, STAFF,
	    0, params_id, NULL },
	{ "GET", "/settings/etsy/callback", etsy_callback, ROLE_OWNER,
	    ROUTE_PAGE, callback_params, "settings/etsy" },
	{ "GET", "/settings/etsy", etsy_page, ROLE_ANY, ROUTE_PAGE,
	    page_params, "settings/etsy" },
	{ "POST", "/settings/etsy", etsy_page_save, ROLE_OWNER, ROUTE_PAGE |
	    ROUTE_FORM, form_params, "settings/etsy" },
	{ "POST", "/settings/etsy/connect", etsy_page_connect, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, NULL, "settings/etsy" },
	{ "POST", "/settings/etsy/disconnect", etsy_page_disconnect,
	    ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM, NULL, "settings/etsy" },
	{ "POST", "/settings/etsy/sync", etsy_page_sync, STAFF, ROUTE_PAGE |
	    ROUTE_FORM, NULL, "settings/etsy" },
	{ "GET", "/etsy/inbox", etsy_inbox, ROLE_ANY, ROUTE_PAGE, NULL,
	    "etsy/inbox" },
	{ "POST", "/etsy/inbox", etsy_inbox_map, STAFF, ROUTE_PAGE |
	    ROUTE_FORM, inbox_params, "etsy/inbox" },
	{ "POST", "/etsy/mappings/{id}/delete", etsy_inbox_forget, STAFF,
	    ROUTE_PAGE | ROUTE_FORM, params_id, "etsy/inbox" },
};

const struct resource etsy_resource = {
	"etsy", etsy_routes, sizeof(etsy_routes) / sizeof(etsy_routes[0]),
	etsy_stmts, ST_COUNT,
};

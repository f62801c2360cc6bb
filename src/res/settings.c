/*
 * settings.c -- the business settings: GET/PATCH /api/v1/settings and the
 * page GET/POST /settings/business.  One row (business_settings) holds
 * the currency, the VAT rates, the labour rate, overhead and target
 * margin, the business's name, address and VAT ID, and its time zone.
 *
 * Invariants: everyone reads, only owners change; a change is validated
 * as a whole (the stored row merged with the changed fields) and audited
 * with the changed fields' values before and after.  Money is minor units
 * of the currency, rates are basis points (1 % = 100 bp).  This table also
 * prepares the document-number statement of domain/numbers.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/money.h"
#include "domain/numbers.h"
#include "http/req.h"
#include "res/record.h"

#define SETTINGS_COLS \
	"s.currency, s.vat_rates, s.labour_rate_cents, s.overhead_bp, " \
	"s.target_margin_bp, s.business_name, s.business_street, " \
	"s.business_postal_code, s.business_city, s.business_country, " \
	"s.business_vat_id, s.timezone, s.updated_at, (SELECT minor_digits " \
	"FROM currencies WHERE code = s.currency) AS currency_digits"

static const struct stmt settings_stmts[] = {
	{ "settings_get",
	  "SELECT " SETTINGS_COLS " FROM business_settings s", 0 },
	{ "settings_lock",
	  "SELECT " SETTINGS_COLS " FROM business_settings s FOR UPDATE OF s",
	  0 },
	{ "settings_update",
	  "UPDATE business_settings AS s SET currency = $1, vat_rates = "
	  "$2::jsonb, labour_rate_cents = $3::bigint, overhead_bp = "
	  "$4::integer, target_margin_bp = $5::integer, business_name = $6, "
	  "business_street = $7, business_postal_code = $8, business_city = "
	  "$9, business_country = $10, business_vat_id = $11, timezone = $12 "
	  "RETURNING " SETTINGS_COLS, 12 },
	{ "settings_check",
	  "SELECT EXISTS (SELECT 1 FROM currencies WHERE code = $1) AS "
	  "currency_ok, $2::text IS NULL OR EXISTS (SELECT 1 FROM countries "
	  "WHERE code = $2) AS country_ok, vat_id_normalise($3) AS vat_id, "
	  "vat_id_valid(vat_id_normalise($3)) AS vat_id_ok, (SELECT example "
	  "FROM vat_id_formats WHERE prefix = substr(vat_id_normalise($3), 1, "
	  "2)) AS vat_id_example, timezone_known($4) AS timezone_ok", 4 },
	{ "settings_digits",
	  "SELECT minor_digits FROM currencies WHERE code = $1", 1 },
	NUMBERS_STMT,
};

enum { ST_GET, ST_LOCK, ST_UPDATE, ST_CHECK, ST_DIGITS };

enum settings_kind { SK_TEXT, SK_OPTIONAL, SK_INT, SK_RATES };

struct settings_field {
	const char		*name;
	enum settings_kind	 kind;
};

/* In the order of settings_update's parameters. */
static const struct settings_field settings_fields[] = {
	{ "currency", SK_TEXT },
	{ "vat_rates", SK_RATES },
	{ "labour_rate_cents", SK_INT },
	{ "overhead_bp", SK_INT },
	{ "target_margin_bp", SK_INT },
	{ "business_name", SK_OPTIONAL },
	{ "business_street", SK_OPTIONAL },
	{ "business_postal_code", SK_OPTIONAL },
	{ "business_city", SK_OPTIONAL },
	{ "business_country", SK_OPTIONAL },
	{ "business_vat_id", SK_OPTIONAL },
	{ "timezone", SK_TEXT },
};
#define NFIELDS	(sizeof(settings_fields) / sizeof(settings_fields[0]))

#define VAT_ROWS	6	/* rate rows on the page; the SQL limit too */

static const struct settings_field *
settings_field(const char *name)
{
	size_t	i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(settings_fields[i].name, name) == 0)
			return &settings_fields[i];
	return NULL;
}

static char *
settings_upper(struct arena *a, const char *s)
{
	char	*u, *p;

	u = arena_strdup(a, s);
	for (p = u; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

/* 1 to VAT_ROWS rates {name, rate_bp}, names unique, one "standard". */
static void
settings_check_rates(struct req *r, json_t *rates)
{
	json_t		*rate, *name, *bp, *other;
	const char	*s;
	size_t		 i, j;
	int		 standard;

	if (!json_is_array(rates) || json_array_size(rates) < 1 ||
	    json_array_size(rates) > VAT_ROWS) {
		err_field(&r->err, "vat_rates", "must be a list of 1 to %d "
		    "rates", VAT_ROWS);
		return;
	}
	standard = 0;
	json_array_foreach(rates, i, rate) {
		name = json_object_get(rate, "name");
		bp = json_object_get(rate, "rate_bp");
		if (!json_is_object(rate) || json_object_size(rate) != 2 ||
		    !json_is_string(name) || !json_is_integer(bp)) {
			err_field(&r->err, "vat_rates", "rate %zu must be "
			    "{\"name\": text, \"rate_bp\": whole number}",
			    i + 1);
			return;
		}
		s = json_string_value(name);
		if (strlen(s) < 1 || strlen(s) > 32 || !islower(
		    (unsigned char)s[0]) || strspn(s,
		    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s)) {
			err_field(&r->err, "vat_rates", "rate %zu: the name "
			    "must be lower-case letters, digits and _, "
			    "starting with a letter", i + 1);
			return;
		}
		if (json_integer_value(bp) < 0 || json_integer_value(bp) >
		    10000) {
			err_field(&r->err, "vat_rates", "rate %zu: rate_bp "
			    "must be between 0 and 10000 (100 %%)", i + 1);
			return;
		}
		for (j = 0; j < i; j++) {
			other = json_array_get(rates, j);
			if (strcmp(s, json_string_value(json_object_get(other,
			    "name"))) == 0) {
				err_field(&r->err, "vat_rates", "the name "
				    "\"%s\" is used twice", s);
				return;
			}
		}
		if (strcmp(s, "standard") == 0)
			standard = 1;
	}
	if (!standard)
		err_field(&r->err, "vat_rates", "must have a rate named "
		    "\"standard\"");
}

/* Type-checks the merged settings and asks the database about the lists. */
static int
settings_validate(struct req *r, json_t *m)
{
	json_t		*chk;
	const char	*p[4];

	settings_check_rates(r, json_object_get(m, "vat_rates"));
	if (r->err.code != ERR_OK)
		return req_invalid(r, "settings");
	p[0] = json_string_value(json_object_get(m, "currency"));
	p[1] = json_string_value(json_object_get(m, "business_country"));
	p[2] = json_string_value(json_object_get(m, "business_vat_id"));
	p[3] = json_string_value(json_object_get(m, "timezone"));
	if (db_one(r->db, r->arena, &settings_stmts[ST_CHECK], p, &chk,
	    &r->err) != 0)
		return r->err.code;
	if (!json_is_true(json_object_get(chk, "currency_ok")))
		err_field(&r->err, "currency", "is not an ISO 4217 currency "
		    "code such as EUR");
	if (!json_is_true(json_object_get(chk, "country_ok")))
		err_field(&r->err, "business_country", "is not an ISO 3166-1 "
		    "country code such as DE");
	if (!json_is_true(json_object_get(chk, "timezone_ok")))
		err_field(&r->err, "timezone", "is not a time zone such as "
		    "Europe/Berlin");
	if (p[2] != NULL && !json_is_true(json_object_get(chk,
	    "vat_id_ok"))) {
		if (json_is_string(json_object_get(chk, "vat_id_example")))
			err_field(&r->err, "business_vat_id", "does not match "
			    "the format of its country (such as %s)",
			    json_string_value(json_object_get(chk,
			    "vat_id_example")));
		else
			err_field(&r->err, "business_vat_id", "must start "
			    "with an EU country prefix such as DE");
	}
	if (r->err.code != ERR_OK)
		return req_invalid(r, "settings");
	json_object_set(m, "business_vat_id", json_object_get(chk, "vat_id"));
	return 0;
}

/*
 * Applies changes (field -> value, null clears an optional field) to the
 * stored settings under the row lock, validates the result, stores it and
 * audits the fields that changed.  *after is the stored row (arena).
 */
static int
settings_apply(struct req *r, json_t *changes, json_t **after)
{
	const struct settings_field	*f;
	json_t				*before, *m, *v, *row;
	const char			*key, *p[NFIELDS];
	char				*s, *rates;
	size_t				 i;

	if (db_one(r->db, r->arena, &settings_stmts[ST_LOCK], NULL, &before,
	    &r->err) != 0)
		return r->err.code;
	if (before == NULL)
		return err_set(&r->err, ERR_INTERNAL,
		    "the business settings row is missing");
	m = arena_json(r->arena, json_object());
	for (i = 0; i < NFIELDS; i++)
		json_object_set(m, settings_fields[i].name,
		    json_object_get(before, settings_fields[i].name));
	json_object_foreach(changes, key, v) {
		if ((f = settings_field(key)) == NULL)
			continue;
		if (json_is_string(v)) {
			s = str_trim(r->arena, json_string_value(v));
			if (strcmp(key, "currency") == 0 ||
			    strcmp(key, "business_country") == 0)
				s = settings_upper(r->arena, s);
			v = *s == '\0' ? json_null() : json_string(s);
			arena_json(r->arena, v);
		}
		if (json_is_null(v) && f->kind != SK_OPTIONAL) {
			err_field(&r->err, key, "cannot be empty");
			continue;
		}
		json_object_set(m, key, v);
	}
	if (r->err.code != ERR_OK)
		return req_invalid(r, "settings");
	if (settings_validate(r, m) != 0)
		return r->err.code;
	for (i = 0; i < NFIELDS; i++) {
		v = json_object_get(m, settings_fields[i].name);
		if (settings_fields[i].kind == SK_INT)
			p[i] = arena_printf(r->arena, "%lld",
			    (long long)json_integer_value(v));
		else if (settings_fields[i].kind == SK_RATES) {
			rates = json_dumps(v, JSON_COMPACT);
			p[i] = arena_strdup(r->arena, rates != NULL ? rates :
			    "null");
			free(rates);
		} else
			p[i] = json_string_value(v);
	}
	if (db_one(r->db, r->arena, &settings_stmts[ST_UPDATE], p, &row,
	    &r->err) != 0)
		return r->err.code;
	*after = row;
	return record_audit_changed(r, "settings", "business", before, row,
	    "updated_at|currency_digits");
}

/* The answer of the API: the row without the page's helper column. */
static json_t *
settings_public(json_t *row)
{
	json_t	*o;

	o = json_deep_copy(row);
	json_object_del(o, "currency_digits");
	return o;
}

static int
settings_show(struct req *r)
{
	json_t	*row;

	if (db_one(r->db, r->arena, &settings_stmts[ST_GET], NULL, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND,
		    "the business settings row is missing");
	req_json(r, 200, settings_public(row));
	return 0;
}

static int
settings_update(struct req *r)
{
	json_t		*changes, *v, *row;
	const char	*key;

	changes = arena_json(r->arena, json_object());
	json_object_foreach(r->input, key, v)
		json_object_set(changes, key, json_is_null(v) ? json_null() :
		    json_object_get(r->args, key));
	if (settings_apply(r, changes, &row) != 0)
		return r->err.code;
	req_json(r, 200, settings_public(row));
	return 0;
}

/* ---- the page ---- */

static int
settings_digits(json_t *row)
{
	json_t	*d;

	d = json_object_get(row, "currency_digits");
	return json_is_integer(d) ? (int)json_integer_value(d) : 2;
}

static int
settings_page(struct req *r)
{
	json_t		*row, *form, *rate;
	const char	*opt[] = { "business_name", "business_street",
			    "business_postal_code", "business_city",
			    "business_country", "business_vat_id" };
	char		 text[48];
	size_t		 i;

	if (db_one(r->db, r->arena, &settings_stmts[ST_GET], NULL, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND,
		    "the business settings row is missing");
	form = json_object();
	json_object_set(form, "currency", json_object_get(row, "currency"));
	json_object_set(form, "timezone", json_object_get(row, "timezone"));
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		json_object_set(form, opt[i], json_object_get(row, opt[i]));
	json_object_set_new(form, "labour_rate", json_string(money_text(text,
	    sizeof(text), json_integer_value(json_object_get(row,
	    "labour_rate_cents")), settings_digits(row), 0)));
	json_object_set_new(form, "overhead_pct", json_string(money_text(text,
	    sizeof(text), json_integer_value(json_object_get(row,
	    "overhead_bp")), 2, 1)));
	json_object_set_new(form, "target_margin_pct", json_string(money_text(
	    text, sizeof(text), json_integer_value(json_object_get(row,
	    "target_margin_bp")), 2, 1)));
	json_array_foreach(json_object_get(row, "vat_rates"), i, rate) {
		json_object_set(form, arena_printf(r->arena, "vat_name_%zu",
		    i + 1), json_object_get(rate, "name"));
		json_object_set_new(form, arena_printf(r->arena,
		    "vat_rate_%zu", i + 1), json_string(money_text(text,
		    sizeof(text), json_integer_value(json_object_get(rate,
		    "rate_bp")), 2, 1)));
	}
	r->out = json_pack("{s:O, s:o, s:s}", "settings", row, "form", form,
	    "title", arena_printf(r->arena, "%s · %s", req_t(r,
	    "customers_biz_title"), req_t(r, "page_settings")));
	return 0;
}

static int
settings_page_save(struct req *r)
{
	static const char *const plain[] = { "currency", "timezone",
	    "business_name", "business_street", "business_postal_code",
	    "business_city", "business_country", "business_vat_id" };
	json_t		*changes, *rates, *row, *d;
	const char	*name, *rate, *p;
	long long	 bp;
	size_t		 i;
	int		 digits;

	changes = arena_json(r->arena, json_object());
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (req_str(r, plain[i]) != NULL)
			json_object_set_new(changes, plain[i],
			    json_string(req_str(r, plain[i])));
	digits = 2;
	p = req_str(r, "currency");
	if (p != NULL && (p = settings_upper(r->arena, str_trim(r->arena,
	    p))) != NULL && db_one(r->db, r->arena,
	    &settings_stmts[ST_DIGITS], &p, &d, &r->err) == 0 && d != NULL)
		digits = (int)json_integer_value(json_object_get(d,
		    "minor_digits"));
	if (r->err.code != ERR_OK)
		return r->err.code;
	record_form_number(r, changes, "labour_rate", "labour_rate_cents",
	    digits, 100000000, "must be an amount such as 45.00");
	record_form_number(r, changes, "overhead_pct", "overhead_bp", 2,
	    100000, "must be a percentage such as 15 or 12.5");
	record_form_number(r, changes, "target_margin_pct",
	    "target_margin_bp", 2, 9900, "must be a percentage below 100");
	rates = json_array();
	json_object_set_new(changes, "vat_rates", rates);
	for (i = 1; i <= VAT_ROWS; i++) {
		name = req_str(r, arena_printf(r->arena, "vat_name_%zu", i));
		rate = req_str(r, arena_printf(r->arena, "vat_rate_%zu", i));
		name = str_trim(r->arena, name != NULL ? name : "");
		rate = str_trim(r->arena, rate != NULL ? rate : "");
		if (*name == '\0' && *rate == '\0')
			continue;
		if (*name == '\0') {
			err_field(&r->err, arena_printf(r->arena,
			    "vat_name_%zu", i), "name the rate");
			continue;
		}
		if (money_parse(rate, 2, 10000, &bp) != 0) {
			err_field(&r->err, arena_printf(r->arena,
			    "vat_rate_%zu", i), "must be a percentage from 0 "
			    "to 100");
			continue;
		}
		json_array_append_new(rates, json_pack("{s:s, s:I}", "name",
		    name, "rate_bp", (json_int_t)bp));
	}
	if (r->err.code != ERR_OK)
		return req_invalid(r, "settings");
	if (settings_apply(r, changes, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "customers_flash_settings_saved");
	req_redirect(r, "/settings/business");
	return 0;
}

static const struct param update_params[] = {
	{ "currency", IN_BODY, P_STR, 0, 3, 3, NULL },
	{ "vat_rates", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "labour_rate_cents", IN_BODY, P_INT, 0, 0, 100000000, NULL },
	{ "overhead_bp", IN_BODY, P_INT, 0, 0, 100000, NULL },
	{ "target_margin_bp", IN_BODY, P_INT, 0, 0, 9900, NULL },
	{ "business_name", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "business_street", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "business_postal_code", IN_BODY, P_STR, 0, 0, 16, NULL },
	{ "business_city", IN_BODY, P_STR, 0, 0, 100, NULL },
	{ "business_country", IN_BODY, P_STR, 0, 0, 2, NULL },
	{ "business_vat_id", IN_BODY, P_STR, 0, 0, 32, NULL },
	{ "timezone", IN_BODY, P_STR, 0, 1, 64, NULL },
	PARAM_END,
};

#define VAT_ROW(n) \
	{ "vat_name_" #n, IN_BODY, P_STR, 0, 0, 32, NULL }, \
	{ "vat_rate_" #n, IN_BODY, P_STR, 0, 0, 12, NULL }

static const struct param form_params[] = {
	{ "currency", IN_BODY, P_STR, 0, 0, 8, NULL },
	{ "labour_rate", IN_BODY, P_STR, 0, 0, 20, NULL },
	{ "overhead_pct", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "target_margin_pct", IN_BODY, P_STR, 0, 0, 12, NULL },
	{ "business_name", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "business_street", IN_BODY, P_STR, 0, 0, 200, NULL },
	{ "business_postal_code", IN_BODY, P_STR, 0, 0, 16, NULL },
	{ "business_city", IN_BODY, P_STR, 0, 0, 100, NULL },
	{ "business_country", IN_BODY, P_STR, 0, 0, 2, NULL },
	{ "business_vat_id", IN_BODY, P_STR, 0, 0, 32, NULL },
	{ "timezone", IN_BODY, P_STR, 0, 0, 64, NULL },
	VAT_ROW(1), VAT_ROW(2), VAT_ROW(3), VAT_ROW(4), VAT_ROW(5), VAT_ROW(6),
	PARAM_END,
};

static const struct route settings_routes[] = {
	{ "GET", "/api/v1/settings", settings_show, ROLE_ANY, 0, NULL, NULL },
	{ "PATCH", "/api/v1/settings", settings_update, ROLE_OWNER, 0,
	    update_params, NULL },
	{ "GET", "/settings/business", settings_page, ROLE_ANY, ROUTE_PAGE,
	    NULL, "settings/business" },
	{ "POST", "/settings/business", settings_page_save, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, form_params, "settings/business" },
};

const struct resource settings_resource = {
	"settings", settings_routes,
	sizeof(settings_routes) / sizeof(settings_routes[0]),
	settings_stmts, sizeof(settings_stmts) / sizeof(settings_stmts[0]),
};

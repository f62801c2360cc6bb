/*
 * customers.c -- customers: /api/v1/customers (list with search, filters,
 * sort and pages; create, show, change, delete), the GDPR export and
 * anonymisation, and the pages /customers, /customers/new and
 * /customers/{id}.
 *
 * Invariants: a customer is validated as a whole (the stored row merged
 * with the changed fields), so every write path checks the same rules;
 * countries come from the `countries` list and VAT IDs match their EU
 * prefix's format (both asked of the database, which enforces them too).
 * Anonymisation and the refusal to delete a customer with documents live
 * in SQL (customer_anonymise, customers_keep_documented).  Audit rows of
 * anonymisation and deletion never copy personal data.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"
#include "core/json.h"
#include "db/db.h"
#include "http/req.h"
#include "res/customers.h"
#include "res/record.h"

#define CUSTOMER_COLS \
	"c.id, c.name, c.email, c.phone, c.billing_street, " \
	"c.billing_postal_code, c.billing_city, c.billing_country, " \
	"c.shipping_street, c.shipping_postal_code, c.shipping_city, " \
	"c.shipping_country, c.vat_id, c.source::text AS source, " \
	"c.external_id, c.notes, c.anonymised_at, c.created_at, c.updated_at"

#define CUSTOMER_FILTER \
	"($1::text IS NULL OR strpos(lower(c.name), lower($1)) > 0 OR " \
	"strpos(lower(coalesce(c.email, '')), lower($1)) > 0) AND " \
	"($2::text IS NULL OR c.source::text = $2) AND " \
	"($3::text IS NULL OR c.billing_country = $3)"

/* One ORDER BY key per sort field and direction; $n names the choice. */
#define SORT_KEY(n, f, e)	RECORD_SORT_BY("$" n, f, e)
#define SORT_SLOT(n) \
	SORT_KEY(n, "name", "lower(c.name)") \
	SORT_KEY(n, "email", "lower(c.email)") \
	SORT_KEY(n, "country", "c.billing_country") \
	SORT_KEY(n, "source", "c.source::text") \
	SORT_KEY(n, "created_at", "c.created_at") \
	SORT_KEY(n, "updated_at", "c.updated_at") \
	SORT_KEY(n, "id", "c.id")

static const char *const customers_sorts[] = { "name", "email", "country",
    "source", "created_at", "updated_at", "id" };
#define SORT_MAX	3

static const struct stmt customers_stmts[] = {
	{ "customers_list",
	  "SELECT " CUSTOMER_COLS " FROM customers c WHERE " CUSTOMER_FILTER
	  " ORDER BY " SORT_SLOT("4") SORT_SLOT("5") SORT_SLOT("6") "c.id "
	  "LIMIT $7 OFFSET $8", 8 },
	{ "customers_count",
	  "SELECT count(*) AS n FROM customers c WHERE " CUSTOMER_FILTER, 3 },
	{ "customers_show",
	  "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.id = $1", 1 },
	{ "customers_lock",
	  "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.id = $1 "
	  "FOR UPDATE", 1 },
	{ "customers_create",
	  "INSERT INTO customers AS c (name, email, phone, billing_street, "
	  "billing_postal_code, billing_city, billing_country, "
	  "shipping_street, shipping_postal_code, shipping_city, "
	  "shipping_country, vat_id, source, external_id, notes) VALUES ($1, "
	  "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
	  "$13::customer_source, $14, $15) RETURNING " CUSTOMER_COLS, 15 },
	{ "customers_update",
	  "UPDATE customers AS c SET name = $2, email = $3, phone = $4, "
	  "billing_street = $5, billing_postal_code = $6, billing_city = $7, "
	  "billing_country = $8, shipping_street = $9, shipping_postal_code = "
	  "$10, shipping_city = $11, shipping_country = $12, vat_id = $13, "
	  "source = $14::customer_source, external_id = $15, notes = $16 "
	  "WHERE c.id = $1 RETURNING " CUSTOMER_COLS, 16 },
	{ "customers_delete",
	  "DELETE FROM customers c WHERE c.id = $1 RETURNING c.id, "
	  "c.source::text AS source, c.billing_country, c.shipping_country, "
	  "c.created_at", 1 },
	{ "customers_check",
	  "SELECT $1::text IS NULL OR EXISTS (SELECT 1 FROM countries WHERE "
	  "code = $1) AS billing_country_ok, $2::text IS NULL OR EXISTS "
	  "(SELECT 1 FROM countries WHERE code = $2) AS shipping_country_ok, "
	  "vat_id_normalise($3) AS vat_id, vat_id_valid(vat_id_normalise($3)) "
	  "AS vat_id_ok, (SELECT example FROM vat_id_formats WHERE prefix = "
	  "substr(vat_id_normalise($3), 1, 2)) AS vat_id_example", 3 },
	{ "customers_anonymise",
	  "SELECT customer_anonymise($1) AS result", 1 },
	{ "customers_scrub_audit",
	  "UPDATE audit_log SET before = customer_scrub(before), after = "
	  "customer_scrub(after) WHERE entity = 'customer' AND entity_id = $1",
	  1 },
	{ "customers_audit",
	  "SELECT id, at, actor, action, before, after, request_id FROM "
	  "audit_log WHERE entity = 'customer' AND entity_id = $1 ORDER BY id",
	  1 },
	{ "customers_countries",
	  "SELECT code, name FROM countries ORDER BY name", 0 },
	{ "customers_orders",
	  "SELECT o.id, o.number, o.status::text AS status, o.order_date, "
	  "o.ship_name, o.ship_street, o.ship_postal_code, o.ship_city, "
	  "o.ship_country, o.carrier, o.tracking_number, o.notes, "
	  "o.currency, o.gross_cents, (SELECT coalesce(json_agg("
	  "json_build_object('description', l.description, 'quantity', "
	  "l.quantity, 'amount_cents', l.amount_cents) ORDER BY l.position), "
	  "'[]') FROM sales_order_lines l WHERE l.order_id = o.id) AS lines "
	  "FROM sales_orders o WHERE o.customer_id = $1::bigint ORDER BY o.id",
	  1 },
};

enum { ST_LIST, ST_COUNT, ST_SHOW, ST_LOCK, ST_CREATE, ST_UPDATE, ST_DELETE,
    ST_CHECK, ST_ANONYMISE, ST_SCRUB, ST_AUDIT, ST_COUNTRIES, ST_ORDERS };

/* The writable fields, in the order of customers_create's parameters. */
static const char *const customers_fields[] = { "name", "email", "phone",
    "billing_street", "billing_postal_code", "billing_city",
    "billing_country", "shipping_street", "shipping_postal_code",
    "shipping_city", "shipping_country", "vat_id", "source", "external_id",
    "notes" };
#define NFIELDS	(sizeof(customers_fields) / sizeof(customers_fields[0]))

#define PAGE_SIZE	50

/*
 * The {id} of the path.  A form shown again after an error is filled by
 * the GET handler after the router matched the path once more, which
 * leaves the id as the path's text: digits are taken as they are.
 */
/* The shape the database accepts too: local@domain.tld, no blanks. */
static int
customers_email_ok(const char *s)
{
	const char	*at, *dot, *p;

	if ((at = strchr(s, '@')) == NULL || at == s ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot != at + 1 && dot[1] != '\0';
}

/* "+49 30 1234567", "(030) 123-45": digits and a few separators. */
static int
customers_phone_ok(const char *s)
{
	size_t	n, i, digits;

	if (*s == '+')
		s++;
	n = strlen(s);
	if (n < 3 || n > 40 || strspn(s, "0123456789 ()./-") != n)
		return 0;
	for (i = digits = 0; i < n; i++)
		if (isdigit((unsigned char)s[i]))
			digits++;
	return digits >= 3;
}

/* The country code to look up, or NULL (none, or a field error). */
static const char *
customers_country(struct req *r, json_t *m, const char *field)
{
	const char	*s;

	s = json_string_value(json_object_get(m, field));
	if (s != NULL && (strlen(s) != 2 || !isupper((unsigned char)s[0]) ||
	    !isupper((unsigned char)s[1]))) {
		err_field(&r->err, field, "is not an ISO 3166-1 country code "
		    "such as DE");
		return NULL;
	}
	return s;
}

/* Checks the merged customer; normalises its VAT ID on the way. */
static int
customers_validate(struct req *r, json_t *m)
{
	json_t		*chk;
	const char	*s, *p[3];

	if (!json_is_string(json_object_get(m, "name")))
		err_field(&r->err, "name", "is required");
	if ((s = json_string_value(json_object_get(m, "email"))) != NULL &&
	    !customers_email_ok(s))
		err_field(&r->err, "email", "must be an e-mail address such "
		    "as name@example.com");
	if ((s = json_string_value(json_object_get(m, "phone"))) != NULL &&
	    !customers_phone_ok(s))
		err_field(&r->err, "phone", "must be a phone number such as "
		    "+49 30 1234567");
	if (!json_is_string(json_object_get(m, "source")))
		err_field(&r->err, "source", "cannot be empty");
	/* The lists are asked about every value of the right shape. */
	p[0] = customers_country(r, m, "billing_country");
	p[1] = customers_country(r, m, "shipping_country");
	p[2] = json_string_value(json_object_get(m, "vat_id"));
	if (db_one(r->db, r->arena, &customers_stmts[ST_CHECK], p, &chk,
	    &r->err) != 0)
		return r->err.code;
	if (p[0] != NULL && !json_is_true(json_object_get(chk,
	    "billing_country_ok")))
		err_field(&r->err, "billing_country", "is not an ISO 3166-1 "
		    "country code such as DE");
	if (p[1] != NULL && !json_is_true(json_object_get(chk,
	    "shipping_country_ok")))
		err_field(&r->err, "shipping_country", "is not an ISO 3166-1 "
		    "country code such as DE");
	if (p[2] != NULL && !json_is_true(json_object_get(chk, "vat_id_ok"))) {
		if (json_is_string(json_object_get(chk, "vat_id_example")))
			err_field(&r->err, "vat_id", "does not match the "
			    "format of its country (such as %s)",
			    json_string_value(json_object_get(chk,
			    "vat_id_example")));
		else
			err_field(&r->err, "vat_id", "must be an EU VAT ID "
			    "that starts with its country prefix, such as "
			    "DE123456789");
	}
	if (r->err.code != ERR_OK)
		return req_invalid(r, "customer");
	json_object_set(m, "vat_id", json_object_get(chk, "vat_id"));
	return 0;
}

/*
 * The customer as it will be: base (NULL for a new one) with every field
 * the request sent.  Text is trimmed, empty text and JSON null clear a
 * field, country codes are upper-cased.
 */
static json_t *
customers_merge(struct req *r, json_t *base)
{
	json_t		*m, *v;
	const char	*f;
	char		*s, *p;
	size_t		 i;

	m = arena_json(r->arena, json_object());
	for (i = 0; i < NFIELDS; i++) {
		f = customers_fields[i];
		v = base != NULL ? json_object_get(base, f) : NULL;
		json_object_set(m, f, v != NULL ? v : json_null());
	}
	if (base == NULL)
		json_object_set_new(m, "source", json_string("manual"));
	for (i = 0; i < NFIELDS; i++) {
		f = customers_fields[i];
		if (json_object_get(r->input, f) == NULL)
			continue;
		v = json_object_get(r->args, f);
		if (!json_is_string(v)) {
			json_object_set(m, f, json_null());
			continue;
		}
		s = str_trim(r->arena, json_string_value(v));
		if (strcmp(f, "billing_country") == 0 ||
		    strcmp(f, "shipping_country") == 0)
			for (p = s; *p != '\0'; p++)
				*p = (char)toupper((unsigned char)*p);
		json_object_set_new(m, f, *s == '\0' ? json_null() :
		    json_string(s));
	}
	return m;
}

static void
customers_params(json_t *m, const char **p)
{
	size_t	i;

	for (i = 0; i < NFIELDS; i++)
		p[i] = json_string_value(json_object_get(m,
		    customers_fields[i]));
}

/* A clearer word for the one uniqueness rule. */
static int
customers_conflict(struct req *r, json_t *m)
{
	if (r->err.code == ERR_CONFLICT && strstr(r->err.message,
	    "customers_source_external") != NULL) {
		err_set(&r->err, ERR_CONFLICT, "a customer from %s with "
		    "external id \"%s\" exists already",
		    json_string_value(json_object_get(m, "source")),
		    json_string_value(json_object_get(m, "external_id")));
		err_field(&r->err, "external_id", "is taken");
	}
	return r->err.code;
}

static const char *
customers_row_id(struct req *r, json_t *row)
{
	return arena_printf(r->arena, "%lld", (long long)json_integer_value(
	    json_object_get(row, "id")));
}

int
customers_make_from(struct req *r, const char *source, json_t **row)
{
	json_t		*m;
	const char	*p[NFIELDS];

	m = customers_merge(r, NULL);
	if (source != NULL)
		json_object_set_new(m, "source", json_string(source));
	if (customers_validate(r, m) != 0)
		return r->err.code;
	customers_params(m, p);
	if (db_one(r->db, r->arena, &customers_stmts[ST_CREATE], p, row,
	    &r->err) != 0)
		return customers_conflict(r, m);
	return req_audit(r, "create", "customer", customers_row_id(r, *row),
	    NULL, *row);
}

/* Creates a customer from the request; *row is the stored one. */
static int
customers_make(struct req *r, json_t **row)
{
	return customers_make_from(r, NULL, row);
}

/* Changes the customer {id} by the fields the request sent. */
static int
customers_change(struct req *r, json_t **row)
{
	json_t		*before, *m, *ob, *oa;
	const char	*p[NFIELDS + 1], *key;
	size_t		 i;

	p[0] = record_id(r);
	if (record_find(r, &customers_stmts[ST_LOCK], req_int(r, "id", 0),
	    "customer", &before) != 0)
		return r->err.code;
	m = customers_merge(r, before);
	if (customers_validate(r, m) != 0)
		return r->err.code;
	customers_params(m, p + 1);
	if (db_one(r->db, r->arena, &customers_stmts[ST_UPDATE], p, row,
	    &r->err) != 0)
		return customers_conflict(r, m);
	ob = arena_json(r->arena, json_object());
	oa = arena_json(r->arena, json_object());
	for (i = 0; i < NFIELDS; i++) {
		key = customers_fields[i];
		if (json_equal(json_object_get(before, key),
		    json_object_get(*row, key)))
			continue;
		json_object_set(ob, key, json_object_get(before, key));
		json_object_set(oa, key, json_object_get(*row, key));
	}
	if (json_object_size(oa) == 0)
		return 0;
	return req_audit(r, "update", "customer", p[0], ob, oa);
}

/*
 * Anonymises the customer {id}: the audit row names the fields that held
 * data, never their values.  Calling it again changes nothing.
 */
static int
customers_anonymise_do(struct req *r, json_t **row)
{
	json_t		*res, *out;
	const char	*p;

	p = record_id(r);
	if (db_one(r->db, r->arena, &customers_stmts[ST_ANONYMISE], &p, &res,
	    &r->err) != 0)
		return r->err.code;
	out = json_object_get(res, "result");
	if (!json_is_object(out))
		return err_set(&r->err, ERR_NOT_FOUND, "no such customer: %s",
		    p);
	if (db_one(r->db, r->arena, &customers_stmts[ST_SHOW], &p, row,
	    &r->err) != 0)
		return r->err.code;
	if (!json_is_true(json_object_get(out, "newly")) &&
	    json_array_size(json_object_get(out, "fields")) == 0)
		return 0;
	return req_audit(r, "anonymise", "customer", p,
	    arena_json(r->arena, json_pack("{s:O}", "fields",
	    json_object_get(out, "fields"))), arena_json(r->arena,
	    json_pack("{s:O}", "anonymised_at", json_object_get(*row,
	    "anonymised_at"))));
}

/* ---- the API ---- */

/*
 * Reads ?sort=name,-created_at into up to SORT_MAX whitelisted keys (the
 * statement maps each to a fixed ORDER BY expression).
 */
static int
customers_sort(struct req *r, const char *spec, const char **keys)
{
	char		*all, *tok, *save;
	const char	*name;
	size_t		 i, n;

	keys[0] = "name";
	keys[1] = keys[2] = NULL;
	if (spec == NULL)
		return 0;
	all = arena_strdup(r->arena, spec);
	n = 0;
	for (tok = strtok_r(all, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		name = *tok == '-' ? tok + 1 : tok;
		for (i = 0; i < sizeof(customers_sorts) /
		    sizeof(customers_sorts[0]); i++)
			if (strcmp(name, customers_sorts[i]) == 0)
				break;
		if (i == sizeof(customers_sorts) / sizeof(customers_sorts[0])) {
			err_set(&r->err, ERR_BAD_REQUEST, "parameter \"sort\": "
			    "cannot sort by \"%s\"", name);
			err_hint(&r->err, "sort by name, email, country, "
			    "source, created_at, updated_at or id; a leading - "
			    "sorts descending");
			return ERR_BAD_REQUEST;
		}
		if (n == SORT_MAX)
			return err_set(&r->err, ERR_BAD_REQUEST, "parameter "
			    "\"sort\": at most %d fields", SORT_MAX);
		keys[n++] = tok;
	}
	if (n == 0)
		return err_set(&r->err, ERR_BAD_REQUEST, "parameter \"sort\" "
		    "names no field");
	return 0;
}

/* Runs the list and count for the filters in p[0..2]. */
static int
customers_query(struct req *r, const char **p, const char *sort,
    long long limit, long long offset, json_t **rows, json_t **total)
{
	json_t	*cnt;

	if (customers_sort(r, sort, p + 3) != 0)
		return r->err.code;
	p[6] = arena_printf(r->arena, "%lld", limit);
	p[7] = arena_printf(r->arena, "%lld", offset);
	if (db_exec(r->db, r->arena, &customers_stmts[ST_LIST], p, rows,
	    &r->err) != 0 || db_one(r->db, r->arena,
	    &customers_stmts[ST_COUNT], p, &cnt, &r->err) != 0)
		return r->err.code;
	*total = json_object_get(cnt, "n");
	return 0;
}

static int
customers_list(struct req *r)
{
	json_t		*rows, *total;
	const char	*p[8], *q;
	char		*country;

	q = req_str(r, "q");
	p[0] = q != NULL && *q != '\0' ? q : NULL;
	p[1] = req_str(r, "source");
	p[2] = NULL;
	if (req_str(r, "country") != NULL) {
		country = arena_strdup(r->arena, req_str(r, "country"));
		country[0] = (char)toupper((unsigned char)country[0]);
		country[1] = (char)toupper((unsigned char)country[1]);
		p[2] = country;
	}
	if (customers_query(r, p, req_str(r, "sort"), req_int(r, "limit", 50),
	    req_int(r, "offset", 0), &rows, &total) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:O}", "items", rows, "total",
	    total));
	return 0;
}

static int
customers_show(struct req *r)
{
	return record_answer(r, &customers_stmts[ST_SHOW], "customer");
}

static int
customers_create(struct req *r)
{
	json_t	*row;

	if (customers_make(r, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
customers_update(struct req *r)
{
	json_t	*row;

	if (customers_change(r, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/*
 * Deletes a customer without documents (the database refuses the others
 * with 409).  Earlier audit rows lose the personal data, and the delete
 * is recorded without it.
 */
static int
customers_delete(struct req *r)
{
	json_t		*row;
	const char	*p;

	p = record_id(r);
	if (db_one(r->db, r->arena, &customers_stmts[ST_DELETE], &p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such customer: %s",
		    p);
	if (db_exec(r->db, r->arena, &customers_stmts[ST_SCRUB], &p, NULL,
	    &r->err) != 0 || req_audit(r, "delete", "customer", p, row,
	    NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

/* Everything stored about one customer: orders and audit rows too. */
static int
customers_export(struct req *r)
{
	json_t		*row, *audit, *orders;
	const char	*p;

	p = record_id(r);
	if (record_find(r, &customers_stmts[ST_SHOW], req_int(r, "id", 0),
	    "customer", &row) != 0)
		return r->err.code;
	if (db_exec(r->db, r->arena, &customers_stmts[ST_AUDIT], &p, &audit,
	    &r->err) != 0 || db_exec(r->db, r->arena,
	    &customers_stmts[ST_ORDERS], &p, &orders, &r->err) != 0)
		return r->err.code;
	req_header(r, "Content-Disposition", arena_printf(r->arena,
	    "attachment; filename=\"customer-%s.json\"", p));
	req_json(r, 200, json_pack("{s:O, s:O, s:O}", "customer", row,
	    "orders", orders, "audit", audit));
	return 0;
}

static int
customers_anonymise(struct req *r)
{
	json_t	*row;

	if (customers_anonymise_do(r, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* ---- the pages ---- */

/* The keys every customers page adds to the base view. */
static json_t *
customers_view(struct req *r, const char *title_key)
{
	json_t	*v;

	v = json_object();
	json_object_set_new(v, "page", json_string("customers"));
	json_object_set_new(v, "nav_customers", json_true());
	json_object_set_new(v, "can_edit", json_boolean(r->who.role !=
	    ROLE_ACCOUNTANT));
	/* Customers belong with the orders: the title says so. */
	json_object_set_new(v, "title", json_string(title_key == NULL ?
	    arena_printf(r->arena, "%s · %s", req_t(r, "customers_title"),
	    req_t(r, "page_orders")) : arena_printf(r->arena, "%s · %s · %s",
	    req_t(r, title_key), req_t(r, "customers_title"),
	    req_t(r, "page_orders"))));
	return v;
}

static int
customers_page(struct req *r)
{
	json_t		*rows, *total, *v, *row;
	const char	*p[8], *q, *src;
	long long	 offset, n;
	size_t		 i;

	q = req_str(r, "q");
	src = req_str(r, "source");
	p[0] = q != NULL && *q != '\0' ? q : NULL;
	p[1] = src != NULL && (strcmp(src, "manual") == 0 || strcmp(src,
	    "etsy") == 0 || strcmp(src, "quote") == 0) ? src : NULL;
	p[2] = NULL;
	offset = req_int(r, "offset", 0);
	if (customers_query(r, p, NULL, PAGE_SIZE, offset, &rows, &total) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		json_object_set_new(row, "source_label", json_string(req_t(r,
		    arena_printf(r->arena, "customers_source_%s",
		    json_string_value(json_object_get(row, "source"))))));
	req_localize_times(r, rows);
	n = json_integer_value(total);
	v = customers_view(r, NULL);
	json_object_set(v, "customers", rows);
	json_object_set(v, "total", total);
	json_object_set_new(v, "q", json_string(p[0] != NULL ? p[0] : ""));
	json_object_set_new(v, "source", json_string(p[1] != NULL ? p[1] :
	    ""));
	if (offset > 0)
		json_object_set_new(v, "prev_offset", json_integer(offset >
		    PAGE_SIZE ? offset - PAGE_SIZE : 0));
	if (offset + PAGE_SIZE < n)
		json_object_set_new(v, "next_offset", json_integer(offset +
		    PAGE_SIZE));
	if (n > 0)
		json_object_set_new(v, "range", json_string(arena_printf(
		    r->arena, "%lld–%lld / %lld", offset < n ? offset + 1 : n,
		    offset + PAGE_SIZE < n ? offset + PAGE_SIZE : n, n)));
	r->out = v;
	return 0;
}

static int
customers_countries(struct req *r, json_t *v)
{
	json_t	*rows;

	if (db_exec(r->db, r->arena, &customers_stmts[ST_COUNTRIES], NULL,
	    &rows, &r->err) != 0)
		return r->err.code;
	json_object_set(v, "countries", rows);
	return 0;
}

static int
customers_page_new(struct req *r)
{
	json_t	*v;

	v = customers_view(r, "customers_new");
	json_object_set_new(v, "form", json_object());
	r->out = v;
	return customers_countries(r, v);
}

static int
customers_page_create(struct req *r)
{
	json_t	*row;

	if (customers_make(r, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "customers_flash_created");
	req_redirect(r, arena_printf(r->arena, "/customers/%s",
	    customers_row_id(r, row)));
	return 0;
}

static int
customers_page_show(struct req *r)
{
	json_t		*row, *shown, *v;

	if (record_find(r, &customers_stmts[ST_SHOW], req_int(r, "id", 0),
	    "customer", &row) != 0)
		return r->err.code;
	shown = arena_json(r->arena, json_array());
	json_array_append_new(shown, json_deep_copy(row));
	req_localize_times(r, shown);
	v = customers_view(r, NULL);
	json_object_set_new(v, "title", json_string(arena_printf(r->arena,
	    "%s · %s · %s", json_string_value(json_object_get(row, "name")),
	    req_t(r, "customers_title"), req_t(r, "page_orders"))));
	json_object_set(v, "customer", json_array_get(shown, 0));
	json_object_set(v, "form", row);
	json_object_set_new(v, "source_label", json_string(req_t(r,
	    arena_printf(r->arena, "customers_source_%s", json_string_value(
	    json_object_get(row, "source"))))));
	if (json_is_string(json_object_get(row, "anonymised_at")))
		json_object_set_new(v, "anonymised", json_true());
	r->out = v;
	return customers_countries(r, v);
}

static int
customers_page_update(struct req *r)
{
	json_t	*row;

	if (customers_change(r, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "customers_flash_saved");
	req_redirect(r, arena_printf(r->arena, "/customers/%s",
	    record_id(r)));
	return 0;
}

static int
customers_page_anonymise(struct req *r)
{
	json_t	*row;

	if (customers_anonymise_do(r, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "customers_flash_anonymised");
	req_redirect(r, arena_printf(r->arena, "/customers/%s",
	    record_id(r)));
	return 0;
}

/* ---- routes ---- */

#define FIELD_RULES \
	{ "email", IN_BODY, P_STR, 0, 0, 254, NULL }, \
	{ "phone", IN_BODY, P_STR, 0, 0, 40, NULL }, \
	{ "billing_street", IN_BODY, P_STR, 0, 0, 200, NULL }, \
	{ "billing_postal_code", IN_BODY, P_STR, 0, 0, 16, NULL }, \
	{ "billing_city", IN_BODY, P_STR, 0, 0, 100, NULL }, \
	{ "billing_country", IN_BODY, P_STR, 0, 0, 2, NULL }, \
	{ "shipping_street", IN_BODY, P_STR, 0, 0, 200, NULL }, \
	{ "shipping_postal_code", IN_BODY, P_STR, 0, 0, 16, NULL }, \
	{ "shipping_city", IN_BODY, P_STR, 0, 0, 100, NULL }, \
	{ "shipping_country", IN_BODY, P_STR, 0, 0, 2, NULL }, \
	{ "vat_id", IN_BODY, P_STR, 0, 0, 32, NULL }, \
	{ "notes", IN_BODY, P_STR, 0, 0, 4000, NULL }
#define SOURCE_RULES \
	{ "source", IN_BODY, P_ENUM, 0, 0, 0, "manual|etsy|quote" }, \
	{ "external_id", IN_BODY, P_STR, 0, 0, 100, NULL }

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 200, NULL },
	{ "source", IN_QUERY, P_ENUM, 0, 0, 0, "manual|etsy|quote" },
	{ "country", IN_QUERY, P_STR, 0, 2, 2, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param create_params[] = {
	{ "name", IN_BODY, P_STR, 1, 1, 200, NULL },
	FIELD_RULES,
	SOURCE_RULES,
	PARAM_END,
};
static const struct param update_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "name", IN_BODY, P_STR, 0, 1, 200, NULL },
	FIELD_RULES,
	SOURCE_RULES,
	PARAM_END,
};
static const struct param page_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 200, NULL },
	{ "source", IN_QUERY, P_STR, 0, 0, 10, NULL },
	{ "offset", IN_QUERY, P_INT, 0, 0, 1000000000, NULL },
	PARAM_END,
};
static const struct param form_new_params[] = {
	{ "name", IN_BODY, P_STR, 1, 0, 200, NULL },
	FIELD_RULES,
	PARAM_END,
};
static const struct param form_edit_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "name", IN_BODY, P_STR, 1, 0, 200, NULL },
	FIELD_RULES,
	PARAM_END,
};

static const struct route customers_routes[] = {
	{ "GET", "/api/v1/customers", customers_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "POST", "/api/v1/customers", customers_create,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_IDEMPOTENT, create_params, NULL },
	{ "GET", "/api/v1/customers/{id}", customers_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/customers/{id}", customers_update,
	    ROLE_OWNER | ROLE_STAFF, 0, update_params, NULL },
	{ "DELETE", "/api/v1/customers/{id}", customers_delete,
	    ROLE_OWNER | ROLE_STAFF, 0, params_id, NULL },
	{ "GET", "/api/v1/customers/{id}/export", customers_export,
	    ROLE_OWNER | ROLE_STAFF, 0, params_id, NULL },
	{ "POST", "/api/v1/customers/{id}/anonymise", customers_anonymise,
	    ROLE_OWNER, 0, params_id, NULL },
	{ "GET", "/customers", customers_page, ROLE_ANY, ROUTE_PAGE,
	    page_params, "customers/index" },
	{ "GET", "/customers/new", customers_page_new,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE, NULL, "customers/new" },
	{ "POST", "/customers/new", customers_page_create,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM, form_new_params,
	    "customers/new" },
	{ "GET", "/customers/{id}", customers_page_show, ROLE_ANY, ROUTE_PAGE,
	    params_id, "customers/show" },
	{ "POST", "/customers/{id}", customers_page_update,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM, form_edit_params,
	    "customers/show" },
	{ "POST", "/customers/{id}/anonymise", customers_page_anonymise,
	    ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM, params_id, "customers/show" },
};

const struct resource customers_resource = {
	"customers", customers_routes,
	sizeof(customers_routes) / sizeof(customers_routes[0]),
	customers_stmts, sizeof(customers_stmts) / sizeof(customers_stmts[0]),
};

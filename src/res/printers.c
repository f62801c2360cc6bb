/*
 * printers.c -- the printer registry: GET/POST /api/v1/printers,
 * GET/PATCH/DELETE /api/v1/printers/{id}, GET /api/v1/printers/{id}/state,
 * and the settings pages /settings/printers, /settings/printers/new and
 * /settings/printers/{id}.
 *
 * Invariants: a printer is validated as a whole (the stored row merged
 * with the changed fields), per kind: Bambu needs a serial and an access
 * code, OctoPrint an API key, PrusaLink a password or API key, Moonraker
 * nothing more (sql/0006_printers.sql enforces the same for every
 * writer).  The secret is sealed with secret_seal bound to
 * "printer:<id>:secret" (the id never changes, so the binding survives
 * every update) and never leaves the server: answers and audit rows say
 * only has_secret.  A change without "secret" keeps it, "secret": null
 * clears it.  Everyone reads; only owners change printers.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"
#include "core/crypto.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/money.h"
#include "domain/stock.h"
#include "http/req.h"
#include "res/farm.h"
#include "res/record.h"

#define PRINTER_COLS \
	"p.id, p.kind::text AS kind, p.name, p.model, p.host, p.port, " \
	"p.serial, p.username, p.secret IS NOT NULL AS has_secret, " \
	"p.tls_mode, p.tls_fingerprint, p.enclosure, " \
	"p.nozzle_mm::float8 AS nozzle_mm, p.build_x_mm::float8 AS " \
	"build_x_mm, p.build_y_mm::float8 AS build_y_mm, " \
	"p.build_z_mm::float8 AS build_z_mm, p.power_w, " \
	"p.machine_rate_cents_per_hour, p.location_id, l.name AS location, " \
	"array_to_json(p.tags) AS tags, p.active, p.poll_idle_s, " \
	"p.poll_busy_s, p.files_port, p.auth_failed_at, p.last_error, " \
	"coalesce(s.status::text, 'offline') AS status, p.created_at, " \
	"p.updated_at"
#define PRINTER_FROM \
	"FROM printers p LEFT JOIN locations l ON l.id = p.location_id " \
	"LEFT JOIN printer_state s ON s.printer_id = p.id "
#define PRINTER_FILTER \
	"WHERE ($1::text IS NULL OR strpos(lower(concat_ws(' ', p.name, " \
	"p.model, p.host, p.serial)), lower($1)) > 0) AND ($2::text IS NULL " \
	"OR p.kind::text = $2) AND ($3::boolean IS NULL OR p.active = $3) "
#define PRINTER_SORT(n) \
	RECORD_SORT_BY(n, "name", "lower(p.name)") \
	RECORD_SORT_BY(n, "kind", "p.kind::text") \
	RECORD_SORT_BY(n, "created_at", "p.created_at") \
	RECORD_SORT_BY(n, "id", "p.id")
#define PRINTER_SORTS	"name|kind|created_at|id"
/* The written columns, in the order of printers_fields plus the rest. */
#define PRINTER_SET \
	"kind, name, model, host, port, serial, username, tls_mode, " \
	"nozzle_mm, build_x_mm, build_y_mm, build_z_mm, power_w, " \
	"machine_rate_cents_per_hour, location_id, poll_idle_s, poll_busy_s, " \
	"files_port, enclosure, active, tags, secret"
#define PRINTER_VALUES \
	"$2::printer_kind, $3, $4, $5, $6::integer, $7, $8, $9, " \
	"$10::numeric, $11::numeric, $12::numeric, $13::numeric, " \
	"$14::integer, $15::bigint, $16::bigint, $17::integer, $18::integer, " \
	"$19::integer, $20::boolean, $21::boolean, ARRAY(SELECT " \
	"jsonb_array_elements_text($22::jsonb)), $23"

static const struct stmt printers_stmts[] = {
	{ "printers_list",
	  "SELECT " PRINTER_COLS " " PRINTER_FROM PRINTER_FILTER "ORDER BY "
	  PRINTER_SORT("$4") PRINTER_SORT("$5") "p.id LIMIT $6 OFFSET $7",
	  7 },
	{ "printers_count",
	  "SELECT count(*) AS n FROM printers p " PRINTER_FILTER, 3 },
	{ "printers_show",
	  "SELECT " PRINTER_COLS " " PRINTER_FROM "WHERE p.id = $1", 1 },
	{ "printers_lock",
	  "SELECT " PRINTER_COLS ", p.secret AS sealed " PRINTER_FROM
	  "WHERE p.id = $1 FOR UPDATE OF p", 1 },
	{ "printers_next_id",
	  "SELECT nextval(pg_get_serial_sequence('printers', 'id')) AS id", 0 },
	{ "printers_create",
	  "INSERT INTO printers (id, " PRINTER_SET ") OVERRIDING SYSTEM VALUE "
	  "VALUES ($1, " PRINTER_VALUES ") RETURNING id", 23 },
	{ "printers_update",
	  "UPDATE printers SET (" PRINTER_SET ") = (" PRINTER_VALUES ") "
	  "WHERE id = $1 RETURNING id", 23 },
	{ "printers_in_use",
	  "SELECT EXISTS (SELECT 1 FROM print_runs WHERE printer_id = $1) OR "
	  "EXISTS (SELECT 1 FROM print_jobs WHERE printer_id = $1) AS used", 1 },
	{ "printers_delete",
	  "DELETE FROM printers WHERE id = $1 RETURNING id, kind::text AS "
	  "kind, name, host, port", 1 },
	{ "printers_state",
	  "SELECT p.id AS printer_id, p.name, coalesce(s.online, false) AS "
	  "online, coalesce(s.status::text, 'offline') AS status, s.job, "
	  "s.progress::float8 AS progress, s.layer, s.total_layers, "
	  "s.remaining_s, s.nozzle_c::float8 AS nozzle_c, "
	  "s.nozzle_target_c::float8 AS nozzle_target_c, s.bed_c::float8 AS "
	  "bed_c, s.bed_target_c::float8 AS bed_target_c, "
	  "s.chamber_c::float8 AS chamber_c, s.fan_pct, s.speed_pct, "
	  "s.control_ok, coalesce(s.slots, '[]') AS slots, "
	  "coalesce(s.errors, '[]') AS errors, s.last_message_at, "
	  "s.updated_at FROM printers p LEFT JOIN printer_state s ON "
	  "s.printer_id = p.id WHERE p.id = $1", 1 },
	{ "printers_locations",
	  "SELECT id, name FROM locations ORDER BY lower(name), id", 0 },
};

enum { ST_LIST, ST_COUNT, ST_SHOW, ST_LOCK, ST_NEXT_ID, ST_CREATE,
    ST_UPDATE, ST_IN_USE, ST_DELETE, ST_STATE, ST_LOCATIONS };

/* Scalar fields checked by stock_record, in the statements' order ($2..). */
static const struct stock_field printers_fields[] = {
	{ "kind", SF_ENUM, 1, 0, 0, 0,
	    "bambu|prusalink|octoprint|moonraker" },
	{ "name", SF_TEXT, 1, 1, 100, 0, NULL },
	{ "model", SF_TEXT, 0, 1, 100, 0, NULL },
	{ "host", SF_TEXT, 1, 1, 253, 0, NULL },
	{ "port", SF_INT, 0, 1, 65535, 0, NULL },
	{ "serial", SF_TEXT, 0, 1, 64, 0, NULL },
	{ "username", SF_TEXT, 0, 1, 100, 0, NULL },
	{ "tls_mode", SF_ENUM, 1, 0, 0, 0, "verify|tofu" },
	{ "nozzle_mm", SF_NUM, 1, 0, 3, 1, NULL },
	{ "build_x_mm", SF_NUM, 0, 0, 10000, 1, NULL },
	{ "build_y_mm", SF_NUM, 0, 0, 10000, 1, NULL },
	{ "build_z_mm", SF_NUM, 0, 0, 10000, 1, NULL },
	{ "power_w", SF_INT, 0, 0, 100000, 0, NULL },
	{ "machine_rate_cents_per_hour", SF_INT, 0, 0, 100000000, 0, NULL },
	{ "location_id", SF_ID, 0, 0, 0, 0, NULL },
	{ "poll_idle_s", SF_INT, 1, 1, 3600, 0, NULL },
	{ "poll_busy_s", SF_INT, 1, 1, 3600, 0, NULL },
	{ "files_port", SF_INT, 0, 1, 65535, 0, NULL },
};
#define NFIELDS		(sizeof(printers_fields) / sizeof(printers_fields[0]))
/* $1 id, $2.. the fields, then enclosure, active, tags, secret. */
#define NPARAMS		(NFIELDS + 5)

#define SECRET_MAX	200
#define TAGS_MAX	20
#define TAG_MAX		40

/* Fields of the answer that audit rows compare (never the secret). */
static const char *const printers_audited[] = { "kind", "name", "model",
    "host", "port", "serial", "username", "has_secret", "tls_mode",
    "enclosure", "nozzle_mm", "build_x_mm", "build_y_mm", "build_z_mm",
    "power_w", "machine_rate_cents_per_hour", "location_id", "tags",
    "active", "poll_idle_s", "poll_busy_s", "files_port" };

static long long
printers_default_port(const char *kind)
{
	if (kind == NULL)
		return 0;
	if (strcmp(kind, "bambu") == 0)
		return 8883;
	if (strcmp(kind, "moonraker") == 0)
		return 7125;
	return 80;
}

/* A hostname (RFC 1123 labels), an IPv4 or an IPv6 address. */
static int
printers_host_ok(const char *h)
{
	unsigned char	 addr[16];
	const char	*p, *label;
	size_t		 n, len;

	n = strlen(h);
	if (n == 0 || n > 253)
		return 0;
	if (strchr(h, ':') != NULL)
		return inet_pton(AF_INET6, h, addr) == 1;
	if (strspn(h, "0123456789.") == n)
		return inet_pton(AF_INET, h, addr) == 1;
	for (label = p = h;; p++) {
		if (*p != '.' && *p != '\0') {
			if (!isalnum((unsigned char)*p) && *p != '-')
				return 0;
			continue;
		}
		len = (size_t)(p - label);
		if (len == 0)
			/* only a trailing dot may end an empty label */
			return *p == '\0' && p != h && label != h;
		if (len > 63 || label[0] == '-' || p[-1] == '-')
			return 0;
		if (*p == '\0')
			return 1;
		label = p + 1;
	}
}

/*
 * The fields a request sets, cleaned: text trimmed, the serial
 * upper-cased.  Keys stay as sent; values the caller checks.
 */
static json_t *
printers_clean(struct req *r, json_t *in)
{
	json_t		*c, *v;
	const char	*key;
	char		*s, *p;

	c = arena_json(r->arena, json_object());
	json_object_foreach(in, key, v) {
		if (json_is_string(v) && strcmp(key, "secret") != 0) {
			s = str_trim(r->arena, json_string_value(v));
			if (strcmp(key, "serial") == 0)
				for (p = s; *p != '\0'; p++)
					*p = (char)toupper((unsigned char)*p);
			json_object_set_new(c, key, json_string(s));
		} else
			json_object_set(c, key, v);
	}
	return c;
}

/* The tags as JSON text for the statement, or NULL with a field error. */
static const char *
printers_tags(struct req *r, json_t *tags)
{
	json_t		*t;
	const char	*s;
	size_t		 i, j, n;

	if (json_is_null(tags))
		return "[]";
	if (!json_is_array(tags) || json_array_size(tags) > TAGS_MAX) {
		err_field(&r->err, "tags", "must be a list of at most %d tags",
		    TAGS_MAX);
		return NULL;
	}
	json_array_foreach(tags, i, t) {
		s = json_string_value(t);
		n = s != NULL ? strlen(s) : 0;
		if (s == NULL || n == 0 || n > TAG_MAX || n !=
		    json_string_length(t)) {
			err_field(&r->err, "tags", "each tag must be text of 1 "
			    "to %d characters", TAG_MAX);
			return NULL;
		}
		for (j = 0; j < n; j++)
			if (iscntrl((unsigned char)s[j])) {
				err_field(&r->err, "tags", "a tag cannot hold "
				    "control characters");
				return NULL;
			}
	}
	return arena_json_text(r->arena, tags);
}

/* A boolean field: sent (must be true/false) or the stored value. */
static const char *
printers_bool(struct req *r, json_t *in, json_t *base, const char *key)
{
	json_t	*v;

	v = json_object_get(in, key);
	if (v == NULL)
		v = json_object_get(base, key);
	if (!json_is_boolean(v)) {
		err_field(&r->err, key, "must be true or false");
		return NULL;
	}
	return json_is_true(v) ? "true" : "false";
}

/* The checks that depend on the kind and on more than one field. */
static void
printers_check_kind(struct req *r, json_t *m, int has_secret)
{
	const char	*kind, *host, *serial;
	json_t		*files_port;

	kind = json_string_value(json_object_get(m, "kind"));
	host = json_string_value(json_object_get(m, "host"));
	serial = json_string_value(json_object_get(m, "serial"));
	if (host != NULL && !printers_host_ok(host))
		err_field(&r->err, "host", "must be a hostname or an IP "
		    "address such as printer.local or 192.168.1.20");
	if (serial != NULL && (strlen(serial) < 6 || strlen(serial) > 32 ||
	    strspn(serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
	    strlen(serial)))
		err_field(&r->err, "serial", "must be 6 to 32 letters and "
		    "digits such as 01S00A123456789");
	if (kind == NULL)
		return;
	files_port = json_object_get(m, "files_port");
	if (strcmp(kind, "bambu") != 0 && files_port != NULL &&
	    !json_is_null(files_port))
		err_field(&r->err, "files_port", "only a Bambu Lab printer has "
		    "a files port (FTPS); the other kinds use the port above");
	if (strcmp(kind, "bambu") == 0) {
		if (serial == NULL && json_object_get(r->err.fields,
		    "serial") == NULL)
			err_field(&r->err, "serial", "is required for a Bambu "
			    "Lab printer");
		if (!has_secret)
			err_field(&r->err, "secret", "a Bambu Lab printer needs "
			    "its access code");
	} else if (strcmp(kind, "octoprint") == 0 && !has_secret)
		err_field(&r->err, "secret", "an OctoPrint printer needs an "
		    "API key");
	else if (strcmp(kind, "prusalink") == 0 && !has_secret)
		err_field(&r->err, "secret", "a PrusaLink printer needs a "
		    "password or an API key");
}

/* A clearer word for the one uniqueness rule. */
static int
printers_conflict(struct req *r, json_t *m)
{
	if (r->err.code == ERR_CONFLICT && strstr(r->err.message,
	    "printers_name") != NULL) {
		err_set(&r->err, ERR_CONFLICT, "a printer named \"%s\" exists "
		    "already", json_string_value(json_object_get(m, "name")));
		err_field(&r->err, "name", "is taken");
	}
	return r->err.code;
}

static int
printers_get(struct req *r, const char *id, json_t **row)
{
	return record_find(r, &printers_stmts[ST_SHOW], strtoll(id, NULL, 10),
	    "printer", row);
}

/* The audited view of a row: the compared fields only. */
static json_t *
printers_audit_view(struct req *r, json_t *row)
{
	json_t	*o;
	size_t	 i;

	o = arena_json(r->arena, json_object());
	for (i = 0; i < sizeof(printers_audited) / sizeof(printers_audited[0]);
	    i++)
		json_object_set(o, printers_audited[i], json_object_get(row,
		    printers_audited[i]));
	return o;
}

/*
 * Creates (cur NULL) or changes the printer cur by the fields in `in`
 * (already cleaned): merged, validated as a whole, the secret sealed,
 * stored and audited.  *row is the stored printer as the API shows it.
 */
static int
printers_save(struct req *r, json_t *cur, json_t *in, json_t **row)
{
	json_t		*base, *m, *v, *nextid, *ob, *oa;
	const char	*p[NPARAMS], *kind, *oldkind, *plain, *id;
	size_t		 i;
	int		 has_secret, changed_secret;

	if (cur == NULL) {
		base = arena_json(r->arena, json_pack("{s:s, s:s, s:f, s:i, "
		    "s:i, s:b, s:b, s:[], s:b}", "username", "maker",
		    "tls_mode", "verify", "nozzle_mm", 0.4, "poll_idle_s", 10,
		    "poll_busy_s", 2, "enclosure", 0, "active", 1, "tags",
		    "has_secret", 0));
	} else
		base = cur;
	/* A new kind without a port sent moves off the old kind's default. */
	kind = json_string_value(json_object_get(in, "kind"));
	oldkind = json_string_value(json_object_get(base, "kind"));
	if (cur != NULL && kind != NULL && oldkind != NULL && strcmp(kind,
	    oldkind) != 0 && json_object_get(in, "port") == NULL &&
	    json_integer_value(json_object_get(cur, "port")) ==
	    printers_default_port(oldkind))
		json_object_set_new(in, "port", json_null());
	/* A printer that is no longer a Bambu keeps no files port. */
	if (kind != NULL && strcmp(kind, "bambu") != 0 &&
	    json_object_get(in, "files_port") == NULL)
		json_object_set_new(in, "files_port", json_null());
	/* Unset user name: PrusaLink's default. */
	v = json_object_get(in, "username");
	if (v != NULL && (json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0)))
		json_object_set_new(in, "username", json_string("maker"));
	stock_record(r->arena, printers_fields, NFIELDS, base, in, p + 1, &m,
	    &r->err);
	p[NFIELDS + 1] = printers_bool(r, in, base, "enclosure");
	p[NFIELDS + 2] = printers_bool(r, in, base, "active");
	v = json_object_get(in, "tags");
	p[NFIELDS + 3] = printers_tags(r, v != NULL ? v :
	    json_object_get(base, "tags"));
	/* The secret: sent text replaces, null clears, absent keeps. */
	plain = NULL;
	changed_secret = 0;
	has_secret = json_is_true(json_object_get(base, "has_secret"));
	v = json_object_get(in, "secret");
	if (v != NULL && json_is_null(v)) {
		changed_secret = has_secret;
		has_secret = 0;
	} else if (v != NULL) {
		plain = json_string_value(v);
		if (plain == NULL || *plain == '\0' || strlen(plain) >
		    SECRET_MAX || strlen(plain) != json_string_length(v)) {
			err_field(&r->err, "secret", "must be text of 1 to %d "
			    "characters (null removes it)", SECRET_MAX);
			plain = NULL;
		} else {
			has_secret = 1;
			changed_secret = 1;
		}
	}
	printers_check_kind(r, m, has_secret);
	if (r->err.fields != NULL)
		return req_invalid(r, "printer");
	err_clear(&r->err);
	if (cur == NULL) {
		if (db_one(r->db, r->arena, &printers_stmts[ST_NEXT_ID], NULL,
		    &nextid, &r->err) != 0)
			return r->err.code;
		id = arena_printf(r->arena, "%lld", json_row_int(nextid,
		    "id"));
	} else
		id = arena_printf(r->arena, "%lld", json_row_int(cur, "id"));
	p[0] = id;
	if (plain != NULL)
		p[NFIELDS + 4] = secret_seal(r->arena, r->secret,
		    arena_printf(r->arena, "printer:%s:secret", id), plain,
		    strlen(plain));
	else if (has_secret)
		p[NFIELDS + 4] = json_string_value(json_object_get(cur,
		    "sealed"));
	else
		p[NFIELDS + 4] = NULL;
	if (db_one(r->db, r->arena, &printers_stmts[cur == NULL ? ST_CREATE :
	    ST_UPDATE], p, &v, &r->err) != 0)
		return printers_conflict(r, m);
	if (printers_get(r, id, row) != 0)
		return r->err.code;
	if (cur == NULL) {
		oa = printers_audit_view(r, *row);
		return req_audit(r, "create", "printer", id, NULL, oa);
	}
	ob = arena_json(r->arena, json_object());
	oa = arena_json(r->arena, json_object());
	for (i = 0; i < sizeof(printers_audited) / sizeof(printers_audited[0]);
	    i++) {
		if (json_equal(json_object_get(cur, printers_audited[i]),
		    json_object_get(*row, printers_audited[i])))
			continue;
		json_object_set(ob, printers_audited[i], json_object_get(cur,
		    printers_audited[i]));
		json_object_set(oa, printers_audited[i], json_object_get(*row,
		    printers_audited[i]));
	}
	if (changed_secret && plain != NULL &&
	    json_is_true(json_object_get(cur, "has_secret")))
		json_object_set_new(oa, "secret_replaced", json_true());
	if (json_object_size(oa) == 0)
		return 0;
	return req_audit(r, "update", "printer", id, ob, oa);
}

/* Locks the printer {id}: the row with its sealed secret as "sealed". */
static int
printers_lock(struct req *r, json_t **cur)
{
	return record_find(r, &printers_stmts[ST_LOCK], req_int(r, "id", 0),
	    "printer", cur);
}

/*
 * Deletes the printer {id} unless history names it; *used is set (and
 * nothing changes) when it does.
 */
static int
printers_remove(struct req *r, int *used)
{
	json_t		*row, *u;
	const char	*id;

	*used = 0;
	id = record_id(r);
	if (printers_get(r, id, &row) != 0 || db_one(r->db, r->arena,
	    &printers_stmts[ST_IN_USE], &id, &u, &r->err) != 0)
		return r->err.code;
	if (json_is_true(json_object_get(u, "used"))) {
		*used = 1;
		err_set(&r->err, ERR_CONFLICT, "printer %s is named by print "
		    "runs or print jobs", id);
		err_hint(&r->err, "deactivate the printer instead "
		    "(\"active\": false)");
		return ERR_CONFLICT;
	}
	if (db_one(r->db, r->arena, &printers_stmts[ST_DELETE], &id, &row,
	    &r->err) != 0)
		return r->err.code;
	return req_audit(r, "delete", "printer", id, printers_audit_view(r,
	    row), NULL);
}

/* ---- the API ---- */

static int
printers_query(struct req *r, const char *q, const char *kind,
    const char *active, const char *sort, long long limit, long long offset,
    json_t **rows, json_t **total)
{
	json_t		*cnt;
	const char	*p[7];

	p[0] = q != NULL && *q != '\0' ? q : NULL;
	p[1] = kind;
	p[2] = active;
	if (stock_sort(r->arena, sort, PRINTER_SORTS, "name", &p[3],
	    &r->err) != 0)
		return r->err.code;
	p[5] = arena_printf(r->arena, "%lld", limit);
	p[6] = arena_printf(r->arena, "%lld", offset);
	if (db_exec(r->db, r->arena, &printers_stmts[ST_LIST], p, rows,
	    &r->err) != 0 || db_one(r->db, r->arena,
	    &printers_stmts[ST_COUNT], p, &cnt, &r->err) != 0)
		return r->err.code;
	*total = json_object_get(cnt, "n");
	return 0;
}

static int
printers_list(struct req *r)
{
	json_t		*rows, *total;
	const char	*active;

	active = req_has(r, "active") ? (req_bool(r, "active", 1) ? "true" :
	    "false") : NULL;
	if (printers_query(r, req_str(r, "q"), req_str(r, "kind"), active,
	    req_str(r, "sort"), req_int(r, "limit", 50), req_int(r, "offset",
	    0), &rows, &total) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:O}", "items", rows, "total",
	    total));
	return 0;
}

static int
printers_show(struct req *r)
{
	json_t	*row;

	if (printers_get(r, record_id(r), &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
printers_create(struct req *r)
{
	json_t	*row;

	if (printers_save(r, NULL, printers_clean(r, r->input), &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
printers_update(struct req *r)
{
	json_t	*cur, *row;

	if (printers_lock(r, &cur) != 0 || printers_save(r, cur,
	    printers_clean(r, r->input), &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
printers_delete(struct req *r)
{
	int	used;

	if (printers_remove(r, &used) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

static int
printers_state(struct req *r)
{
	return record_answer(r, &printers_stmts[ST_STATE], "printer");
}

/* ---- the pages ---- */

static json_t *
printers_view(struct req *r, const char *title)
{
	json_t	*v;

	v = json_object();
	json_object_set_new(v, "page", json_string("printers-settings"));
	json_object_set_new(v, "nav_settings", json_true());
	json_object_set_new(v, "can_edit", json_boolean(r->who.role ==
	    ROLE_OWNER));
	json_object_set_new(v, "title", json_string(title != NULL ?
	    arena_printf(r->arena, "%s · %s · %s", title, req_t(r,
	    "printers_title"), req_t(r, "page_settings")) :
	    arena_printf(r->arena, "%s · %s", req_t(r, "printers_title"),
	    req_t(r, "page_settings"))));
	return v;
}

static int
printers_page(struct req *r)
{
	json_t	*rows, *total, *row, *v;
	size_t	 i;

	if (printers_query(r, NULL, NULL, NULL, NULL, 500, 0, &rows,
	    &total) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		farm_labels(r, row);
	v = printers_view(r, NULL);
	json_object_set(v, "printers", rows);
	json_object_set(v, "total", total);
	json_object_set_new(v, "has_printers", json_boolean(
	    json_array_size(rows) > 0));
	r->out = v;
	return 0;
}

/* The choices of the form: locations, with the current one marked. */
static int
printers_form_choices(struct req *r, json_t *v)
{
	json_t	*rows;

	if (db_exec(r->db, r->arena, &printers_stmts[ST_LOCATIONS], NULL,
	    &rows, &r->err) != 0)
		return r->err.code;
	json_object_set(v, "locations", rows);
	return 0;
}

static int
printers_page_new(struct req *r)
{
	json_t	*v;

	v = printers_view(r, req_t(r, "printers_new"));
	json_object_set_new(v, "form", json_pack("{s:s, s:s, s:s, s:s, s:s, "
	    "s:b, s:s, s:s}", "kind", "bambu", "tls_mode", "verify",
	    "username", "maker", "nozzle_mm", "0.4", "poll_idle_s", "10",
	    "active", 1, "poll_busy_s", "2", "port", ""));
	r->out = v;
	return printers_form_choices(r, v);
}

/* The stored printer as the edit form's values (text, as typed). */
static json_t *
printers_form_of(struct req *r, json_t *row)
{
	static const char *const nums[] = { "nozzle_mm", "build_x_mm",
	    "build_y_mm", "build_z_mm" };
	json_t		*f, *v, *t;
	const char	*tags;
	char		 text[48];
	size_t		 i;

	f = json_deep_copy(row);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		v = json_object_get(row, nums[i]);
		json_object_set_new(f, nums[i], json_is_number(v) ?
		    json_string(arena_printf(r->arena, "%g",
		    json_number_value(v))) : json_string(""));
	}
	v = json_object_get(row, "machine_rate_cents_per_hour");
	json_object_set_new(f, "machine_rate", json_string(json_is_integer(v) ?
	    money_text(text, sizeof(text), json_integer_value(v), 2, 0) : ""));
	tags = "";
	json_array_foreach(json_object_get(row, "tags"), i, t)
		tags = arena_printf(r->arena, "%s%s%s", tags, i > 0 ? ", " : "",
		    json_string_value(t));
	json_object_set_new(f, "tags", json_string(tags));
	return f;
}

static int
printers_page_show(struct req *r)
{
	json_t	*row, *shown, *v;

	if (printers_get(r, record_id(r), &row) != 0)
		return r->err.code;
	shown = arena_json(r->arena, json_array());
	json_array_append_new(shown, json_deep_copy(row));
	req_localize_times(r, shown);
	row = json_array_get(shown, 0);
	farm_labels(r, row);
	v = printers_view(r, json_row_str(row, "name"));
	json_object_set(v, "printer", row);
	json_object_set_new(v, "form", printers_form_of(r, json_array_get(
	    shown, 0)));
	r->out = v;
	return printers_form_choices(r, v);
}

/*
 * The fields of a posted form as the API would get them: empty inputs
 * clear, unchecked boxes are false, tags are split at commas, the rate
 * is an amount per hour, an empty secret keeps the stored one.
 */
static json_t *
printers_form_input(struct req *r)
{
	static const char *const plain[] = { "kind", "name", "model", "host",
	    "port", "serial", "username", "tls_mode", "nozzle_mm",
	    "build_x_mm", "build_y_mm", "build_z_mm", "power_w",
	    "location_id", "poll_idle_s", "poll_busy_s", "files_port" };
	json_t		*in, *tags;
	const char	*s;
	char		*all, *tok, *save, *t;
	long long	 cents;
	size_t		 i;

	in = arena_json(r->arena, json_object());
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if ((s = req_str(r, plain[i])) != NULL)
			json_object_set_new(in, plain[i], json_string(s));
	json_object_set_new(in, "enclosure", json_boolean(req_bool(r,
	    "enclosure", 0)));
	json_object_set_new(in, "active", json_boolean(req_bool(r, "active",
	    0)));
	s = req_str(r, "machine_rate");
	if (s != NULL && *str_trim(r->arena, s) == '\0')
		json_object_set_new(in, "machine_rate_cents_per_hour",
		    json_null());
	else if (s != NULL && money_parse(s, 2, 100000000, &cents) != 0)
		err_field(&r->err, "machine_rate", "must be an amount per hour "
		    "such as 1.50");
	else if (s != NULL)
		json_object_set_new(in, "machine_rate_cents_per_hour",
		    json_integer(cents));
	if ((s = req_str(r, "tags")) != NULL) {
		tags = json_array();
		all = arena_strdup(r->arena, s);
		for (tok = strtok_r(all, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (*(t = str_trim(r->arena, tok)) != '\0')
				json_array_append_new(tags, json_string(t));
		json_object_set_new(in, "tags", tags);
	}
	s = req_str(r, "secret");
	if (req_bool(r, "secret_clear", 0))
		json_object_set_new(in, "secret", json_null());
	else if (s != NULL && *s != '\0')
		json_object_set_new(in, "secret", json_string(s));
	return printers_clean(r, in);
}

static int
printers_page_create(struct req *r)
{
	json_t	*in, *row;

	in = printers_form_input(r);
	if (r->err.fields != NULL)
		return req_invalid(r, "printer");
	if (printers_save(r, NULL, in, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "printers_flash_created");
	req_redirect(r, arena_printf(r->arena, "/settings/printers/%lld",
	    json_row_int(row, "id")));
	return 0;
}

static int
printers_page_update(struct req *r)
{
	json_t	*in, *cur, *row;

	in = printers_form_input(r);
	if (r->err.fields != NULL)
		return req_invalid(r, "printer");
	if (printers_lock(r, &cur) != 0 || printers_save(r, cur, in,
	    &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "printers_flash_saved");
	req_redirect(r, arena_printf(r->arena, "/settings/printers/%s",
	    record_id(r)));
	return 0;
}

/* A printer history names is kept: the page says so and suggests why. */
static int
printers_page_delete(struct req *r)
{
	int	used;

	if (printers_remove(r, &used) != 0) {
		if (!used)
			return r->err.code;
		err_clear(&r->err);
		req_flash(r, "error", "printers_flash_in_use");
		req_redirect(r, arena_printf(r->arena, "/settings/printers/%s",
		    record_id(r)));
		return 0;
	}
	req_flash(r, "ok", "printers_flash_deleted");
	req_redirect(r, "/settings/printers");
	return 0;
}

/* ---- routes ---- */

#define BODY_RULES \
	{ "kind", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "model", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "host", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "port", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "serial", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "username", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "secret", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "tls_mode", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "enclosure", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "nozzle_mm", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "build_x_mm", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "build_y_mm", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "build_z_mm", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "power_w", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "machine_rate_cents_per_hour", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "location_id", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "tags", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "active", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "poll_idle_s", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "poll_busy_s", IN_BODY, P_ANY, 0, 0, 0, NULL }, \
	{ "files_port", IN_BODY, P_ANY, 0, 0, 0, NULL }

#define FORM_RULES \
	{ "kind", IN_BODY, P_STR, 0, 0, 20, NULL }, \
	{ "name", IN_BODY, P_STR, 0, 0, 100, NULL }, \
	{ "model", IN_BODY, P_STR, 0, 0, 100, NULL }, \
	{ "host", IN_BODY, P_STR, 0, 0, 253, NULL }, \
	{ "port", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "serial", IN_BODY, P_STR, 0, 0, 64, NULL }, \
	{ "username", IN_BODY, P_STR, 0, 0, 100, NULL }, \
	{ "secret", IN_BODY, P_STR, 0, 0, SECRET_MAX, NULL }, \
	{ "secret_clear", IN_BODY, P_BOOL, 0, 0, 0, NULL }, \
	{ "tls_mode", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "enclosure", IN_BODY, P_BOOL, 0, 0, 0, NULL }, \
	{ "nozzle_mm", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "build_x_mm", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "build_y_mm", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "build_z_mm", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "power_w", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "machine_rate", IN_BODY, P_STR, 0, 0, 20, NULL }, \
	{ "location_id", IN_BODY, P_STR, 0, 0, 20, NULL }, \
	{ "tags", IN_BODY, P_STR, 0, 0, 1000, NULL }, \
	{ "active", IN_BODY, P_BOOL, 0, 0, 0, NULL }, \
	{ "poll_idle_s", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "poll_busy_s", IN_BODY, P_STR, 0, 0, 10, NULL }, \
	{ "files_port", IN_BODY, P_STR, 0, 0, 10, NULL }

static const struct param list_params[] = {
	{ "q", IN_QUERY, P_STR, 0, 0, 200, NULL },
	{ "kind", IN_QUERY, P_ENUM, 0, 0, 0,
	    "bambu|prusalink|octoprint|moonraker" },
	{ "active", IN_QUERY, P_BOOL, 0, 0, 0, NULL },
	{ "sort", IN_QUERY, P_STR, 0, 1, 100, NULL },
	PARAM_PAGE,
	PARAM_END,
};
static const struct param create_params[] = {
	BODY_RULES,
	PARAM_END,
};
static const struct param update_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	BODY_RULES,
	PARAM_END,
};
static const struct param form_new_params[] = {
	FORM_RULES,
	PARAM_END,
};
static const struct param form_edit_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	FORM_RULES,
	PARAM_END,
};

static const struct route printers_routes[] = {
	{ "GET", "/api/v1/printers", printers_list, ROLE_ANY, 0, list_params,
	    NULL },
	{ "POST", "/api/v1/printers", printers_create, ROLE_OWNER, 0,
	    create_params, NULL },
	{ "GET", "/api/v1/printers/{id}", printers_show, ROLE_ANY, 0,
	    params_id, NULL },
	{ "PATCH", "/api/v1/printers/{id}", printers_update, ROLE_OWNER, 0,
	    update_params, NULL },
	{ "DELETE", "/api/v1/printers/{id}", printers_delete, ROLE_OWNER, 0,
	    params_id, NULL },
	{ "GET", "/api/v1/printers/{id}/state", printers_state, ROLE_ANY, 0,
	    params_id, NULL },
	{ "GET", "/settings/printers", printers_page, ROLE_ANY, ROUTE_PAGE,
	    NULL, "settings/printers" },
	{ "GET", "/settings/printers/new", printers_page_new, ROLE_OWNER,
	    ROUTE_PAGE, NULL, "settings/printers-new" },
	{ "POST", "/settings/printers/new", printers_page_create, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, form_new_params, "settings/printers-new" },
	{ "GET", "/settings/printers/{id}", printers_page_show, ROLE_ANY,
	    ROUTE_PAGE, params_id, "settings/printers-edit" },
	{ "POST", "/settings/printers/{id}", printers_page_update, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, form_edit_params,
	    "settings/printers-edit" },
	{ "POST", "/settings/printers/{id}/delete", printers_page_delete,
	    ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM, params_id,
	    "settings/printers-edit" },
};

const struct resource printers_resource = {
	"printers", printers_routes,
	sizeof(printers_routes) / sizeof(printers_routes[0]),
	printers_stmts, sizeof(printers_stmts) / sizeof(printers_stmts[0]),
};

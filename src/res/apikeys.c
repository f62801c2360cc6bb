/*
 * apikeys.c -- API keys: GET/POST /api/v1/apikeys, POST
 * /api/v1/apikeys/{id}/revoke and the settings page.  A key is shown once
 * at creation and stored only as its SHA-256.  People see and revoke
 * their own keys; owners see and revoke everyone's.
 */
#include <string.h>

#include "core/arena.h"
#include "db/db.h"
#include "http/auth.h"
#include "http/req.h"

static const struct stmt apikeys_stmts[] = {
	{ "apikeys_list",
	  "SELECT k.id, k.name, k.prefix, array_to_json(k.scopes) AS scopes, "
	  "u.username AS owner, k.created_at, k.last_used_at, k.revoked_at, "
	  "k.revoked_at IS NOT NULL AS revoked FROM api_keys k "
	  "JOIN users u ON u.id = k.user_id WHERE $1::boolean OR k.user_id = "
	  "$2 ORDER BY k.id DESC LIMIT 500", 2 },
	{ "apikeys_create",
	  "INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes) "
	  "VALUES ($1, $2, $3, $4, $5::text[]) RETURNING id, name, prefix, "
	  "array_to_json(scopes) AS scopes, created_at", 5 },
	{ "apikeys_revoke",
	  "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
	  "WHERE id = $1 AND ($2::boolean OR user_id = $3) "
	  "RETURNING id, name, revoked_at", 3 },
};

enum { ST_LIST, ST_CREATE, ST_REVOKE };

static const char *
pg_bool(int b)
{
	return b ? "true" : "false";
}

static int
apikeys_rows(struct req *r, json_t **rows)
{
	const char	*p[2];

	p[0] = pg_bool(r->who.role == ROLE_OWNER);
	p[1] = arena_printf(r->arena, "%lld", r->who.user_id);
	return db_exec(r->db, r->arena, &apikeys_stmts[ST_LIST], p, rows,
	    &r->err);
}

static int
apikeys_list(struct req *r)
{
	json_t	*rows;

	if (apikeys_rows(r, &rows) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)json_array_size(rows)));
	return 0;
}

/* Creates a key for the caller; *key is the only copy of the secret. */
static int
apikeys_make(struct req *r, json_t *scopes, json_t **row, char **key)
{
	const char	*p[5];
	char		*prefix, *hash, *list;
	json_t		*s;
	size_t		 i;

	auth_apikey_new(r->arena, key, &prefix, &hash);
	list = arena_strdup(r->arena, "{");
	json_array_foreach(scopes, i, s)
		list = arena_printf(r->arena, "%s%s%s", list, i ? "," : "",
		    json_string_value(s));
	p[0] = arena_printf(r->arena, "%lld", r->who.user_id);
	p[1] = req_str(r, "name");
	p[2] = prefix;
	p[3] = hash;
	p[4] = arena_printf(r->arena, "%s}", list);
	if (db_one(r->db, r->arena, &apikeys_stmts[ST_CREATE], p, row,
	    &r->err) != 0)
		return r->err.code;
	return req_audit(r, "create", "api_key", arena_printf(r->arena,
	    "%lld", (long long)json_integer_value(json_object_get(*row,
	    "id"))), NULL, *row);
}

static int
apikeys_create(struct req *r)
{
	json_t	*row;
	char	*key;

	if (apikeys_make(r, json_object_get(r->args, "scopes"), &row,
	    &key) != 0)
		return r->err.code;
	row = json_deep_copy(row);
	json_object_set_new(row, "key", json_string(key));
	req_json(r, 201, row);
	return 0;
}

static int
apikeys_revoke_do(struct req *r, json_t **row)
{
	const char	*p[3];

	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	p[1] = pg_bool(r->who.role == ROLE_OWNER);
	p[2] = arena_printf(r->arena, "%lld", r->who.user_id);
	if (db_one(r->db, r->arena, &apikeys_stmts[ST_REVOKE], p, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such API key");
	return req_audit(r, "revoke", "api_key", p[0], NULL, *row);
}

static int
apikeys_revoke(struct req *r)
{
	json_t	*row;

	if (apikeys_revoke_do(r, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
apikeys_page(struct req *r)
{
	json_t	*rows;

	if (apikeys_rows(r, &rows) != 0)
		return r->err.code;
	req_localize_times(r, rows);
	r->out = json_pack("{s:O}", "apikeys", rows);
	return 0;
}

static int
apikeys_page_create(struct req *r)
{
	json_t	*scopes, *row;
	char	*key;

	scopes = json_array();
	if (req_bool(r, "scope_read", 0))
		json_array_append_new(scopes, json_string("read"));
	if (req_bool(r, "scope_write", 0))
		json_array_append_new(scopes, json_string("write"));
	if (json_array_size(scopes) == 0) {
		json_decref(scopes);
		err_set(&r->err, ERR_INVALID,
		    "choose at least one scope (read or write)");
		err_field(&r->err, "scope_read", "choose at least one scope");
		return ERR_INVALID;
	}
	if (apikeys_make(r, scopes, &row, &key) != 0) {
		json_decref(scopes);
		return r->err.code;
	}
	json_decref(scopes);
	apikeys_page(r);
	json_object_set_new(r->out, "new_key", json_string(key));
	json_object_set_new(r->out, "flash", json_pack("[{s:s, s:s}]",
	    "kind", "ok", "text", req_t(r, "flash_key_created")));
	return 0;
}

static int
apikeys_page_revoke(struct req *r)
{
	json_t	*row;

	if (apikeys_revoke_do(r, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "flash_key_revoked");
	req_redirect(r, "/settings/apikeys");
	return 0;
}

static const struct param create_params[] = {
	{ "name", IN_BODY, P_STR, 1, 1, 100, NULL },
	{ "scopes", IN_BODY, P_STRLIST, 1, 1, 2, "read|write" },
	PARAM_END,
};
static const struct param form_params[] = {
	{ "name", IN_BODY, P_STR, 1, 1, 100, NULL },
	{ "scope_read", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	{ "scope_write", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	PARAM_END,
};

static const struct route apikeys_routes[] = {
	{ "GET", "/api/v1/apikeys", apikeys_list, ROLE_ANY, 0, NULL, NULL },
	{ "POST", "/api/v1/apikeys", apikeys_create, ROLE_ANY,
	    ROUTE_IDEMPOTENT, create_params, NULL },
	{ "POST", "/api/v1/apikeys/{id}/revoke", apikeys_revoke, ROLE_ANY, 0,
	    params_id, NULL },
	{ "GET", "/settings/apikeys", apikeys_page, ROLE_ANY, ROUTE_PAGE,
	    NULL, "settings/apikeys" },
	{ "POST", "/settings/apikeys", apikeys_page_create, ROLE_ANY,
	    ROUTE_PAGE | ROUTE_FORM, form_params, "settings/apikeys" },
	{ "POST", "/settings/apikeys/{id}/revoke", apikeys_page_revoke,
	    ROLE_ANY, ROUTE_PAGE | ROUTE_FORM, params_id, "settings/apikeys" },
};

const struct resource apikeys_resource = {
	"apikeys", apikeys_routes,
	sizeof(apikeys_routes) / sizeof(apikeys_routes[0]),
	apikeys_stmts, sizeof(apikeys_stmts) / sizeof(apikeys_stmts[0]),
};

/*
 * users.c -- people who log in: GET/POST /api/v1/users, the users page
 * and the language setting.  Only owners create users.
 */
#include <string.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "db/db.h"
#include "http/req.h"

static const struct stmt users_stmts[] = {
	{ "users_list",
	  "SELECT id, username, role::text AS role, locale, active, "
	  "created_at, last_login_at FROM users ORDER BY username "
	  "LIMIT $1 OFFSET $2", 2 },
	{ "users_count", "SELECT count(*) AS n FROM users", 0 },
	{ "users_create",
	  "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, "
	  "$3::user_role) RETURNING id, username, role::text AS role, "
	  "created_at", 3 },
	{ "users_set_locale",
	  "UPDATE users SET locale = $2 WHERE id = $1 RETURNING id", 2 },
};

enum { ST_LIST, ST_COUNT, ST_CREATE, ST_LOCALE };

static int
users_list(struct req *r)
{
	json_t		*rows, *cnt;
	const char	*p[2];

	p[0] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	if (db_exec(r->db, r->arena, &users_stmts[ST_LIST], p, &rows,
	    &r->err) != 0 || db_one(r->db, r->arena, &users_stmts[ST_COUNT],
	    NULL, &cnt, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:O}", "items", rows, "total",
	    json_object_get(cnt, "n")));
	return 0;
}

/* Creates a user; a missing password is generated and returned once. */
static int
users_make(struct req *r, json_t **user, const char **password)
{
	const char	*p[3];
	json_t		*row;

	*password = req_str(r, "password");
	if (*password == NULL || **password == '\0')
		*password = crypto_token(r->arena, 12);
	else if (strlen(*password) < 10)
		return err_field(&r->err, "password",
		    "must have at least 10 characters"), ERR_INVALID;
	p[0] = req_str(r, "username");
	p[1] = password_hash(r->arena, *password);
	p[2] = req_str(r, "role");
	if (db_one(r->db, r->arena, &users_stmts[ST_CREATE], p, &row,
	    &r->err) != 0) {
		if (r->err.code == ERR_CONFLICT)
			err_set(&r->err, ERR_CONFLICT,
			    "a user named \"%s\" exists already", p[0]);
		return r->err.code;
	}
	*user = row;
	return req_audit(r, "create", "user", arena_printf(r->arena, "%lld",
	    (long long)json_integer_value(json_object_get(row, "id"))), NULL,
	    row);
}

static int
users_create(struct req *r)
{
	json_t		*row;
	const char	*pw;

	if (users_make(r, &row, &pw) != 0)
		return r->err.code;
	row = json_deep_copy(row);
	if (req_str(r, "password") == NULL)
		json_object_set_new(row, "password", json_string(pw));
	req_json(r, 201, row);
	return 0;
}

static int
users_page(struct req *r)
{
	json_t		*rows, *row;
	const char	*p[2] = { "500", "0" };
	size_t		 i;

	if (db_exec(r->db, r->arena, &users_stmts[ST_LIST], p, &rows,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		json_object_set_new(row, "role_label", json_string(req_t(r,
		    arena_printf(r->arena, "role_%s", json_string_value(
		    json_object_get(row, "role"))))));
	req_localize_times(r, rows);
	r->out = json_pack("{s:O}", "users", rows);
	return 0;
}

static int
users_page_create(struct req *r)
{
	json_t		*row;
	const char	*pw;

	if (users_make(r, &row, &pw) != 0) {
		if (r->err.code != ERR_INVALID && r->err.code != ERR_CONFLICT)
			return r->err.code;
		return r->err.code;
	}
	users_page(r);
	json_object_set_new(r->out, "flash", json_pack("[{s:s, s:s}]",
	    "kind", "ok", "text", req_t(r, "flash_user_created")));
	if (req_str(r, "password") == NULL || *req_str(r, "password") == '\0')
		json_object_set_new(r->out, "new_password", json_string(pw));
	return 0;
}

static int
users_language(struct req *r)
{
	const char	*p[2];

	p[0] = arena_printf(r->arena, "%lld", r->who.user_id);
	p[1] = req_str(r, "lang");
	if (db_exec(r->db, r->arena, &users_stmts[ST_LOCALE], p, NULL,
	    &r->err) != 0 || req_audit(r, "set_locale", "user", p[0], NULL,
	    json_pack("{s:s}", "locale", p[1])) != 0)
		return r->err.code;
	req_cookie(r, "py_lang", p[1], 365L * 86400, 0);
	r->lang = p[1];
	req_flash(r, "ok", "flash_language_saved");
	req_redirect(r, "/settings");
	return 0;
}

static const struct param create_params[] = {
	{ "username", IN_BODY, P_STR, 1, 2, 32, NULL },
	{ "role", IN_BODY, P_ENUM, 1, 0, 0, "owner|staff|accountant" },
	{ "password", IN_BODY, P_STR, 0, 0, 1024, NULL },
	PARAM_END,
};
static const struct param lang_params[] = {
	{ "lang", IN_BODY, P_ENUM, 1, 0, 0, "en|de" },
	PARAM_END,
};

static const struct route users_routes[] = {
	{ "GET", "/api/v1/users", users_list, ROLE_OWNER, 0, params_page,
	    NULL },
	{ "POST", "/api/v1/users", users_create, ROLE_OWNER, 0, create_params,
	    NULL },
	{ "GET", "/settings/users", users_page, ROLE_ANY, ROUTE_PAGE, NULL,
	    "settings/users" },
	{ "POST", "/settings/users", users_page_create, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, create_params, "settings/users" },
	{ "POST", "/settings/language", users_language, ROLE_ANY,
	    ROUTE_PAGE | ROUTE_FORM, lang_params, "settings/index" },
};

const struct resource users_resource = {
	"users", users_routes, sizeof(users_routes) / sizeof(users_routes[0]),
	users_stmts, sizeof(users_stmts) / sizeof(users_stmts[0]),
};

/*
 * auth.c -- logging in and out: POST /api/v1/auth/login, POST
 * /api/v1/auth/logout, GET /api/v1/me, and the login page.
 *
 * A login creates a session row and a token naming it; the UI gets the
 * token as an HttpOnly cookie, API clients in the answer.  Repeated
 * failures lock the account for login_lockout_seconds.  Failures are
 * counted outside any transaction (ROUTE_NO_TX) so a refused login still
 * leaves its mark.
 */
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/crypto.h"
#include "db/db.h"
#include "http/auth.h"
#include "http/req.h"

/* Argon2 cost paid for unknown users too, so timing does not tell. */
static const char dummy_hash[] = "$argon2id$v=19$m=19456,t=2,p=1$"
    "c29tZXNhbHRzb21lc2FsdA$2Q0rHrDg8Ugd5uFjlwkWu0mLcN8RWvZ6TDt6W7T7vUQ";

static const struct stmt auth_stmts[] = {
	{ "auth_user_by_name",
	  "SELECT id, username, password_hash, role::text AS role, active, "
	  "locked_until > now() AS locked FROM users WHERE username = $1", 1 },
	{ "auth_fail",
	  "UPDATE users SET failed_logins = failed_logins + 1, locked_until = "
	  "CASE WHEN failed_logins + 1 >= $2::int THEN now() + make_interval("
	  "secs => $3::int) ELSE locked_until END WHERE id = $1", 3 },
	{ "auth_ok",
	  "UPDATE users SET failed_logins = 0, locked_until = NULL, "
	  "last_login_at = now() WHERE id = $1", 1 },
	{ "auth_session_new",
	  "INSERT INTO sessions (id, user_id, expires_at, user_agent, "
	  "remote_addr) VALUES ($1, $2, now() + make_interval(secs => "
	  "$3::int), $4, $5)", 5 },
	{ "auth_session_end",
	  "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND "
	  "revoked_at IS NULL", 1 },
	{ "auth_audit",
	  "INSERT INTO audit_log (actor_user_id, actor, action, entity, "
	  "entity_id, request_id) VALUES ($1, $2, $3, 'session', $4, $5)", 5 },
};

enum { ST_BY_NAME, ST_FAIL, ST_OK, ST_SESSION_NEW, ST_SESSION_END,
    ST_AUDIT };

static void
auth_log(struct req *r, long long uid, const char *who, const char *action,
    const char *sid)
{
	const char	*p[5];

	p[0] = uid > 0 ? arena_printf(r->arena, "%lld", uid) : NULL;
	p[1] = who;
	p[2] = action;
	p[3] = sid;
	p[4] = r->request_id;
	db_exec(r->db, r->arena, &auth_stmts[ST_AUDIT], p, NULL, &r->err);
}

/*
 * Checks the password and opens a session.  Returns 0 with the token, or
 * ERR_UNAUTHORIZED / ERR_RATE_LIMITED with the message key in *why.
 */
static int
auth_login_do(struct req *r, const char *user, const char *pw, char **token,
    const char **why)
{
	json_t		*row;
	const char	*p[5], *sid;
	long long	 uid;
	long		 ttl;

	if (db_one(r->db, r->arena, &auth_stmts[ST_BY_NAME], &user, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL || !json_is_true(json_object_get(row, "active"))) {
		password_verify(dummy_hash, pw);
		auth_log(r, 0, user, "login_failed", NULL);
		*why = "login_failed";
		return err_set(&r->err, ERR_UNAUTHORIZED,
		    "wrong user name or password");
	}
	uid = json_integer_value(json_object_get(row, "id"));
	p[0] = arena_printf(r->arena, "%lld", uid);
	if (json_is_true(json_object_get(row, "locked"))) {
		auth_log(r, uid, user, "login_locked", NULL);
		*why = "login_locked";
		err_set(&r->err, ERR_RATE_LIMITED, "too many failed logins; "
		    "the account is locked for a while");
		err_hint(&r->err, "wait %ld minutes or ask an owner to set a "
		    "new password", r->cfg->login_lockout_seconds / 60);
		return ERR_RATE_LIMITED;
	}
	if (password_verify(json_string_value(json_object_get(row,
	    "password_hash")), pw) != 0) {
		p[1] = arena_printf(r->arena, "%ld",
		    r->cfg->login_max_failures);
		p[2] = arena_printf(r->arena, "%ld",
		    r->cfg->login_lockout_seconds);
		db_exec(r->db, r->arena, &auth_stmts[ST_FAIL], p, NULL,
		    &r->err);
		auth_log(r, uid, user, "login_failed", NULL);
		*why = "login_failed";
		return err_set(&r->err, ERR_UNAUTHORIZED,
		    "wrong user name or password");
	}
	db_exec(r->db, r->arena, &auth_stmts[ST_OK], p, NULL, &r->err);
	sid = crypto_token(r->arena, 18);
	ttl = r->cfg->jwt_ttl;
	p[1] = p[0];
	p[0] = sid;
	p[2] = arena_printf(r->arena, "%ld", ttl);
	p[3] = r->user_agent;
	p[4] = r->remote_addr;
	if (db_exec(r->db, r->arena, &auth_stmts[ST_SESSION_NEW], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	auth_log(r, uid, user, "login", sid);
	*token = auth_token_issue(r->arena, r->secret, uid, sid, time(NULL),
	    ttl);
	req_cookie(r, SESSION_COOKIE, *token, ttl, 1);
	return 0;
}

static int
auth_login(struct req *r)
{
	char		*token;
	const char	*why;

	if (auth_login_do(r, req_str(r, "username"), req_str(r, "password"),
	    &token, &why) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:s, s:s, s:I}", "token", token,
	    "token_type", "Bearer", "expires_in",
	    (json_int_t)r->cfg->jwt_ttl));
	return 0;
}

static int
auth_logout(struct req *r)
{
	if (r->who.session_id != NULL) {
		if (db_exec(r->db, r->arena, &auth_stmts[ST_SESSION_END],
		    &r->who.session_id, NULL, &r->err) != 0)
			return r->err.code;
		auth_log(r, r->who.user_id, r->who.username, "logout",
		    r->who.session_id);
	}
	req_cookie(r, SESSION_COOKIE, "", 0, 1);
	r->status = 204;
	return 0;
}

/* The caller, as authentication read it: no second query. */
static int
auth_me(struct req *r)
{
	json_t	*me;

	me = json_deep_copy(r->who.user);
	json_object_set_new(me, "auth", json_string(
	    r->who.kind == AUTH_APIKEY ? "apikey" :
	    r->who.kind == AUTH_COOKIE ? "cookie" : "bearer"));
	json_object_set_new(me, "can_write", json_boolean(r->who.can_write));
	req_json(r, 200, me);
	return 0;
}

/* ---- pages ---- */

static int
auth_login_page(struct req *r)
{
	const char	*anon, *lang, *next;

	lang = req_str(r, "lang");
	if (lang != NULL) {
		req_cookie(r, "py_lang", lang, 365L * 86400, 0);
		r->lang = lang;
	}
	if (r->who.kind != AUTH_NONE) {
		req_redirect(r, "/");
		return 0;
	}
	/* Anonymous forms carry a token bound to a cookie (double submit). */
	if ((anon = req_cookie_get(r, CSRF_COOKIE)) == NULL ||
	    strlen(anon) < 16) {
		anon = crypto_token(r->arena, 18);
		req_cookie(r, CSRF_COOKIE, anon, 86400, 1);
	}
	next = req_str(r, "next");
	r->out = json_pack("{s:s, s:s}", "csrf", auth_csrf_token(r->arena,
	    r->secret, anon), "next", next != NULL && next[0] == '/' &&
	    next[1] != '/' ? next : "/");
	return 0;
}

static int
auth_login_form(struct req *r)
{
	char		*token;
	const char	*why, *next;

	if (auth_login_do(r, req_str(r, "username"), req_str(r, "password"),
	    &token, &why) != 0) {
		if (r->err.code != ERR_UNAUTHORIZED &&
		    r->err.code != ERR_RATE_LIMITED)
			return r->err.code;
		err_clear(&r->err);
		auth_login_page(r);
		json_object_set_new(r->out, "error",
		    json_string(req_t(r, why)));
		json_object_set_new(r->out, "username",
		    json_string(req_str(r, "username")));
		r->status = 200;
		return 0;
	}
	next = req_str(r, "next");
	req_redirect(r, next != NULL && next[0] == '/' && next[1] != '/' ?
	    next : "/");
	return 0;
}

static int
auth_logout_form(struct req *r)
{
	if (auth_logout(r) != 0)
		return r->err.code;
	req_flash(r, "ok", "flash_logged_out");
	req_redirect(r, "/login");
	return 0;
}

static const struct param login_params[] = {
	{ "username", IN_BODY, P_STR, 1, 1, 64, NULL },
	{ "password", IN_BODY, P_STR, 1, 1, 1024, NULL },
	PARAM_END,
};
static const struct param login_form_params[] = {
	{ "username", IN_BODY, P_STR, 1, 1, 64, NULL },
	{ "password", IN_BODY, P_STR, 1, 1, 1024, NULL },
	{ "next", IN_BODY, P_STR, 0, 0, 512, NULL },
	PARAM_END,
};
static const struct param login_page_params[] = {
	{ "lang", IN_QUERY, P_ENUM, 0, 0, 0, "en|de" },
	{ "next", IN_QUERY, P_STR, 0, 0, 512, NULL },
	PARAM_END,
};

static const struct route auth_routes[] = {
	{ "POST", "/api/v1/auth/login", auth_login, ROLE_PUBLIC, ROUTE_NO_TX,
	    login_params, NULL },
	{ "POST", "/api/v1/auth/logout", auth_logout, ROLE_ANY, 0, NULL,
	    NULL },
	{ "GET", "/api/v1/me", auth_me, ROLE_ANY, 0, NULL, NULL },
	{ "GET", "/login", auth_login_page, ROLE_PUBLIC, ROUTE_PAGE,
	    login_page_params, "auth/login" },
	{ "POST", "/login", auth_login_form, ROLE_PUBLIC,
	    ROUTE_PAGE | ROUTE_FORM | ROUTE_NO_TX, login_form_params,
	    "auth/login" },
	{ "POST", "/logout", auth_logout_form, ROLE_ANY,
	    ROUTE_PAGE | ROUTE_FORM, NULL, "auth/login" },
};

const struct resource auth_resource = {
	"auth", auth_routes, sizeof(auth_routes) / sizeof(auth_routes[0]),
	auth_stmts, sizeof(auth_stmts) / sizeof(auth_stmts[0]),
};

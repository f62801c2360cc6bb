/*
 * auth.c -- tokens, API keys, sessions and CSRF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/crypto.h"
#include "core/err.h"
#include "db/db.h"
#include "http/auth.h"

static const struct stmt st_session = { "auth_session",
	"SELECT u.id, u.username, u.role::text AS role, u.locale, "
	"u.created_at, u.last_login_at "
	"FROM sessions s JOIN users u ON u.id = s.user_id "
	"WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL "
	"AND s.expires_at > now() AND u.active", 2 };
static const struct stmt st_apikey = { "auth_apikey",
	"SELECT k.id AS key_id, 'write' = ANY (k.scopes) AS can_write, "
	"k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' "
	"AS stale, u.id, u.username, u.role::text AS role, u.locale, "
	"u.created_at, u.last_login_at "
	"FROM api_keys k JOIN users u ON u.id = k.user_id "
	"WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.active", 1 };
static const struct stmt st_apikey_used = { "auth_apikey_used",
	"UPDATE api_keys SET last_used_at = now() WHERE id = $1", 1 };

void
auth_register(void)
{
	static const struct stmt *const all[] = { &st_session, &st_apikey,
	    &st_apikey_used };
	size_t	i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		db_register(all[i], 1);
}

char *
auth_token_issue(struct arena *a, const struct secret *s, long long uid,
    const char *sid, time_t now, long ttl)
{
	jwt_t	*jwt;
	char	*tok, *out, sub[32];

	if (jwt_new(&jwt) != 0)
		abort();
	snprintf(sub, sizeof(sub), "%lld", uid);
	if (jwt_add_grant(jwt, "sub", sub) != 0 ||
	    jwt_add_grant(jwt, "sid", sid) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + ttl)) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, s->sign_key,
	    sizeof(s->sign_key)) != 0 ||
	    (tok = jwt_encode_str(jwt)) == NULL)
		abort();
	out = arena_strdup(a, tok);
	free(tok);
	jwt_free(jwt);
	return out;
}

/*
 * Reads the header ourselves before libjwt sees the token, so that the
 * accepted algorithm is decided here and nowhere else.
 */
static int
header_is_hs256(struct arena *a, const char *token)
{
	const char	*dot;
	unsigned char	*raw;
	size_t		 len;
	json_t		*h, *alg;
	int		 ok;

	if ((dot = strchr(token, '.')) == NULL ||
	    (raw = b64url_decode(a, token, (size_t)(dot - token), &len)) ==
	    NULL)
		return 0;
	h = json_loadb((const char *)raw, len, 0, NULL);
	if (h == NULL)
		return 0;
	alg = json_object_get(h, "alg");
	ok = json_is_string(alg) && strcmp(json_string_value(alg), "HS256") ==
	    0;
	json_decref(h);
	return ok;
}

int
auth_token_verify(struct arena *a, const struct secret *s, const char *token,
    time_t now, const char **sid, long long *uid, struct err *e)
{
	jwt_t		*jwt;
	const char	*sub, *session;
	char		*end;
	long		 exp;
	int		 rc;

	if (strlen(token) > 4096 || !header_is_hs256(a, token))
		return err_set(e, ERR_UNAUTHORIZED,
		    "the token is not an HS256 token from this server");
	if (jwt_decode(&jwt, token, s->sign_key, sizeof(s->sign_key)) != 0)
		return err_set(e, ERR_UNAUTHORIZED,
		    "the token's signature does not verify");
	rc = 0;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		rc = err_set(e, ERR_UNAUTHORIZED,
		    "the token is not an HS256 token from this server");
	else if ((exp = jwt_get_grant_int(jwt, "exp")) <= 0)
		rc = err_set(e, ERR_UNAUTHORIZED, "the token has no expiry");
	else if (exp <= (long)now)
		rc = err_set(e, ERR_UNAUTHORIZED, "the token has expired");
	else if ((sub = jwt_get_grant(jwt, "sub")) == NULL ||
	    (session = jwt_get_grant(jwt, "sid")) == NULL)
		rc = err_set(e, ERR_UNAUTHORIZED, "the token names no session");
	else {
		*uid = strtoll(sub, &end, 10);
		if (*end != '\0' || *uid <= 0)
			rc = err_set(e, ERR_UNAUTHORIZED,
			    "the token names no user");
		*sid = arena_strdup(a, session);
	}
	jwt_free(jwt);
	return rc;
}

void
auth_apikey_new(struct arena *a, char **key, char **prefix, char **hash)
{
	char	h[65], *p;

	p = crypto_token(a, 6);
	*prefix = arena_printf(a, APIKEY_PREFIX "%s", p);
	*key = arena_printf(a, "%s_%s", *prefix, crypto_token(a, 32));
	sha256_hex(*key, strlen(*key), h);
	*hash = arena_strdup(a, h);
}

char *
auth_csrf_token(struct arena *a, const struct secret *s, const char *sid)
{
	unsigned char	mac[32];
	char		*msg;

	msg = arena_printf(a, "csrf:%s", sid);
	hmac_sha256(s->sign_key, sizeof(s->sign_key), msg, strlen(msg), mac);
	return b64url_encode(a, mac, 24);
}

static void
who_from_row(struct req *r, json_t *row)
{
	const char	*role;

	r->who.user_id = json_integer_value(json_object_get(row, "id"));
	r->who.username = arena_strdup(r->arena,
	    json_string_value(json_object_get(row, "username")));
	role = json_string_value(json_object_get(row, "role"));
	r->who.role_name = arena_strdup(r->arena, role);
	r->who.role = strcmp(role, "owner") == 0 ? ROLE_OWNER :
	    strcmp(role, "staff") == 0 ? ROLE_STAFF : ROLE_ACCOUNTANT;
	r->who.user = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id",
	    json_object_get(row, "id"), "username", json_object_get(row,
	    "username"), "role", json_object_get(row, "role"), "locale",
	    json_object_get(row, "locale"), "created_at", json_object_get(row,
	    "created_at"), "last_login_at", json_object_get(row,
	    "last_login_at"));
	arena_json(r->arena, r->who.user);
	if (json_is_string(json_object_get(row, "locale")))
		r->who.locale = arena_strdup(r->arena,
		    json_string_value(json_object_get(row, "locale")));
}

static int
auth_apikey(struct req *r, const char *key)
{
	json_t		*row;
	const char	*params[1];
	char		 h[65], id[32];

	sha256_hex(key, strlen(key), h);
	params[0] = h;
	if (db_one(r->db, r->arena, &st_apikey, params, &row, &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_UNAUTHORIZED,
		    "the API key is unknown or revoked");
	who_from_row(r, row);
	r->who.kind = AUTH_APIKEY;
	r->who.apikey_id = json_integer_value(json_object_get(row, "key_id"));
	r->who.can_write = json_is_true(json_object_get(row, "can_write"));
	if (json_is_true(json_object_get(row, "stale"))) {
		snprintf(id, sizeof(id), "%lld", r->who.apikey_id);
		params[0] = id;
		db_exec(r->db, r->arena, &st_apikey_used, params, NULL,
		    &r->err);
		err_clear(&r->err);
	}
	return 0;
}

static int
auth_session(struct req *r, const char *token, enum auth_kind kind)
{
	const char	*sid, *params[2];
	long long	 uid;
	json_t		*row;

	if (auth_token_verify(r->arena, r->secret, token, time(NULL), &sid,
	    &uid, &r->err) != 0)
		return r->err.code;
	params[0] = sid;
	params[1] = arena_printf(r->arena, "%lld", uid);
	if (db_one(r->db, r->arena, &st_session, params, &row, &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_UNAUTHORIZED,
		    "the session has ended; log in again");
	who_from_row(r, row);
	r->who.kind = kind;
	r->who.session_id = sid;
	r->who.can_write = 1;
	return 0;
}

int
auth_authenticate(struct req *r)
{
	const char	*tok;

	memset(&r->who, 0, sizeof(r->who));
	if (r->authorization != NULL) {
		if (strncmp(r->authorization, "Bearer ", 7) != 0)
			return err_set(&r->err, ERR_UNAUTHORIZED,
			    "Authorization must be \"Bearer <token>\"");
		tok = r->authorization + 7;
		while (*tok == ' ')
			tok++;
		if (strncmp(tok, APIKEY_PREFIX, strlen(APIKEY_PREFIX)) == 0)
			return auth_apikey(r, tok);
		return auth_session(r, tok, AUTH_BEARER);
	}
	if ((tok = req_cookie_get(r, SESSION_COOKIE)) != NULL && *tok != '\0') {
		if (auth_session(r, tok, AUTH_COOKIE) != 0) {
			/* A stale cookie on a public page is just a visitor. */
			if (r->route != NULL &&
			    (r->route->roles & ROLE_PUBLIC)) {
				err_clear(&r->err);
				memset(&r->who, 0, sizeof(r->who));
				return 0;
			}
			return r->err.code;
		}
	}
	return 0;
}

int
auth_check_csrf(struct req *r)
{
	const char	*given, *want, *anon;

	given = r->csrf_header;
	if (given == NULL && r->input != NULL)
		given = json_string_value(json_object_get(r->input, "_csrf"));
	if (r->who.kind == AUTH_COOKIE)
		want = auth_csrf_token(r->arena, r->secret, r->who.session_id);
	else if ((anon = req_cookie_get(r, CSRF_COOKIE)) != NULL)
		want = auth_csrf_token(r->arena, r->secret, anon);
	else
		want = NULL;
	if (given == NULL || want == NULL || strlen(given) != strlen(want) ||
	    crypto_memcmp(given, want, strlen(want)) != 0)
		return err_set(&r->err, ERR_FORBIDDEN,
		    "the form has expired or did not come from this site; "
		    "reload the page and try again");
	return 0;
}

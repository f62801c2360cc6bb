/*
 * auth.h -- who is calling: login tokens, API keys, sessions, CSRF.
 *
 * Login tokens are JWTs signed with HS256 and the secret file's signing
 * key; they name a session (sid) and a user (sub) and expire (exp).  Only
 * HS256 is accepted: "none", other algorithms, bad signatures and expired
 * tokens are refused.  API keys look like "pyk_<8 chars>_<secret>" and are
 * stored only as a SHA-256 hash.
 */
#ifndef PY_AUTH_H
#define PY_AUTH_H

#include <time.h>

#include "http/req.h"

#define APIKEY_PREFIX		"pyk_"
#define SESSION_COOKIE		"py_session"
#define CSRF_COOKIE		"py_csrf"

/* Issues a token for a session; the string lives in the arena. */
char	*auth_token_issue(struct arena *, const struct secret *,
	    long long user_id, const char *session_id, time_t now, long ttl);
/*
 * Checks a token's algorithm, signature and expiry at time now; on
 * success *session_id and *user_id are set.  ERR_UNAUTHORIZED otherwise,
 * with the reason in the message.
 */
int	 auth_token_verify(struct arena *, const struct secret *,
	    const char *token, time_t now, const char **session_id,
	    long long *user_id, struct err *);

/* A new API key (shown once) and its stored hash, both in the arena. */
void	 auth_apikey_new(struct arena *, char **key, char **prefix,
	    char **hash);

/* The CSRF token bound to a session (or to the anonymous CSRF cookie). */
char	*auth_csrf_token(struct arena *, const struct secret *,
	    const char *session_id);

/*
 * Fills r->who from the Authorization header or the session cookie.
 * No credentials is not an error (AUTH_NONE); bad ones are
 * ERR_UNAUTHORIZED.  Needs the database for sessions and keys.
 */
int	 auth_authenticate(struct req *);
/* For cookie logins on unsafe methods: ERR_FORBIDDEN unless the CSRF token matches. */
int	 auth_check_csrf(struct req *);

/* Statements used by auth (registered by the server). */
void	 auth_register(void);

#endif

/*
 * etsy.h -- the only code that talks to Etsy's Open API v3 (libcurl).
 *
 * One client is one conversation with one shop: every request carries
 * x-api-key "<keystring>:<shared secret>" and, once the client has an
 * access token, Authorization: Bearer.  The client keeps Etsy's limits:
 * it reads the x-limit-* and x-remaining-* headers of every answer and
 * waits for the next second when this second's requests are used up; a
 * 429 waits as long as Retry-After says (or backs off from one second);
 * a 5xx, a timeout or a broken connection backs off exponentially with
 * full jitter.  After ETSY_ATTEMPTS tries the last failure is returned.
 * Any other answer (2xx, 4xx) goes to the caller with its body.
 *
 * What the answers mean is parse/etsy.c's business.
 */
#ifndef PY_INTEGRATIONS_ETSY_H
#define PY_INTEGRATIONS_ETSY_H

#include <stddef.h>

#include "core/buf.h"
#include "parse/etsy.h"

struct arena;
struct err;

#define ETSY_ATTEMPTS		6	/* tries of one request */
#define ETSY_CONNECT_MS		5000
#define ETSY_SCOPES		"transactions_r transactions_w shops_r " \
				"listings_r"

struct etsy_client {
	void		*curl;		/* CURL *, reused between requests */
	const char	*api_url;	/* "https://api.etsy.com" */
	char		*api_key;	/* "keystring:secret", on the arena */
	char		*bearer;	/* access token or NULL */
	struct etsy_rate rate;		/* from the last answer */
	long		 second;	/* the epoch second rate counts in */
	int		 requests;	/* sent, retries included */
	int		 retries;
	long		 timeout_ms;	/* one try, connection included */
	/* tests and the benchmark: no sleeping longer than this (ms) */
	long		 sleep_cap_ms;
};

struct etsy_reply {
	long		 status;	/* HTTP status */
	const char	*body;		/* NUL-terminated, on the arena */
	size_t		 len;
};

/* Sets the client up; 0, or ERR_INTERNAL when libcurl cannot start. */
int	etsy_client_open(struct etsy_client *, struct arena *, const char *api_url,
	    const char *keystring, const char *shared_secret, struct err *);
void	etsy_client_close(struct etsy_client *);

/*
 * method "GET" or "POST"; path with its query ("/v3/application/...");
 * form: an application/x-www-form-urlencoded body (POST) or NULL.
 * Returns 0 with *out for any 2xx or 4xx answer; ERR_UNAVAILABLE when
 * Etsy could not be reached or kept failing (the message says how).
 */
int	etsy_request(struct etsy_client *, struct arena *, const char *method,
	    const char *path, const char *form, struct etsy_reply *out,
	    struct err *);

/* s escaped for a URL query or form value, on the arena. */
char	*etsy_escape(struct arena *, const char *s);

/*
 * The address that sends the owner to Etsy to grant access:
 * auth_url + "/oauth/connect?..." with the scopes, the state and the
 * S256 challenge of the verifier.
 */
char	*etsy_authorize_url(struct arena *, const char *auth_url,
	    const char *keystring, const char *redirect_uri,
	    const char *state, const char *challenge);

#endif

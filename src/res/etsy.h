/*
 * etsy.h -- the Etsy connection as the routes (res/etsy.c) and the jobs
 * worker (res/etsy_sync.c) share it.
 *
 * The account row (etsy_account) keeps the app's keystring, its shared
 * secret and the OAuth tokens sealed with the installation's secret
 * (contexts "etsy:shared_secret", "etsy:access", "etsy:refresh",
 * "etsy:verifier").  Only these files open them.
 */
#ifndef PY_RES_ETSY_H
#define PY_RES_ETSY_H

#include <jansson.h>

#include "integrations/etsy.h"

struct job;
struct req;
struct secret;

/* Refresh the access token when it has less than this left (seconds). */
#define ETSY_REFRESH_MARGIN_S	120
/* An authorization started longer ago than this is refused (seconds). */
#define ETSY_OAUTH_MAX_AGE_S	900
/* How often the jobs worker asks whether a sync is due (seconds). */
#define ETSY_TICK_S		60

/* The connection the routes and jobs work with. */
struct etsy_conn {
	json_t			*account;	/* the etsy_account row */
	const struct secret	*secret;
	struct etsy_client	 client;
	int			 open;		/* client set up */
};

/*
 * Reads the account row (FOR UPDATE when lock) and opens a client with
 * its keystring and shared secret; ERR_CONFLICT when the keystring or
 * secret is not set.
 */
int	etsy_conn_open(struct req *, const struct secret *, int lock,
	    struct etsy_conn *);
void	etsy_conn_close(struct etsy_conn *);

/*
 * Stores tokens from the token endpoint's answer (sealed) with their
 * expiry, in the caller's transaction.
 */
int	etsy_store_tokens(struct req *, struct etsy_conn *,
	    const struct etsy_token *);

/*
 * Gives the client a valid access token, refreshing it (and storing the
 * new pair in its own transaction) when it is about to expire.  A
 * refresh token Etsy refuses marks the account revoked: ERR_CONFLICT
 * saying to reconnect.
 */
int	etsy_conn_token(struct req *, struct etsy_conn *);

/*
 * What the order page shows of an Etsy order: receipt_id, fees_cents,
 * push_state with push_label and push_error, attention; *row is NULL for
 * an order that came from no receipt.
 */
int	etsy_order_view(struct req *, long long order_id, json_t **row);

/*
 * Adds to the dashboard's view what needs a person: etsy_reconnect (Etsy
 * revoked the access), etsy_waiting (lines without a product) and
 * etsy_attention (receipts to look at).
 */
int	etsy_dashboard(struct req *, json_t *view);

/* The jobs worker's handlers. */
int	etsy_sync_job(struct job *, json_t **result, struct err *);
int	etsy_ship_job(struct job *, json_t **result, struct err *);

#endif

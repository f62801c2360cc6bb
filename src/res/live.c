/*
 * live.c -- who may follow which live channel.
 *
 * Browsers follow /live/sub/{channel} at nginx's nchan module, which never
 * holds an application worker.  Before it opens a stream nginx asks
 * GET /_live/check?channel= (nchan_authorize_request in
 * nginx/printyard.conf.in; only nginx itself can reach it) with the
 * subscriber's own cookies and Authorization header: a 2xx answer opens
 * the stream, any other status is what the subscriber gets.
 *
 * The staff channels need a login and the role that may read what they
 * carry.  A quote's channel is named after a hash of its secret token, so
 * whoever holds the name holds the token: it is public.  A name outside
 * these is refused, so nobody can use nginx as a message board.
 */
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/req.h"

#define STAFF	(ROLE_OWNER | ROLE_STAFF)

static const struct live_rule {
	const char	*channel;
	unsigned	 roles;
} live_rules[] = {
	{ "dashboard",	ROLE_ANY },	/* every page's connection light */
	{ "printers",	ROLE_ANY },	/* telemetry: states, runs, commands */
	{ "orders",	ROLE_ANY },
	{ "print-jobs",	ROLE_ANY },
	{ "quotes",	STAFF },	/* the staff's quote list */
	{ "jobs",	STAFF },	/* the jobs worker's queue */
	{ "etsy",	STAFF },	/* sync progress */
};

#define QUOTE_PREFIX	"quote_"
#define QUOTE_HEX	32	/* quotes.c: the first half of SHA-256(token) */

static int
live_quote_channel(const char *c)
{
	size_t	i;

	if (strncmp(c, QUOTE_PREFIX, strlen(QUOTE_PREFIX)) != 0)
		return 0;
	c += strlen(QUOTE_PREFIX);
	for (i = 0; c[i] != '\0'; i++)
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' &&
		    c[i] <= 'f')))
			return 0;
	return i == QUOTE_HEX;
}

static int
live_authorize(struct req *r)
{
	const char	*c;
	size_t		 i;

	c = req_str(r, "channel");
	if (live_quote_channel(c)) {
		r->status = 204;
		return 0;
	}
	for (i = 0; i < sizeof(live_rules) / sizeof(live_rules[0]); i++) {
		if (strcmp(c, live_rules[i].channel) != 0)
			continue;
		if (r->who.kind == AUTH_NONE)
			return err_set(&r->err, ERR_UNAUTHORIZED, "log in to "
			    "follow live updates");
		if ((r->who.role & live_rules[i].roles) == 0)
			return err_set(&r->err, ERR_FORBIDDEN, "your role "
			    "cannot follow channel %s", c);
		r->status = 204;
		return 0;
	}
	return err_set(&r->err, ERR_NOT_FOUND, "there is no live channel "
	    "%s", c);
}

static const struct param live_params[] = {
	{ "channel", IN_QUERY, P_STR, 1, 1, 64, NULL },
	PARAM_END
};

static const struct route live_routes[] = {
	{ "GET", "/_live/check", live_authorize,
	    ROLE_PUBLIC | ROLE_ANY, 0, live_params, NULL },
};

const struct resource live_resource = {
	"live", live_routes, sizeof(live_routes) / sizeof(live_routes[0]),
	NULL, 0,
};

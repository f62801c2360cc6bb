/*
 * config.h -- the effective configuration.
 *
 * Read from a file of `key = value` lines, then every key may be replaced
 * by the environment variable PRINTYARD_<KEY>.  One table in config.c names
 * every key with its type, bounds, default and whether it is secret.
 */
#ifndef PY_CONFIG_H
#define PY_CONFIG_H

#include "core/log.h"

struct arena;
struct buf;
struct err;

struct config {
	const char	*path;		/* file it came from ("" if none) */
	const char	*database_url;
	const char	*listen;
	const char	*secret_file;
	const char	*template_dir;
	const char	*sql_dir;
	const char	*openapi_file;
	const char	*file_store;
	const char	*nchan_publish_url;
	const char	*timezone;
	const char	*public_url;
	const char	*log_level_name;
	const char	*cura_definitions;	/* quote calibration */
	const char	*cura_engine;		/* quote slicing; "" off */
	const char	*etsy_api_url;		/* Etsy's API (tests: a fake) */
	const char	*etsy_auth_url;		/* where owners grant access */
	enum log_level	 log_level;
	long		 workers;
	long		 max_requests;
	long		 body_max;
	long		 upload_max;	/* bodies of ROUTE_UPLOAD routes */
	long		 jwt_ttl;
	long		 login_max_failures;
	long		 login_lockout_seconds;
	long		 db_retry_after;
	long		 jobs_poll_ms;
	long		 jobs_concurrency;
	long		 session_days;
	long		 etsy_timeout_s;	/* one request to Etsy */
	/* e-mail (integrations/mail.h); an empty smtp_url: mail is off */
	const char	*smtp_url;
	const char	*smtp_from;
	const char	*smtp_from_name;
	const char	*smtp_user;
	const char	*smtp_password;
	long		 smtp_starttls;
};

#define CONFIG_DEFAULT_PATH	"/etc/printyard/printyard.conf"

/*
 * Loads path (a missing file is an error only when required is set) and
 * the environment into cfg; strings live in the arena.  Returns 0 or
 * ERR_INVALID with the file, line and key in err.
 */
int	config_load(struct config *, struct arena *, const char *path,
	    int required, struct err *);
/* Writes `key = value` lines for every key, secrets masked. */
void	config_dump(const struct config *, struct buf *);

#endif

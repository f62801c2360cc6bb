/*
 * config.c -- one table of keys; file first, environment last.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/local/share/printyard"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif

enum key_type { KEY_STR, KEY_LONG };

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	const char	*def;		/* default, as text */
	long		 min, max;
	int		 secret;
	const char	*help;
};

/* secret: 1 masks a password inside a conninfo or URL, this the value */
#define SECRET_WHOLE	2

#define S(f)	KEY_STR, offsetof(struct config, f)
#define L(f)	KEY_LONG, offsetof(struct config, f)

static const struct key keys[] = {
	{ "database_url", S(database_url), "dbname=printyard", 0, 0, 1,
	    "libpq connection string" },
	{ "listen", S(listen), "unix:/run/printyard/printyard.sock", 0, 0, 0,
	    "FastCGI socket: unix:/path or host:port" },
	{ "workers", L(workers), "0", 0, 256, 0,
	    "FastCGI worker processes (0 = number of cores)" },
	{ "max_requests", L(max_requests), "100000", 0, 100000000, 0,
	    "requests before a worker is recycled (0 = never)" },
	{ "secret_file", S(secret_file),
	    LOCALSTATEDIR "/lib/printyard/secret.key", 0, 0, 0,
	    "key file for tokens and stored secrets (created 0600)" },
	{ "template_dir", S(template_dir), PKGDATADIR "/templates", 0, 0, 0,
	    "Mustache templates" },
	{ "sql_dir", S(sql_dir), PKGDATADIR "/sql", 0, 0, 0,
	    "numbered migrations" },
	{ "openapi_file", S(openapi_file), PKGDATADIR "/openapi.yaml", 0, 0, 0,
	    "API description served at /api/v1/openapi.json" },
	{ "file_store", S(file_store), LOCALSTATEDIR "/lib/printyard/files",
	    0, 0, 0, "uploaded and downloaded files" },
	{ "nchan_publish_url", S(nchan_publish_url),
	    "http://127.0.0.1:8080/_live/pub", 0, 0, 0,
	    "nginx nchan publisher location (loopback)" },
	{ "timezone", S(timezone), "Europe/Berlin", 0, 0, 0,
	    "business time zone" },
	{ "public_url", S(public_url), "http://127.0.0.1:8080", 0, 0, 0,
	    "URL people use to reach Printyard" },
	{ "log_level", S(log_level_name), "info", 0, 0, 0,
	    "debug, info, warn or error" },
	{ "cura_definitions", S(cura_definitions),
	    LOCALSTATEDIR "/lib/printyard/cura", 0, 0, 0,
	    "Cura printer definitions for quote calibration "
	    "(scripts/cura-definitions)" },
	{ "cura_engine", S(cura_engine), "CuraEngine", 0, 0, 0,
	    "CuraEngine that slices quoted parts after the instant estimate "
	    "(empty: quotes keep the estimate)" },
	{ "etsy_api_url", S(etsy_api_url), "https://api.etsy.com", 0, 0, 0,
	    "Etsy Open API v3 base (the /v3/... paths follow it)" },
	{ "etsy_auth_url", S(etsy_auth_url), "https://www.etsy.com", 0, 0, 0,
	    "where an owner is sent to grant Printyard access (/oauth/connect)" },
	{ "etsy_timeout_s", L(etsy_timeout_s), "20", 1, 600, 0,
	    "seconds one request to Etsy may take before it is tried again" },
	{ "body_max", L(body_max), "1048576", 1024, 1073741824, 0,
	    "largest JSON or form body in bytes" },
	{ "upload_max", L(upload_max), "104857600", 1024, 1073741824, 0,
	    "largest uploaded file (print files, meshes) in bytes" },
	{ "jwt_ttl", L(jwt_ttl), "3600", 60, 86400, 0,
	    "lifetime of a login token in seconds" },
	{ "session_days", L(session_days), "14", 1, 365, 0,
	    "days a browser session may be renewed" },
	{ "login_max_failures", L(login_max_failures), "5", 1, 1000, 0,
	    "failed logins before an account is locked for a while" },
	{ "login_lockout_seconds", L(login_lockout_seconds), "900", 1, 86400,
	    0, "how long a locked account stays locked" },
	{ "db_retry_after", L(db_retry_after), "5", 1, 3600, 0,
	    "Retry-After seconds while the database is unreachable" },
	{ "jobs_poll_ms", L(jobs_poll_ms), "1000", 10, 60000, 0,
	    "how often an idle jobs worker looks for work" },
	{ "jobs_concurrency", L(jobs_concurrency), "1", 1, 64, 0,
	    "jobs a jobs process runs at once" },
	{ "smtp_url", S(smtp_url), "", 0, 0, 1,
	    "mail server: smtp://host:587 or smtps://host:465 (empty: mail "
	    "stays queued)" },
	{ "smtp_from", S(smtp_from), "", 0, 0, 0,
	    "sender address of every mail" },
	{ "smtp_from_name", S(smtp_from_name), "", 0, 0, 0,
	    "sender name shown to recipients" },
	{ "smtp_user", S(smtp_user), "", 0, 0, 0,
	    "mail server login (empty: no AUTH)" },
	{ "smtp_password", S(smtp_password), "", 0, 0, SECRET_WHOLE,
	    "mail server password" },
	{ "smtp_starttls", L(smtp_starttls), "1", 0, 1, 0,
	    "1: an smtp:// server must switch to TLS (STARTTLS)" },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static const struct key *
key_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
key_set(struct config *cfg, struct arena *a, const struct key *k,
    const char *val, const char *where, struct err *e)
{
	char	*end;
	long	 v;

	if (k->type == KEY_STR) {
		*(const char **)((char *)cfg + k->off) = arena_strdup(a, val);
		return 0;
	}
	errno = 0;
	v = strtol(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0' || v < k->min ||
	    v > k->max)
		return err_set(e, ERR_INVALID,
		    "%s: %s must be a whole number from %ld to %ld, not \"%s\"",
		    where, k->name, k->min, k->max, val);
	*(long *)((char *)cfg + k->off) = v;
	return 0;
}

static char *
trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
load_file(struct config *cfg, struct arena *a, const char *path,
    int required, struct err *e)
{
	FILE			*f;
	char			 line[4096], where[512], *p, *eq, *k, *v;
	const struct key	*key;
	int			 lineno, rc;

	f = fopen(path, "r");
	if (f == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		return err_set(e, ERR_INVALID, "cannot read %s: %s", path,
		    strerror(errno));
	}
	lineno = 0;
	rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = err_set(e, ERR_INVALID, "%s: line too long",
			    where);
			break;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL) {
			rc = err_set(e, ERR_INVALID,
			    "%s: expected `key = value`", where);
			break;
		}
		*eq = '\0';
		k = trim(p);
		v = trim(eq + 1);
		if ((key = key_find(k)) == NULL) {
			rc = err_set(e, ERR_INVALID, "%s: unknown key \"%s\"",
			    where, k);
			break;
		}
		rc = key_set(cfg, a, key, v, where, e);
	}
	fclose(f);
	return rc;
}

/*
 * Mail needs a sender, and a login only travels encrypted: an smtps
 * URL, or an smtp one with STARTTLS required.
 */
static int
smtp_check(const struct config *cfg, struct err *e)
{
	if (cfg->smtp_url[0] == '\0')
		return 0;
	if (strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(cfg->smtp_url, "smtps://", 8) != 0)
		return err_set(e, ERR_INVALID, "smtp_url must start with "
		    "smtp:// or smtps://");
	if (cfg->smtp_from[0] == '\0' || strchr(cfg->smtp_from, '@') == NULL)
		return err_set(e, ERR_INVALID, "smtp_from must be the sender's "
		    "e-mail address when smtp_url is set");
	if (cfg->smtp_user[0] != '\0' && !cfg->smtp_starttls &&
	    strncmp(cfg->smtp_url, "smtps://", 8) != 0)
		return err_set(e, ERR_INVALID, "smtp_user needs TLS: use "
		    "smtps:// or smtp_starttls = 1");
	return 0;
}

int
config_load(struct config *cfg, struct arena *a, const char *path,
    int required, struct err *e)
{
	const struct key	*k;
	char			 env[128], *p;
	const char		*v;
	size_t			 i;
	long			 n;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (key_set(cfg, a, &keys[i], keys[i].def, "default", e) != 0)
			return e->code;
	cfg->path = arena_strdup(a, path != NULL ? path : "");
	if (path != NULL && load_file(cfg, a, path, required, e) != 0)
		return e->code;
	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		snprintf(env, sizeof(env), "PRINTYARD_%s", k->name);
		for (p = env; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		if ((v = getenv(env)) != NULL &&
		    key_set(cfg, a, k, v, env, e) != 0)
			return e->code;
	}
	if (log_parse_level(cfg->log_level_name, &cfg->log_level) != 0)
		return err_set(e, ERR_INVALID,
		    "log_level must be debug, info, warn or error, not \"%s\"",
		    cfg->log_level_name);
	if (strncmp(cfg->listen, "unix:/", 6) != 0 &&
	    strchr(cfg->listen, ':') == NULL)
		return err_set(e, ERR_INVALID,
		    "listen must be unix:/absolute/path or host:port, not "
		    "\"%s\"", cfg->listen);
	if (smtp_check(cfg, e) != 0)
		return e->code;
	if (cfg->workers == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->workers = n > 0 ? n : 1;
	}
	return 0;
}

/* Masks password=... inside a conninfo string or URL. */
static void
mask_secret(struct buf *out, const char *v)
{
	const char	*p, *at, *colon;

	if ((p = strstr(v, "password=")) != NULL) {
		buf_add(out, v, (size_t)(p - v) + 9);
		buf_addstr(out, "********");
		while (*p != '\0' && *p != ' ')
			p++;
		buf_addstr(out, p);
		return;
	}
	if (strstr(v, "://") != NULL && (at = strchr(v, '@')) != NULL &&
	    (colon = memchr(strstr(v, "://") + 3, ':',
	    (size_t)(at - (strstr(v, "://") + 3)))) != NULL) {
		buf_add(out, v, (size_t)(colon - v) + 1);
		buf_addstr(out, "********");
		buf_addstr(out, at);
		return;
	}
	buf_addstr(out, v);
}

void
config_dump(const struct config *cfg, struct buf *out)
{
	const struct key	*k;
	size_t			 i;

	buf_printf(out, "# effective configuration (file: %s)\n",
	    cfg->path[0] != '\0' ? cfg->path : "none");
	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		buf_printf(out, "# %s\n%s = ", k->help, k->name);
		if (k->type == KEY_LONG)
			buf_printf(out, "%ld",
			    *(const long *)((const char *)cfg + k->off));
		else if (k->secret == SECRET_WHOLE)
			buf_addstr(out, **(const char *const *)
			    ((const char *)cfg + k->off) != '\0' ?
			    "********" : "");
		else if (k->secret)
			mask_secret(out, *(const char *const *)
			    ((const char *)cfg + k->off));
		else
			buf_addstr(out, *(const char *const *)
			    ((const char *)cfg + k->off));
		buf_addc(out, '\n');
	}
}

/*
 * health.c -- GET /api/v1/health, GET /metrics, GET /api/v1/openapi.json.
 *
 * Health answers 503 when the database is unreachable or migrations are
 * behind the files this build ships; stale jobs or telemetry heartbeats
 * make it "degraded" (still 200, so a load balancer keeps the node).
 * The database part is cached for a second per worker so a busy health
 * probe does not become database load.
 */
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "db/db.h"
#include "http/metrics.h"
#include "http/req.h"
#include "http/server.h"

#define HEARTBEAT_STALE	30	/* seconds */

static const struct stmt health_stmts[] = {
	{ "health_state",
	  "SELECT (SELECT max(name) FROM schema_migrations) AS migration, "
	  "coalesce((SELECT json_object_agg(process, json_build_object("
	  "'age', extract(epoch FROM now() - beat_at)::int, 'pid', pid, "
	  "'info', info)) FROM heartbeats), '{}') AS beats", 0 },
};

static time_t	 cached_at;
static json_t	*cached;

static json_t *
health_check(struct req *r)
{
	json_t		*row, *beats, *b, *checks, *o;
	const char	*mig, *name;
	int		 ok, degraded;
	long long	 age;

	ok = 1;
	degraded = 0;
	checks = json_object();
	if (db_one(r->db, r->arena, &health_stmts[0], NULL, &row,
	    &r->err) != 0 || row == NULL) {
		json_object_set_new(checks, "database", json_pack("{s:s, s:s}",
		    "status", "down", "message", r->err.message));
		err_clear(&r->err);
		return json_pack("{s:s, s:o}", "status", "down", "checks",
		    checks);
	}
	json_object_set_new(checks, "database", json_pack("{s:s}", "status",
	    "ok"));
	mig = json_string_value(json_object_get(row, "migration"));
	if (mig == NULL || strcmp(mig, the_app->latest_migration) != 0) {
		ok = 0;
		json_object_set_new(checks, "migrations", json_pack(
		    "{s:s, s:s?, s:s}", "status", "behind", "applied", mig,
		    "expected", the_app->latest_migration));
	} else
		json_object_set_new(checks, "migrations", json_pack(
		    "{s:s, s:s}", "status", "ok", "applied", mig));
	beats = json_object_get(row, "beats");
	json_object_foreach(beats, name, b) {
		age = json_integer_value(json_object_get(b, "age"));
		o = json_pack("{s:s, s:I, s:O}", "status",
		    age > HEARTBEAT_STALE ? "stale" : "ok", "age_seconds",
		    (json_int_t)age, "info", json_object_get(b, "info"));
		if (age > HEARTBEAT_STALE)
			degraded = 1;
		json_object_set_new(checks, name, o);
	}
	if (json_object_get(checks, "jobs") == NULL) {
		degraded = 1;
		json_object_set_new(checks, "jobs", json_pack("{s:s}",
		    "status", "missing"));
	}
	return json_pack("{s:s, s:s, s:o}", "status", !ok ? "down" :
	    degraded ? "degraded" : "ok", "version", the_app->version,
	    "checks", checks);
}

/*
 * Only a good answer is cached: an outage shows at once, and so does
 * recovery.
 */
static int
health_show(struct req *r)
{
	json_t	*h;
	time_t	 now;

	now = time(NULL);
	if (cached != NULL && now == cached_at) {
		req_json(r, 200, json_incref(cached));
		return 0;
	}
	if (cached != NULL)
		json_decref(cached);
	cached = NULL;
	h = health_check(r);
	if (strcmp(json_string_value(json_object_get(h, "status")), "down") ==
	    0) {
		req_header(r, "Retry-After", arena_printf(r->arena, "%ld",
		    r->cfg->db_retry_after));
		req_json(r, 503, h);
		return 0;
	}
	cached = json_incref(h);
	cached_at = now;
	req_json(r, 200, h);
	return 0;
}

static int
health_metrics(struct req *r)
{
	r->content_type_out = "text/plain; version=0.0.4; charset=utf-8";
	metrics_render(&r->body_out);
	return 0;
}

static int
health_openapi(struct req *r)
{
	req_json(r, 200, json_incref(the_app->openapi));
	return 0;
}

static const struct route health_routes[] = {
	{ "GET", "/api/v1/health", health_show, ROLE_PUBLIC, ROUTE_NO_DB,
	    NULL, NULL },
	{ "GET", "/metrics", health_metrics, ROLE_PUBLIC,
	    ROUTE_NO_DB | ROUTE_RAW, NULL, NULL },
	{ "GET", "/api/v1/openapi.json", health_openapi, ROLE_PUBLIC,
	    ROUTE_NO_DB, NULL, NULL },
};

const struct resource health_resource = {
	"health", health_routes,
	sizeof(health_routes) / sizeof(health_routes[0]),
	health_stmts, sizeof(health_stmts) / sizeof(health_stmts[0]),
};

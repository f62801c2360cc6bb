/*
 * jobs.c -- printyard jobs: the background worker.
 *
 * Claims one due job at a time with FOR UPDATE SKIP LOCKED (so several
 * jobs processes share the queue), runs its handler, and records done,
 * a retry with exponential backoff (30 s * 2^attempt, at most an hour),
 * or dead with the last error after max_attempts.  A recurring job
 * (every_seconds) queues its next run when it finishes.  Jobs whose
 * worker died while running them are put back after 10 minutes.  A
 * heartbeat row tells /api/v1/health this process is alive.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "cmd/cmd.h"
#include "db/db.h"
#include "domain/jobs.h"
#include "http/req.h"
#include "integrations/live.h"
#include "res/etsy.h"
#include "res/quotes.h"

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	stop = 1;
}

static const struct stmt jobs_stmts[] = {
	{ "jobs_claim",
	  "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
	  "locked_by = $1, locked_at = now() WHERE id = (SELECT id FROM jobs "
	  "WHERE state = 'queued' AND run_at <= now() ORDER BY run_at, id "
	  "FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id, kind, args, "
	  "attempts, max_attempts, every_seconds, unique_key", 1 },
	{ "jobs_done",
	  "UPDATE jobs SET state = 'done', progress = 100, result = $2, "
	  "finished_at = now(), locked_by = NULL WHERE id = $1", 2 },
	{ "jobs_retry",
	  "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN "
	  "'dead'::job_state ELSE 'queued'::job_state END, last_error = $2, "
	  "run_at = now() + make_interval(secs => least(3600, 30 * "
	  "power(2, attempts - 1))), locked_by = NULL, finished_at = CASE "
	  "WHEN attempts >= max_attempts THEN now() END WHERE id = $1 "
	  "RETURNING state::text AS state", 2 },
	{ "jobs_again",
	  "INSERT INTO jobs (kind, args, run_at, every_seconds, unique_key) "
	  "VALUES ($1, $2, now() + make_interval(secs => $3::int), $3::int, "
	  "$4) ON CONFLICT DO NOTHING", 4 },
	{ "jobs_rescue",
	  "UPDATE jobs SET state = 'queued', locked_by = NULL WHERE state = "
	  "'running' AND locked_at < now() - interval '10 minutes'", 0 },
	{ "jobs_beat",
	  "INSERT INTO heartbeats (process, pid, host, beat_at, info) VALUES "
	  "('jobs', $1, $2, now(), $3) ON CONFLICT (process) DO UPDATE SET "
	  "pid = $1, host = $2, beat_at = now(), info = $3", 3 },
};

enum { ST_CLAIM, ST_DONE, ST_RETRY, ST_AGAIN, ST_RESCUE, ST_BEAT };

static void
beat(struct db *db, struct arena *a, const char *me, unsigned long done)
{
	struct err	 e = { 0 };
	const char	*p[3];
	char		 host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	p[0] = arena_printf(a, "%d", (int)getpid());
	p[1] = host;
	p[2] = arena_printf(a, "{\"worker\": \"%s\", \"jobs_done\": %lu}",
	    me, done);
	db_exec(db, a, &jobs_stmts[ST_BEAT], p, NULL, &e);
	db_exec(db, a, &jobs_stmts[ST_RESCUE], NULL, NULL, &e);
}

/* Claims and runs one job; returns 1 if there was one. */
static int
run_one(const struct config *cfg, struct db *db, struct arena *a,
    const char *me)
{
	struct err	 e = { 0 };
	struct job	 job;
	json_t		*row, *result;
	const char	*p[4], *state = "failed", *every, *ukey;
	char		*dump;
	json_t		*live_event;
	int		 rc;

	if (db_one(db, a, &jobs_stmts[ST_CLAIM], &me, &row, &e) != 0 ||
	    row == NULL)
		return 0;
	memset(&job, 0, sizeof(job));
	job.id = json_integer_value(json_object_get(row, "id"));
	job.kind = json_string_value(json_object_get(row, "kind"));
	job.args = json_object_get(row, "args");
	job.attempt = (int)json_integer_value(json_object_get(row,
	    "attempts"));
	job.cfg = cfg;
	job.db = db;
	every = json_is_integer(json_object_get(row, "every_seconds")) ?
	    arena_printf(a, "%lld", (long long)json_integer_value(
	    json_object_get(row, "every_seconds"))) : NULL;
	ukey = json_string_value(json_object_get(row, "unique_key"));
	if (ukey != NULL)
		ukey = arena_strdup(a, ukey);
	job.kind = arena_strdup(a, job.kind);
	job.arena = a;
	p[0] = arena_printf(a, "%lld", job.id);
	result = NULL;
	rc = jobs_dispatch(&job, &result, &e);
	if (rc == 0) {
		dump = json_dumps(result != NULL ? result : json_null(),
		    JSON_ENCODE_ANY | JSON_COMPACT);
		p[1] = dump;
		db_exec(db, a, &jobs_stmts[ST_DONE], p, NULL, &e);
		free(dump);
		log_kv(LOG_INFO, "job done", "job_id", p[0], "kind", job.kind,
		    NULL);
	} else {
		p[1] = e.message;
		if (db_one(db, a, &jobs_stmts[ST_RETRY], p, &row, &e) == 0 &&
		    row != NULL)
			state = arena_strdup(a, json_string_value(
			    json_object_get(row, "state")));
		log_kv(LOG_WARN, "job failed", "job_id", p[0], "kind",
		    job.kind, "error", p[1], "now", state, NULL);
	}
	json_decref(result);
	live_event = json_pack("{s:s, s:I, s:s, s:s}", "type", "job", "id",
	    (json_int_t)job.id, "kind", job.kind, "state", rc == 0 ? "done" :
	    state);
	live_publish("jobs", live_event);
	json_decref(live_event);
	/* A recurring job queues its next run whatever this one did. */
	if (every != NULL) {
		p[0] = job.kind;
		p[1] = "{}";
		p[2] = every;
		p[3] = ukey;
		db_exec(db, a, &jobs_stmts[ST_AGAIN], p, NULL, &e);
	}
	return 1;
}

static int
jobs_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct db	*db;
	struct arena	*a;
	struct err	 e = { 0 };
	struct sigaction sa;
	char		 me[64], prefix[80];
	time_t		 last_beat;
	unsigned long	 done;
	int		 ran;

	snprintf(me, sizeof(me), "jobs-%d", (int)getpid());
	snprintf(prefix, sizeof(prefix), "proc=jobs pid=%d", (int)getpid());
	log_set_prefix(prefix);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	jobs_register();
	db_register(jobs_stmts, sizeof(jobs_stmts) / sizeof(jobs_stmts[0]));
	/* resources' own background work runs their code as a request */
	req_register();
	jobs_add("quote_slice", quotes_slice_job, 0);
	jobs_add("etsy_sync", etsy_sync_job, ETSY_TICK_S);
	jobs_add("etsy_ship", etsy_ship_job, 0);
	db = db_new(c->cfg.database_url);
	if (db_connect(db, &e) != 0 && e.code != ERR_UNAVAILABLE)
		return cmd_fail("%s", e.message);
	a = arena_new(64 * 1024);
	live_init(c->cfg.nchan_publish_url);
	if (jobs_schedule_recurring(db, a, &e) != 0)
		log_kv(LOG_WARN, "cannot queue recurring jobs", "error",
		    e.message, NULL);
	log_kv(LOG_INFO, "jobs worker started", NULL);
	last_beat = 0;
	done = 0;
	while (!stop) {
		if (time(NULL) - last_beat >= 5) {
			beat(db, a, me, done);
			last_beat = time(NULL);
		}
		ran = run_one(&c->cfg, db, a, me);
		done += (unsigned long)ran;
		arena_reset(a);
		if (!ran)
			usleep((useconds_t)c->cfg.jobs_poll_ms * 1000);
	}
	log_kv(LOG_INFO, "jobs worker stopped", NULL);
	arena_free(a);
	db_free(db);
	return 0;
}

const struct command cmd_jobs = {
	"jobs", "run the background jobs worker",
	"usage: printyard jobs\n\n"
	"Runs queued background jobs (housekeeping, and later syncs, exports\n"
	"and notifications).  Several may run at once.  SIGTERM stops it\n"
	"after the job in hand.\n",
	jobs_run,
};

/*
 * jobs.c -- the table of job kinds, the recurring schedule and the
 * housekeeping jobs (sessions, idempotency keys, finished jobs, printer
 * samples past their retention).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "db/db.h"
#include "domain/corrections.h"
#include "domain/jobs.h"
#include "domain/outbox.h"

static const struct stmt jobkind_stmts[] = {
	/* Idempotency keys are kept for at least 24 hours. */
	{ "housekeeping_idempotency",
	  "WITH d AS (DELETE FROM idempotency_keys WHERE created_at < now() - "
	  "interval '24 hours' RETURNING 1) SELECT count(*) AS n FROM d", 0 },
	{ "housekeeping_sessions",
	  "WITH d AS (DELETE FROM sessions WHERE expires_at < now() - "
	  "interval '1 day' OR revoked_at < now() - interval '1 day' "
	  "RETURNING 1) SELECT count(*) AS n FROM d", 0 },
	{ "housekeeping_jobs",
	  "WITH d AS (DELETE FROM jobs WHERE state = 'done' AND finished_at "
	  "< now() - interval '30 days' RETURNING 1) SELECT count(*) AS n "
	  "FROM d", 0 },
	/* Printer samples older than $1 days (job args {"days": N}). */
	{ "housekeeping_printer_samples",
	  "WITH d AS (DELETE FROM printer_samples WHERE at < now() - "
	  "make_interval(days => $1::int) RETURNING 1) SELECT count(*) AS n "
	  "FROM d", 1 },
	{ "jobs_progress",
	  "UPDATE jobs SET progress = $2, progress_note = $3 WHERE id = $1",
	  3 },
	{ "jobs_recurring",
	  "INSERT INTO jobs (kind, every_seconds, unique_key) VALUES ($1, "
	  "$2::int, $1) ON CONFLICT DO NOTHING", 2 },
};

enum { ST_IDEM, ST_SESSIONS, ST_JOBS, ST_SAMPLES, ST_PROGRESS,
    ST_RECURRING };

/* How long printer samples are kept unless the job's args say. */
#define SAMPLES_DAYS_DEFAULT	30
#define SAMPLES_DAYS_MAX	3650

void
jobs_progress(struct job *j, int pct, const char *note)
{
	struct err	 e = { 0 };
	const char	*p[3];

	p[0] = arena_printf(j->arena, "%lld", j->id);
	p[1] = arena_printf(j->arena, "%d", pct < 0 ? 0 : pct > 100 ? 100 :
	    pct);
	p[2] = note;
	db_exec(j->db, j->arena, &jobkind_stmts[ST_PROGRESS], p, NULL, &e);
}

/* Runs one counting DELETE and reports how many rows it removed. */
static int
housekeeping(struct job *j, int st, const char *what, json_t **result,
    struct err *e)
{
	json_t	*row;

	if (db_one(j->db, j->arena, &jobkind_stmts[st], NULL, &row, e) != 0)
		return e->code;
	*result = json_pack("{s:O}", what, json_object_get(row, "n"));
	return 0;
}

static int
job_expire_idempotency(struct job *j, json_t **res, struct err *e)
{
	return housekeeping(j, ST_IDEM, "idempotency_keys_deleted", res, e);
}

static int
job_expire_sessions(struct job *j, json_t **res, struct err *e)
{
	return housekeeping(j, ST_SESSIONS, "sessions_deleted", res, e);
}

static int
job_purge_jobs(struct job *j, json_t **res, struct err *e)
{
	return housekeeping(j, ST_JOBS, "jobs_deleted", res, e);
}

/*
 * Deletes printer samples older than args.days (1..3650, default 30);
 * the recurring job carries its args to its next run, so setting them
 * on the queued job changes the retention for good.
 */
static int
job_purge_printer_samples(struct job *j, json_t **res, struct err *e)
{
	json_t		*row, *d;
	const char	*p;
	long long	 days;

	d = json_object_get(j->args, "days");
	days = SAMPLES_DAYS_DEFAULT;
	if (d != NULL && (!json_is_integer(d) || json_integer_value(d) < 1 ||
	    json_integer_value(d) > SAMPLES_DAYS_MAX))
		return err_set(e, ERR_INVALID, "args.days must be a whole "
		    "number of days from 1 to %d", SAMPLES_DAYS_MAX);
	if (d != NULL)
		days = json_integer_value(d);
	p = arena_printf(j->arena, "%lld", days);
	if (db_one(j->db, j->arena, &jobkind_stmts[ST_SAMPLES], &p, &row,
	    e) != 0)
		return e->code;
	*res = json_pack("{s:O, s:I}", "printer_samples_deleted",
	    json_object_get(row, "n"), "days", (json_int_t)days);
	return 0;
}

/* Fails on purpose: lets tests and operators see retries and dead jobs. */
static int
job_fail(struct job *j, json_t **res, struct err *e)
{
	const char	*msg;

	msg = json_string_value(json_object_get(j->args, "message"));
	return err_set(e, ERR_INTERNAL, "%s", msg != NULL ? msg :
	    "this job always fails");
}

/* What printed quotes teach the estimate (domain/corrections.c). */
static int
job_fit_corrections(struct job *j, json_t **res, struct err *e)
{
	return corrections_fit(j->db, j->arena, res, e);
}

static const struct {
	const char	*kind;
	int		(*run)(struct job *, json_t **, struct err *);
	int		 every;		/* seconds; 0 = not recurring */
} kinds[] = {
	{ "expire_idempotency_keys", job_expire_idempotency, 3600 },
	{ "expire_sessions", job_expire_sessions, 3600 },
	{ "purge_finished_jobs", job_purge_jobs, 86400 },
	{ "purge_printer_samples", job_purge_printer_samples, 86400 },
	{ "fit_quote_corrections", job_fit_corrections, 3600 },
	{ "always_fail", job_fail, 0 },
	{ "deliver_mail", mail_job, 30 },
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

static struct {
	const char	*kind;
	jobs_run_fn	 run;
	int		 every;
} added[JOBS_ADDED_MAX];
static size_t	nadded;

void
jobs_add(const char *kind, jobs_run_fn run, int every)
{
	if (nadded == JOBS_ADDED_MAX) {
		fputs("printyard: too many added job kinds\n", stderr);
		abort();
	}
	added[nadded].kind = kind;
	added[nadded].every = every;
	added[nadded++].run = run;
}

void
jobs_register(void)
{
	db_register(jobkind_stmts, sizeof(jobkind_stmts) /
	    sizeof(jobkind_stmts[0]));
	corrections_register();
	outbox_register();
}

int
jobs_dispatch(struct job *j, json_t **result, struct err *e)
{
	size_t	i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].kind, j->kind) == 0)
			return kinds[i].run(j, result, e);
	for (i = 0; i < nadded; i++)
		if (strcmp(added[i].kind, j->kind) == 0)
			return added[i].run(j, result, e);
	return err_set(e, ERR_INVALID, "unknown job kind \"%s\"", j->kind);
}

int
jobs_schedule_recurring(struct db *db, struct arena *a, struct err *e)
{
	const char	*p[2];
	size_t		 i;
	int		 every;

	for (i = 0; i < NKINDS + nadded; i++) {
		p[0] = i < NKINDS ? kinds[i].kind : added[i - NKINDS].kind;
		every = i < NKINDS ? kinds[i].every : added[i - NKINDS].every;
		if (every == 0)
			continue;
		p[1] = arena_printf(a, "%d", every);
		if (db_exec(db, a, &jobkind_stmts[ST_RECURRING], p, NULL,
		    e) != 0)
			return e->code;
	}
	return 0;
}

/*
 * runs.c -- print runs as the telemetry worker sees them, and the print
 * jobs they carry out.
 *
 * runs_observe() is handed every state of a printer that differs from
 * the last one stored.  domain/runs.c decides whether a run begins or
 * ends; this file writes it:
 *   - a run begins: a print_runs row (file, layers, progress) tied to the
 *     job print_run_job() (sql/0009) names; a queued job becomes started
 *     on this printer, all in one transaction;
 *   - while it runs: its progress and layer count, whenever the progress
 *     moved by a whole percent;
 *   - a run ends: the row gets its result, end and duration, and the job
 *     is completed (with the measured minutes; the filament comes out of
 *     the slots' spools through the stock ledger at the job's estimate)
 *     or failed (the reason from the printer's error text, the grams
 *     used so far counted as waste, a replacement queued).  A run still
 *     unlinked is matched once more at its end, so a job started by hand
 *     after the print began is found too.  When the job cannot change
 *     (someone completed it meanwhile, no spool holds the grams) the run
 *     is closed anyway with a note saying why, for a person to finish.
 * Every job change is audited as the actor "telemetry" and every run
 * change is published on the "printers" live channel.
 *
 * After a restart the first state of each printer reads the run its
 * predecessor left open (print_runs_one_running allows one) and goes on
 * from there, so a completion that happened while no worker watched is
 * recorded when the printer is next heard from, and a print that was
 * running is not opened twice.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "db/db.h"
#include "domain/production.h"
#include "domain/runs.h"
#include "domain/stock.h"
#include "integrations/live.h"
#include "printers/telemetry.h"

/* Columns a run is published and logged with. */
#define RUN_COLS \
	"id, printer_id, started_at, ended_at, result::text AS result, " \
	"file, duration_s, layers, progress::float8 AS progress, " \
	"print_job_id, note"

static const struct stmt runs_stmts[] = {
	{ "runs_load",
	  "SELECT r.id, r.file, coalesce(r.progress, s.progress)::float8 "
	  "AS progress FROM print_runs r LEFT JOIN printer_state s ON "
	  "s.printer_id = r.printer_id WHERE r.printer_id = $1 AND "
	  "r.result = 'running'", 1 },
	{ "runs_open",
	  "INSERT INTO print_runs (printer_id, started_at, file, layers, "
	  "progress, print_job_id, note) VALUES ($1, clock_timestamp(), $2, "
	  "$3::integer, $4::numeric, CASE WHEN $5::boolean THEN "
	  "print_run_job($1, $2, now()) END, $6) RETURNING " RUN_COLS ", "
	  "(SELECT status::text FROM print_jobs j WHERE j.id = "
	  "print_job_id) AS job_status", 6 },
	{ "runs_progress",
	  "UPDATE print_runs SET progress = $2::numeric, layers = "
	  "coalesce($3::integer, layers) WHERE id = $1 AND result = "
	  "'running'", 3 },
	/*
	 * $2 how it ended as far as the printer tells; a failure that
	 * follows a stop command sent from Printyard during the run was a
	 * cancellation.  $5 true: match an unlinked run once more.
	 */
	{ "runs_close",
	  "UPDATE print_runs r SET result = CASE WHEN $2 = 'failed' AND "
	  "EXISTS (SELECT 1 FROM printer_commands c WHERE c.printer_id = "
	  "r.printer_id AND c.command = 'stop' AND c.status = 'done' AND "
	  "c.done_at >= r.started_at) THEN 'cancelled' ELSE "
	  "$2::print_run_result END, ended_at = greatest(clock_timestamp(), "
	  "r.started_at), duration_s = greatest(0, extract(epoch FROM "
	  "clock_timestamp() - r.started_at))::integer, progress = "
	  "coalesce($3::numeric, r.progress), layers = coalesce($4::integer, "
	  "r.layers), note = $6, print_job_id = coalesce(r.print_job_id, "
	  "CASE WHEN $5::boolean THEN print_run_job(r.printer_id, r.file, "
	  "r.started_at) END) WHERE r.id = $1 AND r.result = 'running' "
	  "RETURNING " RUN_COLS ", (SELECT status::text FROM print_jobs j "
	  "WHERE j.id = r.print_job_id) AS job_status", 6 },
	{ "runs_job_slots",
	  "SELECT slot, est_grams::float8 AS est_grams FROM print_job_slots "
	  "WHERE job_id = $1 ORDER BY slot", 1 },
	{ "runs_audit",
	  "INSERT INTO audit_log (actor, action, entity, entity_id, after) "
	  "VALUES ('telemetry', $1, $2, $3, $4::jsonb)", 4 },
};

enum { ST_LOAD, ST_OPEN, ST_PROGRESS, ST_CLOSE, ST_JOB_SLOTS, ST_AUDIT };

static const struct stock_actor	runs_actor = { 0, "telemetry" };

void
runs_register(void)
{
	db_register(runs_stmts, sizeof(runs_stmts) / sizeof(runs_stmts[0]));
	/* what ending a job does to production and stock */
	db_register(production_stmts, PRODUCTION_NSTMTS);
	db_register(stock_stmts, STOCK_NSTMTS);
}

static const char *
runs_id(struct arena *a, long long id)
{
	return arena_printf(a, "%lld", id);
}

static const char *
runs_pct(struct arena *a, double pct)
{
	if (isnan(pct))
		return NULL;
	return arena_printf(a, "%.2f", pct < 0 ? 0 : pct > 100 ? 100 : pct);
}

static const char *
runs_layers(struct arena *a, const struct printer_state *s)
{
	return s->total_layers > 0 ? arena_printf(a, "%d", s->total_layers) :
	    NULL;
}

static void
runs_publish(const struct tel_printer *p, json_t *run)
{
	json_t	*ev;

	ev = json_pack("{s:s, s:I, s:O}", "type", "print_run", "printer_id",
	    (json_int_t)p->id, "run", run);
	live_publish("printers", ev);
	json_decref(ev);
}

static int
runs_audit(struct db *db, struct arena *a, const char *action,
    const char *entity, long long id, json_t *after, struct err *e)
{
	const char	*prm[4];

	prm[0] = action;
	prm[1] = entity;
	prm[2] = runs_id(a, id);
	prm[3] = arena_json_text(a, after);
	return db_exec(db, a, &runs_stmts[ST_AUDIT], prm, NULL, e);
}

/* Audits the status changes production_job_change made. */
static int
runs_audit_changes(struct db *db, struct arena *a, json_t *changes,
    struct err *e)
{
	json_t	*c;
	size_t	 i;

	json_array_foreach(changes, i, c) {
		if (runs_audit(db, a, arena_printf(a, "status_%s",
		    json_row_str(c, "to")), json_row_str(c, "entity"),
		    json_row_int(c, "id"), c, e) != 0)
			return e->code;
	}
	return 0;
}

/* The job of a run moves to `to`; a queued one is started first. */
static int
runs_job_move(struct db *db, struct arena *a, struct tel_printer *p,
    json_t *run, const char *to, const char *reason, double pct,
    struct err *e)
{
	struct production_job_change	 c;
	json_t				*changes, *job, *slots, *slot;
	const char			*status, *prm[1];
	long long			 id, n;
	size_t				 i;
	int				 rc;

	id = json_row_int(run, "print_job_id");
	status = json_row_str(run, "job_status");
	if (id <= 0 || status == NULL)
		return 0;
	changes = json_array();
	rc = 0;
	if (strcmp(status, "queued") == 0) {
		production_change_init(&c);
		c.to = "started";
		c.printer_id = p->id;
		rc = production_job_change(db, a, id, &c, &runs_actor,
		    changes, &job, e);
		status = "started";
	}
	if (rc == 0 && strcmp(to, "started") != 0 &&
	    strcmp(status, "started") == 0) {
		production_change_init(&c);
		c.to = to;
		c.seconds = json_row_int(run, "duration_s");
		if (strcmp(to, "failed") == 0) {
			c.reason = reason;
			/* what was laid down so far is waste */
			prm[0] = runs_id(a, id);
			rc = db_exec(db, a, &runs_stmts[ST_JOB_SLOTS], prm,
			    &slots, e);
			json_array_foreach(slots, i, slot) {
				n = json_row_int(slot, "slot");
				if (rc != 0 || n < 1 || n > PRODUCTION_MAX_SLOTS)
					continue;
				c.grams[n] = json_number_value(
				    json_object_get(slot, "est_grams")) *
				    (isnan(pct) ? 0 : pct / 100);
			}
		}
		if (rc == 0)
			rc = production_job_change(db, a, id, &c, &runs_actor,
			    changes, &job, e);
	}
	if (rc == 0)
		rc = runs_audit_changes(db, a, changes, e);
	json_decref(changes);
	return rc;
}

/* Why a failed run failed, in words, for the job. */
static const char *
runs_reason(struct arena *a, json_t *run, const struct printer_state *s,
    const struct runs_step *step, double pct)
{
	const char	*result;

	result = json_row_str(run, "result");
	if (result != NULL && strcmp(result, "cancelled") == 0)
		return "stopped from Printyard";
	if (!step->seen_end)
		return isnan(pct) ? "the printer moved on before the end of "
		    "this print was seen" : arena_printf(a, "the printer moved "
		    "on at %.0f %% before the end of this print was seen",
		    pct);
	if (s->nerrors > 0)
		return arena_printf(a, "%s%s%s", s->errors[0].text[0] !=
		    '\0' ? s->errors[0].text : s->errors[0].code,
		    s->nerrors > 1 ? "; " : "", s->nerrors > 1 ?
		    (s->errors[1].text[0] != '\0' ? s->errors[1].text :
		    s->errors[1].code) : "");
	return "stopped on the printer";
}

static void
runs_forget(struct tel_printer *p)
{
	p->run_id = 0;
	p->run_file[0] = '\0';
	p->run_pct = NAN;
	p->run_pct_saved = NAN;
}

static int
runs_commit(struct db *db, struct err *e)
{
	if (db_commit(db, e) != 0) {
		db_rollback(db);
		return e->code;
	}
	return 0;
}

/* How an open run ended; NULL for a run that begins. */
struct runs_end {
	const struct printer_state	*s;
	const struct runs_step		*step;
	double				 pct;
};

/*
 * Writes a run with statement st (prm[nprm - 2]: match its job,
 * prm[nprm - 1]: the note) and moves its job along, in one transaction
 * audited as `action`.  When the job cannot move, the run is written
 * again alone, unmatched, with a note saying why.  *run: the row written,
 * NULL when the run was closed meanwhile.
 */
static int
runs_write(struct db *db, struct arena *a, struct tel_printer *p, int st,
    const char **prm, size_t nprm, const char *action,
    const struct runs_end *end, json_t **run, struct err *e)
{
	struct err	 je = { 0 };
	const char	*to, *reason;
	int		 attempt;

	prm[nprm - 1] = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		prm[nprm - 2] = attempt == 0 ? "true" : "false";
		if (db_begin(db, e) != 0 || db_one(db, a, &runs_stmts[st], prm,
		    run, e) != 0)
			goto fail;
		if (*run == NULL) {
			db_rollback(db);
			return 0;
		}
		to = "started";
		reason = NULL;
		if (end != NULL) {
			to = strcmp(json_row_str(*run, "result"),
			    "completed") == 0 ? "completed" : "failed";
			reason = runs_reason(a, *run, end->s, end->step,
			    end->pct);
		}
		if ((attempt == 1 || runs_job_move(db, a, p, *run, to, reason,
		    end != NULL ? end->pct : (double)NAN, &je) == 0) &&
		    runs_audit(db, a, action, "print_run", json_row_int(*run,
		    "id"), *run, e) == 0 && runs_commit(db, e) == 0)
			return 0;
		db_rollback(db);
		if (je.code == 0)
			return e->code;
		prm[nprm - 1] = arena_printf(a, "print job %lld was not "
		    "changed: %s", json_row_int(*run, "print_job_id"),
		    je.message);
		log_kv(LOG_WARN, "print run not tied to its job", "printer",
		    p->name, "error", je.message, NULL);
		err_clear(&je);
	}
	return e->code;
fail:
	db_rollback(db);
	return e->code;
}

/* Ends p's open run; with its job when it can, else with a note. */
static void
runs_close(struct db *db, struct arena *a, struct tel_printer *p,
    const struct printer_state *s, const struct runs_step *step)
{
	struct err	 e = { 0 };
	struct runs_end	 end;
	json_t		*run = NULL;
	const char	*prm[6];
	int		 same;

	same = strcmp(s->job, p->run_file) == 0;
	end.s = s;
	end.step = step;
	end.pct = !isnan(s->progress) && same ? s->progress : p->run_pct;
	if (step->seen_end && step->result == RUNS_COMPLETED)
		end.pct = 100;
	prm[0] = runs_id(a, p->run_id);
	prm[1] = runs_result_name(step->result);
	prm[2] = runs_pct(a, end.pct);
	prm[3] = same ? runs_layers(a, s) : NULL;
	if (runs_write(db, a, p, ST_CLOSE, prm, 6, "run_end", &end, &run,
	    &e) != 0) {
		log_kv(LOG_WARN, "cannot end a print run", "printer", p->name,
		    "error", e.message, NULL);
		err_clear(&e);
		return;
	}
	if (run != NULL) {
		log_kv(LOG_INFO, "print run ended", "printer", p->name, "file",
		    p->run_file, "result", json_row_str(run, "result"), NULL);
		runs_publish(p, run);
	}
	runs_forget(p);
}

/* Opens a run for what p prints now, started the job it carries out. */
static void
runs_open(struct db *db, struct arena *a, struct tel_printer *p,
    const struct printer_state *s)
{
	struct err	 e = { 0 };
	json_t		*run = NULL;
	const char	*prm[6];

	prm[0] = runs_id(a, p->id);
	prm[1] = s->job;
	prm[2] = runs_layers(a, s);
	prm[3] = runs_pct(a, s->progress);
	if (runs_write(db, a, p, ST_OPEN, prm, 6, "run_start", NULL, &run,
	    &e) != 0 || run == NULL) {
		log_kv(LOG_WARN, "cannot start a print run", "printer",
		    p->name, "error", e.message, NULL);
		err_clear(&e);
		return;
	}
	p->run_id = json_row_int(run, "id");
	snprintf(p->run_file, sizeof(p->run_file), "%s", s->job);
	p->run_pct = p->run_pct_saved = s->progress;
	log_kv(LOG_INFO, "print run started", "printer", p->name, "file",
	    s->job, "job", json_row_int(run, "print_job_id") > 0 ?
	    arena_printf(a, "%lld", json_row_int(run, "print_job_id")) :
	    "-", NULL);
	runs_publish(p, run);
}

/* Reads the run a previous worker left open; -1 when it cannot. */
static int
runs_load(struct db *db, struct arena *a, struct tel_printer *p)
{
	struct err	 e = { 0 };
	json_t		*row;
	const char	*prm[1];
	json_t		*v;

	prm[0] = runs_id(a, p->id);
	if (db_one(db, a, &runs_stmts[ST_LOAD], prm, &row, &e) != 0) {
		err_clear(&e);
		return -1;
	}
	runs_forget(p);
	if (row != NULL) {
		p->run_id = json_row_int(row, "id");
		snprintf(p->run_file, sizeof(p->run_file), "%s",
		    json_row_str(row, "file") != NULL ? json_row_str(row,
		    "file") : "");
		v = json_object_get(row, "progress");
		p->run_pct = p->run_pct_saved = json_is_number(v) ?
		    json_number_value(v) : (double)NAN;
	}
	p->run_loaded = 1;
	return 0;
}

void
runs_observe(struct db *db, struct arena *a, struct tel_printer *p,
    const struct printer_state *s)
{
	struct runs_step	 step;
	struct err		 e = { 0 };
	const char		*prm[3];

	if (!p->run_loaded && runs_load(db, a, p) != 0)
		return;
	runs_decide(p->run_id != 0 ? p->run_file : NULL, p->run_pct, s,
	    p->kind == TEL_MOONRAKER || p->kind == TEL_OCTOPRINT, &step);
	switch (step.action) {
	case RUNS_OPEN:
		runs_open(db, a, p, s);
		return;
	case RUNS_CLOSE:
		runs_close(db, a, p, s, &step);
		return;
	case RUNS_CLOSE_OPEN:
		runs_close(db, a, p, s, &step);
		if (p->run_id == 0)
			runs_open(db, a, p, s);
		return;
	default:
		break;
	}
	if (p->run_id == 0 || isnan(s->progress) ||
	    strcmp(s->job, p->run_file) != 0)
		return;
	p->run_pct = s->progress;
	if (!isnan(p->run_pct_saved) && fabs(s->progress -
	    p->run_pct_saved) < 1)
		return;
	prm[0] = runs_id(a, p->run_id);
	prm[1] = runs_pct(a, s->progress);
	prm[2] = runs_layers(a, s);
	if (db_exec(db, a, &runs_stmts[ST_PROGRESS], prm, NULL, &e) == 0)
		p->run_pct_saved = s->progress;
	err_clear(&e);
}

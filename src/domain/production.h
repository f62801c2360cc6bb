/*
 * production.h -- status changes of sales orders, production orders and
 * print jobs, and what each change does to stock.
 *
 * Every change runs in the caller's transaction, locks the row it changes
 * (SELECT ... FOR UPDATE), asks domain/orders.c whether the new status
 * may follow the current one (ERR_CONFLICT with the allowed states
 * otherwise) and writes the timestamps of the status.  Consequences
 * follow in the same transaction:
 *   - a print job that is completed or failed takes its grams from the
 *     spools of its slots through the stock ledger (refs "print_job"),
 *     after giving back as much of its production order's reservation;
 *   - a failed job queues a replacement unless told not to;
 *   - a production order moves to in_progress when its first job starts
 *     and to done when no job is open and one completed (its items are
 *     then consumed); a cancelled one cancels its open jobs and releases
 *     every reservation;
 *   - a sales order moves to in_production when its first production
 *     order starts and to ready when all are done.
 * Each change made is appended to `changes` ({entity, id, from, to}) so
 * the caller can audit and publish them.
 */
#ifndef PY_DOMAIN_PRODUCTION_H
#define PY_DOMAIN_PRODUCTION_H

#include <jansson.h>

struct arena;
struct db;
struct err;
struct stmt;
struct stock_actor;

/*
 * The statements below, and the print job list and count (ending the
 * table, with one job's show and plan update); res/print_jobs.c lists them for
 * `serve`.
 */
#define PRODUCTION_NSTMTS	22
#define PRODUCTION_ST_JOB_SHOW	18
#define PRODUCTION_ST_JOB_LIST	19
#define PRODUCTION_ST_JOB_COUNT	20
#define PRODUCTION_ST_JOB_UPDATE 21	/* $1 id, priority, start, printer */
extern const struct stmt	production_stmts[PRODUCTION_NSTMTS];

/* Slots of a job: the spool and the grams of each (0: not given). */
#define PRODUCTION_MAX_SLOTS	16

struct production_job_change {
	const char	*to;		/* started, completed, failed, cancelled */
	long long	 printer_id;	/* 0: keep */
	long long	 spool[PRODUCTION_MAX_SLOTS + 1];	/* by slot */
	double		 grams[PRODUCTION_MAX_SLOTS + 1];	/* < 0: none */
	long long	 seconds;	/* actual print time; < 0: measure */
	const char	*reason;	/* failed: why */
	int		 replace;	/* failed: queue a replacement */
};

/* Sets every field to "not given" (replace on). */
void	production_change_init(struct production_job_change *);

/* Changes a print job; *job gets the job as it is afterwards. */
int	production_job_change(struct db *, struct arena *, long long job_id,
	    const struct production_job_change *, const struct stock_actor *,
	    json_t *changes, json_t **job, struct err *);

/*
 * Sets a production order's status by hand: cancelled (open jobs
 * cancelled, reservations released) or done (no job may be open).
 */
int	production_po_change(struct db *, struct arena *, long long po_id,
	    const char *to, const struct stock_actor *, json_t *changes,
	    struct err *);

/*
 * Sets a sales order's status.  confirmed plans production (production
 * orders, requirements, reservations, jobs); cancelled cancels the
 * production orders that are not done; ready needs every production
 * order done or cancelled.  carrier and tracking (may be NULL) are kept
 * with shipped.
 */
int	production_order_change(struct db *, struct arena *, long long order_id,
	    const char *to, const char *carrier, const char *tracking,
	    const struct stock_actor *, json_t *changes, struct err *);

#endif

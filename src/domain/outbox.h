/*
 * outbox.h -- mail that Printyard owes someone, and its delivery.
 *
 * Whoever decides that a mail must go queues it with outbox_queue()
 * inside the transaction that makes the decision (sql/0012_mail.sql):
 * the mail exists exactly when that change is committed.  The jobs
 * worker delivers it later with mail_job() (the recurring kind
 * "deliver_mail"): it takes a few due rows at a time, composes and sends
 * each (integrations/mail.h), and records the outcome with one audit_log
 * row per mail sent or given up (actor "jobs").
 *
 * Outcomes: sent; a temporary failure (no connection, a 4xx answer)
 * puts the row back with a later next_attempt_at, 30 s doubling up to an
 * hour, until OUTBOX_MAX_ATTEMPTS; a permanent one (a 5xx answer, a mail
 * that cannot be composed) fails the row at once.  last_error holds the
 * server's words.  With smtp_url empty nothing is sent and every queued
 * row says so in last_error.
 */
#ifndef PY_DOMAIN_OUTBOX_H
#define PY_DOMAIN_OUTBOX_H

#include <jansson.h>

struct arena;
struct db;
struct err;
struct job;

#define OUTBOX_BATCH		5	/* rows taken at a time */
#define OUTBOX_PER_RUN		50	/* rows one job run delivers at most */
#define OUTBOX_MAX_ATTEMPTS	10	/* about five hours of retries */
#define OUTBOX_BACKOFF_MAX_S	3600
/* A taken row is not taken again for this long (its worker may have died). */
#define OUTBOX_LEASE_S		900

/* The statements below, prepared by every process that queues or sends. */
void	outbox_register(void);

/*
 * Queues one mail in the caller's transaction: to (an address), to_name
 * (NULL: none), subject, the plain text and optionally the HTML (NULL:
 * text only), and what it is about (entity and entity_id, both or
 * neither: "quote", "42").  It also asks the jobs worker to deliver soon
 * rather than at the next recurring run.  The mail is checked the way
 * delivery will compose it, so a mail that can never go out is refused
 * now.  Returns 0, ERR_INVALID (what is wrong with which value) or a
 * database error.
 */
int	outbox_queue(struct db *, struct arena *, const char *to,
	    const char *to_name, const char *subject, const char *text,
	    const char *html, const char *entity, const char *entity_id,
	    struct err *);

/*
 * The "deliver_mail" job: delivers due rows (at most OUTBOX_PER_RUN) with
 * the job's configuration.  *result counts them: {"sent", "retrying",
 * "failed"}, or {"disabled": true, "queued": n} without smtp_url.
 * Returns 0 whatever the mail servers said (that is recorded per row),
 * or a database error, which leaves taken rows to their lease.
 */
int	mail_job(struct job *, json_t **result, struct err *);

#endif

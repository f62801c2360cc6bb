/*
 * jobs.h -- background job kinds and their handlers.
 *
 * A handler gets the job (its args as JSON, the attempt number, the
 * database and an arena reset after the job) and returns 0 with an
 * optional result, or an error code with err filled: the worker retries
 * with backoff and finally marks the job dead with the message.
 */
#ifndef PY_DOMAIN_JOBS_H
#define PY_DOMAIN_JOBS_H

#include <jansson.h>

struct arena;
struct config;
struct db;
struct err;

struct job {
	long long	 id;
	const char	*kind;
	json_t		*args;
	int		 attempt;
	struct db	*db;
	struct arena	*arena;
	const struct config *cfg;	/* the worker's configuration */
};

typedef int	(*jobs_run_fn)(struct job *, json_t **result, struct err *);

/*
 * Adds a kind whose handler lives above the domain (a resource's own
 * background work, such as slicing a quoted part); the worker adds them
 * at start.  every (seconds; 0: not recurring) queues it as the built-in
 * recurring kinds are.  At most JOBS_ADDED_MAX.
 */
#define JOBS_ADDED_MAX	8
void	jobs_add(const char *kind, jobs_run_fn, int every);
/* Runs the handler for job->kind; unknown kinds are an error. */
int	jobs_dispatch(struct job *, json_t **result, struct err *);
/* Registers the statements the handlers use. */
void	jobs_register(void);
/* Queues every recurring job that is not queued yet. */
int	jobs_schedule_recurring(struct db *, struct arena *, struct err *);
/* Sets progress (0-100) and a note that pages can show. */
void	jobs_progress(struct job *, int percent, const char *note);

#endif

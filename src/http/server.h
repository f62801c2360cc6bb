/*
 * server.h -- the FastCGI worker loop and the one request path.
 */
#ifndef PY_SERVER_H
#define PY_SERVER_H

#include <signal.h>
#include <jansson.h>

#include "core/crypto.h"

struct arena;
struct config;
struct db;
struct view;

/* What a worker process holds for its whole life. */
struct app {
	struct arena		*proc;		/* process arena */
	const struct config	*cfg;
	struct secret		 secret;
	struct view		*view;
	json_t			*openapi;	/* borrowed from proc */
	struct db		*db;
	const char		*version;
	const char		*latest_migration; /* newest file in sql_dir */
};

extern struct app	*the_app;

/*
 * Loads templates and the API description, registers statements and
 * checks the route table.  Returns 0 or an error naming what is wrong.
 */
int	server_prepare(struct app *, struct err *);

/* Opens the FastCGI socket named by `listen`; returns the fd or -1. */
int	server_listen(const char *listen, struct err *);

/*
 * Serves requests on fd until *stop is set or max_requests were served
 * (0 = no limit).  The request in progress when *stop is set finishes.
 */
void	server_worker(struct app *, int fd, volatile sig_atomic_t *stop,
	    long max_requests);

/*
 * Runs one request given as CGI environment and body (tests and fuzzing
 * use this; the worker loop uses it too).  The answer is written to out.
 */
struct req;
void	server_handle(struct app *, struct req *);

#endif

/*
 * serve.c -- printyard serve: the master and its FastCGI workers.
 *
 * The master opens the socket, maps the shared metrics, and forks
 * `workers` children that each accept requests on the same socket.  A
 * worker that dies is replaced, with a delay that doubles while workers
 * keep dying young (crash loops do not spin).  A worker that served
 * max_requests exits and is replaced.  SIGHUP: the master re-reads the
 * configuration and replaces the workers one by one (each finishes its
 * request first).  SIGTERM/SIGINT: workers finish their request and exit;
 * the master waits for them.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "cmd/cmd.h"
#include "db/db.h"
#include "http/metrics.h"
#include "http/server.h"

#define MAX_WORKERS	256
#define BACKOFF_MAX	30

static volatile sig_atomic_t	got_term, got_hup, got_chld;
static volatile sig_atomic_t	worker_stop;

static void
on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

static void
on_worker_signal(int sig)
{
	worker_stop = 1;
}

static void
set_handler(int sig, void (*fn)(int), int restart)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(sig, &sa, NULL);
}

/* Everything a worker loads; done in the child so SIGHUP reloads it. */
static void
worker_main(struct cmd_ctx *c, int fd)
{
	struct app	 app;
	struct err	 e = { 0 };
	sigset_t	 none;
	char		 prefix[64];

	worker_stop = 0;
	/* The master forks with signals blocked; a worker wants them all. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	set_handler(SIGTERM, on_worker_signal, 1);
	set_handler(SIGINT, SIG_IGN, 0);
	set_handler(SIGHUP, on_worker_signal, 1);
	set_handler(SIGCHLD, SIG_DFL, 1);
	set_handler(SIGPIPE, SIG_IGN, 1);
	snprintf(prefix, sizeof(prefix), "proc=worker pid=%d", (int)getpid());
	log_set_prefix(prefix);
	memset(&app, 0, sizeof(app));
	app.proc = c->arena;
	app.cfg = &c->cfg;
	app.version = PACKAGE_VERSION;
	app.latest_migration = migrate_latest(app.proc, c->cfg.sql_dir);
	if (secret_load(c->cfg.secret_file, &app.secret, &e) != 0 ||
	    server_prepare(&app, &e) != 0) {
		log_kv(LOG_ERROR, "worker cannot start", "error", e.message,
		    "detail", e.detail, NULL);
		_exit(3);
	}
	app.db = db_new(c->cfg.database_url);
	if (db_connect(app.db, &e) != 0) {
		if (e.code != ERR_UNAVAILABLE) {
			log_kv(LOG_ERROR, "worker cannot start", "error",
			    e.message, NULL);
			_exit(3);
		}
		log_kv(LOG_WARN, "database unreachable; answering 503 until "
		    "it returns", "detail", e.detail, NULL);
	}
	server_worker(&app, fd, &worker_stop, c->cfg.max_requests);
	db_free(app.db);
	_exit(0);
}

struct slot {
	pid_t	pid;
	time_t	started;
	int	retire;		/* replace after SIGHUP */
};

static pid_t
spawn(struct cmd_ctx *c, int fd, struct slot *s)
{
	pid_t	pid;

	pid = fork();
	if (pid < 0) {
		log_kv(LOG_ERROR, "fork failed", "error", strerror(errno),
		    NULL);
		return -1;
	}
	if (pid == 0)
		worker_main(c, fd);
	s->pid = pid;
	s->started = time(NULL);
	s->retire = 0;
	return pid;
}

static int
serve_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct slot	 slots[MAX_WORKERS];
	struct err	 e = { 0 };
	struct secret	 sec;
	sigset_t	 block, old;
	pid_t		 pid;
	time_t		 next_spawn;
	long		 nworkers, i;
	int		 fd, status, backoff, alive;
	char		 prefix[64];

	snprintf(prefix, sizeof(prefix), "proc=master pid=%d", (int)getpid());
	log_set_prefix(prefix);
	/* Create the secret once here so workers never race to make it. */
	if (secret_load(c->cfg.secret_file, &sec, &e) != 0)
		return cmd_fail("%s", e.message);
	if (metrics_init() != 0)
		return cmd_fail("cannot map shared metrics");
	if ((fd = server_listen(c->cfg.listen, &e)) < 0)
		return cmd_fail("%s", e.message);
	nworkers = c->cfg.workers > MAX_WORKERS ? MAX_WORKERS :
	    c->cfg.workers;
	memset(slots, 0, sizeof(slots));
	set_handler(SIGTERM, on_signal, 0);
	set_handler(SIGINT, on_signal, 0);
	set_handler(SIGHUP, on_signal, 0);
	set_handler(SIGCHLD, on_signal, 0);
	set_handler(SIGPIPE, SIG_IGN, 1);
	log_kv(LOG_INFO, "serving", "listen", c->cfg.listen, "workers",
	    arena_printf(c->arena, "%ld", nworkers), NULL);
	backoff = 0;
	next_spawn = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	for (;;) {
		sigprocmask(SIG_BLOCK, &block, &old);
		/* Reap every child that ended. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < nworkers; i++) {
				if (slots[i].pid != pid)
					continue;
				slots[i].pid = 0;
				if (got_term)
					break;
				if (WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0) {
					backoff = 0;
					break;
				}
				metrics_worker_restart();
				log_kv(LOG_WARN, "worker died", "pid",
				    arena_printf(c->arena, "%d", (int)pid),
				    "status", arena_printf(c->arena, "%d",
				    WIFSIGNALED(status) ? -WTERMSIG(status) :
				    WEXITSTATUS(status)), NULL);
				/* Died young: wait longer before the next one. */
				if (time(NULL) - slots[i].started < 2) {
					backoff = backoff == 0 ? 1 :
					    backoff * 2 > BACKOFF_MAX ?
					    BACKOFF_MAX : backoff * 2;
					next_spawn = time(NULL) + backoff;
				} else
					backoff = 0;
			}
		}
		got_chld = 0;
		if (got_term) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			break;
		}
		if (got_hup) {
			got_hup = 0;
			if (config_load(&c->cfg, c->arena, c->config_path,
			    c->config_required, &e) != 0)
				log_kv(LOG_ERROR, "reload failed; keeping the "
				    "running workers", "error", e.message,
				    NULL);
			else {
				log_set_level(c->cfg.log_level);
				log_kv(LOG_INFO, "reloading", NULL);
				for (i = 0; i < nworkers; i++)
					slots[i].retire = slots[i].pid > 0;
			}
		}
		/* Replace one retiring worker at a time: no gap in service. */
		for (i = 0; i < nworkers; i++) {
			if (slots[i].retire && slots[i].pid > 0) {
				kill(slots[i].pid, SIGHUP);
				slots[i].retire = 0;
				break;
			}
		}
		for (i = 0; i < nworkers; i++)
			if (slots[i].pid == 0 && time(NULL) >= next_spawn)
				spawn(c, fd, &slots[i]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (!got_chld && !got_term && !got_hup)
			sleep(next_spawn > time(NULL) ? 1 : 5);
	}
	log_kv(LOG_INFO, "draining", NULL);
	for (i = 0; i < nworkers; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, SIGTERM);
	/* Workers finish the request in hand, then exit. */
	do {
		alive = 0;
		while ((pid = waitpid(-1, &status, 0)) > 0)
			;
		for (i = 0; i < nworkers; i++)
			if (slots[i].pid > 0 && kill(slots[i].pid, 0) == 0)
				alive = 1;
	} while (alive && errno == EINTR);
	close(fd);
	if (strncmp(c->cfg.listen, "unix:", 5) == 0)
		unlink(c->cfg.listen + 5);
	log_kv(LOG_INFO, "stopped", NULL);
	return 0;
}

const struct command cmd_serve = {
	"serve", "run the FastCGI web and API server",
	"usage: printyard serve\n\n"
	"Opens the FastCGI socket (listen) and runs `workers` worker\n"
	"processes behind nginx.  SIGHUP reloads configuration and\n"
	"templates without dropping requests; SIGTERM drains and stops.\n",
	serve_run,
};

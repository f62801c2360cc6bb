/*
 * telemetry.h -- what the telemetry worker (cmd/telemetry.c) knows about
 * each printer it watches, the HTTP poller (printers/http.c) that fetches
 * the state of PrusaLink, OctoPrint and Moonraker printers, and the MQTT
 * sessions with Bambu Lab printers (printers/bambu.c).
 *
 * The worker owns every struct tel_printer; the transports only borrow
 * one while a poll or session of it is open and hand back one struct
 * poll_result per poll or report.  One process, one thread: nothing here
 * locks.
 */
#ifndef PY_PRINTERS_TELEMETRY_H
#define PY_PRINTERS_TELEMETRY_H

#include <stddef.h>

#include "parse/printer.h"

enum tel_kind {
	TEL_PRUSALINK,
	TEL_OCTOPRINT,
	TEL_MOONRAKER,
	TEL_BAMBU
};

struct http_conn;
struct bambu_conn;

struct tel_printer {
	long long		 id;
	enum tel_kind		 kind;
	char			 name[104];
	char			 host[256];
	int			 port;
	char			 username[104];
	char			 serial[40];	/* Bambu: topic and TLS name */
	char			*secret;	/* plain (malloc), or NULL */
	int			 poll_idle_s, poll_busy_s;
	char			 version[64];	/* printers.updated_at */
	int			 auth_failed;	/* stop until settings change */
	int			 no_secret;	/* sealed secret unreadable */
	int			 kept;		/* reload: still wanted */

	/* the connection */
	struct http_conn	*conn;		/* owned by the poller */
	struct bambu_conn	*mq;		/* Bambu: the MQTT session */
	int			 busy;		/* a poll is in flight */
	double			 next_at;	/* next poll, seconds */
	int			 fails;		/* in a row */
	double			 last_ok;	/* last answer, 0: never */
	unsigned long		 bad;		/* malformed answers */
	double			 bad_logged;

	/* what was stored */
	char			*stored;	/* state JSON text (malloc) */
	double			 stored_at;	/* last write of the row */
	int			 last_status;	/* -1: none yet */
	int			 error_set;	/* last_error written by us */
	double			 sample_at;

	/* the print run open on it (printers/runs.c) */
	int			 run_loaded;	/* read from the database */
	long long		 run_id;	/* 0: none open */
	char			 run_file[256];
	double			 run_pct;	/* last progress seen, NAN */
	double			 run_pct_saved;	/* last written to the run */
};

enum poll_outcome {
	POLL_OK,		/* state holds what the printer said */
	POLL_UNREACHABLE,	/* no answer: refused, timeout, reset */
	POLL_AUTH,		/* 401/403: the credentials were refused */
	POLL_BAD		/* an answer, but not one we can read */
};

struct poll_result {
	enum poll_outcome	 outcome;
	char			 error[512];	/* in plain words */
	struct printer_state	 state;
};

typedef void	(*poll_done_fn)(struct tel_printer *,
		    const struct poll_result *, void *);

struct http_poller;

/* A socket the loop waits on besides libcurl's (Bambu connections). */
struct tel_waitfd {
	int		 fd;
	short		 events, revents;	/* POLLIN, POLLOUT, ... */
};

/* Wall-clock seconds (cmd/telemetry.c). */
double			 tel_now(void);

struct http_poller	*http_poller_new(void);
void			 http_poller_free(struct http_poller *);
/* 1 for the kinds this poller speaks. */
int			 http_poller_handles(enum tel_kind);
/* Starts one poll of p (sets p->busy); -1 when it cannot. */
int			 http_poll_start(struct http_poller *,
			    struct tel_printer *);
/* Forgets p: aborts its poll and closes its handles (no callback). */
void			 http_poll_forget(struct http_poller *,
			    struct tel_printer *);
/*
 * Moves transfers on, waiting at most timeout_ms for network activity
 * on libcurl's sockets or the nfds extra ones (their revents are set),
 * and calls done for every poll that ended (clearing p->busy first).
 */
void			 http_poller_run(struct http_poller *, int timeout_ms,
			    struct tel_waitfd *, unsigned nfds,
			    poll_done_fn done, void *arg);

/*
 * Bambu (printers/bambu.c).  Start connects p (p->mq); on -1 why says
 * what failed and p->mq may be set (forget it).  Results come through
 * done, also from inside bambu_watch_io and bambu_watch_tick; a session
 * that ended (bambu_watch_ended) is freed with bambu_watch_forget.
 */
int			 bambu_watch_start(struct tel_printer *,
			    const char *ca_file, poll_done_fn done, void *arg,
			    char *why, size_t whylen);
void			 bambu_watch_forget(struct tel_printer *);
int			 bambu_watch_ended(const struct tel_printer *);
/* The socket to wait on and the events wanted, or -1. */
int			 bambu_watch_fd(const struct tel_printer *,
			    short *events);
void			 bambu_watch_io(struct tel_printer *, short revents);
/* Keep-alive, pushall and the handshake and silence timeouts. */
void			 bambu_watch_tick(struct tel_printer *, double now);

/*
 * Print runs (printers/runs.c): statements registered once; observe is
 * given every state of p that differs from the last one stored.
 */
struct db;
struct arena;
void			 runs_register(void);
void			 runs_observe(struct db *, struct arena *,
			    struct tel_printer *, const struct printer_state *);

#endif

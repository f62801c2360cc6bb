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
	int			 files_port;	/* Bambu FTPS, 0: 990 */
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

	/* the printer's files (printers/files.c) */
	int			 files_busy;	/* a listing or download runs */
	int			 files_online;	/* online when last looked */
	int			 files_status;	/* status when last looked */
	double			 files_at;	/* last listing started */

	/* commands and trust on first use (printers/control.c) */
	int			 tls_tofu;	/* tls_mode 'tofu' */
	char			 tls_pin[68];	/* pinned SHA-256 hex, or "" */
	char			 tls_seen[68];	/* last handshake's, or "" */
	char			 tls_why[256];	/* why a handshake failed */
	int			 tls_pin_new;	/* first use: store tls_seen */
	int			 tls_changed;	/* refused: not the pinned one */
	int			 tls_changed_told;	/* event written */
	char			 ctl_seq[24];	/* Bambu: sequence_id awaited */
	int			 ctl_answer;	/* 0 none, 1 success, -1 fail */
	char			 ctl_reason[256];	/* the printer's reason */
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
 * One request to p (copied: p may go away meanwhile) on the poller's
 * multi handle; done gets the status code and body, or error (a
 * transport failure in words, code 0).  For printers/control.c.
 */
/*
 * path with every byte but letters, digits, "/-._~" percent-encoded, so
 * each segment of it is safe in a URL; lives in the arena.
 */
struct arena;
const char		*http_path_escape(struct arena *, const char *path);

typedef void	(*http_call_fn)(void *arg, long code, const char *body,
		    size_t len, const char *error);
int			 http_call_start(struct http_poller *,
			    const struct tel_printer *, const char *method,
			    const char *path, const char *json, long timeout_ms,
			    http_call_fn done, void *arg);

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
 * Publishes json on device/<serial>/request over the watch session
 * (QoS 1); -1 when it is not connected.  If seq is not NULL, the reply
 * carrying that sequence_id sets p->ctl_answer and p->ctl_reason.
 */
int			 bambu_watch_send(struct tel_printer *,
			    const char *json, const char *seq);
/*
 * A connection test (printers/control.c): a session of its own that
 * ends at the CONNACK.  bambu_probe_step moves it on without blocking
 * and returns 0 while it runs, else 1 with *code (ok, unreachable,
 * tls_name, untrusted, cert_changed, access_code) and why in words.
 */
struct bambu_probe;
struct bambu_probe	*bambu_probe_start(const struct tel_printer *,
			    const char *ca_file);
int			 bambu_probe_step(struct bambu_probe *, double now,
			    const char **code, char *why, size_t whylen);
void			 bambu_probe_free(struct bambu_probe *);

/*
 * Print runs (printers/runs.c): statements registered once; observe is
 * given every state of p that differs from the last one stored.
 */
struct db;
struct arena;
void			 runs_register(void);
void			 runs_observe(struct db *, struct arena *,
			    struct tel_printer *, const struct printer_state *);

/*
 * Printer files (printers/files.c): `files` and `download` commands and
 * automatic listings, on a libcurl multi handle of its own.
 */
struct files;
void			 files_register(void);
struct control;
struct files		*files_new(const char *store, long upload_max,
			    struct control *);
void			 files_free(struct files *);
/* bambu_ca: the CA file Bambu printers' certificates are checked against */
void			 files_step(struct files *, struct db *,
			    struct arena *, struct tel_printer **, size_t,
			    const char *bambu_ca, double now);
/* 1 while transfers run (the loop should wake often). */
int			 files_pending(const struct files *);

/*
 * Commands (printers/control.c): pause, resume, stop, start and test
 * rows of printer_commands, carried out over the poller's multi handle
 * (HTTP kinds) or the Bambu watch session; also stores the certificate
 * fingerprints Bambu sessions pin on first use.
 */
struct control;
void			 control_register(void);
struct control		*control_new(struct http_poller *);
void			 control_free(struct control *);
/* ca_file: the CAs Bambu certificates must chain to (or NULL). */
void			 control_step(struct control *, struct db *,
			    struct arena *, struct tel_printer **, size_t,
			    const char *ca_file, double now);
/* 1 while commands run (the loop should wake often). */
int			 control_pending(const struct control *);
/*
 * Why p cannot take a control command now (offline, credentials
 * refused, Developer Mode off), with *code the word for it; or NULL.
 */
const char		*control_refusal(struct tel_printer *, const char **);
/*
 * Takes over command id (already sent): starts file, which the files
 * module has just uploaded to a Bambu printer.  0, or -1 out of memory.
 */
int			 control_adopt(struct control *, long long id,
			    long long printer_id, const char *file);

#endif

/*
 * sim.h -- printer simulators: what `printyard sim` serves.
 *
 * One struct sim_printer per simulated device.  model.c moves its print
 * along in simulated time (real time times the printer's time factor)
 * through a scripted scenario and applies commands; http.c serves the
 * HTTP kinds (PrusaLink, OctoPrint, Moonraker) whose answers web.c
 * writes; bambu.c runs one mosquitto broker per Bambu printer (TLS with
 * a test CA, the serial as certificate name, user bblp) and the
 * printer's own MQTT client; ftps.c holds the print files (built-in and
 * uploaded) and serves the Bambu printers' FTPS; parse/multipart.c splits
 * the upload forms of OctoPrint and Moonraker.  Everything runs in one poll()
 * loop in cmd/sim.c (FTPS sessions in child processes); nothing here
 * blocks for long except starting a broker.
 *
 * Invariants: a printer that is offline has no listening socket, no
 * HTTP connection and (Bambu) no broker; a hung one keeps them but
 * answers nothing (HTTP requests wait unanswered, the Bambu broker is
 * stopped with SIGSTOP); strings are NUL-terminated and cut to their
 * arrays.
 */
#ifndef PY_SIM_H
#define PY_SIM_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"

enum sim_kind {
	SIM_BAMBU,
	SIM_PRUSALINK,
	SIM_OCTOPRINT,
	SIM_MOONRAKER
};

enum sim_state {
	SIM_IDLE,
	SIM_PREPARING,		/* heating before the first layer */
	SIM_PRINTING,
	SIM_PAUSED,
	SIM_FINISHED,
	SIM_STOPPED,		/* cancelled by a command */
	SIM_ERROR		/* failed with an error code */
};

enum sim_scenario {
	SCN_IDLE,		/* never prints by itself */
	SCN_PRINT,		/* prints to the end */
	SCN_PAUSE,		/* pauses at 30 %, resumes two minutes later */
	SCN_FAIL,		/* fails at fail_at % with an error code */
	SCN_OFFLINE,		/* drops off the network at 50 %, comes back */
	SCN_BADAUTH,		/* refuses the credentials it advertises */
	SCN_HANG,		/* stops answering at 50 %, connections open */
	SCN_FLOOD		/* Bambu: fifty reports a second */
};

struct sim_conn;
struct mosquitto;

/* A print file held by a simulated printer (ftps.c). */
#define SIM_NFILES		4	/* built-in files per printer, at most */
#define SIM_NAME_MAX		128	/* a file name's bytes with its NUL */
#define SIM_UPLOAD_MAX		(64 * 1024 * 1024)	/* bytes per file */
#define SIM_HTTP_UPLOAD_MAX	(16 * 1024 * 1024)	/* an upload's body */
#define SIM_BODY_MAX		65536	/* any other body */
struct sim_file {
	char		 name[SIM_NAME_MAX];
	unsigned char	*data;		/* uploaded: NULL until read */
	size_t		 len;
	time_t		 mtime;
	int		 uploaded;	/* lives in upload_dir */
	ino_t		 ino;		/* uploaded: the version read */
	long		 mtime_ns;
};

/* What sim_file_put made of an upload. */
enum sim_put {
	SIM_PUT_OK,
	SIM_PUT_NAME,		/* not a print file name */
	SIM_PUT_SIZE,		/* larger than the printer takes */
	SIM_PUT_FULL,		/* the printer's storage is full */
	SIM_PUT_IO		/* could not be written */
};

struct sim_printer {
	/* configuration */
	enum sim_kind		 kind;
	enum sim_scenario	 scenario;
	char			 name[64];
	char			 model[32];
	char			 serial[32];
	char			 secret[64];	/* as advertised in farm.json */
	char			 accepted[80];	/* what the device accepts */
	char			 job_file[128];	/* what the scenario prints */
	int			 port;		/* 0: any free port */
	double			 factor;	/* simulated s per real s */
	int			 loop;		/* print again after a rest */
	double			 print_s;	/* printing time of a job */
	double			 prepare_s;
	double			 idle_s;	/* before the first job */
	double			 rest_s;	/* between jobs when looping */
	double			 fail_at;	/* percent, SCN_FAIL */
	double			 offline_s;	/* SCN_OFFLINE */
	int			 layers;
	int			 report_full;	/* Bambu X1: full reports */
	double			 report_s;	/* Bambu: s between reports */
	int			 developer_mode;

	/* simulated device */
	enum sim_state		 state;
	int			 offline;
	int			 hung;		/* SCN_HANG: silent, not gone */
	int			 hung_seen;	/* the transport noticed */
	double			 phase_t;	/* simulated s in this state */
	double			 printed_s;
	double			 pause_left;	/* automatic resume */
	double			 offline_left;
	int			 jobs_started;
	int			 job_id;
	char			 job[128];	/* the current or last job */
	double			 job_started;	/* wall clock, epoch s */
	int			 paused_once, failed_once, offline_once;
	double			 nozzle, nozzle_target, bed, bed_target;
	double			 cancel_shown;	/* Bambu: until (real s) */
	char			 error[96];	/* text of the failure */

	/* transport */
	char			 host[64];
	int			 bound_port;
	int			 listen_fd;	/* HTTP kinds, -1: none */
	struct sim_conn		*conns;
	unsigned char		 nonce_key[16];
	struct mosquitto	*mosq;		/* Bambu */
	pid_t			 broker;
	int			 mqtt_up;
	double			 next_report;	/* real s */
	double			 next_connect;
	json_t			*last_report;	/* what subscribers hold */
	int			 seq;
	int			 stamp_n;	/* --stamp-log: reports sent */

	/* print files and (Bambu) the FTPS server (ftps.c) */
	struct sim_file		*builtin;	/* NULL: not made yet */
	size_t			 nbuiltin;
	struct sim_file		*files;		/* what the printer holds */
	size_t			 nfiles;
	char			 upload_dir[600];	/* "": takes none */
	size_t			 upload_max;	/* bytes per file */
	int			 ftp_port;	/* wanted, then bound */
};

struct sim {
	struct sim_printer	*printers;
	size_t			 n;
	char			 run_dir[512];
	char			 tls_dir[600];
	char			 ca_file[640];
	pid_t			 ftps_pid;	/* the FTPS process (ftps.c) */

	/*
	 * Bambu shared-broker mode (--bambu-shared-broker, the telemetry
	 * benchmark): one mosquitto for every Bambu printer, one access
	 * code, one certificate naming every serial; --stamp-log FILE
	 * puts each report's number in layer_num and logs it with its
	 * send time (bambu.c).
	 */
	int			 shared_broker;
	pid_t			 broker;	/* the shared one, -1: none */
	int			 broker_port;
	double			 broker_check;	/* next liveness check */
	const char		*stamp_path;	/* NULL: no stamping */
};

/* model.c */
const char	*sim_kind_name(enum sim_kind);
int		 sim_kind_parse(const char *, enum sim_kind *);
const char	*sim_scenario_name(enum sim_scenario);
int		 sim_scenario_parse(const char *, enum sim_scenario *);
/* Fills the defaults of a printer of that kind (n-th of the farm). */
void		 sim_printer_defaults(struct sim_printer *, enum sim_kind,
		    size_t n);
/* Moves the device on by real_dt seconds (times its factor). */
void		 sim_tick(struct sim_printer *, double real_dt);
/*
 * Applies "pause", "resume", "stop", "start" (arg: file, may be NULL) or
 * "select" (arg: the file a later "start" prints, nothing else changes).
 * Returns 0, or -1 when the state does not allow it (the device answers
 * 409 or "fail").
 */
int		 sim_command(struct sim_printer *, const char *cmd,
		    const char *arg);
double		 sim_progress(const struct sim_printer *);	/* 0..100 */
int		 sim_layer(const struct sim_printer *);
long		 sim_remaining(const struct sim_printer *);	/* s */
long		 sim_elapsed(const struct sim_printer *);	/* s */
int		 sim_has_job(const struct sim_printer *);
/* 1 while a job prepares, prints or pauses (a new one is refused). */
int		 sim_busy(const struct sim_printer *);
double		 sim_now(void);	/* monotonic real seconds */

/* http.c */
struct sim_req {
	const char	*method;
	const char	*path;		/* without the query, not decoded */
	const char	*query;		/* after '?', or "" */
	const char	*head;		/* request line and headers (CRLF) */
	const char	*authorization;	/* header values, or NULL */
	const char	*api_key;
	const char	*body;
	size_t		 bodylen;
	int		 has_length;	/* Content-Length was given */
};

struct sim_resp {
	int		 status;
	const char	*ctype;
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 body;
};

int		 http_listen(struct sim_printer *, char *, size_t);
void		 http_close(struct sim_printer *);
/* Answers what waited while the printer hung. */
void		 http_resume(struct sim_printer *);
/* Adds the printer's descriptors; returns how many. */
size_t		 http_pollfds(struct sim_printer *, void *pfd, size_t max,
		    void **tags);
/* Handles one ready descriptor (tag from http_pollfds). */
void		 http_ready(struct sim_printer *, void *tag, short revents);
/*
 * 0 when the request carries a good digest for user/password, 1 when the
 * answer is good but its nonce expired, -1 otherwise.
 */
int		 http_digest_ok(struct sim_printer *, const struct sim_req *,
		    const char *user, const char *password);
/* Sets 401 and a fresh Digest challenge (stale=true when stale). */
void		 http_digest_challenge(struct sim_printer *, struct sim_resp *,
		    const char *realm, int stale);
/* The value of key in a query string, URL-decoded, or NULL. */
const char	*http_query(const char *query, const char *key, char *out,
		    size_t outlen);
/*
 * The value of header name (any case, blanks around it dropped, cut to
 * outlen - 1 bytes), or NULL when the request has none.
 */
const char	*sim_header(const struct sim_req *, const char *name,
		    char *out, size_t outlen);
/*
 * Decodes %XX escapes of a path segment into out ('+' stays '+').
 * Returns 0, or -1 when it does not fit or decodes to a NUL byte.
 */
int		 http_unescape(const char *s, char *out, size_t outlen);

/* web.c */
void		 web_handle(struct sim_printer *, const struct sim_req *,
		    struct sim_resp *);
/* Sets status, a compact JSON body (steals j) and its type. */
void		 web_json(struct sim_resp *, int status, json_t *j);
/* The largest body the printer reads for method and path (413 beyond). */
size_t		 web_body_max(const struct sim_printer *, const char *method,
		    const char *path);

/* bambu.c */
int		 bambu_setup(struct sim *, char *, size_t);
/* Keeps broker and client in step with the device; publishes. */
void		 bambu_step(struct sim *, struct sim_printer *, double now);
size_t		 bambu_pollfds(struct sim_printer *, void *pfd, size_t max);
void		 bambu_ready(struct sim_printer *, short revents);
void		 bambu_stop(struct sim_printer *);
/* Stops every broker and frees the clients. */
void		 bambu_cleanup(struct sim *);

/* ftps.c */
/*
 * The printer's print files: the built-in ones (made at first use) and
 * the uploaded ones in upload_dir, read again at every call, so that
 * every process sees every upload.  The array and the data stay valid
 * until the next sim_files, sim_file_find, sim_file_put or
 * sim_file_delete on that printer; uploaded files have data NULL here.
 */
const struct sim_file	*sim_files(struct sim_printer *, size_t *n);
/*
 * The file of that name (leading slashes ignored) with its data read,
 * or NULL (none, or it could not be read).  Valid as above.
 */
const struct sim_file	*sim_file_find(struct sim_printer *, const char *);
/*
 * 0 when name can be a print file's (1 to 127 bytes of UTF-8, no '/',
 * no control character, no leading dot); -1 when it cannot; -2 when it
 * does not end in .gcode, .bgcode or .3mf.  why says what is wrong.
 */
int			 sim_file_name_ok(const char *name, char *why,
			    size_t whylen);
/*
 * Stores an upload of len bytes as name (replacing a file of that name)
 * where every process of the simulator sees it.  SIM_PUT_OK, or what is
 * wrong with why set.
 */
enum sim_put		 sim_file_put(struct sim_printer *, const char *name,
			    const void *data, size_t len, char *why,
			    size_t whylen);
/*
 * Deletes the file in every process (a built-in one is hidden); 0, or -1
 * when there is none or it cannot be removed.
 */
int			 sim_file_delete(struct sim_printer *,
			    const char *name);
/* Starts the FTPS server of every Bambu printer (after bambu_setup). */
int		 ftps_setup(struct sim *, char *, size_t);
/* Stops the FTPS servers and frees the files (uploads stay on disk). */
void		 ftps_cleanup(struct sim *);

#endif

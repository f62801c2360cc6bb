/*
 * control.c -- the telemetry worker's commands module: carries out the
 * printer_commands rows of kind pause, resume, stop, start and test, and
 * stores the certificate fingerprints Bambu sessions pin on first use.
 *
 * Every CONTROL_CHECK_S the module fails queued commands older than
 * COMMANDS_EXPIRE_S as expired, then claims queued ones (queued ->
 * sent), one at a time per printer, and carries them out without
 * blocking the loop:
 *   - Bambu: a JSON request published over the watch session
 *     (bambu_watch_send), answered by the reply with the same
 *     sequence_id (the command's id); start is project_file with a 3MF
 *     on the printer's SD card, or gcode_file with a .gcode file;
 *   - PrusaLink: the current job's id from GET /api/v1/job, then PUT
 *     .../pause|resume or DELETE; start POSTs /api/v1/files/usb/<file>;
 *   - OctoPrint: POST /api/job (pause with action, cancel); start POSTs
 *     /api/files/local/<file> {"command": "select", "print": true};
 *   - Moonraker: POST /printer/print/pause|resume|cancel|start;
 *   - test: a fresh connection of its own (Bambu: bambu_probe_*, the
 *     others a GET of the version endpoint) that reports in words what
 *     went wrong or what answered.
 * A start whose file comes from the file store is uploaded by the files
 * module first (printers/files.c); for Bambu it then hands the command
 * over here (control_adopt), the HTTP kinds start with the upload.
 * HTTP requests go through the poller's multi handle (http_call_start).
 * A command is refused with a clear result when the printer is offline,
 * refused its credentials, or reports control unavailable (Bambu
 * Developer Mode off).  Every finished command is published on the nchan
 * channel "printers" as {"type": "printer_command", ...}.
 *
 * Invariants: a command knows its printer by id only (the worker may
 * reload printers meanwhile); every claimed command is ended exactly
 * once (at the latest after CONTROL_TIMEOUT_S); `files` and `download`
 * belong to printers/files.c and are never touched here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "db/db.h"
#include "domain/commands.h"
#include "integrations/live.h"
#include "printers/telemetry.h"

#define CONTROL_CHECK_S		0.2	/* queued commands */
#define CONTROL_HTTP_MS		8000L
#define CONTROL_TIMEOUT_S	15	/* a claimed command ends by then */
#define CONTROL_UNLOADED_S	10	/* printer not loaded yet: wait */
#define CONTROL_KINDS		"('pause', 'resume', 'stop', 'start', 'test')"

enum { ST_EXPIRE, ST_QUEUED, ST_CLAIM, ST_END, ST_PIN, ST_EVENT,
    ST_LAST_ERROR };

static const struct stmt control_stmts[] = {
	{ "control_expire",
	  "UPDATE printer_commands SET status = 'failed', code = 'expired', "
	  "result = 'expired: the telemetry worker did not send it within "
	  "' || $1 || ' s' WHERE status = 'queued' AND command::text IN "
	  CONTROL_KINDS " AND created_at < now() - make_interval(secs => "
	  "$1::integer) RETURNING id, printer_id, command::text AS command, "
	  "status::text AS status, result", 1 },
	{ "control_queued",
	  "SELECT id, printer_id, command::text AS command, args, "
	  "extract(epoch FROM now() - created_at)::float8 AS age FROM "
	  "printer_commands WHERE status = 'queued' AND command::text IN "
	  CONTROL_KINDS " AND NOT (args ? 'upload') ORDER BY id LIMIT 50",
	  0 },
	{ "control_claim",
	  "UPDATE printer_commands SET status = 'sent' WHERE id = $1 AND "
	  "status = 'queued' RETURNING id", 1 },
	{ "control_end",
	  "UPDATE printer_commands SET status = $2::printer_command_status, "
	  "result = left($3, 2000), code = $4 WHERE id = $1 AND status IN "
	  "('queued', 'sent') RETURNING id, printer_id, command::text AS "
	  "command, status::text AS status, result, code", 4 },
	{ "control_pin",
	  "UPDATE printers SET tls_fingerprint = $2 WHERE id = $1 AND "
	  "tls_mode = 'tofu' AND tls_fingerprint IS NULL RETURNING id", 2 },
	{ "control_event",
	  "INSERT INTO printer_events (printer_id, from_status, to_status, "
	  "detail) VALUES ($1, $2::printer_status, 'offline', $3::jsonb)", 3 },
	{ "control_last_error",
	  "UPDATE printers SET last_error = left($2, 2000) WHERE id = $1", 2 },
};

enum ctl_stage { CS_NEW, CS_HTTP, CS_BAMBU, CS_PROBE, CS_DONE };

struct ctl_cmd {
	struct ctl_cmd		*next;
	struct control		*c;
	long long		 id, printer_id;
	char			 command[16];
	char			 file[1001];
	enum ctl_stage		 stage;
	int			 step;		/* HTTP: request number */
	int			 busy;		/* an HTTP request runs */
	double			 started;
	struct bambu_probe	*probe;
	char			 seq[24];
	/* the end */
	int			 ok;
	char			 code[24];
	char			 result[1024];
	/* the last HTTP answer */
	long			 http_code;
	char			*http_body;
	char			 http_error[256];
};

struct control {
	struct http_poller	*hp;
	struct ctl_cmd		*cmds;
	double			 next_check;
};

void
control_register(void)
{
	db_register(control_stmts, sizeof(control_stmts) /
	    sizeof(control_stmts[0]));
}

struct control *
control_new(struct http_poller *hp)
{
	struct control	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->hp = hp;
	return c;
}

static void
cmd_free(struct ctl_cmd *m)
{
	bambu_probe_free(m->probe);
	free(m->http_body);
	free(m);
}

void
control_free(struct control *c)
{
	struct ctl_cmd	*m;

	if (c == NULL)
		return;
	/* The poller (and any request that holds m) is freed first. */
	while ((m = c->cmds) != NULL) {
		c->cmds = m->next;
		cmd_free(m);
	}
	free(c);
}

int
control_pending(const struct control *c)
{
	return c != NULL && c->cmds != NULL;
}

static struct tel_printer *
printer_of(struct tel_printer **ps, size_t n, long long id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ps[i]->id == id)
			return ps[i];
	return NULL;
}

static void
cmd_end(struct ctl_cmd *m, int ok, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
cmd_end(struct ctl_cmd *m, int ok, const char *code, const char *fmt, ...)
{
	va_list	ap;

	if (m->stage == CS_DONE)
		return;
	m->stage = CS_DONE;
	m->ok = ok;
	snprintf(m->code, sizeof(m->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(m->result, sizeof(m->result), fmt, ap);
	va_end(ap);
}

/* Writes the end of m and publishes it. */
static void
cmd_store(struct db *db, struct arena *a, struct ctl_cmd *m)
{
	struct err	 e = { 0 };
	json_t		*row, *ev;
	const char	*prm[4];

	prm[0] = arena_printf(a, "%lld", m->id);
	prm[1] = m->ok ? "done" : "failed";
	prm[2] = m->result;
	prm[3] = m->code;
	if (db_one(db, a, &control_stmts[ST_END], prm, &row, &e) != 0) {
		log_kv(LOG_WARN, "cannot store a command's result", "command",
		    prm[0], "error", e.message, NULL);
		err_clear(&e);
		return;
	}
	log_kv(LOG_INFO, "printer command", "command", prm[0], "kind",
	    m->command, "status", prm[1], "result", m->result, NULL);
	if (row == NULL)
		return;
	ev = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "type",
	    "printer_command", "printer_id", (json_int_t)m->printer_id, "id",
	    (json_int_t)m->id, "command", m->command, "status", prm[1],
	    "result", m->result, "code", m->code);
	live_publish("printers", ev);
	json_decref(ev);
}

/* ---- the state the worker stored ---- */

const char *
control_refusal(struct tel_printer *p, const char **code)
{
	json_t		*st;
	int		 online, control;

	if (p->auth_failed || p->no_secret) {
		*code = "auth_failed";
		return p->kind == TEL_BAMBU ? "the printer refused its access "
		    "code: correct it in the printer's settings" : "the printer "
		    "refused its credentials: correct them in the printer's "
		    "settings";
	}
	st = p->stored != NULL ? json_loads(p->stored, 0, NULL) : NULL;
	online = json_is_true(json_object_get(st, "online"));
	control = !json_is_false(json_object_get(st, "control_ok"));
	json_decref(st);
	if (!online) {
		*code = "offline";
		return "the printer is offline";
	}
	if (p->kind == TEL_BAMBU && (p->mq == NULL || bambu_watch_ended(p))) {
		*code = "offline";
		return "the printer is not connected";
	}
	if (!control) {
		*code = "no_control";
		return "control is unavailable: the printer reports that "
		    "Developer Mode is off (LAN-only mode needs Developer Mode "
		    "for control)";
	}
	return NULL;
}

static const char *
done_word(const char *command)
{
	if (strcmp(command, "pause") == 0)
		return "paused";
	if (strcmp(command, "resume") == 0)
		return "resumed";
	if (strcmp(command, "stop") == 0)
		return "stopped";
	return "started";
}

/* ---- HTTP kinds ---- */

static void
http_answered(void *arg, long code, const char *body, size_t len,
    const char *error)
{
	struct ctl_cmd	*m = arg;

	m->busy = 0;
	m->http_code = code;
	free(m->http_body);
	m->http_body = strndup(body, len);
	snprintf(m->http_error, sizeof(m->http_error), "%s", error != NULL ?
	    error : "");
}

static int
http_send(struct ctl_cmd *m, struct tel_printer *p, const char *method,
    const char *path, const char *json)
{
	m->http_code = 0;
	m->http_error[0] = '\0';
	if (http_call_start(m->c->hp, p, method, path, json, CONTROL_HTTP_MS,
	    http_answered, m) != 0) {
		cmd_end(m, 0, "failed", "cannot start a request to the "
		    "printer");
		return -1;
	}
	m->busy = 1;
	m->step++;
	return 0;
}

/* What the printer said in its error answer, in its words. */
static const char *
http_reason(struct arena *a, struct ctl_cmd *m)
{
	json_t		*j, *err;
	const char	*s = NULL;

	j = m->http_body != NULL ? json_loads(m->http_body, 0, NULL) : NULL;
	err = json_object_get(j, "error");
	if (json_is_string(err))
		s = json_string_value(err);
	else if (json_is_object(err))
		s = json_string_value(json_object_get(err, "message"));
	if (s == NULL)
		s = json_string_value(json_object_get(j, "text"));
	if (s == NULL)
		s = json_string_value(json_object_get(j, "title"));
	s = arena_printf(a, "%s (HTTP %ld)", s != NULL ? s : "no reason "
	    "given", m->http_code);
	json_decref(j);
	return s;
}

/* A transport failure or refused credentials end m; 1 when they did. */
static int
http_failed(struct arena *a, struct ctl_cmd *m, struct tel_printer *p)
{
	if (m->http_error[0] != '\0') {
		cmd_end(m, 0, "unreachable", "unreachable: cannot talk to %s "
		    "port %d (%s)", p->host, p->port, m->http_error);
		return 1;
	}
	if (m->http_code == 401 || m->http_code == 403) {
		if (p->kind == TEL_PRUSALINK)
			cmd_end(m, 0, "password", "the printer refused user "
			    "\"%s\" with the stored password", p->username);
		else
			cmd_end(m, 0, "api_key", "API key refused: %s",
			    http_reason(a, m));
		return 1;
	}
	return 0;
}

static void
http_test_step(struct arena *a, struct ctl_cmd *m, struct tel_printer *p)
{
	json_t		*j, *r;
	const char	*what, *ver;

	if (m->step == 0) {
		http_send(m, p, "GET", p->kind == TEL_MOONRAKER ?
		    "/printer/info" : "/api/version", NULL);
		return;
	}
	if (http_failed(a, m, p))
		return;
	if (m->http_code != 200) {
		cmd_end(m, 0, "refused", "the printer answered: %s",
		    http_reason(a, m));
		return;
	}
	j = json_loads(m->http_body, 0, NULL);
	switch (p->kind) {
	case TEL_PRUSALINK:
		what = json_row_str(j, "printer");
		ver = json_row_str(j, "firmware");
		break;
	case TEL_OCTOPRINT:
		what = json_row_str(j, "text");
		ver = json_row_str(j, "server");
		break;
	default:
		r = json_object_get(j, "result");
		what = json_row_str(r, "state_message");
		ver = json_row_str(r, "software_version");
		break;
	}
	cmd_end(m, 1, "ok", "OK: %s port %d answered%s%s%s%s", p->host,
	    p->port, what != NULL ? ", " : "", what != NULL ? what : "",
	    ver != NULL ? ", firmware " : "", ver != NULL ? ver : "");
	json_decref(j);
}

/*
 * Ends m by the printer's answer to its last request: done when the
 * status is one of ok (0 for unused places), else refused with the
 * printer's reason.  Transport failures are http_failed's.
 */
static void
http_end(struct arena *a, struct ctl_cmd *m, struct tel_printer *p,
    const long ok[3])
{
	if (http_failed(a, m, p))
		return;
	if (m->http_code != 0 && (m->http_code == ok[0] ||
	    m->http_code == ok[1] || m->http_code == ok[2]))
		cmd_end(m, 1, "ok", "%s%s%s", done_word(m->command),
		    m->file[0] != '\0' ? " " : "", m->file);
	else
		cmd_end(m, 0, "refused", "the printer refused: %s",
		    http_reason(a, m));
}

static void
prusa_step(struct arena *a, struct ctl_cmd *m, struct tel_printer *p)
{
	json_t		*j;
	char		 path[1200];
	long long	 job;

	if (strcmp(m->command, "start") == 0) {
		if (m->step == 0) {
			http_send(m, p, "POST", arena_printf(a,
			    "/api/v1/files%s%s", m->file[0] == '/' ? "" :
			    "/usb/", http_path_escape(a, m->file)), NULL);
			return;
		}
	} else if (m->step == 0) {
		http_send(m, p, "GET", "/api/v1/job", NULL);
		return;
	} else if (m->step == 1) {
		if (http_failed(a, m, p))
			return;
		if (m->http_code == 204) {
			cmd_end(m, 0, "refused", "the printer refused: no job "
			    "is running");
			return;
		}
		j = json_loads(m->http_body, 0, NULL);
		job = json_is_integer(json_object_get(j, "id")) ?
		    json_row_int(j, "id") : -1;
		json_decref(j);
		if (m->http_code != 200 || job < 0) {
			cmd_end(m, 0, "refused", "the printer did not name its "
			    "current job: %s", http_reason(a, m));
			return;
		}
		snprintf(path, sizeof(path), "/api/v1/job/%lld%s", job,
		    strcmp(m->command, "stop") == 0 ? "" :
		    strcmp(m->command, "pause") == 0 ? "/pause" : "/resume");
		http_send(m, p, strcmp(m->command, "stop") == 0 ? "DELETE" :
		    "PUT", path, NULL);
		return;
	}
	http_end(a, m, p, (const long[]){ 204, 200, 201 });
}

static void
octo_step(struct arena *a, struct ctl_cmd *m, struct tel_printer *p)
{
	if (m->step == 0) {
		if (strcmp(m->command, "start") == 0) {
			http_send(m, p, "POST", arena_printf(a,
			    "/api/files/local/%s", http_path_escape(a,
			    m->file[0] == '/' ? m->file + 1 : m->file)),
			    "{\"command\": "
			    "\"select\", \"print\": true}");
		} else if (strcmp(m->command, "stop") == 0)
			http_send(m, p, "POST", "/api/job",
			    "{\"command\": \"cancel\"}");
		else
			http_send(m, p, "POST", "/api/job", strcmp(m->command,
			    "pause") == 0 ? "{\"command\": \"pause\", "
			    "\"action\": \"pause\"}" : "{\"command\": "
			    "\"pause\", \"action\": \"resume\"}");
		return;
	}
	http_end(a, m, p, (const long[]){ 204, 200, 0 });
}

static void
moon_step(struct arena *a, struct ctl_cmd *m, struct tel_printer *p)
{
	if (m->step == 0) {
		http_send(m, p, "POST", strcmp(m->command, "start") == 0 ?
		    arena_printf(a, "/printer/print/start?filename=%s",
		    http_path_escape(a, m->file)) : arena_printf(a,
		    "/printer/print/%s", strcmp(m->command, "stop") == 0 ?
		    "cancel" : m->command), NULL);
		return;
	}
	http_end(a, m, p, (const long[]){ 200, 0, 0 });
}

/* ---- Bambu ---- */

static void
bambu_begin(struct ctl_cmd *m, struct tel_printer *p)
{
	json_t	*o;
	char	*text;
	char	 name[1001], *dot, sd[1010];
	size_t	 n = strlen(m->file);

	snprintf(m->seq, sizeof(m->seq), "%lld", m->id);
	/* where the file lies on the SD card */
	snprintf(sd, sizeof(sd), "/sdcard%s%s", m->file[0] == '/' ? "" : "/",
	    m->file);
	if (strcmp(m->command, "start") == 0 && n > 6 &&
	    strcasecmp(m->file + n - 6, ".gcode") == 0)
		o = json_pack("{s:{s:s, s:s, s:s}}", "print", "sequence_id",
		    m->seq, "command", "gcode_file", "param", sd);
	else if (strcmp(m->command, "start") == 0) {
		snprintf(name, sizeof(name), "%s", strrchr(m->file, '/') !=
		    NULL ? strrchr(m->file, '/') + 1 : m->file);
		if ((dot = strstr(name, ".gcode.3mf")) != NULL ||
		    (dot = strstr(name, ".3mf")) != NULL)
			*dot = '\0';
		o = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
		    "s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:[i]}}",
		    "print", "sequence_id", m->seq, "command", "project_file",
		    "param", "Metadata/plate_1.gcode", "file", m->file, "md5",
		    "", "subtask_name", name, "project_id", "0", "profile_id",
		    "0", "task_id", "0", "subtask_id", "0", "bed_type", "auto",
		    "timelapse", 0, "bed_leveling", 1, "flow_cali", 1,
		    "vibration_cali", 1, "layer_inspect", 1, "use_ams", 1,
		    "ams_mapping", 0);
		/* the URL names the 3MF on the SD card */
		json_object_set_new(json_object_get(o, "print"), "url",
		    json_sprintf("file://%s", sd));
	} else
		o = json_pack("{s:{s:s, s:s, s:s}}", "print", "sequence_id",
		    m->seq, "command", m->command, "param", "");
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL || bambu_watch_send(p, text, m->seq) != 0)
		cmd_end(m, 0, "offline", "the printer is not connected");
	else
		m->stage = CS_BAMBU;
	free(text);
}

static void
bambu_wait(struct ctl_cmd *m, struct tel_printer *p)
{
	if (p == NULL || p->ctl_answer == 0)
		return;
	if (p->ctl_answer > 0)
		cmd_end(m, 1, "ok", "%s%s%s", done_word(m->command),
		    m->file[0] != '\0' ? " " : "", m->file);
	else
		cmd_end(m, 0, "refused", "the printer refused: %s",
		    p->ctl_reason[0] != '\0' ? p->ctl_reason : "no reason "
		    "given");
	p->ctl_answer = 0;
}

/* ---- the module ---- */

static void
cmd_begin(struct ctl_cmd *m, struct tel_printer *p, const char *ca_file)
{
	const char	*why, *code;

	m->started = tel_now();
	if (p == NULL) {
		cmd_end(m, 0, "offline", "the telemetry worker does not watch "
		    "this printer (inactive or just added)");
		return;
	}
	if (strcmp(m->command, "test") == 0) {
		if (p->kind == TEL_BAMBU) {
			if ((m->probe = bambu_probe_start(p, ca_file)) == NULL)
				cmd_end(m, 0, "failed", "out of memory");
			else
				m->stage = CS_PROBE;
		} else
			m->stage = CS_HTTP;
		return;
	}
	if ((why = control_refusal(p, &code)) != NULL) {
		cmd_end(m, 0, code, "%s", why);
		return;
	}
	if (p->kind == TEL_BAMBU)
		bambu_begin(m, p);
	else
		m->stage = CS_HTTP;
}

static void
cmd_step(struct arena *a, struct ctl_cmd *m, struct tel_printer *p,
    double now)
{
	const char	*code;
	char		 why[512];

	switch (m->stage) {
	case CS_PROBE:
		if (bambu_probe_step(m->probe, now, &code, why,
		    sizeof(why)) == 1)
			cmd_end(m, strcmp(code, "ok") == 0, code, "%s", why);
		break;
	case CS_BAMBU:
		bambu_wait(m, p);
		break;
	case CS_HTTP:
		if (m->busy)
			break;
		if (p == NULL) {
			cmd_end(m, 0, "offline", "the printer went away while "
			    "the command ran");
			break;
		}
		if (strcmp(m->command, "test") == 0)
			http_test_step(a, m, p);
		else if (p->kind == TEL_PRUSALINK)
			prusa_step(a, m, p);
		else if (p->kind == TEL_OCTOPRINT)
			octo_step(a, m, p);
		else
			moon_step(a, m, p);
		if (m->stage == CS_DONE && m->ok && p->kind != TEL_BAMBU &&
		    !p->busy)
			p->next_at = now;	/* show the new state soon */
		break;
	default:
		break;
	}
	if (m->stage != CS_DONE && !m->busy && now - m->started >
	    CONTROL_TIMEOUT_S)
		cmd_end(m, 0, "timeout", "no answer from the printer within "
		    "%d s", CONTROL_TIMEOUT_S);
}

/* Stores new TOFU pins; tells once about a changed certificate. */
static void
control_tls(struct db *db, struct arena *a, struct tel_printer *p)
{
	struct err	 e = { 0 };
	json_t		*row;
	const char	*prm[3];

	prm[0] = arena_printf(a, "%lld", p->id);
	if (p->tls_pin_new) {
		p->tls_pin_new = 0;
		prm[1] = p->tls_seen;
		if (db_one(db, a, &control_stmts[ST_PIN], prm, &row, &e) == 0 &&
		    row != NULL) {
			snprintf(p->tls_pin, sizeof(p->tls_pin), "%s",
			    p->tls_seen);
			log_kv(LOG_INFO, "pinned the printer's certificate",
			    "printer", p->name, "sha256", p->tls_seen, NULL);
		}
		err_clear(&e);
	}
	if (p->tls_changed && !p->tls_changed_told) {
		p->tls_changed_told = 1;
		prm[1] = p->last_status >= 0 ? printer_status_name(
		    p->last_status) : NULL;
		row = json_pack("{s:s, s:s, s:s}", "reason",
		    "certificate_changed", "message", p->tls_why, "sha256",
		    p->tls_seen);
		prm[2] = arena_json_text(a, row);
		json_decref(row);
		db_exec(db, a, &control_stmts[ST_EVENT], prm, NULL, &e);
		err_clear(&e);
		prm[1] = p->tls_why;
		db_exec(db, a, &control_stmts[ST_LAST_ERROR], prm, NULL, &e);
		err_clear(&e);
		log_kv(LOG_WARN, "refused a changed certificate", "printer",
		    p->name, "error", p->tls_why, NULL);
	}
}

/* Fails old queued commands, claims new ones. */
static void
control_check(struct control *c, struct db *db, struct arena *a,
    struct tel_printer **ps, size_t n, const char *ca_file)
{
	struct err	 e = { 0 };
	struct ctl_cmd	*m, *x;
	json_t		*rows, *row, *claimed;
	const char	*prm[1], *file;
	size_t		 i;
	int		 busy;

	prm[0] = arena_printf(a, "%d", COMMANDS_EXPIRE_S);
	if (db_exec(db, a, &control_stmts[ST_EXPIRE], prm, &rows, &e) != 0) {
		err_clear(&e);
		return;
	}
	json_array_foreach(rows, i, row) {
		row = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "type",
		    "printer_command", "printer_id", (json_int_t)json_row_int(
		    row, "printer_id"), "id", (json_int_t)json_row_int(row,
		    "id"), "command", json_row_str(row, "command"), "status",
		    "failed", "result", json_row_str(row, "result"), "code",
		    "expired");
		live_publish("printers", row);
		json_decref(row);
	}
	if (db_exec(db, a, &control_stmts[ST_QUEUED], NULL, &rows, &e) != 0) {
		err_clear(&e);
		return;
	}
	json_array_foreach(rows, i, row) {
		busy = 0;
		for (x = c->cmds; x != NULL; x = x->next)
			if (x->printer_id == json_row_int(row, "printer_id"))
				busy = 1;
		if (busy || (printer_of(ps, n, json_row_int(row,
		    "printer_id")) == NULL && json_row_num(row, "age") <
		    CONTROL_UNLOADED_S))
			continue;
		prm[0] = arena_printf(a, "%lld", json_row_int(row, "id"));
		if (db_one(db, a, &control_stmts[ST_CLAIM], prm, &claimed,
		    &e) != 0 || claimed == NULL) {
			err_clear(&e);
			continue;
		}
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return;
		m->c = c;
		m->id = json_row_int(row, "id");
		m->printer_id = json_row_int(row, "printer_id");
		snprintf(m->command, sizeof(m->command), "%s",
		    json_row_str(row, "command"));
		file = json_row_str(json_object_get(row, "args"), "file");
		snprintf(m->file, sizeof(m->file), "%s", file != NULL ? file :
		    "");
		m->next = c->cmds;
		c->cmds = m;
		cmd_begin(m, printer_of(ps, n, m->printer_id), ca_file);
	}
}

int
control_adopt(struct control *c, long long id, long long printer_id,
    const char *file)
{
	struct ctl_cmd	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -1;
	m->c = c;
	m->id = id;
	m->printer_id = printer_id;
	snprintf(m->command, sizeof(m->command), "start");
	snprintf(m->file, sizeof(m->file), "%s", file);
	m->next = c->cmds;
	c->cmds = m;
	return 0;	/* begun by the next control_step */
}

void
control_step(struct control *c, struct db *db, struct arena *a,
    struct tel_printer **ps, size_t n, const char *ca_file, double now)
{
	struct ctl_cmd	**pp, *m;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (ps[i]->tls_pin_new || (ps[i]->tls_changed &&
		    !ps[i]->tls_changed_told))
			control_tls(db, a, ps[i]);
	if (now >= c->next_check) {
		c->next_check = now + CONTROL_CHECK_S;
		control_check(c, db, a, ps, n, ca_file);
	}
	for (pp = &c->cmds; (m = *pp) != NULL;) {
		if (m->stage == CS_NEW)
			cmd_begin(m, printer_of(ps, n, m->printer_id), ca_file);
		cmd_step(a, m, printer_of(ps, n, m->printer_id), now);
		if (m->stage != CS_DONE || m->busy) {
			pp = &m->next;
			continue;
		}
		cmd_store(db, a, m);
		*pp = m->next;
		cmd_free(m);
	}
}

/*
 * telemetry.c -- printyard telemetry: the process that owns every printer
 * connection and feeds what printers report into the database.
 *
 *   printyard telemetry [--farm FILE] [--sample-seconds N]
 *
 * One process, one loop: it loads the active printers (and reloads them
 * every few seconds when printers.updated_at changes), polls the HTTP
 * kinds with the libcurl multi interface (printers/http.c), normalises
 * what they answer (parse/) and writes:
 *   - printer_state, only when something changed (last_message_at at
 *     most every TEL_TOUCH_S seconds otherwise);
 *   - printer_events on every status change;
 *   - printer_samples, one per printer every --sample-seconds (10) while
 *     it prints, in batches;
 *   - printers.auth_failed_at + last_error when the printer refuses the
 *     credentials; it is then left alone until its settings change (the
 *     trigger of sql/0006 clears both on a settings change);
 * publishes each changed state on the nchan channel "printers" and keeps
 * a heartbeat row ("telemetry") for /api/v1/health.  A printer that does
 * not answer is retried with exponential backoff and jitter and reads
 * offline after two failures in a row or TEL_OFFLINE_S without an answer.
 *
 * --farm FILE upserts (by name) the printers a simulator farm.json
 * describes, at start and whenever the file appears or changes, sealing
 * their secrets as the API does ("printer:<id>:secret").
 *
 * SIGTERM/SIGINT stop it cleanly; SIGHUP reloads the configuration file
 * (log level, nchan URL; the database URL needs a restart) and the
 * printers.  Bambu printers: MQTT over TLS (printers/bambu.c), their
 * certificate checked against --bambu-ca (or the farm's ca_file) with
 * the serial as the expected name.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "cmd/cmd.h"
#include "db/db.h"
#include "integrations/live.h"
#include "printers/telemetry.h"

#define TEL_RELOAD_S		3	/* printers table re-read */
#define TEL_BEAT_S		5
#define TEL_FLUSH_S		5	/* samples batch */
#define TEL_TOUCH_S		5	/* last_message_at when unchanged */
#define TEL_OFFLINE_S		15	/* no answer for this long */
#define TEL_BACKOFF_MAX_S	60
#define TEL_FARM_S		2
#define TEL_MAX_PRINTERS	5000
#define TEL_LIVE_ITEMS		25	/* printers per live message */

static volatile sig_atomic_t	stop, hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		stop = 1;
}

static const struct stmt tel_stmts[] = {
	{ "tel_printers",
	  "SELECT p.id, p.kind::text AS kind, p.name, p.host, p.port, "
	  "p.username, p.serial, p.secret, p.poll_idle_s, p.poll_busy_s, "
	  "p.auth_failed_at IS NOT NULL AS auth_failed, p.tls_mode, "
	  "p.tls_fingerprint, p.files_port, p.updated_at::text "
	  "AS version, s.status::text AS status FROM printers p LEFT JOIN "
	  "printer_state s ON s.printer_id = p.id WHERE p.active ORDER BY "
	  "p.id", 0 },
	/*
	 * States and touches are written once per turn of the loop, for
	 * every printer that reported: $1 [{printer_id, online, status,
	 * ...}] (one entry per printer), $2 the ids heard from unchanged.
	 */
	{ "tel_states",
	  "INSERT INTO printer_state AS o (printer_id, online, status, job, "
	  "progress, layer, total_layers, remaining_s, nozzle_c, "
	  "nozzle_target_c, bed_c, bed_target_c, chamber_c, fan_pct, "
	  "speed_pct, control_ok, slots, errors, last_message_at, updated_at) "
	  "SELECT x.printer_id, x.online, x.status::printer_status, x.job, "
	  "x.progress, x.layer, x.total_layers, x.remaining_s, x.nozzle_c, "
	  "x.nozzle_target_c, x.bed_c, x.bed_target_c, x.chamber_c, "
	  "x.fan_pct, x.speed_pct, x.control_ok, coalesce(x.slots, '[]'), "
	  "coalesce(x.errors, '[]'), CASE WHEN x.online THEN now() END, now() "
	  "FROM jsonb_to_recordset($1::jsonb) AS x(printer_id bigint, online "
	  "boolean, status text, job text, progress numeric, layer integer, "
	  "total_layers integer, remaining_s integer, nozzle_c numeric, "
	  "nozzle_target_c numeric, bed_c numeric, bed_target_c numeric, "
	  "chamber_c numeric, fan_pct integer, speed_pct integer, control_ok "
	  "boolean, slots jsonb, errors jsonb) WHERE EXISTS (SELECT 1 FROM "
	  "printers p WHERE p.id = x.printer_id) ON CONFLICT (printer_id) DO "
	  "UPDATE SET (online, "
	  "status, job, progress, layer, total_layers, remaining_s, nozzle_c, "
	  "nozzle_target_c, bed_c, bed_target_c, chamber_c, fan_pct, "
	  "speed_pct, control_ok, slots, errors, last_message_at, updated_at) "
	  "= (EXCLUDED.online, EXCLUDED.status, EXCLUDED.job, "
	  "EXCLUDED.progress, EXCLUDED.layer, EXCLUDED.total_layers, "
	  "EXCLUDED.remaining_s, EXCLUDED.nozzle_c, EXCLUDED.nozzle_target_c, "
	  "EXCLUDED.bed_c, EXCLUDED.bed_target_c, EXCLUDED.chamber_c, "
	  "EXCLUDED.fan_pct, EXCLUDED.speed_pct, EXCLUDED.control_ok, "
	  "EXCLUDED.slots, EXCLUDED.errors, coalesce(EXCLUDED.last_message_at, "
	  "o.last_message_at), now())", 1 },
	{ "tel_touch",
	  "UPDATE printer_state SET last_message_at = now() WHERE "
	  "printer_id IN (SELECT jsonb_array_elements_text($1::jsonb)::"
	  "bigint)", 1 },
	{ "tel_event",
	  "INSERT INTO printer_events (printer_id, from_status, to_status, "
	  "job, detail) VALUES ($1, $2::printer_status, $3::printer_status, "
	  "$4, $5::jsonb)", 5 },
	{ "tel_samples",
	  "INSERT INTO printer_samples (printer_id, at, nozzle_c, bed_c, "
	  "chamber_c, progress) SELECT x.printer_id, to_timestamp(x.at), "
	  "x.nozzle_c, x.bed_c, x.chamber_c, x.progress FROM "
	  "jsonb_to_recordset($1::jsonb) AS x(printer_id bigint, at float8, "
	  "nozzle_c numeric, bed_c numeric, chamber_c numeric, progress "
	  "numeric) WHERE EXISTS (SELECT 1 FROM printers p WHERE p.id = "
	  "x.printer_id) ON CONFLICT DO NOTHING", 1 },
	{ "tel_auth_failed",
	  "UPDATE printers SET auth_failed_at = now(), last_error = $2 WHERE "
	  "id = $1 AND updated_at::text = $3", 3 },
	{ "tel_last_error",
	  "UPDATE printers SET last_error = $2 WHERE id = $1", 2 },
	{ "tel_beat",
	  "INSERT INTO heartbeats (process, pid, host, beat_at, info) VALUES "
	  "('telemetry', $1, $2, now(), $3) ON CONFLICT (process) DO UPDATE "
	  "SET pid = $1, host = $2, beat_at = now(), info = $3", 3 },
	{ "tel_farm_find",
	  "SELECT id, secret FROM printers WHERE lower(name) = lower($1)", 1 },
	{ "tel_farm_next_id",
	  "SELECT nextval(pg_get_serial_sequence('printers', 'id')) AS id", 0 },
	/* Both: $1 id, $2 kind, $3 name, $4 model, $5 host, $6 port,
	 * $7 serial, $8 username, $9 sealed secret, $10 files port. */
	{ "tel_farm_insert",
	  "INSERT INTO printers (id, kind, name, model, host, port, serial, "
	  "username, secret, files_port) OVERRIDING SYSTEM VALUE VALUES ($1, "
	  "$2::printer_kind, $3, $4, $5, $6::integer, $7, coalesce($8, "
	  "'maker'), $9, $10::integer)", 10 },
	{ "tel_farm_update",
	  "UPDATE printers SET (kind, model, host, port, serial, username, "
	  "secret, files_port) = ($2::printer_kind, $4, $5, $6::integer, $7, "
	  "coalesce($8, 'maker'), $9, $10::integer) WHERE id = $1 AND "
	  "lower(name) = lower($3)", 10 },
};

enum { ST_PRINTERS, ST_STATES, ST_TOUCH, ST_EVENT, ST_SAMPLES,
    ST_AUTH_FAILED, ST_LAST_ERROR, ST_BEAT, ST_FARM_FIND, ST_FARM_NEXT_ID,
    ST_FARM_INSERT, ST_FARM_UPDATE };

struct tel {
	struct cmd_ctx		*c;
	struct db		*db;
	struct arena		*a;
	struct secret		 secret;
	struct http_poller	*hp;
	struct files		*fl;		/* printers/files.c */
	struct control		*ctl;		/* printers/control.c */
	struct tel_printer	**ps;
	size_t			 n;
	json_t			*samples;	/* batch not yet written */
	json_t			*states;	/* changed states, by printer */
	json_t			*touched;	/* ids heard from, unchanged */
	int			 sample_s;
	const char		*farm;
	struct stat		 farm_st;	/* of the last import */
	const char		*bambu_ca;	/* --bambu-ca */
	char			*farm_ca;	/* the farm's test CA */
};

double
tel_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
kind_parse(const char *s, enum tel_kind *k)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "prusalink") == 0)
		*k = TEL_PRUSALINK;
	else if (strcmp(s, "octoprint") == 0)
		*k = TEL_OCTOPRINT;
	else if (strcmp(s, "moonraker") == 0)
		*k = TEL_MOONRAKER;
	else if (strcmp(s, "bambu") == 0)
		*k = TEL_BAMBU;
	else
		return -1;
	return 0;
}

static int
status_busy(int s)
{
	return s == PRINTER_PRINTING || s == PRINTER_PREPARING ||
	    s == PRINTER_PAUSED;
}

/* ---- printers ---- */

static void
printer_free(struct tel *t, struct tel_printer *p)
{
	http_poll_forget(t->hp, p);
	bambu_watch_forget(p);
	if (p->secret != NULL) {
		explicit_bzero(p->secret, strlen(p->secret));
		free(p->secret);
	}
	free(p->stored);
	free(p);
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* A printer from its row; NULL for a kind not watched. */
static struct tel_printer *
printer_from_row(struct tel *t, json_t *row)
{
	struct tel_printer	*p;
	struct err		 e = { 0 };
	const char		*sealed, *st, *ctx;
	char			*plain;
	enum tel_kind		 k;
	int			 i;

	if (kind_parse(json_row_str(row, "kind"), &k) != 0)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->id = json_row_int(row, "id");
	p->kind = k;
	copy_str(p->name, sizeof(p->name), json_row_str(row, "name"));
	copy_str(p->host, sizeof(p->host), json_row_str(row, "host"));
	copy_str(p->username, sizeof(p->username), json_row_str(row,
	    "username"));
	copy_str(p->version, sizeof(p->version), json_row_str(row,
	    "version"));
	copy_str(p->serial, sizeof(p->serial), json_row_str(row, "serial"));
	p->port = (int)json_row_int(row, "port");
	p->files_port = (int)json_row_int(row, "files_port");
	p->poll_idle_s = (int)json_row_int(row, "poll_idle_s");
	p->poll_busy_s = (int)json_row_int(row, "poll_busy_s");
	p->auth_failed = json_is_true(json_object_get(row, "auth_failed"));
	p->tls_tofu = json_row_str(row, "tls_mode") != NULL &&
	    strcmp(json_row_str(row, "tls_mode"), "tofu") == 0;
	copy_str(p->tls_pin, sizeof(p->tls_pin), json_row_str(row,
	    "tls_fingerprint"));
	p->last_status = -1;
	st = json_row_str(row, "status");
	for (i = PRINTER_OFFLINE; st != NULL && i <= PRINTER_ERROR; i++)
		if (strcmp(printer_status_name(i), st) == 0)
			p->last_status = i;
	sealed = json_row_str(row, "secret");
	if (sealed != NULL) {
		ctx = arena_printf(t->a, "printer:%lld:secret", p->id);
		plain = secret_open(t->a, &t->secret, ctx, sealed, NULL, &e);
		if (plain == NULL) {
			p->no_secret = 1;
			err_clear(&e);
		} else {
			p->secret = strdup(plain);
			explicit_bzero(plain, strlen(plain));
		}
	}
	return p;
}

static struct tel_printer *
printer_find(struct tel *t, long long id)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (t->ps[i]->id == id)
			return t->ps[i];
	return NULL;
}

/*
 * Re-reads the active printers: new ones and ones whose settings changed
 * (updated_at) start afresh, missing ones are dropped.
 */
static void
printers_reload(struct tel *t)
{
	struct tel_printer	**next, *p, *old;
	struct err		 e = { 0 };
	json_t			*rows, *row;
	size_t			 i, n, idx;
	const char		*version;

	if (db_exec(t->db, t->a, &tel_stmts[ST_PRINTERS], NULL, &rows,
	    &e) != 0) {
		err_clear(&e);
		return;
	}
	n = json_array_size(rows);
	if (n > TEL_MAX_PRINTERS)
		n = TEL_MAX_PRINTERS;
	if ((next = calloc(n + 1, sizeof(*next))) == NULL)
		return;
	idx = 0;
	for (i = 0; i < n; i++) {
		row = json_array_get(rows, i);
		old = printer_find(t, json_row_int(row, "id"));
		version = json_row_str(row, "version");
		if (old != NULL && version != NULL &&
		    strcmp(old->version, version) == 0) {
			next[idx++] = old;
			old->kept = 1;
			continue;
		}
		if ((p = printer_from_row(t, row)) == NULL)
			continue;
		if (old != NULL) {
			/* Settings changed: keep what was stored. */
			p->last_status = old->last_status;
			p->stored = old->stored;
			old->stored = NULL;
			p->stored_at = old->stored_at;
			p->error_set = old->error_set;
			log_kv(LOG_INFO, "printer settings changed", "printer",
			    p->name, NULL);
		} else
			log_kv(LOG_INFO, "watching printer", "printer",
			    p->name, NULL);
		next[idx++] = p;
	}
	for (i = 0; i < t->n; i++) {
		if (t->ps[i]->kept) {
			t->ps[i]->kept = 0;
			continue;
		}
		printer_free(t, t->ps[i]);
	}
	free(t->ps);
	t->ps = next;
	t->n = idx;
}

/* ---- state ---- */

static json_t *
num_or_null(double v, double scale)
{
	if (isnan(v))
		return json_null();
	return json_real(round(v * scale) / scale);
}

static json_t *
int_or_null(long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

/* The state as stored and published. */
static json_t *
state_json(const struct printer_state *s, int online)
{
	json_t	*o, *slots, *errs;
	size_t	 i;

	slots = json_array();
	for (i = 0; i < s->nslots; i++)
		json_array_append_new(slots, json_pack("{s:i, s:s, s:s, s:o, "
		    "s:s, s:b}", "slot", s->slots[i].slot, "type",
		    s->slots[i].type, "color", s->slots[i].color,
		    "remaining_pct", int_or_null(s->slots[i].remaining_pct),
		    "tag_uid", s->slots[i].tag_uid, "active",
		    s->slots[i].active));
	errs = json_array();
	for (i = 0; i < s->nerrors; i++)
		json_array_append_new(errs, json_pack("{s:s, s:s}", "code",
		    s->errors[i].code, "text", s->errors[i].text));
	o = json_object();
	json_object_set_new(o, "online", json_boolean(online));
	json_object_set_new(o, "status", json_string(
	    printer_status_name(s->status)));
	json_object_set_new(o, "job", s->job[0] != '\0' ?
	    json_string(s->job) : json_null());
	json_object_set_new(o, "progress", num_or_null(s->progress, 100));
	json_object_set_new(o, "layer", int_or_null(s->layer));
	json_object_set_new(o, "total_layers", int_or_null(s->total_layers));
	json_object_set_new(o, "remaining_s", int_or_null(s->remaining_s));
	json_object_set_new(o, "nozzle_c", num_or_null(s->nozzle_c, 10));
	json_object_set_new(o, "nozzle_target_c",
	    num_or_null(s->nozzle_target_c, 10));
	json_object_set_new(o, "bed_c", num_or_null(s->bed_c, 10));
	json_object_set_new(o, "bed_target_c",
	    num_or_null(s->bed_target_c, 10));
	json_object_set_new(o, "chamber_c", num_or_null(s->chamber_c, 10));
	json_object_set_new(o, "fan_pct", int_or_null(s->fan_pct));
	json_object_set_new(o, "speed_pct", int_or_null(s->speed_pct));
	json_object_set_new(o, "control_ok", s->control_ok < 0 ?
	    json_null() : json_boolean(s->control_ok));
	json_object_set_new(o, "slots", slots);
	json_object_set_new(o, "errors", errs);
	return o;
}

static void
set_last_error(struct tel *t, struct tel_printer *p, const char *msg)
{
	struct err	 e = { 0 };
	const char	*prm[2];

	if (msg == NULL && !p->error_set)
		return;
	prm[0] = arena_printf(t->a, "%lld", p->id);
	prm[1] = msg;
	if (db_exec(t->db, t->a, &tel_stmts[ST_LAST_ERROR], prm, NULL,
	    &e) == 0)
		p->error_set = msg != NULL;
	err_clear(&e);
}

/*
 * Queues s for the next states_flush when it differs from what was
 * stored (the latest state of a printer wins within one turn of the
 * loop), else notes that the printer was heard from.  Runs and status
 * events are written at once.
 */
static void
state_store(struct tel *t, struct tel_printer *p,
    const struct printer_state *s, int online, double now)
{
	struct err	 e = { 0 };
	json_t		*doc, *detail;
	const char	*prm[5];
	char		*text;
	int		 from;

	doc = state_json(s, online);
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		json_decref(doc);
		return;
	}
	if (p->stored != NULL && strcmp(p->stored, text) == 0) {
		free(text);
		json_decref(doc);
		if (online && now - p->stored_at >= TEL_TOUCH_S) {
			json_array_append_new(t->touched, json_integer(
			    (json_int_t)p->id));
			p->stored_at = now;
		}
		return;
	}
	runs_observe(t->db, t->a, p, s);
	free(p->stored);
	p->stored = text;
	p->stored_at = now;
	json_object_set_new(t->states, arena_printf(t->a, "%lld", p->id),
	    json_pack("{s:I, s:s, s:O}", "printer_id", (json_int_t)p->id,
	    "name", p->name, "state", doc));
	from = p->last_status;
	if (from != (int)s->status) {
		prm[0] = arena_printf(t->a, "%lld", p->id);
		prm[1] = from < 0 ? NULL : printer_status_name(from);
		prm[2] = printer_status_name(s->status);
		prm[3] = s->job[0] != '\0' ? s->job : NULL;
		detail = json_pack("{s:o, s:O}", "progress",
		    num_or_null(s->progress, 100), "errors",
		    json_object_get(doc, "errors"));
		prm[4] = arena_json_text(t->a, detail);
		json_decref(detail);
		if (db_exec(t->db, t->a, &tel_stmts[ST_EVENT], prm, NULL,
		    &e) == 0) {
			p->last_status = (int)s->status;
			log_kv(LOG_INFO, "printer status", "printer", p->name,
			    "from", prm[1] != NULL ? prm[1] : "-", "to",
			    prm[2], NULL);
		}
		err_clear(&e);
	}
	json_decref(doc);
}

/* Writes the rows of items ([{printer_id, name, state}]) in one go. */
static int
states_write(struct tel *t, json_t *items, struct err *e)
{
	json_t		*rows, *item, *row;
	const char	*prm[1];
	size_t		 i;

	rows = json_array();
	json_array_foreach(items, i, item) {
		row = json_deep_copy(json_object_get(item, "state"));
		json_object_set(row, "printer_id", json_object_get(item,
		    "printer_id"));
		json_array_append_new(rows, row);
	}
	prm[0] = arena_json_text(t->a, rows);
	json_decref(rows);
	return db_exec(t->db, t->a, &tel_stmts[ST_STATES], prm, NULL, e);
}

/*
 * Publishes items in messages of at most TEL_LIVE_ITEMS printers, so
 * that each stays well under LIVE_EVENT_MAX (a state with a full AMS is
 * about 1.5 kB).
 */
static void
states_publish(json_t *items)
{
	json_t	*ev, *chunk;
	size_t	 i, n;

	n = json_array_size(items);
	for (i = 0; i < n; i += TEL_LIVE_ITEMS) {
		chunk = json_array();
		while (json_array_size(chunk) < TEL_LIVE_ITEMS &&
		    i + json_array_size(chunk) < n)
			json_array_append(chunk, json_array_get(items, i +
			    json_array_size(chunk)));
		ev = json_pack("{s:s, s:o}", "type", "printer_states", "items",
		    chunk);
		live_publish("printers", ev);
		json_decref(ev);
	}
}

/*
 * Writes the queued states in one statement and publishes them in
 * live messages {"type": "printer_states", "items": [{printer_id, name,
 * state}]}; when the batch is refused each state is tried alone, and a
 * printer whose state cannot be written is written again at its next
 * report.  Then the unchanged printers' last_message_at.
 */
static void
states_flush(struct tel *t)
{
	struct err		 e = { 0 };
	struct tel_printer	*p;
	json_t			*items, *one, *item;
	const char		*key, *prm[1];
	size_t			 i;

	items = json_array();
	json_object_foreach(t->states, key, item)
		json_array_append(items, item);
	if (json_array_size(items) > 0 && states_write(t, items, &e) != 0) {
		err_clear(&e);
		json_array_foreach(items, i, item) {
			one = json_pack("[O]", item);
			if (states_write(t, one, &e) != 0) {
				p = printer_find(t, json_row_int(item,
				    "printer_id"));
				log_kv(LOG_WARN, "cannot store printer state",
				    "printer", json_row_str(item, "name"),
				    "error", e.message, NULL);
				err_clear(&e);
				if (p != NULL) {
					free(p->stored);
					p->stored = NULL;
				}
			}
			json_decref(one);
		}
	}
	states_publish(items);
	json_decref(items);
	json_object_clear(t->states);
	if (json_array_size(t->touched) == 0)
		return;
	prm[0] = arena_json_text(t->a, t->touched);
	db_exec(t->db, t->a, &tel_stmts[ST_TOUCH], prm, NULL, &e);
	err_clear(&e);
	json_array_clear(t->touched);
}

static void
sample_add(struct tel *t, struct tel_printer *p,
    const struct printer_state *s, double now)
{
	if (s->status != PRINTER_PRINTING || now - p->sample_at < t->sample_s)
		return;
	p->sample_at = now;
	json_array_append_new(t->samples, json_pack("{s:I, s:f, s:o, s:o, "
	    "s:o, s:o}", "printer_id", (json_int_t)p->id, "at", now,
	    "nozzle_c", num_or_null(s->nozzle_c, 10), "bed_c",
	    num_or_null(s->bed_c, 10), "chamber_c",
	    num_or_null(s->chamber_c, 10), "progress",
	    num_or_null(s->progress, 100)));
}

static void
samples_flush(struct tel *t)
{
	struct err	 e = { 0 };
	const char	*prm[1];

	if (json_array_size(t->samples) == 0)
		return;
	prm[0] = arena_json_text(t->a, t->samples);
	if (db_exec(t->db, t->a, &tel_stmts[ST_SAMPLES], prm, NULL, &e) != 0)
		log_kv(LOG_WARN, "cannot store samples", "error", e.message,
		    NULL);
	err_clear(&e);
	json_array_clear(t->samples);
}

/* Seconds to wait after the fails-th failure in a row, with jitter. */
static double
backoff(int fails)
{
	double	d;

	d = fails >= 7 ? TEL_BACKOFF_MAX_S : (double)(1 << (fails - 1));
	if (d > TEL_BACKOFF_MAX_S)
		d = TEL_BACKOFF_MAX_S;
	return d * (0.75 + (double)random() / RAND_MAX * 0.5);
}

static void
poll_done(struct tel_printer *p, const struct poll_result *r, void *arg)
{
	struct tel		*t = arg;
	struct err		 e = { 0 };
	struct printer_state	 off;
	const char		*prm[3];
	double			 now = tel_now();

	switch (r->outcome) {
	case POLL_OK:
		if (p->fails > 0 || p->last_ok == 0)
			set_last_error(t, p, NULL);
		p->fails = 0;
		p->last_ok = now;
		state_store(t, p, &r->state, 1, now);
		sample_add(t, p, &r->state, now);
		p->next_at = now + (status_busy(r->state.status) ?
		    p->poll_busy_s : p->poll_idle_s);
		break;
	case POLL_AUTH:
		p->auth_failed = 1;
		prm[0] = arena_printf(t->a, "%lld", p->id);
		prm[1] = r->error;
		prm[2] = p->version;
		db_exec(t->db, t->a, &tel_stmts[ST_AUTH_FAILED], prm, NULL,
		    &e);
		err_clear(&e);
		p->error_set = 1;
		log_kv(LOG_WARN, "printer refused the credentials; waiting "
		    "for new settings", "printer", p->name, NULL);
		/* A Bambu session is freed by the loop, outside callbacks. */
		if (p->kind != TEL_BAMBU)
			http_poll_forget(t->hp, p);
		break;
	case POLL_BAD:
		p->bad++;
		if (now - p->bad_logged >= 60) {
			p->bad_logged = now;
			log_kv(LOG_WARN, "bad printer answer", "printer",
			    p->name, "error", r->error, "count",
			    arena_printf(t->a, "%lu", p->bad), NULL);
		}
		p->last_ok = now;
		p->next_at = now + p->poll_idle_s;
		break;
	default:
		p->fails++;
		p->next_at = now + backoff(p->fails);
		if (p->fails == 1)
			log_kv(LOG_INFO, "printer not answering", "printer",
			    p->name, "error", r->error, NULL);
		if (p->fails >= 2 || (p->last_ok > 0 &&
		    now - p->last_ok >= TEL_OFFLINE_S)) {
			if (!p->error_set)
				set_last_error(t, p, r->error);
			printer_state_init(&off);
			state_store(t, p, &off, 0, now);
		}
		break;
	}
}

/* ---- heartbeat ---- */

static void
beat(struct tel *t)
{
	struct err	 e = { 0 };
	const char	*prm[3];
	char		 host[256];
	size_t		 i, polling = 0, online = 0, failed = 0;

	for (i = 0; i < t->n; i++) {
		if (t->ps[i]->auth_failed || t->ps[i]->no_secret)
			failed++;
		else
			polling++;
		if (t->ps[i]->fails == 0 && t->ps[i]->last_ok > 0)
			online++;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	prm[0] = arena_printf(t->a, "%d", (int)getpid());
	prm[1] = host;
	prm[2] = arena_printf(t->a, "{\"printers\": %zu, \"polling\": %zu, "
	    "\"online\": %zu, \"auth_failed\": %zu}", t->n, polling, online,
	    failed);
	db_exec(t->db, t->a, &tel_stmts[ST_BEAT], prm, NULL, &e);
	err_clear(&e);
}

/* ---- the simulator farm ---- */

static const char *
farm_secret(json_t *o)
{
	const char	*s;

	if ((s = json_row_str(o, "password")) != NULL ||
	    (s = json_row_str(o, "api_key")) != NULL ||
	    (s = json_row_str(o, "access_code")) != NULL)
		return *s != '\0' ? s : NULL;
	return NULL;
}

/* Upserts one printer of the farm by name. */
static int
farm_printer(struct tel *t, json_t *o, struct err *e)
{
	json_t		*row;
	const char	*prm[10], *name, *kind, *plain, *sealed, *id, *ctx;
	const char	*model;
	char		*old;
	enum tel_kind	 k;
	int		 found;

	name = json_row_str(o, "name");
	kind = json_row_str(o, "kind");
	if (name == NULL || kind_parse(kind, &k) != 0 ||
	    !json_is_integer(json_object_get(o, "port")) ||
	    json_row_str(o, "host") == NULL)
		return err_set(e, ERR_INVALID, "a farm printer needs name, "
		    "kind, host and port");
	plain = farm_secret(o);
	model = json_row_str(o, "model");
	if (model != NULL && *model == '\0')
		model = NULL;
	if (db_one(t->db, t->a, &tel_stmts[ST_FARM_FIND], &name, &row,
	    e) != 0)
		return e->code;
	found = row != NULL;
	if (!found) {
		if (db_one(t->db, t->a, &tel_stmts[ST_FARM_NEXT_ID], NULL,
		    &row, e) != 0 || row == NULL)
			return e->code != 0 ? e->code : ERR_INTERNAL;
		id = arena_printf(t->a, "%lld", json_row_int(row, "id"));
		sealed = NULL;
	} else {
		id = arena_printf(t->a, "%lld", json_row_int(row, "id"));
		sealed = json_row_str(row, "secret");
	}
	ctx = arena_printf(t->a, "printer:%s:secret", id);
	/* Keep the sealed text when it holds the same secret. */
	if (sealed != NULL) {
		old = secret_open(t->a, &t->secret, ctx, sealed, NULL, e);
		err_clear(e);
		if (old == NULL || plain == NULL || strcmp(old, plain) != 0)
			sealed = NULL;
	}
	if (sealed == NULL && plain != NULL)
		sealed = secret_seal(t->a, &t->secret, ctx, plain,
		    strlen(plain));
	prm[0] = id;
	prm[1] = kind;
	prm[2] = name;
	prm[3] = model;
	prm[4] = json_row_str(o, "host");
	prm[5] = arena_printf(t->a, "%lld", (long long)json_integer_value(
	    json_object_get(o, "port")));
	prm[6] = k == TEL_BAMBU ? json_row_str(o, "serial") : NULL;
	prm[7] = json_row_str(o, "username");
	prm[8] = sealed;
	/* a simulated Bambu printer's FTPS port, bound at random */
	prm[9] = k == TEL_BAMBU && json_row_int(o, "ftp_port") > 0 ?
	    arena_printf(t->a, "%lld", json_row_int(o, "ftp_port")) : NULL;
	return db_exec(t->db, t->a, &tel_stmts[found ? ST_FARM_UPDATE :
	    ST_FARM_INSERT], prm, NULL, e);
}

/* What Bambu certificates are checked against: --bambu-ca, else the farm's CA. */
static const char *
tel_bambu_ca(const struct tel *t)
{
	return t->bambu_ca != NULL ? t->bambu_ca : t->farm_ca;
}

/* Imports the farm file when it appeared or changed since last time. */
static void
farm_check(struct tel *t)
{
	struct stat	 st;
	struct err	 e = { 0 };
	json_error_t	 je;
	json_t		*farm, *list;
	size_t		 i, ok;

	if (t->farm == NULL || stat(t->farm, &st) != 0)
		return;
	if (st.st_ino == t->farm_st.st_ino && st.st_size ==
	    t->farm_st.st_size && st.st_mtim.tv_sec ==
	    t->farm_st.st_mtim.tv_sec && st.st_mtim.tv_nsec ==
	    t->farm_st.st_mtim.tv_nsec)
		return;
	farm = json_load_file(t->farm, 0, &je);
	list = json_object_get(farm, "printers");
	if (!json_is_array(list)) {
		log_kv(LOG_WARN, "cannot read the farm file", "file", t->farm,
		    "error", farm == NULL ? je.text : "no printers list",
		    NULL);
		json_decref(farm);
		t->farm_st = st;
		return;
	}
	if (json_row_str(farm, "ca_file") != NULL) {
		free(t->farm_ca);
		t->farm_ca = strdup(json_row_str(farm, "ca_file"));
	}
	ok = 0;
	for (i = 0; i < json_array_size(list); i++) {
		if (farm_printer(t, json_array_get(list, i), &e) == 0)
			ok++;
		else
			log_kv(LOG_WARN, "cannot import a farm printer",
			    "name", json_row_str(json_array_get(list, i),
			    "name"), "error", e.message, NULL);
		err_clear(&e);
	}
	log_kv(LOG_INFO, "farm imported", "file", t->farm, "printers",
	    arena_printf(t->a, "%zu", ok), NULL);
	json_decref(farm);
	t->farm_st = st;
}

/* ---- the loop ---- */

/* Bambu: frees an ended session, (re)connects when due, runs timers. */
static void
bambu_step(struct tel *t, struct tel_printer *p, double now)
{
	struct poll_result	 r;

	if (bambu_watch_ended(p))
		bambu_watch_forget(p);
	if (p->mq != NULL) {
		bambu_watch_tick(p, now);
		return;
	}
	if (p->auth_failed || p->no_secret || p->next_at > now)
		return;
	memset(&r, 0, sizeof(r));
	if (bambu_watch_start(p, tel_bambu_ca(t), poll_done, t, r.error,
	    sizeof(r.error)) == 0)
		return;
	bambu_watch_forget(p);
	printer_state_init(&r.state);
	r.outcome = POLL_UNREACHABLE;
	poll_done(p, &r, t);
}

static int
parse_args(struct tel *t, int argc, char **argv)
{
	char	*ep;
	long	 v;
	int	 i;

	t->sample_s = 10;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--farm") == 0 && i + 1 < argc)
			t->farm = argv[++i];
		else if (strcmp(argv[i], "--bambu-ca") == 0 && i + 1 < argc)
			t->bambu_ca = argv[++i];
		else if (strcmp(argv[i], "--sample-seconds") == 0 &&
		    i + 1 < argc) {
			errno = 0;
			v = strtol(argv[++i], &ep, 10);
			if (errno != 0 || *ep != '\0' || v < 1 || v > 3600)
				return cmd_fail("telemetry: --sample-seconds "
				    "takes 1 to 3600");
			t->sample_s = (int)v;
		} else
			return cmd_fail("telemetry: unknown argument \"%s\" "
			    "(see printyard telemetry --help)", argv[i]);
	}
	return 0;
}

static void
reload_config(struct tel *t)
{
	struct err	 e = { 0 };
	struct config	 cfg;

	if (config_load(&cfg, t->c->arena, t->c->config_path,
	    t->c->config_required, &e) != 0) {
		log_kv(LOG_WARN, "cannot reload the configuration", "error",
		    e.message, NULL);
		err_clear(&e);
		return;
	}
	t->c->cfg = cfg;
	log_set_level(cfg.log_level);
	live_init(cfg.nchan_publish_url);
	log_kv(LOG_INFO, "configuration reloaded", NULL);
}

static int
telemetry_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct tel		 t;
	struct err		 e = { 0 };
	struct sigaction	 sa;
	char			 prefix[80];
	double			 now, last_reload, last_beat, last_flush;
	double			 last_farm, next;
	struct tel_waitfd	*fds;
	struct tel_printer	**fdp;
	size_t			 i;
	unsigned		 nfds;
	int			 wait_ms, fd;
	short			 ev;

	memset(&t, 0, sizeof(t));
	t.c = c;
	if (parse_args(&t, argc, argv) != 0)
		return 2;
	snprintf(prefix, sizeof(prefix), "proc=telemetry pid=%d",
	    (int)getpid());
	log_set_prefix(prefix);
	if (secret_load(c->cfg.secret_file, &t.secret, &e) != 0)
		return cmd_fail("%s", e.message);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	db_register(tel_stmts, sizeof(tel_stmts) / sizeof(tel_stmts[0]));
	runs_register();
	files_register();
	control_register();
	t.db = db_new(c->cfg.database_url);
	if (db_connect(t.db, &e) != 0 && e.code != ERR_UNAVAILABLE)
		return cmd_fail("%s", e.message);
	err_clear(&e);
	t.a = arena_new(64 * 1024);
	t.samples = json_array();
	t.states = json_object();
	t.touched = json_array();
	if ((t.hp = http_poller_new()) == NULL)
		return cmd_fail("telemetry: cannot start libcurl");
	if ((t.ctl = control_new(t.hp)) == NULL)
		return cmd_fail("telemetry: out of memory");
	if ((t.fl = files_new(c->cfg.file_store, c->cfg.upload_max,
	    t.ctl)) == NULL)
		return cmd_fail("telemetry: cannot start libcurl");
	live_init(c->cfg.nchan_publish_url);
	log_kv(LOG_INFO, "telemetry started", NULL);
	last_reload = last_beat = last_flush = last_farm = 0;
	while (!stop) {
		now = tel_now();
		if (hup) {
			hup = 0;
			reload_config(&t);
			last_reload = 0;
		}
		if (t.farm != NULL && now - last_farm >= TEL_FARM_S) {
			farm_check(&t);
			last_farm = now;
			last_reload = 0;
		}
		if (now - last_reload >= TEL_RELOAD_S) {
			printers_reload(&t);
			last_reload = now;
		}
		next = now + 1;
		fds = arena_calloc(t.a, t.n + 1, sizeof(*fds));
		fdp = arena_calloc(t.a, t.n + 1, sizeof(*fdp));
		nfds = 0;
		for (i = 0; i < t.n; i++) {
			if (t.ps[i]->kind == TEL_BAMBU) {
				bambu_step(&t, t.ps[i], now);
				if ((fd = bambu_watch_fd(t.ps[i], &ev)) >= 0) {
					fds[nfds].fd = fd;
					fds[nfds].events = ev;
					fdp[nfds++] = t.ps[i];
				}
				continue;
			}
			if (t.ps[i]->busy || t.ps[i]->auth_failed ||
			    t.ps[i]->no_secret)
				continue;
			if (t.ps[i]->next_at <= now)
				http_poll_start(t.hp, t.ps[i]);
			else if (t.ps[i]->next_at < next)
				next = t.ps[i]->next_at;
		}
		wait_ms = (int)((next - now) * 1000);
		if (wait_ms < 10)
			wait_ms = 10;
		if (nfds > 0 && wait_ms > 200)
			wait_ms = 200;		/* MQTT keep-alive and timers */
		if (files_pending(t.fl) && wait_ms > 20)
			wait_ms = 20;
		if (control_pending(t.ctl) && wait_ms > 50)
			wait_ms = 50;
		else if (wait_ms > 200)
			wait_ms = 200;	/* queued commands: printers/control.c */
		http_poller_run(t.hp, wait_ms, fds, nfds, poll_done, &t);
		for (i = 0; i < nfds; i++)
			if (fds[i].revents != 0)
				bambu_watch_io(fdp[i], fds[i].revents);
		control_step(t.ctl, t.db, t.a, t.ps, t.n, tel_bambu_ca(&t),
		    tel_now());
		files_step(t.fl, t.db, t.a, t.ps, t.n, tel_bambu_ca(&t),
		    tel_now());
		states_flush(&t);
		now = tel_now();
		if (now - last_flush >= TEL_FLUSH_S) {
			samples_flush(&t);
			last_flush = now;
		}
		if (now - last_beat >= TEL_BEAT_S) {
			beat(&t);
			last_beat = now;
		}
		arena_reset(t.a);
	}
	states_flush(&t);
	samples_flush(&t);
	for (i = 0; i < t.n; i++)
		printer_free(&t, t.ps[i]);
	free(t.ps);
	free(t.farm_ca);
	live_cleanup();
	http_poller_free(t.hp);
	control_free(t.ctl);
	files_free(t.fl);
	json_decref(t.samples);
	json_decref(t.states);
	json_decref(t.touched);
	log_kv(LOG_INFO, "telemetry stopped", NULL);
	arena_free(t.a);
	db_free(t.db);
	explicit_bzero(&t.secret, sizeof(t.secret));
	return 0;
}

const struct command cmd_telemetry = {
	"telemetry", "watch the printers and record what they report",
	"usage: printyard telemetry [--farm FILE] [--bambu-ca FILE]\n"
	"                           [--sample-seconds N]\n\n"
	"Owns every printer connection: polls PrusaLink, OctoPrint and\n"
	"Moonraker printers over HTTP, listens to Bambu Lab printers over\n"
	"MQTT/TLS, and writes their state, status events\n"
	"and samples (one per printer every N seconds while printing, 10)\n"
	"to the database; publishes changes on the nchan channel "
	"\"printers\".\n"
	"A printer that refuses its credentials is left alone until its\n"
	"settings change.\n\n"
	"  --farm FILE      add or update the printers a simulator farm.json\n"
	"                   describes (at start and whenever FILE changes);\n"
	"                   its ca_file checks Bambu printers unless\n"
	"  --bambu-ca FILE  names the CAs Bambu certificates must chain to\n"
	"                   (../shared/data/bambu/bambu-ca-bundle.pem)\n\n"
	"SIGTERM stops it; SIGHUP reloads the configuration and printers.\n",
	telemetry_run,
};

/*
 * farm.c -- the printer farm as people watch it: the printers page
 * /printers (one live card per active printer, also shown on the
 * dashboard through farm_cards_for_page), the printer page
 * /printers/{id} (card, temperature and progress chart, print runs,
 * status events, connection and diagnostics), and the reads behind
 * them: GET /api/v1/printers/{id}/samples, /runs and /events.
 *
 * Invariants: nothing here writes; the cards are dressed from the rows
 * the telemetry worker stores (printer_state) and static/js/printers.js
 * dresses the live messages the same way with the words this file puts
 * into data-labels.  Samples are averaged into at most FARM_BUCKETS time
 * buckets in SQL, so an answer stays small whatever the range.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "db/db.h"
#include "http/req.h"
#include "res/farm.h"
#include "res/record.h"
#include "view/format.h"

#define FARM_BUCKETS	480	/* samples answered per range, at most */
#define FARM_RUNS	10	/* runs on the printer page */
#define FARM_EVENTS	20	/* events on the printer page */
#define FARM_CHART_W	600
#define FARM_CHART_H	200

static const struct stmt farm_stmts[] = {
	{ "farm_cards",
	  "SELECT p.id, p.name, p.kind::text AS kind, p.model, p.active, "
	  "p.host, p.port, p.serial, p.tls_mode, p.tls_fingerprint, "
	  "p.auth_failed_at, p.last_error, coalesce(s.online, false) AS "
	  "online, coalesce(s.status::text, 'offline') AS status, s.job, "
	  "s.progress::float8 AS progress, s.layer, s.total_layers, "
	  "s.remaining_s, s.nozzle_c::float8 AS nozzle_c, "
	  "s.nozzle_target_c::float8 AS nozzle_target_c, s.bed_c::float8 AS "
	  "bed_c, s.bed_target_c::float8 AS bed_target_c, "
	  "s.chamber_c::float8 AS chamber_c, s.control_ok, "
	  "coalesce(s.slots, '[]') AS slots, coalesce(s.errors, '[]') AS "
	  "errors, s.last_message_at, CASE WHEN coalesce(s.status::text, "
	  "'offline') = 'offline' THEN coalesce((SELECT max(e.at) FROM "
	  "printer_events e WHERE e.printer_id = p.id AND e.to_status = "
	  "'offline'), s.updated_at) END AS offline_at, j.id AS job_id, "
	  "po.id AS production_order_id, po.number AS production_order, "
	  "so.id AS order_id, so.number AS order_number "
	  "FROM printers p LEFT JOIN printer_state s ON s.printer_id = p.id "
	  "LEFT JOIN LATERAL (SELECT id, production_order_id FROM print_jobs "
	  "WHERE printer_id = p.id AND status = 'started' ORDER BY started_at "
	  "DESC NULLS LAST, id DESC LIMIT 1) j ON true "
	  "LEFT JOIN production_orders po ON po.id = j.production_order_id "
	  "LEFT JOIN sales_orders so ON so.id = po.sales_order_id "
	  "WHERE ($1::bigint IS NULL AND p.active) OR p.id = $1 "
	  "ORDER BY lower(p.name), p.id", 1 },
	{ "farm_exists",
	  "SELECT id FROM printers WHERE id = $1", 1 },
	{ "farm_samples",
	  "SELECT b AS at, extract(epoch FROM b)::float8 AS t, "
	  "round(avg(nozzle_c), 1)::float8 AS nozzle_c, "
	  "round(avg(bed_c), 1)::float8 AS bed_c, "
	  "round(avg(chamber_c), 1)::float8 AS chamber_c, "
	  "round(avg(progress), 2)::float8 AS progress FROM (SELECT "
	  "date_bin(make_interval(secs => $2::integer * 3600.0 / $3::integer), "
	  "at, timestamptz 'epoch') AS b, nozzle_c, bed_c, chamber_c, progress "
	  "FROM printer_samples WHERE printer_id = $1 AND at > now() - "
	  "make_interval(hours => $2::integer)) x GROUP BY b ORDER BY b", 3 },
	{ "farm_runs",
	  "SELECT r.id, r.started_at, r.ended_at, r.result::text AS result, "
	  "r.file, coalesce(r.duration_s, extract(epoch FROM "
	  "coalesce(r.ended_at, now()) - r.started_at)::integer) AS "
	  "duration_s, r.layers, r.est_grams::float8 AS est_grams, "
	  "r.progress::float8 AS progress, r.note, r.print_job_id, "
	  "po.id AS production_order_id, po.number AS production_order, "
	  "so.id AS order_id, so.number AS order_number FROM print_runs r "
	  "LEFT JOIN print_jobs j ON j.id = r.print_job_id "
	  "LEFT JOIN production_orders po ON po.id = j.production_order_id "
	  "LEFT JOIN sales_orders so ON so.id = po.sales_order_id "
	  "WHERE r.printer_id = $1 ORDER BY r.started_at DESC, r.id DESC "
	  "LIMIT $2 OFFSET $3", 3 },
	{ "farm_runs_count",
	  "SELECT count(*) AS n FROM print_runs WHERE printer_id = $1", 1 },
	{ "farm_events",
	  "SELECT id, at, from_status::text AS from_status, "
	  "to_status::text AS to_status, job, detail FROM printer_events "
	  "WHERE printer_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
	  3 },
	{ "farm_events_count",
	  "SELECT count(*) AS n FROM printer_events WHERE printer_id = $1", 1 },
	{ "farm_choices",
	  "SELECT p.id, p.name, coalesce(s.status::text, 'offline') AS "
	  "status FROM printers p LEFT JOIN printer_state s ON s.printer_id = "
	  "p.id WHERE p.active ORDER BY p.name, p.id", 0 },
};

enum { ST_CARDS, ST_EXISTS, ST_SAMPLES, ST_RUNS, ST_RUNS_COUNT, ST_EVENTS,
    ST_EVENTS_COUNT, ST_CHOICES };

/* The words static/js/printers.js needs to dress live messages. */
static const char *const farm_label_keys[] = {
	"printers_status_offline", "printers_status_idle",
	"printers_status_preparing", "printers_status_printing",
	"printers_status_paused", "printers_status_finished",
	"printers_status_failed", "printers_status_error",
	"farm_why_offline", "farm_why_auth", "farm_why_devmode",
	"farm_why_not_printing", "farm_why_not_paused", "farm_offline_since",
	"farm_confirm_pause", "farm_confirm_resume", "farm_confirm_stop",
	"farm_cmd_sent", "farm_cmd_done", "farm_cmd_failed",
	"farm_cmd_unavailable", "farm_cmd_error", "farm_cmd_sending",
	NULL
};

static int
farm_is(json_t *row, const char *key, const char *val)
{
	const char	*s;

	s = json_row_str(row, key);
	return s != NULL && strcmp(s, val) == 0;
}

static int
farm_known(json_t *row, const char *key)
{
	json_t	*v;

	v = json_object_get(row, key);
	return v != NULL && json_is_number(v);
}

/* Why a command cannot be sent now, in words, or NULL when it can. */
static const char *
farm_reason(struct req *r, json_t *row, const char *cmd)
{
	int	printing, paused;

	if (json_is_string(json_object_get(row, "auth_failed_at")))
		return req_t(r, "farm_why_auth");
	if (!json_is_true(json_object_get(row, "online")))
		return req_t(r, "farm_why_offline");
	if (json_is_false(json_object_get(row, "control_ok")))
		return req_t(r, "farm_why_devmode");
	paused = farm_is(row, "status", "paused");
	printing = farm_is(row, "status", "printing") ||
	    farm_is(row, "status", "preparing");
	if (strcmp(cmd, "pause") == 0 && !printing)
		return req_t(r, "farm_why_not_printing");
	if (strcmp(cmd, "resume") == 0 && !paused)
		return req_t(r, "farm_why_not_paused");
	if (strcmp(cmd, "stop") == 0 && !printing && !paused)
		return req_t(r, "farm_why_not_printing");
	return NULL;
}

/* "215 / 220 °C", "215 °C" without a target, NULL when unknown. */
static json_t *
farm_temp(struct req *r, json_t *row, const char *key, const char *target)
{
	double	 v, t;

	if (!farm_known(row, key))
		return json_null();
	v = json_row_num(row, key);
	if (target != NULL && farm_known(row, target) &&
	    (t = json_row_num(row, target)) > 0)
		return json_string(arena_printf(r->arena, "%.0f / %.0f °C", v,
		    t));
	return json_string(arena_printf(r->arena, "%.0f °C", v));
}

static const char *
farm_pct(struct req *r, double v)
{
	return arena_printf(r->arena, strcmp(r->lang, "de") == 0 ?
	    "%.0f %%" : "%.0f%%", v);
}

static const char *
farm_hmm(struct req *r, long long s)
{
	return arena_printf(r->arena, "%lld:%02lld", s / 3600, s / 60 % 60);
}

static int
farm_color_ok(const char *c)
{
	size_t	i;

	if (c == NULL || strlen(c) != 7 || c[0] != '#')
		return 0;
	for (i = 1; i < 7; i++)
		if (strchr("0123456789abcdefABCDEF", c[i]) == NULL)
			return 0;
	return 1;
}

int
farm_choices_for_page(struct req *r, json_t *view)
{
	json_t	*rows, *row;
	size_t	 i;

	if (db_exec(r->db, r->arena, &farm_stmts[ST_CHOICES], NULL, &rows,
	    &r->err) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		json_object_set_new(row, "status_label", json_string(req_t(r,
		    arena_printf(r->arena, "printers_status_%s",
		    json_row_str(row, "status")))));
	json_object_set(view, "printer_choices", rows);
	json_object_set_new(view, "has_printer_choices", json_boolean(
	    json_array_size(rows) > 0));
	return 0;
}

void
farm_labels(struct req *r, json_t *row)
{
	json_object_set_new(row, "kind_label", json_string(req_t(r,
	    arena_printf(r->arena, "printers_kind_%s", json_row_str(row,
	    "kind")))));
	json_object_set_new(row, "status_label", json_string(req_t(r,
	    arena_printf(r->arena, "printers_status_%s", json_row_str(row,
	    "status")))));
}

/* Adds the display fields of one card to a row of farm_cards. */
static void
farm_dress(struct req *r, json_t *row, int can_control)
{
	static const char *const cmds[] = { "pause", "resume", "stop" };
	json_t		*slot;
	const char	*why, *color, *all;
	size_t		 i;

	farm_labels(r, row);
	if (farm_known(row, "progress")) {
		json_object_set_new(row, "progress_value", json_integer(
		    (json_int_t)lround(json_row_num(row, "progress"))));
		json_object_set_new(row, "progress_text", json_string(
		    farm_pct(r, json_row_num(row, "progress"))));
	}
	if (json_is_integer(json_object_get(row, "remaining_s")))
		json_object_set_new(row, "remaining_text", json_string(
		    farm_hmm(r, json_row_int(row, "remaining_s"))));
	if (json_is_integer(json_object_get(row, "layer")))
		json_object_set_new(row, "layer_text", json_string(
		    json_is_integer(json_object_get(row, "total_layers")) ?
		    arena_printf(r->arena, "%lld / %lld", json_row_int(row,
		    "layer"), json_row_int(row, "total_layers")) :
		    arena_printf(r->arena, "%lld", json_row_int(row,
		    "layer"))));
	json_object_set_new(row, "nozzle_text", farm_temp(r, row, "nozzle_c",
	    "nozzle_target_c"));
	json_object_set_new(row, "bed_text", farm_temp(r, row, "bed_c",
	    "bed_target_c"));
	json_object_set_new(row, "chamber_text", farm_temp(r, row,
	    "chamber_c", NULL));
	json_array_foreach(json_object_get(row, "slots"), i, slot) {
		color = json_row_str(slot, "color");
		json_object_set_new(slot, "swatch", json_string(
		    farm_color_ok(color) ? color : "#888888"));
		if (json_is_integer(json_object_get(slot, "remaining_pct")))
			json_object_set_new(slot, "remaining_text",
			    json_string(farm_pct(r, (double)json_row_int(slot,
			    "remaining_pct"))));
	}
	json_object_set_new(row, "has_slots", json_boolean(json_array_size(
	    json_object_get(row, "slots")) > 0));
	json_object_set_new(row, "has_errors", json_boolean(json_array_size(
	    json_object_get(row, "errors")) > 0));
	json_object_set_new(row, "devmode_off", json_boolean(json_is_false(
	    json_object_get(row, "control_ok"))));
	json_object_set_new(row, "control_known", json_string(
	    json_is_boolean(json_object_get(row, "control_ok")) ?
	    (json_is_true(json_object_get(row, "control_ok")) ? "1" : "0") :
	    ""));
	json_object_set_new(row, "can_control", json_boolean(can_control));
	all = NULL;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		why = farm_reason(r, row, cmds[i]);
		json_object_set_new(row, arena_printf(r->arena, "%s_why",
		    cmds[i]), why != NULL ? json_string(why) : json_null());
		if (why == NULL)
			all = "";
		else if (all == NULL || (*all != '\0' && i == 2))
			all = why;
	}
	/* Said once under the buttons when none of them can be used. */
	json_object_set_new(row, "why", all != NULL && *all != '\0' ?
	    json_string(all) : json_null());
}

/* The cards of the active printers (id 0) or of one printer. */
static int
farm_cards(struct req *r, long long id, json_t **rows)
{
	const char	*p;
	json_t		*row;
	size_t		 i;
	int		 can;

	p = id > 0 ? arena_printf(r->arena, "%lld", id) : NULL;
	if (db_exec(r->db, r->arena, &farm_stmts[ST_CARDS], &p, rows,
	    &r->err) != 0)
		return r->err.code;
	can = r->who.role == ROLE_OWNER || r->who.role == ROLE_STAFF;
	json_array_foreach(*rows, i, row)
		farm_dress(r, row, can);
	req_localize_times(r, *rows);
	return 0;
}

/* The page-wide keys of every page that shows cards. */
static void
farm_page_keys(struct req *r, json_t *v)
{
	json_t	*labels;
	size_t	 i;

	labels = json_object();
	json_object_set_new(labels, "lang", json_string(r->lang));
	for (i = 0; farm_label_keys[i] != NULL; i++)
		json_object_set_new(labels, farm_label_keys[i], json_string(
		    req_t(r, farm_label_keys[i])));
	json_object_set_new(v, "farm_labels", json_string(arena_json_text(
	    r->arena, labels)));
	json_decref(labels);
	json_object_set_new(v, "farm_js", json_true());
	json_object_set_new(v, "live_url", json_string("/live/sub/printers"));
	json_object_set_new(v, "can_control", json_boolean(r->who.role ==
	    ROLE_OWNER || r->who.role == ROLE_STAFF));
}

int
farm_cards_for_page(struct req *r, json_t *view)
{
	json_t	*rows;

	if (farm_cards(r, 0, &rows) != 0)
		return r->err.code;
	json_object_set(view, "printers", rows);
	json_object_set_new(view, "has_printers", json_boolean(
	    json_array_size(rows) > 0));
	farm_page_keys(r, view);
	return 0;
}

/* ---- the API ---- */

static int
farm_find(struct req *r, const char **idp)
{
	json_t	*row;

	*idp = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &farm_stmts[ST_EXISTS], idp, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such printer: %s",
		    *idp);
	return 0;
}

static int
farm_samples_rows(struct req *r, const char *id, long long hours,
    json_t **rows)
{
	const char	*p[3];

	p[0] = id;
	p[1] = arena_printf(r->arena, "%lld", hours);
	p[2] = arena_printf(r->arena, "%d", FARM_BUCKETS);
	return db_exec(r->db, r->arena, &farm_stmts[ST_SAMPLES], p, rows,
	    &r->err);
}

static int
farm_samples(struct req *r)
{
	const char	*id;
	json_t		*rows, *row;
	size_t		 i;

	if (farm_find(r, &id) != 0 ||
	    farm_samples_rows(r, id, req_int(r, "hours", 6), &rows) != 0)
		return r->err.code;
	json_array_foreach(rows, i, row)
		json_object_del(row, "t");
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "hours",
	    (json_int_t)req_int(r, "hours", 6)));
	return 0;
}

static int
farm_list(struct req *r, const struct stmt *list, const struct stmt *count)
{
	const char	*p[3];

	if (farm_find(r, &p[0]) != 0)
		return r->err.code;
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[2] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, list, count, p);
}

static int
farm_runs(struct req *r)
{
	return farm_list(r, &farm_stmts[ST_RUNS], &farm_stmts[ST_RUNS_COUNT]);
}

static int
farm_events(struct req *r)
{
	return farm_list(r, &farm_stmts[ST_EVENTS],
	    &farm_stmts[ST_EVENTS_COUNT]);
}

/* ---- the pages ---- */

static int
farm_index(struct req *r)
{
	json_t	*v;

	v = json_object();
	if (farm_cards_for_page(r, v) != 0) {
		json_decref(v);
		return r->err.code;
	}
	r->out = v;
	return 0;
}

/*
 * Polylines of one series: a new segment where samples are missing for
 * longer than gap seconds (the worker samples only while printing).
 */
static json_t *
farm_series(json_t *rows, const char *key, double t0, double t1,
    double top, double gap)
{
	struct buf	 b;
	json_t		*segs, *row;
	double		 t, v, last;
	size_t		 i;

	segs = json_array();
	buf_init(&b, 1 << 20);
	last = -1;
	json_array_foreach(rows, i, row) {
		if (!farm_known(row, key))
			continue;
		t = json_row_num(row, "t");
		v = json_row_num(row, key);
		if (last >= 0 && t - last > gap && b.len > 0) {
			json_array_append_new(segs, json_pack("{s:s%}",
			    "points", b.data, b.len));
			buf_reset(&b);
		}
		buf_printf(&b, "%s%.1f,%.1f", b.len > 0 ? " " : "",
		    (t - t0) / (t1 - t0) * FARM_CHART_W,
		    FARM_CHART_H - fmin(fmax(v, 0), top) / top * FARM_CHART_H);
		last = t;
	}
	if (b.len > 0)
		json_array_append_new(segs, json_pack("{s:s%}", "points",
		    b.data, b.len));
	buf_free(&b);
	return segs;
}

static json_t *
farm_chart(struct req *r, json_t *rows, long long hours)
{
	static const char *const keys[] = { "nozzle_c", "bed_c", "chamber_c",
	    "progress" };
	json_t		*c, *series, *row, *ticks;
	double		 t0, t1, top, gap, hi;
	size_t		 i, k;

	t1 = (double)time(NULL);
	t0 = t1 - (double)hours * 3600;
	gap = fmax(120, 3.0 * (double)hours * 3600 / FARM_BUCKETS);
	hi = 0;
	json_array_foreach(rows, i, row)
		for (k = 0; k < 3; k++)
			if (farm_known(row, keys[k]))
				hi = fmax(hi, json_row_num(row, keys[k]));
	top = fmax(100, ceil(hi / 50) * 50);
	series = json_array();
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		json_array_append_new(series, json_pack("{s:s, s:s, s:o}",
		    "key", keys[k], "label", req_t(r, arena_printf(r->arena,
		    "farm_series_%s", keys[k])), "segments", farm_series(rows,
		    keys[k], t0, t1, k == 3 ? 100 : top, gap)));
	ticks = json_array();
	for (k = 0; k <= 2; k++)
		json_array_append_new(ticks, json_pack("{s:f, s:s}", "y",
		    FARM_CHART_H - FARM_CHART_H * (double)k / 2, "text",
		    arena_printf(r->arena, "%.0f °C · %d%%", top * (double)k /
		    2, (int)k * 50)));
	c = json_pack("{s:i, s:i, s:o, s:o, s:b, s:I}", "w", FARM_CHART_W,
	    "h", FARM_CHART_H, "series", series, "ticks", ticks, "has_samples",
	    json_array_size(rows) > 0, "hours", (json_int_t)hours);
	json_object_set_new(c, "hours_1", json_boolean(hours == 1));
	json_object_set_new(c, "hours_6", json_boolean(hours == 6));
	json_object_set_new(c, "hours_24", json_boolean(hours == 24));
	return c;
}

static void
farm_dress_runs(struct req *r, json_t *runs)
{
	json_t	*row;
	size_t	 i;

	json_array_foreach(runs, i, row) {
		if (json_is_integer(json_object_get(row, "duration_s")))
			json_object_set_new(row, "duration_text", json_string(
			    farm_hmm(r, json_row_int(row, "duration_s"))));
		json_object_set_new(row, "result_label", json_string(req_t(r,
		    arena_printf(r->arena, "farm_result_%s", json_row_str(row,
		    "result")))));
	}
	req_localize_times(r, runs);
}

static void
farm_dress_events(struct req *r, json_t *events)
{
	char	 text[64];
	json_t	*row;
	size_t	 i;

	json_array_foreach(events, i, row) {
		json_object_set_new(row, "at_text", json_string(format_datetime(
		    text, sizeof(text), json_row_str(row, "at"), r->lang)));
		json_object_set_new(row, "to_label", json_string(req_t(r,
		    arena_printf(r->arena, "printers_status_%s",
		    json_row_str(row, "to_status")))));
		if (json_row_str(row, "from_status") != NULL)
			json_object_set_new(row, "from_label", json_string(
			    req_t(r, arena_printf(r->arena,
			    "printers_status_%s", json_row_str(row,
			    "from_status")))));
	}
}

static int
farm_show(struct req *r)
{
	json_t		*v, *cards, *card, *samples, *runs, *events;
	const char	*p[3];
	long long	 id, hours;

	id = req_int(r, "id", 0);
	hours = req_int(r, "hours", 6);
	if (farm_cards(r, id, &cards) != 0)
		return r->err.code;
	if ((card = json_array_get(cards, 0)) == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such printer: %lld",
		    id);
	p[0] = arena_printf(r->arena, "%lld", id);
	p[1] = arena_printf(r->arena, "%d", FARM_RUNS);
	p[2] = "0";
	if (farm_samples_rows(r, p[0], hours, &samples) != 0 ||
	    db_exec(r->db, r->arena, &farm_stmts[ST_RUNS], p, &runs,
	    &r->err) != 0)
		return r->err.code;
	p[1] = arena_printf(r->arena, "%d", FARM_EVENTS);
	if (db_exec(r->db, r->arena, &farm_stmts[ST_EVENTS], p, &events,
	    &r->err) != 0)
		return r->err.code;
	farm_dress_runs(r, runs);
	farm_dress_events(r, events);
	v = json_pack("{s:O, s:O, s:O, s:o, s:b, s:b, s:b, s:s}", "printers",
	    cards, "printer", card, "runs", runs, "chart", farm_chart(r,
	    samples, hours), "has_runs", json_array_size(runs) > 0,
	    "has_events", json_array_size(events) > 0, "nav_printers", 1,
	    "title", arena_printf(r->arena, "%s · %s", json_row_str(card,
	    "name"), req_t(r, "page_printers")));
	json_object_set(v, "events", events);
	json_object_set_new(v, "is_bambu", json_boolean(farm_is(card, "kind",
	    "bambu")));
	farm_page_keys(r, v);
	r->out = v;
	return 0;
}

/* the printer page and its samples: ?hours= of history */
static const struct param hours_params[] = {
	PARAM_ID,
	{ "hours", IN_QUERY, P_INT, 0, 1, 168, NULL },
	PARAM_END,
};

static const struct route farm_routes[] = {
	{ "GET", "/printers", farm_index, ROLE_ANY, ROUTE_PAGE, NULL,
	    "printers/index" },
	{ "GET", "/printers/{id}", farm_show, ROLE_ANY, ROUTE_PAGE,
	    hours_params, "printers/show" },
	{ "GET", "/api/v1/printers/{id}/samples", farm_samples, ROLE_ANY, 0,
	    hours_params, NULL },
	{ "GET", "/api/v1/printers/{id}/runs", farm_runs, ROLE_ANY, 0,
	    params_id_page, NULL },
	{ "GET", "/api/v1/printers/{id}/events", farm_events, ROLE_ANY, 0,
	    params_id_page, NULL },
};

const struct resource farm_resource = {
	"farm", farm_routes, sizeof(farm_routes) / sizeof(farm_routes[0]),
	farm_stmts, sizeof(farm_stmts) / sizeof(farm_stmts[0]),
};

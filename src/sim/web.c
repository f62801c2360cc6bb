/*
 * web.c -- what the simulated PrusaLink, OctoPrint and Moonraker answer.
 *
 * Paths, status codes and payload shapes follow the real devices
 * (protocols.md sections 2-4): PrusaLink wants Digest auth (user maker)
 * or X-Api-Key and answers 401 with a challenge or 403 for a bad key;
 * OctoPrint wants X-Api-Key (or Bearer, or ?apikey=) and answers 403;
 * Moonraker wants X-Api-Key and answers 401, and wraps every answer in
 * {"result": ...} or {"error": {"code", "message"}}.  A printer in the
 * badauth scenario refuses the credentials it advertises.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sim/sim.h"

void
web_json(struct sim_resp *r, int status, json_t *j)
{
	char	*s;

	r->status = status;
	r->ctype = "application/json";
	buf_reset(&r->body);
	if (j == NULL)
		return;
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_decref(j);
	if (s != NULL) {
		buf_addstr(&r->body, s);
		free(s);
	}
}

static int
is(const struct sim_req *q, const char *method, const char *path)
{
	return strcmp(q->method, method) == 0 && strcmp(q->path, path) == 0;
}

static double
round1(double v)
{
	return round(v * 10) / 10;
}

/* Bytes of the simulated file: about 40 kB per printed minute. */
static long
file_size(const struct sim_printer *p)
{
	return (long)(p->print_s / 60 * 40000) + 12345;
}

static double
filament_mm(const struct sim_printer *p)
{
	return round1(p->print_s / 60 * 180);
}

static int
key_ok(const struct sim_printer *p, const char *key)
{
	return key != NULL && strcmp(key, p->accepted) == 0;
}

/* Answers the bytes of the print file name (ftps.c), or 404. */
static int
file_bytes(struct sim_printer *p, const char *name, struct sim_resp *r)
{
	const struct sim_file	*f;

	if ((f = sim_file_find(p, name)) == NULL)
		return -1;
	r->status = 200;
	r->ctype = "application/octet-stream";
	buf_reset(&r->body);
	buf_add(&r->body, f->data, f->len);
	return 0;
}

/* ---- PrusaLink ---- */

static const char *
prusa_state(const struct sim_printer *p)
{
	switch (p->state) {
	case SIM_IDLE:		return "IDLE";
	case SIM_PREPARING:
	case SIM_PRINTING:	return "PRINTING";
	case SIM_PAUSED:	return "PAUSED";
	case SIM_FINISHED:	return "FINISHED";
	case SIM_STOPPED:	return "STOPPED";
	case SIM_ERROR:		return "ERROR";
	}
	return "UNKNOWN";
}

static void
prusa_error(struct sim_resp *r, int status, const char *title,
    const char *text)
{
	web_json(r, status, json_pack("{s:i, s:s, s:s}", "code", status,
	    "title", title, "text", text));
}

static json_t *
prusa_file(const struct sim_printer *p)
{
	char	 shortname[16], path[160];
	size_t	 i, n = 0;

	for (i = 0; p->job[i] != '\0' && n < 6; i++)
		if ((p->job[i] >= 'a' && p->job[i] <= 'z') ||
		    (p->job[i] >= 'A' && p->job[i] <= 'Z') ||
		    (p->job[i] >= '0' && p->job[i] <= '9'))
			shortname[n++] = (char)(p->job[i] >= 'a' &&
			    p->job[i] <= 'z' ? p->job[i] - 32 : p->job[i]);
	shortname[n] = '\0';
	snprintf(shortname + n, sizeof(shortname) - n, "~1.BGC");
	snprintf(path, sizeof(path), "/usb/%s", shortname);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:{s:s, s:s, s:s},"
	    " s:{s:I, s:f, s:s}}",
	    "name", shortname, "display_name", p->job, "path", "/usb",
	    "display_path", "/usb", "size", (json_int_t)file_size(p),
	    "m_timestamp", (json_int_t)p->job_started,
	    "refs", "download", path, "icon", "/thumb/s/usb/x.png",
	    "thumbnail", "/thumb/l/usb/x.png",
	    "meta", "estimated_print_time", (json_int_t)p->print_s,
	    "filament used [g]", round1(filament_mm(p) / 330),
	    "filament_type", "PLA");
}

static json_t *
prusa_job(const struct sim_printer *p)
{
	const char	*st = prusa_state(p);
	json_t		*j;

	if (strcmp(st, "IDLE") == 0)
		return NULL;
	j = json_pack("{s:i, s:s, s:f, s:I, s:I, s:b}", "id", p->job_id,
	    "state", st, "progress", sim_progress(p),
	    "time_remaining", (json_int_t)sim_remaining(p),
	    "time_printing", (json_int_t)sim_elapsed(p),
	    "inaccurate_estimates", 0);
	json_object_set_new(j, "file", prusa_file(p));
	return j;
}

static void
prusa_status(const struct sim_printer *p, struct sim_resp *r)
{
	json_t	*j, *pr;

	j = json_object();
	if (sim_has_job(p))
		json_object_set_new(j, "job", json_pack("{s:i, s:f, s:I, s:I}",
		    "id", p->job_id, "progress", sim_progress(p),
		    "time_remaining", (json_int_t)sim_remaining(p),
		    "time_printing", (json_int_t)sim_elapsed(p)));
	json_object_set_new(j, "storage", json_pack("{s:s, s:s, s:b}",
	    "path", "/usb/", "name", "usb", "read_only", 0));
	pr = json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:i, s:i}",
	    "state", prusa_state(p), "temp_bed", round1(p->bed),
	    "target_bed", p->bed_target, "temp_nozzle", round1(p->nozzle),
	    "target_nozzle", p->nozzle_target,
	    "axis_z", round1(sim_layer(p) * 0.2),
	    "flow", 100, "speed", 100,
	    "fan_hotend", p->nozzle > 50 ? 5200 : 0,
	    "fan_print", p->state == SIM_PRINTING ? 3100 : 0);
	if (p->state != SIM_PRINTING) {
		json_object_set_new(pr, "axis_x", json_real(10));
		json_object_set_new(pr, "axis_y", json_real(20));
	}
	json_object_set_new(j, "printer", pr);
	if (p->state == SIM_ERROR)
		json_object_set_new(j, "status_printer", json_pack(
		    "{s:b, s:s}", "ok", 0, "message", p->error));
	web_json(r, 200, j);
}

/* "/api/v1/job/42" + rest: 0 and *rest, or -1 when id is not numeric. */
static int
prusa_job_id(const char *path, const char *prefix, long *id,
    const char **rest)
{
	size_t	 pl = strlen(prefix);
	char	*ep;

	if (strncmp(path, prefix, pl) != 0 || path[pl] < '0' ||
	    path[pl] > '9')
		return -1;
	*id = strtol(path + pl, &ep, 10);
	*rest = ep;
	return 0;
}

static void
prusa_control(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r, long id, const char *rest)
{
	const char	*cmd;

	if (strcmp(q->method, "DELETE") == 0 && *rest == '\0')
		cmd = "stop";
	else if (strcmp(q->method, "PUT") == 0 &&
	    strcmp(rest, "/pause") == 0)
		cmd = "pause";
	else if (strcmp(q->method, "PUT") == 0 &&
	    strcmp(rest, "/resume") == 0)
		cmd = "resume";
	else if (strcmp(q->method, "GET") == 0 && *rest == '\0') {
		if (!sim_has_job(p) || id != p->job_id) {
			prusa_error(r, 404, "Not Found", "No such job.");
			return;
		}
		web_json(r, 200, prusa_job(p));
		return;
	} else {
		prusa_error(r, 404, "Not Found", "No such endpoint.");
		return;
	}
	if (!sim_has_job(p) || id != p->job_id) {
		prusa_error(r, 404, "Not Found", "No such job.");
		return;
	}
	if (sim_command(p, cmd, NULL) != 0) {
		prusa_error(r, 409, "Conflict",
		    "The printer is not in a state that allows this.");
		return;
	}
	r->status = 204;
}

/* The USB stick's root folder with its print files as children. */
static void
prusa_files(struct sim_printer *p, struct sim_resp *r)
{
	const struct sim_file	*f;
	json_t			*kids;
	char			 dl[160];
	size_t			 n, i;

	f = sim_files(p, &n);
	kids = json_array();
	for (i = 0; i < n; i++) {
		snprintf(dl, sizeof(dl), "/usb/%s", f[i].name);
		json_array_append_new(kids, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:I, s:I, s:{s:s}}", "name", f[i].name, "display_name",
		    f[i].name, "type", "PRINT_FILE", "read_only", 0,
		    "m_timestamp", (json_int_t)f[i].mtime, "size",
		    (json_int_t)f[i].len, "refs", "download", dl));
	}
	web_json(r, 200, json_pack("{s:s, s:s, s:b, s:I, s:o}", "name", "usb",
	    "type", "FOLDER", "read_only", 0, "m_timestamp",
	    (json_int_t)1763700000, "children", kids));
}

static void
prusa(struct sim_printer *p, const struct sim_req *q, struct sim_resp *r)
{
	const char	*rest;
	long		 id;
	int		 rc;
	json_t		*j;

	if (q->api_key != NULL) {
		if (!key_ok(p, q->api_key)) {
			prusa_error(r, 403, "Forbidden", "Bad X-Api-Key.");
			return;
		}
	} else if ((rc = http_digest_ok(p, q, "maker", p->accepted)) != 0) {
		http_digest_challenge(p, r, "Printer API", rc == 1);
		j = json_pack("{s:i, s:s, s:s}", "code", 401, "title",
		    "Unauthorized", "text", "Authorization required.");
		rc = r->status;
		web_json(r, rc, j);
		return;
	}
	if (is(q, "GET", "/api/version")) {
		web_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, "
		    "s:s, s:s, s:{s:b}}", "api", "2.0.0", "version", "2.1.2",
		    "server", "2.1.2", "printer", p->model,
		    "firmware", "6.1.3+8166", "nozzle_diameter", 0.4,
		    "text", "PrusaLink", "hostname", p->name,
		    "capabilities", "upload-by-put", 1));
	} else if (is(q, "GET", "/api/v1/info")) {
		web_json(r, 200, json_pack("{s:b, s:s, s:s, s:b, s:f, s:i, "
		    "s:s, s:b, s:b, s:s, s:i, s:b}", "mmu", 0, "name", p->name,
		    "location", "", "farm_mode", 0, "nozzle_diameter", 0.4,
		    "min_extrusion_temp", 170, "serial", p->serial,
		    "sd_ready", 0, "active_camera", 0, "hostname", p->name,
		    "port", p->bound_port, "network_error_chime", 0));
	} else if (is(q, "GET", "/api/v1/status")) {
		prusa_status(p, r);
	} else if (is(q, "GET", "/api/v1/job")) {
		j = prusa_job(p);
		if (j == NULL)
			r->status = 204;
		else
			web_json(r, 200, j);
	} else if (is(q, "GET", "/api/v1/files/usb/") ||
	    is(q, "GET", "/api/v1/files/usb")) {
		prusa_files(p, r);
	} else if (strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/usb/", 5) == 0) {
		if (file_bytes(p, q->path + 5, r) != 0)
			prusa_error(r, 404, "Not Found", "No such file.");
	} else if (prusa_job_id(q->path, "/api/v1/job/", &id, &rest) == 0) {
		prusa_control(p, q, r, id, rest);
	} else if (strcmp(q->method, "POST") == 0 &&
	    strncmp(q->path, "/api/v1/files/usb/", 18) == 0 &&
	    q->path[18] != '\0') {
		if (sim_command(p, "start", q->path + 18) != 0)
			prusa_error(r, 409, "Conflict", "A job is running.");
		else
			r->status = 204;
	} else
		prusa_error(r, 404, "Not Found", "No such endpoint.");
}

/* ---- OctoPrint ---- */

static const char *
octo_text(const struct sim_printer *p)
{
	switch (p->state) {
	case SIM_PREPARING:
	case SIM_PRINTING:	return "Printing";
	case SIM_PAUSED:	return "Paused";
	case SIM_ERROR:		return "Error";
	default:		return "Operational";
	}
}

static void
octo_printer(const struct sim_printer *p, struct sim_resp *r)
{
	int	printing, paused;

	if (p->state == SIM_ERROR) {
		web_json(r, 409, json_pack("{s:s}", "error",
		    "Printer is not operational"));
		return;
	}
	printing = p->state == SIM_PRINTING || p->state == SIM_PREPARING;
	paused = p->state == SIM_PAUSED;
	web_json(r, 200, json_pack("{s:{s:{s:f, s:f, s:i}, s:{s:f, s:f, "
	    "s:i}}, s:{s:b}, s:{s:s, s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b, "
	    "s:b, s:b, s:b, s:b}}}",
	    "temperature", "tool0", "actual", round1(p->nozzle), "target",
	    p->nozzle_target, "offset", 0, "bed", "actual", round1(p->bed),
	    "target", p->bed_target, "offset", 0,
	    "sd", "ready", 0,
	    "state", "text", octo_text(p), "flags", "operational", 1,
	    "printing", printing, "paused", paused, "pausing", 0,
	    "cancelling", 0, "resuming", 0, "finishing", 0, "sdReady", 0,
	    "error", 0, "ready", !printing && !paused, "closedOrError", 0));
}

static void
octo_job(const struct sim_printer *p, struct sim_resp *r)
{
	json_t	*file, *j;
	double	 done;

	if (p->job[0] == '\0')
		file = json_pack("{s:n, s:n, s:n, s:n, s:n, s:n}", "name",
		    "path", "display", "origin", "size", "date");
	else
		file = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "name",
		    p->job, "path", p->job, "display", p->job, "origin",
		    "local", "size", (json_int_t)file_size(p), "date",
		    (json_int_t)p->job_started);
	done = sim_progress(p);
	j = json_pack("{s:{s:o, s:I, s:n, s:{s:{s:f, s:f}}, s:s}, "
	    "s:{s:f, s:I, s:I, s:I, s:s}, s:s, s:n}",
	    "job", "file", file, "estimatedPrintTime", (json_int_t)p->print_s,
	    "lastPrintTime", "filament", "tool0", "length", filament_mm(p),
	    "volume", round1(filament_mm(p) * 0.0024), "user", "sim",
	    "progress", "completion", done,
	    "filepos", (json_int_t)(done / 100 * (double)file_size(p)),
	    "printTime", (json_int_t)sim_elapsed(p),
	    "printTimeLeft", (json_int_t)sim_remaining(p),
	    "printTimeLeftOrigin", "estimate",
	    "state", octo_text(p), "error");
	if (!sim_has_job(p))
		json_object_set_new(json_object_get(j, "progress"),
		    "completion", json_null());
	if (p->state == SIM_ERROR)
		json_object_set_new(j, "error", json_string(p->error));
	web_json(r, 200, j);
}

static void
octo_files(struct sim_printer *p, struct sim_resp *r)
{
	const struct sim_file	*f;
	json_t			*list;
	char			 res[300], dl[300];
	size_t			 n, i;

	f = sim_files(p, &n);
	list = json_array();
	for (i = 0; i < n; i++) {
		snprintf(res, sizeof(res), "http://%s:%d/api/files/local/%s",
		    p->host, p->bound_port, f[i].name);
		snprintf(dl, sizeof(dl), "http://%s:%d/downloads/files/local/"
		    "%s", p->host, p->bound_port, f[i].name);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, "
		    "s:[s, s], s:s, s:I, s:I, s:{s:s, s:s}}",
		    "name", f[i].name, "path", f[i].name,
		    "type", "machinecode", "typePath", "machinecode", "gcode",
		    "origin", "local", "size", (json_int_t)f[i].len,
		    "date", (json_int_t)f[i].mtime, "refs", "resource", res,
		    "download", dl));
	}
	web_json(r, 200, json_pack("{s:o, s:I, s:I}", "files", list,
	    "free", (json_int_t)3200000000LL, "total",
	    (json_int_t)15000000000LL));
}

static json_t *
body_json(const struct sim_req *q)
{
	return json_loadb(q->body, q->bodylen, 0, NULL);
}

static void
octo_command(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r)
{
	json_t		*b;
	const char	*cmd, *action, *what = NULL;

	b = body_json(q);
	cmd = json_string_value(json_object_get(b, "command"));
	action = json_string_value(json_object_get(b, "action"));
	if (cmd == NULL) {
		web_json(r, 400, json_pack("{s:s}", "error",
		    "Expected a JSON body with a command"));
	} else if (strcmp(cmd, "pause") == 0) {
		if (action == NULL || strcmp(action, "toggle") == 0)
			what = p->state == SIM_PAUSED ? "resume" : "pause";
		else if (strcmp(action, "pause") == 0 ||
		    strcmp(action, "resume") == 0)
			what = action;
		else
			web_json(r, 400, json_pack("{s:s}", "error",
			    "Unknown action"));
	} else if (strcmp(cmd, "cancel") == 0)
		what = "stop";
	else if (strcmp(cmd, "start") == 0)
		what = "start";
	else
		web_json(r, 400, json_pack("{s:s}", "error",
		    "Unknown command"));
	if (what != NULL) {
		if (sim_command(p, what, p->job[0] != '\0' ? p->job :
		    NULL) != 0)
			web_json(r, 409, json_pack("{s:s}", "error",
			    "Printer is not in a state that allows this"));
		else
			r->status = 204;
	}
	json_decref(b);
}

static void
octo(struct sim_printer *p, const struct sim_req *q, struct sim_resp *r)
{
	char		 qkey[128], bearer[128];
	const char	*key = q->api_key;
	json_t		*b;

	if (key == NULL && q->authorization != NULL &&
	    strncasecmp(q->authorization, "Bearer ", 7) == 0) {
		snprintf(bearer, sizeof(bearer), "%s", q->authorization + 7);
		key = bearer;
	}
	if (key == NULL)
		key = http_query(q->query, "apikey", qkey, sizeof(qkey));
	if (!key_ok(p, key)) {
		web_json(r, 403, json_pack("{s:s}", "error", "You don't have "
		    "the permission to access the requested resource."));
		return;
	}
	if (is(q, "GET", "/api/version"))
		web_json(r, 200, json_pack("{s:s, s:s, s:s}", "api", "0.1",
		    "server", "1.10.3", "text", "OctoPrint 1.10.3"));
	else if (is(q, "GET", "/api/printer"))
		octo_printer(p, r);
	else if (is(q, "GET", "/api/job"))
		octo_job(p, r);
	else if (is(q, "POST", "/api/job"))
		octo_command(p, q, r);
	else if (is(q, "GET", "/api/files") ||
	    is(q, "GET", "/api/files/local"))
		octo_files(p, r);
	else if (strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/downloads/files/local/", 23) == 0) {
		if (file_bytes(p, q->path + 23, r) != 0)
			web_json(r, 404, json_pack("{s:s}", "error",
			    "File not found"));
	}
	else if (strcmp(q->method, "POST") == 0 &&
	    strncmp(q->path, "/api/files/local/", 17) == 0) {
		b = body_json(q);
		if (json_is_true(json_object_get(b, "print")) &&
		    sim_command(p, "start", q->path + 17) != 0)
			web_json(r, 409, json_pack("{s:s}", "error",
			    "Printer is busy"));
		else
			r->status = 204;
		json_decref(b);
	} else
		web_json(r, 404, json_pack("{s:s}", "error", "Not found"));
}

/* ---- Moonraker ---- */

static const char *
moon_state(const struct sim_printer *p)
{
	switch (p->state) {
	case SIM_IDLE:		return "standby";
	case SIM_PREPARING:
	case SIM_PRINTING:	return "printing";
	case SIM_PAUSED:	return "paused";
	case SIM_FINISHED:	return "complete";
	case SIM_STOPPED:	return "cancelled";
	case SIM_ERROR:		return "error";
	}
	return "standby";
}

static void
moon_error(struct sim_resp *r, int status, const char *msg)
{
	web_json(r, status, json_pack("{s:{s:i, s:s}}", "error", "code",
	    status, "message", msg));
}

static void
moon_result(struct sim_resp *r, json_t *j)
{
	web_json(r, 200, json_pack("{s:o}", "result", j));
}

static json_t *
moon_objects(const struct sim_printer *p)
{
	double	 prog = sim_progress(p) / 100;
	int	 active = p->state == SIM_PRINTING;
	char	 path[200];

	snprintf(path, sizeof(path), "/home/pi/printer_data/gcodes/%s",
	    p->job);
	return json_pack("{s:{s:s, s:f, s:f, s:f, s:s, s:s, s:{s:i, s:i}}, "
	    "s:{s:s?, s:f, s:b, s:I, s:I}, s:{s:s, s:f}, "
	    "s:{s:f, s:f, s:f, s:b, s:f, s:f}, s:{s:f, s:f, s:f}, "
	    "s:{s:s, s:s}, s:{s:s, s:f}, s:{s:[f, f, f, f], s:s, s:s}, "
	    "s:{s:f}}",
	    "print_stats", "filename", p->job,
	    "total_duration", (double)sim_elapsed(p),
	    "print_duration", round1(p->printed_s),
	    "filament_used", round1(filament_mm(p) * prog),
	    "state", moon_state(p),
	    "message", p->state == SIM_ERROR ? p->error : "",
	    "info", "total_layer", p->layers, "current_layer", sim_layer(p),
	    "virtual_sdcard", "file_path", sim_has_job(p) ? path : NULL,
	    "progress", prog, "is_active", active,
	    "file_position", (json_int_t)(prog * (double)file_size(p)),
	    "file_size", (json_int_t)(sim_has_job(p) ? file_size(p) : 0),
	    "display_status", "message", "", "progress", prog,
	    "extruder", "temperature", round1(p->nozzle), "target",
	    p->nozzle_target, "power", p->nozzle_target > 0 ? 0.42 : 0.0,
	    "can_extrude", p->nozzle > 170, "pressure_advance", 0.04,
	    "smooth_time", 0.04,
	    "heater_bed", "temperature", round1(p->bed), "target",
	    p->bed_target, "power", p->bed_target > 0 ? 0.3 : 0.0,
	    "webhooks", "state", "ready", "state_message",
	    "Printer is ready",
	    "idle_timeout", "state", active ? "Printing" : "Idle",
	    "printing_time", round1(p->printed_s),
	    "toolhead", "position", 120.0, 110.0, round1(sim_layer(p) * 0.2),
	    1234.5, "extruder", "extruder", "homed_axes",
	    sim_has_job(p) ? "xyz" : "",
	    "fan", "speed", active ? 0.8 : 0.0);
}

/* Copies the wanted fields of each asked object (NULL: all fields). */
static void
moon_pick(json_t *status, json_t *all, const char *obj, json_t *fields)
{
	json_t		*src, *dst, *f;
	size_t		 i;
	const char	*name;

	src = json_object_get(all, obj);
	if (src == NULL)
		return;
	if (fields == NULL || !json_is_array(fields) ||
	    json_array_size(fields) == 0) {
		json_object_set(status, obj, src);
		return;
	}
	dst = json_object();
	json_array_foreach(fields, i, f) {
		name = json_string_value(f);
		if (name != NULL && json_object_get(src, name) != NULL)
			json_object_set(dst, name, json_object_get(src, name));
	}
	json_object_set_new(status, obj, dst);
}

static void
moon_query(const struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r)
{
	json_t		*all, *status, *b, *objs, *v, *fields;
	const char	*s, *e, *eq, *key;
	char		 name[64], list[512], *tok, *save;
	size_t		 n;

	all = moon_objects(p);
	status = json_object();
	if (strcmp(q->method, "POST") == 0) {
		b = body_json(q);
		objs = json_object_get(b, "objects");
		json_object_foreach(objs, key, v)
			moon_pick(status, all, key, json_is_array(v) ? v :
			    NULL);
		json_decref(b);
	} else {
		for (s = q->query; *s != '\0'; s = *e == '&' ? e + 1 : e) {
			e = strchr(s, '&');
			if (e == NULL)
				e = s + strlen(s);
			eq = memchr(s, '=', (size_t)(e - s));
			n = (size_t)((eq != NULL ? eq : e) - s);
			if (n == 0 || n >= sizeof(name))
				continue;
			memcpy(name, s, n);
			name[n] = '\0';
			fields = NULL;
			if (eq != NULL && eq + 1 < e &&
			    http_query(s, name, list, sizeof(list)) != NULL) {
				fields = json_array();
				for (tok = strtok_r(list, ",", &save);
				    tok != NULL; tok = strtok_r(NULL, ",",
				    &save))
					json_array_append_new(fields,
					    json_string(tok));
			}
			moon_pick(status, all, name, fields);
			json_decref(fields);
		}
	}
	json_decref(all);
	moon_result(r, json_pack("{s:f, s:o}", "eventtime",
	    round(sim_now() * 1000) / 1000, "status", status));
}

static void
moon_control(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r, const char *what)
{
	char	file[200];

	if (strcmp(what, "start") == 0) {
		if (http_query(q->query, "filename", file, sizeof(file)) ==
		    NULL || file[0] == '\0') {
			moon_error(r, 400, "No value for argument 'filename'");
			return;
		}
		if (sim_command(p, "start", file) != 0) {
			moon_error(r, 400, "Printer is busy");
			return;
		}
	} else if (sim_command(p, strcmp(what, "cancel") == 0 ? "stop" : what,
	    NULL) != 0) {
		moon_error(r, 400, strcmp(what, "resume") == 0 ?
		    "Print is not paused, resume aborted" :
		    "No print in progress");
		return;
	}
	moon_result(r, json_string("ok"));
}

static void
moon_files(struct sim_printer *p, struct sim_resp *r)
{
	const struct sim_file	*f;
	json_t			*list;
	size_t			 n, i;

	f = sim_files(p, &n);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:f, s:I, s:s}",
		    "path", f[i].name, "modified", (double)f[i].mtime + 0.5,
		    "size", (json_int_t)f[i].len, "permissions", "rw"));
	moon_result(r, list);
}

static void
moonraker(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r)
{
	if (p->accepted[0] != '\0' && !key_ok(p, q->api_key)) {
		moon_error(r, 401, "Unauthorized");
		return;
	}
	if (is(q, "GET", "/server/info"))
		moon_result(r, json_pack("{s:b, s:s, s:[s, s, s, s], s:[], "
		    "s:[s, s], s:[], s:i, s:s, s:[i, i, i], s:s}",
		    "klippy_connected", 1, "klippy_state", "ready",
		    "components", "server", "file_manager", "history",
		    "machine", "failed_components", "registered_directories",
		    "config", "gcodes", "warnings", "websocket_count", 0,
		    "moonraker_version", "v0.9.3-sim", "api_version", 1, 5, 0,
		    "api_version_string", "1.5.0"));
	else if (is(q, "GET", "/printer/info"))
		moon_result(r, json_pack("{s:s, s:s, s:s, s:s}", "state",
		    "ready", "state_message", "Printer is ready", "hostname",
		    p->name, "software_version", "v0.12.0-sim"));
	else if (is(q, "GET", "/printer/objects/list"))
		moon_result(r, json_pack("{s:[s, s, s, s, s, s, s, s, s]}",
		    "objects", "print_stats", "virtual_sdcard",
		    "display_status", "extruder", "heater_bed", "webhooks",
		    "idle_timeout", "toolhead", "fan"));
	else if (is(q, "GET", "/printer/objects/query") ||
	    is(q, "POST", "/printer/objects/query"))
		moon_query(p, q, r);
	else if (is(q, "POST", "/printer/print/pause"))
		moon_control(p, q, r, "pause");
	else if (is(q, "POST", "/printer/print/resume"))
		moon_control(p, q, r, "resume");
	else if (is(q, "POST", "/printer/print/cancel"))
		moon_control(p, q, r, "cancel");
	else if (is(q, "POST", "/printer/print/start"))
		moon_control(p, q, r, "start");
	else if (is(q, "GET", "/server/files/list"))
		moon_files(p, r);
	else if (strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/server/files/gcodes/", 21) == 0) {
		if (file_bytes(p, q->path + 21, r) != 0)
			moon_error(r, 404, "File does not exist");
	}
	else
		moon_error(r, 404, "Not Found");
}

void
web_handle(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r)
{
	r->status = 500;
	switch (p->kind) {
	case SIM_PRUSALINK:
		prusa(p, q, r);
		break;
	case SIM_OCTOPRINT:
		octo(p, q, r);
		break;
	case SIM_MOONRAKER:
		moonraker(p, q, r);
		break;
	default:
		r->status = 404;
		break;
	}
}

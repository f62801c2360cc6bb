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
 *
 * Uploads, stored by sim_file_put (ftps.c) in the root folder only:
 * PrusaLink PUT /api/v1/files/usb/NAME (raw bytes, Print-After-Upload
 * and Overwrite as RFC 8941 booleans), OctoPrint POST /api/files/local
 * and Moonraker POST /server/files/upload (multipart/form-data, split by
 * multipart.c).  A refused upload stores nothing.  File names in paths
 * are URL-decoded; names in URLs we answer are URL-encoded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "parse/multipart.h"
#include "sim/sim.h"

/* What a form may add to the file it carries (boundaries, fields). */
#define FORM_SLACK	65536

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

size_t
web_body_max(const struct sim_printer *p, const char *method,
    const char *path)
{
	size_t	file, form;

	file = p->upload_max < SIM_HTTP_UPLOAD_MAX ? p->upload_max :
	    SIM_HTTP_UPLOAD_MAX;
	form = file + FORM_SLACK < SIM_HTTP_UPLOAD_MAX ? file + FORM_SLACK :
	    SIM_HTTP_UPLOAD_MAX;
	if (p->kind == SIM_PRUSALINK && strcmp(method, "PUT") == 0 &&
	    strncmp(path, "/api/v1/files/", 14) == 0)
		return file;
	if (p->kind == SIM_OCTOPRINT && strcmp(method, "POST") == 0 &&
	    strcmp(path, "/api/files/local") == 0)
		return form;
	if (p->kind == SIM_MOONRAKER && strcmp(method, "POST") == 0 &&
	    strcmp(path, "/server/files/upload") == 0)
		return form;
	return SIM_BODY_MAX;
}

/* The file of that name as listed (its bytes not read), or NULL. */
static const struct sim_file *
file_entry(struct sim_printer *p, const char *name)
{
	const struct sim_file	*f;
	size_t			 n, i;

	f = sim_files(p, &n);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/* name with every byte but A-Z a-z 0-9 - . _ ~ as %XX. */
static void
url_escape(const char *name, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 n = 0;

	for (; *s != '\0' && n + 4 < outlen; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_' || *s == '~')
			out[n++] = (char)*s;
		else {
			out[n++] = '%';
			out[n++] = hex[*s >> 4];
			out[n++] = hex[*s & 15];
		}
	}
	out[n] = '\0';
}

/*
 * An RFC 8941 boolean header: 1 for ?1, 0 for ?0 or no header, -1 for
 * anything else.
 */
static int
sf_bool(const struct sim_req *q, const char *name)
{
	char	v[16];

	if (sim_header(q, name, v, sizeof(v)) == NULL)
		return 0;
	if (strcmp(v, "?1") == 0)
		return 1;
	return strcmp(v, "?0") == 0 ? 0 : -1;
}

/* The value of form field name, or NULL (none, or longer than outlen). */
static const char *
form_value(const struct form_part *parts, int n, const char *name, char *out,
    size_t outlen)
{
	const struct form_part	*v;

	if ((v = form_field(parts, n, name)) == NULL || v->len >= outlen)
		return NULL;
	memcpy(out, v->data, v->len);
	out[v->len] = '\0';
	return out;
}

/* 1 when form field name is a true value ("true", "yes", "y", "1"). */
static int
form_true(const struct form_part *parts, int n, const char *name)
{
	char	v[8];

	if (form_value(parts, n, name, v, sizeof(v)) == NULL)
		return 0;
	return strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "y") == 0 || strcmp(v, "1") == 0;
}

/* 1 when form field path names a folder (the root is no folder). */
static int
form_folder(const struct form_part *parts, int n)
{
	char	v[8];

	if (form_field(parts, n, "path") == NULL)
		return 0;
	return form_value(parts, n, "path", v, sizeof(v)) == NULL ||
	    (v[0] != '\0' && strcmp(v, "/") != 0);
}

/* Answers the bytes of the print file name (ftps.c), or 404. */
static int
file_bytes(struct sim_printer *p, const char *path, struct sim_resp *r)
{
	const struct sim_file	*f;
	char			 name[SIM_NAME_MAX];

	if (http_unescape(path, name, sizeof(name)) != 0 ||
	    (f = sim_file_find(p, name)) == NULL)
		return -1;
	r->status = 200;
	r->ctype = "application/octet-stream";
	buf_reset(&r->body);
	if (buf_add(&r->body, f->data, f->len) != 0) {
		buf_reset(&r->body);
		r->status = 500;
	}
	return 0;
}

/*
 * Stores an upload (sim_file_put); 0, or the HTTP status that refuses
 * it, with why.
 */
static int
put_file(struct sim_printer *p, const char *name, const void *data,
    size_t len, char *why, size_t whylen)
{
	switch (sim_file_put(p, name, data, len, why, whylen)) {
	case SIM_PUT_OK:
		return 0;
	case SIM_PUT_NAME:
		return 400;
	case SIM_PUT_SIZE:
		return 413;
	case SIM_PUT_FULL:
		return 507;
	default:
		return 500;
	}
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
	char			 dl[SIM_NAME_MAX * 3 + 8];
	char			 enc[SIM_NAME_MAX * 3];
	size_t			 n, i;

	f = sim_files(p, &n);
	kids = json_array();
	for (i = 0; i < n; i++) {
		url_escape(f[i].name, enc, sizeof(enc));
		snprintf(dl, sizeof(dl), "/usb/%s", enc);
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

/* PUT /api/v1/files/usb/NAME: the body is the file. */
static void
prusa_upload(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r, const char *rest)
{
	char	name[SIM_NAME_MAX * 3], why[256], ct[128];
	int	print, over, rc, st;

	if (!q->has_length) {
		prusa_error(r, 411, "Length Required",
		    "Content-Length is required.");
		return;
	}
	if (sf_bool(q, "Create-Folder") != 0) {
		prusa_error(r, 400, "Bad Request",
		    "The simulated printer has no folders.");
		return;
	}
	if (sim_header(q, "Content-Type", ct, sizeof(ct)) != NULL &&
	    strncasecmp(ct, "application/octet-stream", 24) != 0) {
		prusa_error(r, 415, "Unsupported Media Type",
		    "Send the file as application/octet-stream.");
		return;
	}
	if (http_unescape(rest, name, sizeof(name)) != 0) {
		prusa_error(r, 400, "Bad Request", "Bad file name.");
		return;
	}
	if ((rc = sim_file_name_ok(name, why, sizeof(why))) != 0) {
		if (rc == -2)
			prusa_error(r, 415, "Unsupported Media Type", why);
		else
			prusa_error(r, 400, "Bad Request", why);
		return;
	}
	print = sf_bool(q, "Print-After-Upload");
	over = sf_bool(q, "Overwrite");
	if (print < 0 || over < 0) {
		prusa_error(r, 400, "Bad Request", "Print-After-Upload and "
		    "Overwrite take ?0 or ?1.");
		return;
	}
	if (print && sim_busy(p)) {
		prusa_error(r, 409, "Conflict", "The printer is busy.");
		return;
	}
	if (sim_busy(p) && strcmp(p->job, name) == 0) {
		prusa_error(r, 409, "Conflict", "The file is being printed.");
		return;
	}
	if (!over && file_entry(p, name) != NULL) {
		prusa_error(r, 409, "Conflict", "The file already exists.");
		return;
	}
	if ((st = put_file(p, name, q->body, q->bodylen, why, sizeof(why))) != 0) {
		prusa_error(r, st, st == 400 ? "Bad Request" : st == 413 ?
		    "Payload Too Large" : st == 507 ? "Insufficient Storage" :
		    "Internal Server Error", why);
		return;
	}
	if (print)
		sim_command(p, "start", name);
	r->status = 201;
}

/* POST (start printing it) or DELETE /api/v1/files/usb/NAME. */
static void
prusa_file_cmd(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r, const char *rest)
{
	char	name[SIM_NAME_MAX * 3];

	if (http_unescape(rest, name, sizeof(name)) != 0) {
		prusa_error(r, 404, "Not Found", "No such file.");
		return;
	}
	if (strcmp(q->method, "POST") == 0) {
		if (sim_command(p, "start", name) != 0)
			prusa_error(r, 409, "Conflict", "A job is running.");
		else
			r->status = 204;
		return;
	}
	if (sim_busy(p) && strcmp(p->job, name) == 0)
		prusa_error(r, 409, "Conflict", "The file is being printed.");
	else if (sim_file_delete(p, name) != 0)
		prusa_error(r, 404, "Not Found", "No such file.");
	else
		r->status = 204;
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
	} else if (strcmp(q->method, "PUT") == 0 &&
	    strncmp(q->path, "/api/v1/files/usb/", 18) == 0 &&
	    q->path[18] != '\0') {
		prusa_upload(p, q, r, q->path + 18);
	} else if ((strcmp(q->method, "POST") == 0 ||
	    strcmp(q->method, "DELETE") == 0) &&
	    strncmp(q->path, "/api/v1/files/usb/", 18) == 0 &&
	    q->path[18] != '\0') {
		prusa_file_cmd(p, q, r, q->path + 18);
	} else if (strcmp(q->method, "PUT") == 0 &&
	    strncmp(q->path, "/api/v1/files/", 14) == 0) {
		prusa_error(r, 404, "Not Found", "No such storage.");
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
	char			 res[600], dl[600], enc[SIM_NAME_MAX * 3];
	size_t			 n, i;

	f = sim_files(p, &n);
	list = json_array();
	for (i = 0; i < n; i++) {
		url_escape(f[i].name, enc, sizeof(enc));
		snprintf(res, sizeof(res), "http://%s:%d/api/files/local/%s",
		    p->host, p->bound_port, enc);
		snprintf(dl, sizeof(dl), "http://%s:%d/downloads/files/local/"
		    "%s", p->host, p->bound_port, enc);
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
octo_error(struct sim_resp *r, int status, const char *msg)
{
	web_json(r, status, json_pack("{s:s}", "error", msg));
}

/* POST /api/files/local: a multipart form with the file. */
static void
octo_upload(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r)
{
	struct form_part		 parts[FORM_PARTS_MAX];
	const struct form_part	*file;
	char			 ct[512], why[256], msg[400];
	char			 name[SIM_NAME_MAX], enc[SIM_NAME_MAX * 3];
	char			 res[600], dl[600];
	int			 n, rc, print, sel, st;

	if (sim_header(q, "Content-Type", ct, sizeof(ct)) == NULL)
		ct[0] = '\0';
	if ((n = form_split(ct, q->body, q->bodylen, parts,
	    FORM_PARTS_MAX, why, sizeof(why))) < 0) {
		octo_error(r, 400, why);
		return;
	}
	file = form_field(parts, n, "file");
	if (file == NULL || !file->has_filename) {
		octo_error(r, 400, form_field(parts, n, "foldername") !=
		    NULL ? "The simulated printer has no folders" :
		    "No file to upload and no folder to create");
		return;
	}
	if (form_folder(parts, n)) {
		octo_error(r, 400, "The simulated printer has no folders");
		return;
	}
	if (strlen(file->filename) >= sizeof(name)) {
		octo_error(r, 400, "The file name is too long");
		return;
	}
	snprintf(name, sizeof(name), "%s", file->filename);
	if ((rc = sim_file_name_ok(name, why, sizeof(why))) != 0) {
		if (rc == -2) {
			snprintf(msg, sizeof(msg), "Could not upload the file "
			    "\"%s\", invalid type", name);
			octo_error(r, 415, msg);
		} else
			octo_error(r, 400, why);
		return;
	}
	print = form_true(parts, n, "print");
	sel = print || form_true(parts, n, "select");
	if (sel && sim_busy(p)) {
		octo_error(r, 409, "Printer is busy, cannot select or print");
		return;
	}
	if (sim_busy(p) && strcmp(p->job, name) == 0) {
		octo_error(r, 409, "Trying to overwrite file that is currently "
		    "being printed");
		return;
	}
	if ((st = put_file(p, name, file->data, file->len, why, sizeof(why))) != 0) {
		octo_error(r, st, why);
		return;
	}
	if (print)
		sim_command(p, "start", name);
	else if (sel)
		sim_command(p, "select", name);
	url_escape(name, enc, sizeof(enc));
	snprintf(res, sizeof(res), "http://%s:%d/api/files/local/%s",
	    p->host, p->bound_port, enc);
	snprintf(dl, sizeof(dl), "http://%s:%d/downloads/files/local/%s",
	    p->host, p->bound_port, enc);
	buf_printf(&r->headers, "Location: %s\r\n", res);
	web_json(r, 201, json_pack("{s:{s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}}}, "
	    "s:b, s:b, s:b}", "files", "local", "name", name, "display", name,
	    "path", name, "origin", "local", "refs", "resource", res,
	    "download", dl, "done", 1, "effectiveSelect", sel,
	    "effectivePrint", print));
}

static void
octo(struct sim_printer *p, const struct sim_req *q, struct sim_resp *r)
{
	char		 qkey[128], bearer[128], name[SIM_NAME_MAX * 3];
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
	else if (is(q, "POST", "/api/files/local"))
		octo_upload(p, q, r);
	else if (strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/downloads/files/local/", 23) == 0) {
		if (file_bytes(p, q->path + 23, r) != 0)
			web_json(r, 404, json_pack("{s:s}", "error",
			    "File not found"));
	}
	else if (strcmp(q->method, "POST") == 0 &&
	    strncmp(q->path, "/api/files/local/", 17) == 0) {
		b = body_json(q);
		if (http_unescape(q->path + 17, name, sizeof(name)) != 0)
			octo_error(r, 404, "File not found");
		else if (json_is_true(json_object_get(b, "print")) &&
		    sim_command(p, "start", name) != 0)
			web_json(r, 409, json_pack("{s:s}", "error",
			    "Printer is busy"));
		else
			r->status = 204;
		json_decref(b);
	} else if (strcmp(q->method, "DELETE") == 0 &&
	    strncmp(q->path, "/api/files/local/", 17) == 0) {
		if (http_unescape(q->path + 17, name, sizeof(name)) != 0)
			octo_error(r, 404, "File not found");
		else if (sim_busy(p) && strcmp(p->job, name) == 0)
			octo_error(r, 409, "Trying to delete a file that is "
			    "currently being printed");
		else if (sim_file_delete(p, name) != 0)
			octo_error(r, 404, "File not found");
		else
			r->status = 204;
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
		    "path", f[i].name, "modified", (double)f[i].mtime +
		    (double)f[i].mtime_ns / 1e9,
		    "size", (json_int_t)f[i].len, "permissions", "rw"));
	moon_result(r, list);
}

static json_t *
moon_item(const struct sim_file *f)
{
	return json_pack("{s:s, s:s, s:f, s:I, s:s}", "path", f->name,
	    "root", "gcodes", "modified", (double)f->mtime +
	    (double)f->mtime_ns / 1e9, "size", (json_int_t)f->len,
	    "permissions", "rw");
}

/* The SHA-256 of d as 64 lower-case hex digits. */
static void
sha256_hex(const void *d, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;

	EVP_Digest(d, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* POST /server/files/upload: a multipart form with the file. */
static void
moon_upload(struct sim_printer *p, const struct sim_req *q,
    struct sim_resp *r)
{
	struct form_part		 parts[FORM_PARTS_MAX];
	const struct form_part	*file;
	const struct sim_file	*f;
	char			 ct[512], why[256], msg[400], root[16];
	char			 sum[80], calc[65], name[SIM_NAME_MAX];
	char			 enc[SIM_NAME_MAX * 3];
	int			 n, started = 0, st;

	if (sim_header(q, "Content-Type", ct, sizeof(ct)) == NULL)
		ct[0] = '\0';
	if ((n = form_split(ct, q->body, q->bodylen, parts,
	    FORM_PARTS_MAX, why, sizeof(why))) < 0) {
		moon_error(r, 400, why);
		return;
	}
	file = form_field(parts, n, "file");
	if (file == NULL || !file->has_filename) {
		moon_error(r, 400, "No file name specified in upload form");
		return;
	}
	if (form_field(parts, n, "root") != NULL &&
	    (form_value(parts, n, "root", root, sizeof(root)) == NULL ||
	    strcmp(root, "gcodes") != 0)) {
		moon_error(r, 400, "Only the root gcodes takes uploads");
		return;
	}
	if (form_folder(parts, n)) {
		moon_error(r, 400, "The simulated printer has no folders");
		return;
	}
	if (strlen(file->filename) >= sizeof(name)) {
		moon_error(r, 400, "The file name is too long");
		return;
	}
	snprintf(name, sizeof(name), "%s", file->filename);
	if (sim_file_name_ok(name, why, sizeof(why)) != 0) {
		moon_error(r, 400, why);
		return;
	}
	if (form_field(parts, n, "checksum") != NULL) {
		sha256_hex(file->data, file->len, calc);
		if (form_value(parts, n, "checksum", sum, sizeof(sum)) ==
		    NULL || strcasecmp(sum, calc) != 0) {
			snprintf(msg, sizeof(msg), "File checksum mismatch: "
			    "expected %s, calculated %s", form_value(parts, n,
			    "checksum", sum, sizeof(sum)) != NULL ? sum : "?",
			    calc);
			moon_error(r, 422, msg);
			return;
		}
	}
	if ((st = put_file(p, name, file->data, file->len, why, sizeof(why))) != 0) {
		moon_error(r, st, why);
		return;
	}
	/* a busy printer keeps the file and does not start it */
	if (form_true(parts, n, "print") && sim_command(p, "start", name) == 0)
		started = 1;
	if ((f = file_entry(p, name)) == NULL) {
		moon_error(r, 500, "The upload vanished");
		return;
	}
	url_escape(name, enc, sizeof(enc));
	buf_printf(&r->headers, "Location: /server/files/gcodes/%s\r\n", enc);
	web_json(r, 201, json_pack("{s:{s:o, s:b, s:b, s:s}}", "result",
	    "item", moon_item(f), "print_started", started, "print_queued", 0,
	    "action", "create_file"));
}

/* DELETE /server/files/gcodes/NAME */
static void
moon_delete(struct sim_printer *p, const char *path, struct sim_resp *r)
{
	const struct sim_file	*f;
	json_t			*item;
	char			 name[SIM_NAME_MAX];

	if (http_unescape(path, name, sizeof(name)) != 0 ||
	    (f = file_entry(p, name)) == NULL) {
		moon_error(r, 404, "File does not exist");
		return;
	}
	item = moon_item(f);
	if (sim_file_delete(p, name) != 0) {
		json_decref(item);
		moon_error(r, 404, "File does not exist");
		return;
	}
	moon_result(r, json_pack("{s:o, s:s}", "item", item, "action",
	    "delete_file"));
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
	else if (is(q, "POST", "/server/files/upload"))
		moon_upload(p, q, r);
	else if (strcmp(q->method, "GET") == 0 &&
	    strncmp(q->path, "/server/files/gcodes/", 21) == 0) {
		if (file_bytes(p, q->path + 21, r) != 0)
			moon_error(r, 404, "File does not exist");
	} else if (strcmp(q->method, "DELETE") == 0 &&
	    strncmp(q->path, "/server/files/gcodes/", 21) == 0)
		moon_delete(p, q->path + 21, r);
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

/*
 * printer_files.c -- the files stored on a printer, as the telemetry
 * worker last listed them, and the copies it downloaded:
 * GET /api/v1/printers/{id}/files, POST .../files/refresh and
 * .../files/download, GET /api/v1/printer-files/{fid}/thumbnail and
 * /content, and the file browser page /printers/{id}/files.
 *
 * Refresh and download queue a printer command (`files`, `download`)
 * that the worker (printers/files.c) carries out, and wait for it up to
 * COMMANDS_WAIT_MS (domain/commands.c commits the request's transaction
 * first): 200 with the result when it ended in time, 202 with the
 * command to poll otherwise.  A
 * download names a path of the stored listing (404 otherwise).
 *
 * Invariants: nothing here talks to a printer; the file store is only
 * read, at the path the worker recorded under file_store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/commands.h"
#include "http/req.h"
#include "res/record.h"


#define PF_COLUMNS \
	"f.id, f.printer_id, f.path, f.name, f.size, f.modified_at, " \
	"f.listed_at, f.gone_at IS NOT NULL AS gone, f.file_sha256 AS sha256, " \
	"f.file_size, f.downloaded_at, f.file_sha256 IS NOT NULL AS " \
	"downloaded, f.est_seconds, f.grams, f.slicer, f.thumbnail IS NOT " \
	"NULL AS has_thumbnail, f.thumbnail_type"

static const struct stmt pf_stmts[] = {
	{ "pf_printer",
	  "SELECT id, name, kind::text AS kind, active FROM printers "
	  "WHERE id = $1", 1 },
	{ "pf_list",
	  "SELECT " PF_COLUMNS " FROM printer_files f WHERE f.printer_id = $1 "
	  "AND ($2::boolean OR f.gone_at IS NULL) ORDER BY f.modified_at DESC "
	  "NULLS LAST, f.id DESC LIMIT $3 OFFSET $4", 4 },
	{ "pf_count",
	  "SELECT count(*) AS n FROM printer_files WHERE printer_id = $1 AND "
	  "($2::boolean OR gone_at IS NULL)", 2 },
	{ "pf_find",
	  "SELECT " PF_COLUMNS " FROM printer_files f WHERE f.printer_id = $1 "
	  "AND f.path = $2", 2 },
	{ "pf_one",
	  "SELECT " PF_COLUMNS ", f.file_path FROM printer_files f "
	  "WHERE f.id = $1", 1 },
	{ "pf_thumb",
	  "SELECT encode(thumbnail, 'hex') AS hex, thumbnail_type FROM "
	  "printer_files WHERE id = $1 AND thumbnail IS NOT NULL", 1 },
};

enum {
	ST_PRINTER, ST_LIST, ST_COUNT, ST_FIND, ST_ONE, ST_THUMB
};

static const char *
pf_id(struct req *r, const char *name)
{
	return arena_printf(r->arena, "%lld", req_int(r, name, 0));
}

/* The printer of the path's {id}, or 404. */
static int
pf_printer(struct req *r, json_t **row)
{
	return record_find(r, &pf_stmts[ST_PRINTER], req_int(r, "id", 0),
	    "printer", row);
}

/* ---- commands (domain/commands.c) ---- */

static int
pf_queue(struct req *r, long long printer_id, const char *command,
    json_t *args, long long *id)
{
	if (commands_queue(r->db, r->arena, printer_id, command, args,
	    req_actor(r), id, &r->err) != 0)
		return r->err.code;
	return req_audit(r, "queue", "printer_command",
	    arena_printf(r->arena, "%lld", *id), NULL, json_pack("{s:s, s:O}",
	    "command", command, "args", args));
}

static int
pf_wait(struct req *r, long long id, json_t **row)
{
	return commands_wait(r->db, r->arena, id, COMMANDS_WAIT_MS, row,
	    &r->err);
}

static int
pf_ended(json_t *cmd)
{
	const char	*st = json_row_str(cmd, "status");

	return st != NULL && commands_final(st);
}

/*
 * Queues `command` for the path's printer ("download": of the body's
 * path, which must be in its stored list) and waits for the worker; *cmd
 * is the command as last seen (not ended yet after the wait: pending).
 */
static int
pf_run(struct req *r, const char *command, json_t **cmd)
{
	json_t		*printer, *file, *args;
	const char	*prm[2];
	long long	 id;
	int		 rc;

	if (pf_printer(r, &printer) != 0)
		return r->err.code;
	if (strcmp(command, "download") == 0) {
		prm[0] = pf_id(r, "id");
		prm[1] = req_str(r, "path");
		if (db_one(r->db, r->arena, &pf_stmts[ST_FIND], prm, &file,
		    &r->err) != 0)
			return r->err.code;
		if (file == NULL)
			return err_set(&r->err, ERR_NOT_FOUND, "no file %s in "
			    "the printer's list (refresh it first)", prm[1]);
		args = json_pack("{s:s}", "path", prm[1]);
	} else
		args = json_object();
	rc = pf_queue(r, json_row_int(printer, "id"), command, args, &id);
	json_decref(args);
	if (rc != 0)
		return r->err.code;
	return pf_wait(r, id, cmd);
}

/* ---- the API ---- */

static int
pf_rows(struct req *r, long long limit, long long offset, json_t **rows,
    long long *total)
{
	const char	*prm[4];
	json_t		*row;

	prm[0] = pf_id(r, "id");
	prm[1] = req_bool(r, "gone", 0) ? "true" : "false";
	prm[2] = arena_printf(r->arena, "%lld", limit);
	prm[3] = arena_printf(r->arena, "%lld", offset);
	if (db_exec(r->db, r->arena, &pf_stmts[ST_LIST], prm, rows,
	    &r->err) != 0 || db_one(r->db, r->arena, &pf_stmts[ST_COUNT], prm,
	    &row, &r->err) != 0)
		return r->err.code;
	*total = row != NULL ? json_row_int(row, "n") : 0;
	return 0;
}

static json_t *
pf_listing(struct req *r, json_t *rows, long long total)
{
	return json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)total);
}

static int
pf_list(struct req *r)
{
	json_t		*printer, *rows;
	long long	 total;

	if (pf_printer(r, &printer) != 0 || pf_rows(r, req_int(r, "limit",
	    50), req_int(r, "offset", 0), &rows, &total) != 0)
		return r->err.code;
	req_json(r, 200, pf_listing(r, rows, total));
	return 0;
}

static int
pf_refresh(struct req *r)
{
	json_t		*cmd, *rows, *out;
	long long	 total;

	if (pf_run(r, "files", &cmd) != 0)
		return r->err.code;
	if (cmd == NULL || !pf_ended(cmd)) {
		req_json(r, 202, json_pack("{s:O*}", "command", cmd));
		return 0;
	}
	if (pf_rows(r, 500, 0, &rows, &total) != 0)
		return r->err.code;
	out = pf_listing(r, rows, total);
	json_object_set(out, "command", cmd);
	req_json(r, 200, out);
	return 0;
}

static int
pf_download(struct req *r)
{
	json_t		*cmd, *file, *out;
	const char	*prm[2];

	if (pf_run(r, "download", &cmd) != 0)
		return r->err.code;
	if (cmd == NULL || !pf_ended(cmd)) {
		req_json(r, 202, json_pack("{s:O*}", "command", cmd));
		return 0;
	}
	prm[0] = pf_id(r, "id");
	prm[1] = req_str(r, "path");
	if (db_one(r->db, r->arena, &pf_stmts[ST_FIND], prm, &file,
	    &r->err) != 0)
		return r->err.code;
	out = json_pack("{s:O, s:O*}", "command", cmd, "file", file);
	req_json(r, 200, out);
	return 0;
}

static int
pf_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
pf_thumbnail(struct req *r)
{
	json_t		*row;
	const char	*prm[1], *hex;
	size_t		 i, n;
	int		 hi, lo;
	char		 c;

	prm[0] = pf_id(r, "fid");
	if (db_one(r->db, r->arena, &pf_stmts[ST_THUMB], prm, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL || (hex = json_row_str(row, "hex")) == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no thumbnail for "
		    "this printer file");
	n = strlen(hex) / 2;
	for (i = 0; i < n; i++) {
		if ((hi = pf_hexval(hex[2 * i])) < 0 ||
		    (lo = pf_hexval(hex[2 * i + 1])) < 0)
			return err_set(&r->err, ERR_INTERNAL, "a stored "
			    "thumbnail is damaged");
		c = (char)(hi << 4 | lo);
		if (buf_add(&r->body_out, &c, 1) != 0)
			return err_set(&r->err, ERR_INTERNAL, "a stored "
			    "thumbnail is too large");
	}
	r->content_type_out = arena_strdup(r->arena, json_row_str(row,
	    "thumbnail_type"));
	req_header(r, "Cache-Control", "private, max-age=3600");
	return 0;
}

static int
pf_content(struct req *r)
{
	json_t		*row;
	const char	*prm[1];

	prm[0] = pf_id(r, "fid");
	if (db_one(r->db, r->arena, &pf_stmts[ST_ONE], prm, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such printer file");
	if (json_row_str(row, "file_path") == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "this printer file was "
		    "not downloaded yet");
	if (req_send_file(r, json_row_str(row, "file_path"), json_row_str(
	    row, "name")) != 0)
		return r->err.code;
	req_header(r, "X-Content-SHA256", json_row_str(row, "sha256"));
	return 0;
}

/* ---- the page ---- */

static const char *
pf_size_text(struct req *r, json_t *v)
{
	double	n;

	if (!json_is_integer(v))
		return "";
	n = (double)json_integer_value(v);
	if (n < 1024)
		return arena_printf(r->arena, "%.0f B", n);
	if (n < 1024 * 1024)
		return arena_printf(r->arena, "%.1f kB", n / 1024);
	if (n < 1024.0 * 1024 * 1024)
		return arena_printf(r->arena, "%.1f MB", n / 1024 / 1024);
	return arena_printf(r->arena, "%.2f GB", n / 1024 / 1024 / 1024);
}

static void
pf_decorate(struct req *r, json_t *row)
{
	json_t		*g, *v;
	double		 sum = 0;
	size_t		 i;
	long long	 s;

	json_object_set_new(row, "size_text", json_string(pf_size_text(r,
	    json_object_get(row, "size"))));
	if (json_is_integer(json_object_get(row, "est_seconds"))) {
		s = json_row_int(row, "est_seconds");
		json_object_set_new(row, "est_text", json_string(
		    arena_printf(r->arena, "%lldh %02lldm", s / 3600,
		    s / 60 % 60)));
	}
	g = json_object_get(row, "grams");
	if (json_is_array(g) && json_array_size(g) > 0) {
		json_array_foreach(g, i, v)
			sum += json_is_number(v) ? json_number_value(v) : 0;
		json_object_set_new(row, "grams_text", json_string(
		    arena_printf(r->arena, "%.1f g", sum)));
	}
}

static int
pf_page(struct req *r)
{
	json_t		*printer, *rows, *v, *row;
	long long	 total;
	size_t		 i;

	if (pf_printer(r, &printer) != 0 || pf_rows(r, 500, 0, &rows,
	    &total) != 0)
		return r->err.code;
	rows = json_deep_copy(rows);
	json_array_foreach(rows, i, row)
		pf_decorate(r, row);
	req_localize_times(r, rows);
	v = json_pack("{s:s, s:b, s:O, s:o, s:I, s:b, s:b}", "page",
	    "printer-files", "nav_printers", 1, "printer", printer, "files",
	    rows, "total", (json_int_t)total, "has_files", total > 0,
	    "can_write", r->who.role != ROLE_ACCOUNTANT);
	json_object_set_new(v, "title", json_string(arena_printf(r->arena,
	    "%s · %s", req_t(r, "pfiles_title"), json_row_str(printer,
	    "name"))));
	r->out = v;
	return 0;
}

static int
pf_page_after(struct req *r, json_t *cmd)
{
	const char	*st = cmd != NULL ? json_row_str(cmd, "status") : NULL;

	if (st != NULL && strcmp(st, "done") == 0)
		req_flash(r, "ok", "pfiles_flash_done");
	else if (st != NULL && strcmp(st, "failed") == 0)
		req_flash(r, "error", "pfiles_flash_failed");
	else
		req_flash(r, "ok", "pfiles_flash_queued");
	req_redirect(r, arena_printf(r->arena, "/printers/%lld/files",
	    req_int(r, "id", 0)));
	return 0;
}

static int
pf_page_refresh(struct req *r)
{
	json_t	*cmd;

	if (pf_run(r, "files", &cmd) != 0)
		return r->err.code;
	return pf_page_after(r, cmd);
}

static int
pf_page_download(struct req *r)
{
	json_t	*cmd;

	if (pf_run(r, "download", &cmd) != 0)
		return r->err.code;
	return pf_page_after(r, cmd);
}

#define FID_PATH	{ "fid", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }

static const struct param list_params[] = {
	PARAM_ID,
	PARAM_PAGE,
	{ "gone", IN_QUERY, P_BOOL, 0, 0, 0, NULL },
	PARAM_END,
};
static const struct param download_params[] = {
	PARAM_ID,
	{ "path", IN_BODY, P_STR, 1, 1, 1000, NULL },
	PARAM_END,
};
static const struct param fid_params[] = {
	FID_PATH,
	PARAM_END,
};

static const struct route pf_routes[] = {
	{ "GET", "/api/v1/printers/{id}/files", pf_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "POST", "/api/v1/printers/{id}/files/refresh", pf_refresh,
	    ROLE_OWNER | ROLE_STAFF, 0, params_id, NULL },
	{ "POST", "/api/v1/printers/{id}/files/download", pf_download,
	    ROLE_OWNER | ROLE_STAFF, 0, download_params, NULL },
	{ "GET", "/api/v1/printer-files/{fid}/thumbnail", pf_thumbnail,
	    ROLE_ANY, ROUTE_RAW, fid_params, NULL },
	{ "GET", "/api/v1/printer-files/{fid}/content", pf_content,
	    ROLE_ANY, ROUTE_RAW, fid_params, NULL },
	{ "GET", "/printers/{id}/files", pf_page, ROLE_ANY, ROUTE_PAGE,
	    list_params, "printers/files" },
	{ "POST", "/printers/{id}/files/refresh", pf_page_refresh,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM,
	    params_id, "printers/files" },
	{ "POST", "/printers/{id}/files/download", pf_page_download,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM,
	    download_params, "printers/files" },
};

const struct resource printer_files_resource = {
	"printer_files", pf_routes, sizeof(pf_routes) / sizeof(pf_routes[0]),
	pf_stmts, sizeof(pf_stmts) / sizeof(pf_stmts[0]),
};

/*
 * printer_commands.c -- commands to printers: POST/GET
 * /api/v1/printers/{id}/commands, GET .../commands/{cid}, the settings
 * page's "test connection" (POST /settings/printers/{id}/test) and
 * forgetting a pinned Bambu certificate (DELETE
 * /api/v1/printers/{id}/tls-fingerprint, POST
 * /settings/printers/{id}/retrust) and the production page's "send to
 * printer" of a queued job (POST /production/jobs/{print_job_id}/print).
 *
 * A command is a printer_commands row (domain/commands.c): queued here,
 * carried out by the telemetry worker (printers/control.c).  The API
 * validates everything first, queues and audits, then waits up to
 * COMMANDS_WAIT_MS for the worker: 200 with the finished row, else 202
 * with {"id", "status"} and a Location to poll.  commands_wait commits
 * the request's transaction before it polls (see domain/commands.c), so
 * nothing may fail after queueing; for the same reason these routes do
 * not honour Idempotency-Key (a retry after a 202 polls the Location).
 *
 * start names what to print in one of three ways: "file", a file
 * already on the printer; "plate_id", a product plate whose print file
 * is in the file store; "print_job_id", a queued print job, whose
 * plate's file is sent and which is assigned to this printer, so the run
 * the printer reports is tied to that job first.  A file from the store
 * is uploaded by the worker (printers/files.c) and then started; the
 * command's args carry it as {"file": name, "upload": {"path",
 * "sha256", "size"}}.  What each kind can print is checked here: Bambu
 * printers take .3mf projects and .gcode, PrusaLink .gcode and .bgcode,
 * OctoPrint and Moonraker .gcode.
 *
 * Roles: pause, resume, stop and start for owners and staff; test and
 * re-trust for owners (they are settings); reads for everyone.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/commands.h"
#include "http/req.h"
#include "res/record.h"

#define PC_COLUMNS \
	"id, printer_id, command::text AS command, args, status::text AS " \
	"status, result, code, created_by AS actor, created_at, sent_at, " \
	"done_at"

static const struct stmt pc_stmts[] = {
	{ "pc_printer",
	  "SELECT id, name, kind::text AS kind, active, auth_failed_at IS NOT "
	  "NULL AS auth_failed, tls_mode, tls_fingerprint FROM printers "
	  "WHERE id = $1", 1 },
	{ "pc_list",
	  "SELECT " PC_COLUMNS " FROM printer_commands WHERE printer_id = $1 "
	  "ORDER BY id DESC LIMIT $2 OFFSET $3", 3 },
	{ "pc_count",
	  "SELECT count(*) AS n FROM printer_commands WHERE printer_id = $1",
	  1 },
	{ "pc_one",
	  "SELECT " PC_COLUMNS " FROM printer_commands WHERE printer_id = $1 "
	  "AND id = $2", 2 },
	{ "pc_untrust",
	  "UPDATE printers SET tls_fingerprint = NULL WHERE id = $1 "
	  "RETURNING id, tls_mode, tls_fingerprint", 1 },
	{ "pc_plate",
	  "SELECT pl.id, pl.name, pl.file_name, pl.file_path, pl.file_sha256, "
	  "pl.file_size, pl.time_source, p.name AS product FROM "
	  "product_plates pl JOIN products p ON p.id = pl.product_id WHERE "
	  "pl.id = $1", 1 },
	{ "pc_job",
	  "SELECT j.id, j.status::text AS status, j.plate_id, j.printer_id, "
	  "pr.name AS printer FROM print_jobs j LEFT JOIN printers pr ON "
	  "pr.id = j.printer_id WHERE j.id = $1 FOR UPDATE OF j", 1 },
	{ "pc_job_assign",
	  "UPDATE print_jobs SET printer_id = $2 WHERE id = $1 AND status = "
	  "'queued' RETURNING id", 2 },
};

enum { ST_PRINTER, ST_LIST, ST_COUNT, ST_ONE, ST_UNTRUST, ST_PLATE, ST_JOB,
    ST_JOB_ASSIGN };

/* The endings each kind of printer starts, by kind. */
static const struct {
	const char	*kind;
	const char	*endings[3];
	const char	*words;
} pc_prints[] = {
	{ "bambu", { ".3mf", ".gcode", NULL }, ".3mf projects and .gcode" },
	{ "prusalink", { ".gcode", ".bgcode", NULL }, ".gcode and .bgcode" },
	{ "octoprint", { ".gcode", NULL, NULL }, ".gcode" },
	{ "moonraker", { ".gcode", NULL, NULL }, ".gcode" },
};

/* The codes a connection test ends with that the page has words for. */
static const char *const pc_test_codes[] = { "ok", "unreachable",
    "tls_name", "untrusted", "cert_changed", "access_code", "password",
    "api_key", "expired" };

static const char *
pc_id(struct req *r, const char *name)
{
	return arena_printf(r->arena, "%lld", req_int(r, name, 0));
}

/* The printer of the path's {id}, or 404. */
static int
pc_printer(struct req *r, json_t **row)
{
	return record_find(r, &pc_stmts[ST_PRINTER], req_int(r, "id", 0),
	    "printer", row);
}

/* The codes a start from the production page has words for. */
static const char *const pc_send_codes[] = { "ok", "offline", "no_control",
    "auth_failed", "refused", "store", "too_large", "unreachable",
    "expired" };

/* Whether a printer of this kind starts a file with this name. */
static const char *
pc_prints_name(const char *kind, const char *name)
{
	size_t	i, k, n = strlen(name), m;

	for (i = 0; i < sizeof(pc_prints) / sizeof(pc_prints[0]); i++) {
		if (strcmp(kind, pc_prints[i].kind) != 0)
			continue;
		for (k = 0; k < 3 && pc_prints[i].endings[k] != NULL; k++) {
			m = strlen(pc_prints[i].endings[k]);
			if (n > m && strcasecmp(name + n - m,
			    pc_prints[i].endings[k]) == 0)
				return NULL;
		}
		return pc_prints[i].words;
	}
	return "nothing";
}

/*
 * The file of the plate to start (plate_id, or the plate of the queued
 * print_job_id) into args as "file" and "upload", and *job the print
 * job's row (locked) when one is named; field errors for what is wrong
 * (returning 0); the error of a failed read otherwise.
 */
static int
pc_stored_file(struct req *r, json_t *printer, json_t *args, json_t **job)
{
	json_t		*plate = NULL;
	const char	*prm[1], *field = "plate_id", *why = NULL, *words;
	long long	 plate_id = req_int(r, "plate_id", 0);

	if (req_has(r, "print_job_id")) {
		field = "print_job_id";
		prm[0] = pc_id(r, field);
		if (db_one(r->db, r->arena, &pc_stmts[ST_JOB], prm, job,
		    &r->err) != 0)
			return r->err.code;
		if (*job == NULL)
			why = "names no print job";
		else if (strcmp(json_row_str(*job, "status"), "queued") != 0)
			why = arena_printf(r->arena, "print job %s is %s: only "
			    "a queued job can be started", prm[0],
			    json_row_str(*job, "status"));
		else if (!json_is_integer(json_object_get(*job, "plate_id")))
			why = "the job's plate was removed from its product";
		else {
			plate_id = json_row_int(*job, "plate_id");
			json_object_set(args, "print_job_id", json_object_get(
			    *job, "id"));
		}
	}
	prm[0] = arena_printf(r->arena, "%lld", plate_id);
	if (why == NULL && db_one(r->db, r->arena, &pc_stmts[ST_PLATE], prm,
	    &plate, &r->err) != 0)
		return r->err.code;
	if (why == NULL && plate == NULL)
		why = "names no plate";
	else if (why == NULL && json_row_str(plate, "file_path") == NULL)
		why = arena_printf(r->arena, "plate \"%s\" of %s has no print "
		    "file: upload one on the product first", json_row_str(
		    plate, "name"), json_row_str(plate, "product"));
	else if (why == NULL && json_row_str(plate, "time_source") != NULL &&
	    strcmp(json_row_str(plate, "time_source"), "estimate") == 0)
		/* a customer's model (a quote's part) is not a print file */
		why = arena_printf(r->arena, "plate \"%s\" of %s holds a model "
		    "to be sliced (%s), not a print file: slice it and upload "
		    "the print file on the product first", json_row_str(plate,
		    "name"), json_row_str(plate, "product"), json_row_str(plate,
		    "file_name"));
	else if (why == NULL && (words = pc_prints_name(json_row_str(printer,
	    "kind"), json_row_str(plate, "file_name"))) != NULL)
		why = arena_printf(r->arena, "this printer starts %s files; "
		    "plate \"%s\" holds %s", words, json_row_str(plate,
		    "name"), json_row_str(plate, "file_name"));
	if (why != NULL) {
		err_field(&r->err, field, "%s", why);
		return 0;
	}
	json_object_set_new(args, "plate_id", json_integer(plate_id));
	json_object_set(args, "file", json_object_get(plate, "file_name"));
	json_object_set_new(args, "upload", json_pack("{s:O, s:O, s:O}",
	    "path", json_object_get(plate, "file_path"), "sha256",
	    json_object_get(plate, "file_sha256"), "size",
	    json_object_get(plate, "file_size")));
	return 0;
}

/*
 * Checks the printer can take command (409 with the reason otherwise)
 * and that its arguments fit, then queues and audits it; *id gets the
 * command's id.
 */
static int
pc_queue(struct req *r, json_t *printer, const char *command,
    long long *id)
{
	const char	*file, *name, *prm[2];
	json_t		*args, *job = NULL;
	int		 start = strcmp(command, "start") == 0, named;

	name = json_row_str(printer, "name");
	file = req_str(r, "file");
	args = arena_json(r->arena, json_object());
	named = (file != NULL) + req_has(r, "plate_id") +
	    req_has(r, "print_job_id");
	if (start && named == 0)
		err_field(&r->err, "file", "start needs what to print: "
		    "\"file\" (a file on the printer), \"plate_id\" or "
		    "\"print_job_id\"");
	else if (start && named > 1)
		err_field(&r->err, "file", "name one of \"file\", "
		    "\"plate_id\" and \"print_job_id\"");
	else if (!start && named > 0)
		err_field(&r->err, file != NULL ? "file" : req_has(r,
		    "plate_id") ? "plate_id" : "print_job_id", "only start "
		    "takes a file");
	else if (file != NULL)
		json_object_set_new(args, "file", json_string(file));
	else if (start && pc_stored_file(r, printer, args, &job) != 0)
		return r->err.code;
	if (r->err.fields != NULL)
		return req_invalid(r, "command");
	if (!json_is_true(json_object_get(printer, "active")))
		return err_set(&r->err, ERR_CONFLICT, "printer \"%s\" is "
		    "inactive: activate it in its settings first", name);
	if (strcmp(command, "test") != 0 && json_is_true(json_object_get(
	    printer, "auth_failed")))
		return err_set(&r->err, ERR_CONFLICT, "printer \"%s\" refused "
		    "its credentials: correct them in its settings (or test "
		    "the connection) first", name);
	if (job != NULL) {
		prm[0] = arena_printf(r->arena, "%lld", json_row_int(job, "id"));
		prm[1] = arena_printf(r->arena, "%lld", json_row_int(printer,
		    "id"));
		if (db_exec(r->db, r->arena, &pc_stmts[ST_JOB_ASSIGN], prm,
		    NULL, &r->err) != 0 || req_audit(r, "assign", "print_job",
		    prm[0], json_pack("{s:O}", "printer_id", json_object_get(
		    job, "printer_id")), json_pack("{s:I}", "printer_id",
		    (json_int_t)json_row_int(printer, "id"))) != 0)
			return r->err.code;
	}
	if (commands_queue(r->db, r->arena, json_row_int(printer, "id"),
	    command, args, req_actor(r), id, &r->err) != 0)
		return r->err.code;
	return req_audit(r, "queue", "printer_command", arena_printf(r->arena,
	    "%lld", *id), NULL, json_pack("{s:I, s:s, s:O}", "printer_id",
	    (json_int_t)json_row_int(printer, "id"), "command", command,
	    "args", args));
}

/* ---- the API ---- */

static int
pc_create(struct req *r)
{
	json_t		*printer, *row;
	const char	*command;
	long long	 id;

	command = req_str(r, "command");
	if (strcmp(command, "test") == 0 && r->who.role != ROLE_OWNER)
		return err_set(&r->err, ERR_FORBIDDEN, "only an owner may "
		    "test a printer's connection");
	if (pc_printer(r, &printer) != 0 || pc_queue(r, printer, command,
	    &id) != 0)
		return r->err.code;
	if (commands_wait(r->db, r->arena, id, COMMANDS_WAIT_MS, &row,
	    &r->err) != 0)
		return r->err.code;
	if (commands_final(json_row_str(row, "status"))) {
		req_json(r, 200, json_incref(row));
		return 0;
	}
	req_header(r, "Location", arena_printf(r->arena,
	    "/api/v1/printers/%lld/commands/%lld", json_row_int(printer,
	    "id"), id));
	req_json(r, 202, json_pack("{s:I, s:s}", "id", (json_int_t)id,
	    "status", json_row_str(row, "status")));
	return 0;
}

static int
pc_list(struct req *r)
{
	json_t		*printer, *rows, *count;
	const char	*prm[3];

	if (pc_printer(r, &printer) != 0)
		return r->err.code;
	prm[0] = pc_id(r, "id");
	prm[1] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	prm[2] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	if (db_exec(r->db, r->arena, &pc_stmts[ST_LIST], prm, &rows,
	    &r->err) != 0 || db_one(r->db, r->arena, &pc_stmts[ST_COUNT],
	    prm, &count, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)json_row_int(count, "n")));
	return 0;
}

static int
pc_show(struct req *r)
{
	json_t		*row;
	const char	*prm[2];

	prm[0] = pc_id(r, "id");
	prm[1] = pc_id(r, "cid");
	if (db_one(r->db, r->arena, &pc_stmts[ST_ONE], prm, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such command for "
		    "this printer");
	req_json(r, 200, json_incref(row));
	return 0;
}

/* Forgets the pinned certificate: the worker trusts the next one. */
static int
pc_untrust(struct req *r, json_t **after)
{
	json_t		*printer;
	const char	*prm[1];

	if (pc_printer(r, &printer) != 0)
		return r->err.code;
	prm[0] = pc_id(r, "id");
	if (db_one(r->db, r->arena, &pc_stmts[ST_UNTRUST], prm, after,
	    &r->err) != 0)
		return r->err.code;
	return req_audit(r, "retrust", "printer", prm[0], json_pack("{s:O}",
	    "tls_fingerprint", json_object_get(printer, "tls_fingerprint")),
	    json_pack("{s:n}", "tls_fingerprint"));
}

static int
pc_untrust_api(struct req *r)
{
	json_t	*row;

	if (pc_untrust(r, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* ---- pages ---- */

/*
 * Waits for command id, then flashes what became of it: PREFIX_CODE for
 * a code with words (codes), PREFIX_pending (of kind pending) while it
 * runs, PREFIX_failed otherwise.
 */
static int
pc_flash_result(struct req *r, long long id, const char *prefix,
    const char *pending, const char *const *codes, size_t ncodes)
{
	json_t		*row;
	const char	*code;
	size_t		 i;

	if (commands_wait(r->db, r->arena, id, COMMANDS_WAIT_MS, &row,
	    &r->err) != 0)
		return r->err.code;
	if (!commands_final(json_row_str(row, "status"))) {
		req_flash(r, pending, arena_printf(r->arena, "%s_pending",
		    prefix));
		return 0;
	}
	code = json_row_str(row, "code");
	for (i = 0; code != NULL && i < ncodes; i++)
		if (strcmp(code, codes[i]) == 0) {
			req_flash(r, strcmp(code, "ok") == 0 ? "ok" : "error",
			    arena_printf(r->arena, "%s_%s", prefix, code));
			return 0;
		}
	req_flash(r, "error", arena_printf(r->arena, "%s_failed", prefix));
	return 0;
}

static int
pc_page_test(struct req *r)
{
	json_t		*printer;
	const char	*back;
	long long	 id;

	if (pc_printer(r, &printer) != 0)
		return r->err.code;
	back = arena_printf(r->arena, "/settings/printers/%s", pc_id(r, "id"));
	if (!json_is_true(json_object_get(printer, "active"))) {
		req_flash(r, "error", "pcmd_test_inactive");
		req_redirect(r, back);
		return 0;
	}
	if (pc_queue(r, printer, "test", &id) != 0)
		return r->err.code;
	req_redirect(r, back);
	return pc_flash_result(r, id, "pcmd_test", "error", pc_test_codes,
	    sizeof(pc_test_codes) / sizeof(pc_test_codes[0]));
}

static int
pc_page_retrust(struct req *r)
{
	json_t	*row;

	if (pc_untrust(r, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", "pcmd_retrusted");
	req_redirect(r, arena_printf(r->arena, "/settings/printers/%s",
	    pc_id(r, "id")));
	return 0;
}

/*
 * "Send to printer" on a queued job of the production page: uploads the
 * job's plate file to the chosen printer and starts it.  What the page
 * cannot offer (a file type the printer does not print, a printer that
 * is inactive or refused its credentials) comes back as a message, as
 * does the worker's result.
 */
static int
pc_page_print(struct req *r)
{
	json_t		*printer;
	long long	 id;

	req_redirect(r, "/production");
	if (record_find(r, &pc_stmts[ST_PRINTER], req_int(r, "printer_id", 0),
	    "printer", &printer) != 0)
		return r->err.code;
	if (pc_queue(r, printer, "start", &id) != 0) {
		/* refused before anything was written */
		if (r->err.code != ERR_INVALID && r->err.code != ERR_CONFLICT)
			return r->err.code;
		req_flash(r, "error", r->err.code == ERR_INVALID ?
		    "pcmd_send_invalid" : "pcmd_send_blocked");
		err_clear(&r->err);
		return 0;
	}
	return pc_flash_result(r, id, "pcmd_send", "ok", pc_send_codes,
	    sizeof(pc_send_codes) / sizeof(pc_send_codes[0]));
}

/* ---- routes ---- */

static const struct param create_params[] = {
	PARAM_ID,
	{ "command", IN_BODY, P_ENUM, 1, 0, 0,
	    "pause|resume|stop|start|test" },
	{ "file", IN_BODY, P_STR, 0, 1, 1000, NULL },
	{ "plate_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	{ "print_job_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	PARAM_END,
};

static const struct param show_params[] = {
	PARAM_ID,
	{ "cid", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	PARAM_END,
};

static const struct param print_params[] = {
	{ "print_job_id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "printer_id", IN_BODY, P_INT, 1, 1, INT64_MAX, NULL },
	PARAM_END,
};

static const struct route pc_routes[] = {
	{ "POST", "/api/v1/printers/{id}/commands", pc_create,
	    ROLE_OWNER | ROLE_STAFF, 0, create_params, NULL },
	{ "GET", "/api/v1/printers/{id}/commands", pc_list, ROLE_ANY, 0,
	    params_id_page, NULL },
	{ "GET", "/api/v1/printers/{id}/commands/{cid}", pc_show, ROLE_ANY, 0,
	    show_params, NULL },
	{ "DELETE", "/api/v1/printers/{id}/tls-fingerprint", pc_untrust_api,
	    ROLE_OWNER, 0, params_id, NULL },
	{ "POST", "/settings/printers/{id}/test", pc_page_test, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, params_id, "settings/printers-edit" },
	{ "POST", "/settings/printers/{id}/retrust", pc_page_retrust,
	    ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM, params_id,
	    "settings/printers-edit" },
	{ "POST", "/production/jobs/{print_job_id}/print", pc_page_print,
	    ROLE_OWNER | ROLE_STAFF, ROUTE_PAGE | ROUTE_FORM, print_params,
	    "production/index" },
};

const struct resource printer_commands_resource = {
	"printer_commands", pc_routes, sizeof(pc_routes) / sizeof(pc_routes[0]),
	pc_stmts, sizeof(pc_stmts) / sizeof(pc_stmts[0]),
};

/* No routes: prepares the statements of domain/commands.c everywhere. */
const struct resource commands_resource = {
	"commands", NULL, 0, commands_stmts, COMMANDS_NSTMTS,
};

/*
 * printer_commands.c -- commands to printers: POST/GET
 * /api/v1/printers/{id}/commands, GET .../commands/{cid}, the settings
 * page's "test connection" (POST /settings/printers/{id}/test) and
 * forgetting a pinned Bambu certificate (DELETE
 * /api/v1/printers/{id}/tls-fingerprint, POST
 * /settings/printers/{id}/retrust).
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
 * Roles: pause, resume, stop and start for owners and staff; test and
 * re-trust for owners (they are settings); reads for everyone.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
};

enum { ST_PRINTER, ST_LIST, ST_COUNT, ST_ONE, ST_UNTRUST };

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

/*
 * Checks the printer can take command (409 with the reason otherwise)
 * and that its arguments fit, then queues and audits it; *id gets the
 * command's id.
 */
static int
pc_queue(struct req *r, json_t *printer, const char *command,
    long long *id)
{
	const char	*file, *name;
	json_t		*args;

	name = json_row_str(printer, "name");
	file = req_str(r, "file");
	if (req_has(r, "file_id"))
		err_field(&r->err, "file_id", "starting a file from the file "
		    "store is not supported yet: name a file on the printer "
		    "with \"file\"");
	if (strcmp(command, "start") == 0 && file == NULL &&
	    !req_has(r, "file_id"))
		err_field(&r->err, "file", "start needs the file on the "
		    "printer to print");
	if (strcmp(command, "start") != 0 && file != NULL)
		err_field(&r->err, "file", "only start takes a file");
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
	args = arena_json(r->arena, json_object());
	if (file != NULL)
		json_object_set_new(args, "file", json_string(file));
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

/* ---- the settings page ---- */

static int
pc_page_test(struct req *r)
{
	json_t		*printer, *row;
	const char	*code, *back;
	long long	 id;
	size_t		 i;

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
	if (commands_wait(r->db, r->arena, id, COMMANDS_WAIT_MS, &row,
	    &r->err) != 0)
		return r->err.code;
	req_redirect(r, back);
	if (!commands_final(json_row_str(row, "status"))) {
		req_flash(r, "error", "pcmd_test_pending");
		return 0;
	}
	code = json_row_str(row, "code");
	for (i = 0; code != NULL && i < sizeof(pc_test_codes) /
	    sizeof(pc_test_codes[0]); i++)
		if (strcmp(code, pc_test_codes[i]) == 0) {
			req_flash(r, strcmp(code, "ok") == 0 ? "ok" : "error",
			    arena_printf(r->arena, "pcmd_test_%s", code));
			return 0;
		}
	req_flash(r, "error", "pcmd_test_failed");
	return 0;
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

/* ---- routes ---- */

static const struct param create_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "command", IN_BODY, P_ENUM, 1, 0, 0,
	    "pause|resume|stop|start|test" },
	{ "file", IN_BODY, P_STR, 0, 1, 1000, NULL },
	{ "file_id", IN_BODY, P_INT, 0, 1, INT64_MAX, NULL },
	PARAM_END,
};

static const struct param list_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	PARAM_PAGE,
	PARAM_END,
};

static const struct param show_params[] = {
	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	{ "cid", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL },
	PARAM_END,
};

static const struct route pc_routes[] = {
	{ "POST", "/api/v1/printers/{id}/commands", pc_create,
	    ROLE_OWNER | ROLE_STAFF, 0, create_params, NULL },
	{ "GET", "/api/v1/printers/{id}/commands", pc_list, ROLE_ANY, 0,
	    list_params, NULL },
	{ "GET", "/api/v1/printers/{id}/commands/{cid}", pc_show, ROLE_ANY, 0,
	    show_params, NULL },
	{ "DELETE", "/api/v1/printers/{id}/tls-fingerprint", pc_untrust_api,
	    ROLE_OWNER, 0, params_id, NULL },
	{ "POST", "/settings/printers/{id}/test", pc_page_test, ROLE_OWNER,
	    ROUTE_PAGE | ROUTE_FORM, params_id, "settings/printers-edit" },
	{ "POST", "/settings/printers/{id}/retrust", pc_page_retrust,
	    ROLE_OWNER, ROUTE_PAGE | ROUTE_FORM, params_id,
	    "settings/printers-edit" },
};

const struct resource printer_commands_resource = {
	"printer_commands", pc_routes, sizeof(pc_routes) / sizeof(pc_routes[0]),
	pc_stmts, sizeof(pc_stmts) / sizeof(pc_stmts[0]),
};

/* No routes: prepares the statements of domain/commands.c everywhere. */
const struct resource commands_resource = {
	"commands", NULL, 0, commands_stmts, COMMANDS_NSTMTS,
};

/*
 * commands.c -- queue a printer command and wait for the worker's answer.
 *
 * The web side inserts a printer_commands row; the telemetry worker picks
 * it up, so the row must be committed before anyone can wait for it.
 * POST handlers run inside the transaction the framework opened
 * (http/server.c): commands_wait() therefore commits that transaction
 * itself (the insert and its audit row become visible together), polls
 * the row with plain autocommit SELECTs, and begins a new transaction
 * before it returns, so the framework's closing COMMIT (and anything the
 * handler writes afterwards) still has one to work in.  A handler
 * running without a framework transaction (ROUTE_NO_TX) gets the same
 * polling without the commit.  The alternative, a route flag for "commit
 * first", would need the framework to know about commands; this keeps
 * the rule in one function.
 *
 * Consequence: a handler that waits cannot undo its insert afterwards,
 * so it must validate everything before queueing.  Idempotency-Key is
 * not offered on such routes: the framework's key claim would be
 * committed before its answer exists.
 *
 * Rules that hold for every writer (inactive printers refused, sent_at
 * and done_at kept, finished rows frozen) are in
 * sql/0007_printer_control.sql.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/commands.h"

#define COMMANDS_POLL_MS	50

enum { ST_PRINTER, ST_INSERT, ST_ONE };

#define COMMANDS_COLUMNS \
	"id, printer_id, command::text AS command, args, status::text AS " \
	"status, result, code, created_by AS actor, created_at, sent_at, done_at"

const struct stmt commands_stmts[] = {
	{ "commands_printer",
	  "SELECT id, name, active, auth_failed_at IS NOT NULL AS "
	  "auth_failed FROM printers WHERE id = $1", 1 },
	{ "commands_insert",
	  "INSERT INTO printer_commands (printer_id, command, args, "
	  "created_by) VALUES ($1, $2::printer_command_kind, "
	  "coalesce($3::jsonb, '{}'), $4) RETURNING id", 4 },
	{ "commands_one",
	  "SELECT " COMMANDS_COLUMNS " FROM printer_commands WHERE id = $1",
	  1 },
};

_Static_assert(sizeof(commands_stmts) / sizeof(commands_stmts[0]) ==
    COMMANDS_NSTMTS, "COMMANDS_NSTMTS disagrees with commands_stmts");

void
commands_register(void)
{
	db_register(commands_stmts, COMMANDS_NSTMTS);
}

int
commands_final(const char *status)
{
	return status != NULL && (strcmp(status, "done") == 0 ||
	    strcmp(status, "failed") == 0);
}

int
commands_queue(struct db *db, struct arena *a, long long printer_id,
    const char *command, json_t *args, const char *actor, long long *id,
    struct err *e)
{
	json_t		*row;
	const char	*prm[4];

	prm[0] = arena_printf(a, "%lld", printer_id);
	if (db_one(db, a, &commands_stmts[ST_PRINTER], prm, &row, e) != 0)
		return e->code;
	if (row == NULL)
		return err_set(e, ERR_NOT_FOUND, "no such printer");
	if (!json_is_true(json_object_get(row, "active")))
		return err_set(e, ERR_CONFLICT, "printer \"%s\" is inactive: "
		    "activate it in its settings first",
		    json_row_str(row, "name"));
	prm[1] = command;
	prm[2] = args != NULL ? arena_json_text(a, args) : NULL;
	prm[3] = actor != NULL ? actor : "system";
	if (db_one(db, a, &commands_stmts[ST_INSERT], prm, &row, e) != 0)
		return e->code;
	if (row == NULL)
		return err_set(e, ERR_INTERNAL, "the command was not stored");
	*id = json_row_int(row, "id");
	return 0;
}

int
commands_wait(struct db *db, struct arena *a, long long id, int timeout_ms,
    json_t **row, struct err *e)
{
	struct timespec	 ts = { 0, COMMANDS_POLL_MS * 1000L * 1000L };
	struct err	 e2 = { 0 };
	const char	*prm[1];
	int		 waited, in_tx, rc;

	*row = NULL;
	in_tx = db_in_tx(db);
	if (in_tx && db_commit(db, e) != 0)
		return e->code;
	prm[0] = arena_printf(a, "%lld", id);
	rc = 0;
	for (waited = 0;; waited += COMMANDS_POLL_MS) {
		if ((rc = db_one(db, a, &commands_stmts[ST_ONE], prm, row,
		    e)) != 0)
			break;
		if (*row == NULL) {
			rc = err_set(e, ERR_NOT_FOUND, "no such command");
			break;
		}
		if (commands_final(json_row_str(*row, "status")) ||
		    waited >= timeout_ms)
			break;
		nanosleep(&ts, NULL);
	}
	if (in_tx && db_begin(db, &e2) != 0 && rc == 0)
		rc = err_set(e, e2.code, "%s", e2.message);
	err_clear(&e2);
	return rc;
}

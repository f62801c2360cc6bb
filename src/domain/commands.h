/*
 * commands.h -- queue a printer command and wait for the worker's answer.
 *
 * Commands go through table printer_commands: the web side inserts a row
 * (status 'queued'), the telemetry worker (src/printers/control.c, and
 * src/printers/files.c for the file kinds) picks it up, marks it 'sent',
 * executes it and finishes it as 'done' or 'failed' with a result in
 * plain words and done_at.  The worker sees a row only once the
 * inserting transaction has committed, so commands_wait() commits the
 * caller's open transaction before it polls and opens a fresh one
 * afterwards (see commands.c for why this is safe in the request path).
 *
 * Rows come back as JSON objects with the fields id, printer_id,
 * command, args, status, result (plain words), code (one word: ok,
 * unreachable, refused, ...), actor, created_at, sent_at, done_at.
 */
#ifndef PY_DOMAIN_COMMANDS_H
#define PY_DOMAIN_COMMANDS_H

#include <jansson.h>

struct arena;
struct db;
struct err;
struct stmt;

/* How long the API waits for a command before answering 202. */
#define COMMANDS_WAIT_MS	5000
/* A queued command never sent within this many seconds fails as expired. */
#define COMMANDS_EXPIRE_S	60

/*
 * The statements the functions below run.  The printer_commands resource
 * lists them in its statement table (so every web worker prepares them);
 * other processes call commands_register() before connecting.
 */
extern const struct stmt	commands_stmts[];
#define COMMANDS_NSTMTS		3
void	commands_register(void);

/*
 * Inserts a queued command for printer_id (command is the enum text:
 * pause, resume, stop, start, test, files, download, ...; args a JSON
 * object or NULL; actor the principal name for the row).  Runs in the
 * caller's transaction if one is open.  *id gets the new row's id.
 * Returns 0, ERR_NOT_FOUND when the printer does not exist, ERR_CONFLICT
 * with a plain reason when the printer is inactive, or the mapped
 * database error (unknown command: ERR_INVALID).
 */
int	commands_queue(struct db *, struct arena *, long long printer_id,
	    const char *command, json_t *args, const char *actor,
	    long long *id, struct err *);

/*
 * Polls row id every 50 ms until its status is done or failed or
 * timeout_ms has passed.  If the caller has a transaction open, it is
 * committed first and a new one is begun before returning, so the
 * caller's framework commit still works.  *row is the row as last seen
 * (allocated in the arena).  Returns 0 (check *row's status: queued or
 * sent means the timeout passed), ERR_NOT_FOUND, or a database error.
 */
int	commands_wait(struct db *, struct arena *, long long id,
	    int timeout_ms, json_t **row, struct err *);

/* Returns 1 when status text is final (done or failed). */
int	commands_final(const char *status);

#endif

/*
 * db.c -- connection, prepared statements, results as JSON, SQLSTATE.
 *
 * Invariant: while `conn` is usable every registered statement is
 * prepared on it.  A broken connection is dropped and reopened lazily, at
 * most every DB_RETRY_MS, so a worker keeps answering (503) while the
 * server is away and recovers by itself within that time when it returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"

/* Type OIDs from pg_type.h (stable across PostgreSQL versions). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_JSON	114
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_JSONB	3802
#define OID_TIMESTAMPTZ	1184

#define MAX_STMTS	1024
#define DB_RETRY_MS	100	/* a failed connect is cheap; retry soon */

struct db {
	char		*conninfo;
	PGconn		*conn;
	long long	 last_try_ms;	/* monotonic time of the last connect */
	int		 in_tx;
	int		 retry;
	unsigned long	 errors;
};

static const struct stmt	*registry[MAX_STMTS];
static size_t			 nregistry;

void
db_register(const struct stmt *s, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nregistry; j++)
			if (registry[j] == &s[i])
				break;
		if (j < nregistry)
			continue;
		if (nregistry == MAX_STMTS) {
			fputs("printyard: too many statements\n", stderr);
			abort();
		}
		registry[nregistry++] = &s[i];
	}
}

struct db *
db_new(const char *conninfo)
{
	struct db	*d;

	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->conninfo = strdup(conninfo)) == NULL)
		abort();
	return d;
}

void
db_free(struct db *d)
{
	if (d == NULL)
		return;
	if (d->conn != NULL)
		PQfinish(d->conn);
	free(d->conninfo);
	free(d);
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
db_drop(struct db *d)
{
	if (d->conn != NULL)
		PQfinish(d->conn);
	d->conn = NULL;
	d->in_tx = 0;
}

int
db_connect(struct db *d, struct err *e)
{
	PGresult	*res;
	size_t		 i;

	db_drop(d);
	d->last_try_ms = now_ms();
	d->conn = PQconnectdb(d->conninfo);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		err_set(e, ERR_UNAVAILABLE, "the database is not reachable");
		err_detail(e, "%s", PQerrorMessage(d->conn));
		db_drop(d);
		d->errors++;
		return ERR_UNAVAILABLE;
	}
	/*
	 * No JIT: our statements are short, and the planner's guesses for
	 * tables it has never analysed (the one-row settings) put some past
	 * jit_above_cost, where compiling took 40 ms of a 4 ms query.
	 */
	res = PQexec(d->conn, "SET TIME ZONE 'UTC'; SET jit = off");
	PQclear(res);
	for (i = 0; i < nregistry; i++) {
		res = PQprepare(d->conn, registry[i]->name, registry[i]->sql,
		    registry[i]->nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			err_set(e, ERR_INTERNAL,
			    "statement %s does not prepare: %s",
			    registry[i]->name, PQresultErrorMessage(res));
			PQclear(res);
			db_drop(d);
			return ERR_INTERNAL;
		}
		PQclear(res);
	}
	return 0;
}

int
db_ready(struct db *d, struct err *e)
{
	if (d->conn != NULL && PQstatus(d->conn) == CONNECTION_OK)
		return 1;
	if (d->conn == NULL && now_ms() - d->last_try_ms < DB_RETRY_MS) {
		err_set(e, ERR_UNAVAILABLE, "the database is not reachable");
		return 0;
	}
	return db_connect(d, e) == 0;
}

/* The one place that maps SQLSTATE to an error code. */
static int
sqlstate_error(struct db *d, PGresult *res, struct err *e)
{
	const char	*st, *msg, *det, *hint, *col, *con;
	enum err_code	 code;

	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	det = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	col = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
	con = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	if (st == NULL)
		st = "";
	d->retry = 0;
	if (strcmp(st, "23505") == 0)
		code = ERR_CONFLICT;
	else if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) {
		code = ERR_CONFLICT;
		d->retry = 1;
	} else if (strcmp(st, "55P03") == 0)
		code = ERR_CONFLICT;
	else if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
		code = ERR_INVALID;
	else if (strcmp(st, "P0001") == 0)	/* RAISE from a rule in SQL */
		code = ERR_CONFLICT;
	else if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0 ||
	    PQstatus(d->conn) != CONNECTION_OK)
		code = ERR_UNAVAILABLE;
	else
		code = ERR_INTERNAL;
	if (code == ERR_INTERNAL || code == ERR_UNAVAILABLE) {
		log_kv(LOG_ERROR, "database error", "sqlstate", st, "error",
		    msg != NULL ? msg : PQerrorMessage(d->conn), NULL);
		err_set(e, code, code == ERR_UNAVAILABLE ?
		    "the database is not reachable" :
		    "the database could not complete the request");
		d->errors++;
	} else {
		err_set(e, code, "%s", msg != NULL ? msg : "database error");
		if (det != NULL)
			err_detail(e, "%s", det);
		if (hint != NULL)
			err_hint(e, "%s", hint);
		if (col != NULL)
			err_field(e, col, "%s", msg != NULL ? msg : "invalid");
		else if (con != NULL && code == ERR_CONFLICT)
			err_detail(e, "%s%s(constraint %s)", det != NULL ? det :
			    "", det != NULL ? " " : "", con);
	}
	if (PQstatus(d->conn) != CONNECTION_OK)
		db_drop(d);
	return code;
}

/*
 * The session runs in UTC, so timestamptz text is "YYYY-MM-DD HH:MM:SS[.f]+00";
 * the API speaks RFC 3339: "YYYY-MM-DDTHH:MM:SS[.f]Z".
 */
static json_t *
timestamp_json(const char *v)
{
	char	buf[64];
	size_t	n;

	n = strlen(v);
	if (n < 22 || n >= sizeof(buf) || v[10] != ' ' ||
	    strcmp(v + n - 3, "+00") != 0)
		return json_string(v);
	memcpy(buf, v, n - 3);
	buf[10] = 'T';
	buf[n - 3] = 'Z';
	buf[n - 2] = '\0';
	return json_string(buf);
}

static json_t *
cell_json(PGresult *res, int row, int col)
{
	const char	*v;
	char		*end;
	long long	 n;
	double		 f;
	json_t		*j;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return json_boolean(v[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		n = strtoll(v, &end, 10);
		return json_integer(n);
	case OID_FLOAT4:
	case OID_FLOAT8:
		f = strtod(v, &end);
		return json_real(f);
	case OID_TIMESTAMPTZ:
		return timestamp_json(v);
	case OID_JSON:
	case OID_JSONB:
		j = json_loads(v, JSON_DECODE_ANY, NULL);
		return j != NULL ? j : json_null();
	default:
		return json_string(v);
	}
}

static int
result_rows(struct db *d, struct arena *a, PGresult *res, json_t **rows,
    struct err *e)
{
	ExecStatusType	 st;
	json_t		*arr, *obj;
	int		 r, c, nr, nc;

	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		if (res == NULL) {
			d->errors++;
			db_drop(d);
			return err_set(e, ERR_UNAVAILABLE,
			    "the database is not reachable");
		}
		return sqlstate_error(d, res, e);
	}
	if (rows == NULL)
		return 0;
	arr = json_array();
	nr = PQntuples(res);
	nc = PQnfields(res);
	for (r = 0; r < nr; r++) {
		obj = json_object();
		for (c = 0; c < nc; c++)
			json_object_set_new(obj, PQfname(res, c),
			    cell_json(res, r, c));
		json_array_append_new(arr, obj);
	}
	arena_json(a, arr);
	*rows = arr;
	return 0;
}

/*
 * A connection that broke while idle (the server restarted, say) is only
 * noticed when it is next used.  Outside a transaction nothing is lost by
 * opening a new one and running the statement again, so the first request
 * after an outage succeeds instead of failing.  Returns 1 when the caller
 * should run its statement again (res has been freed).
 */
static int
reconnected(struct db *d, int was_tx, PGresult *res, struct err *e)
{
	if (was_tx || PQstatus(d->conn) == CONNECTION_OK)
		return 0;
	PQclear(res);
	log_kv(LOG_WARN, "database connection lost; reconnecting", NULL);
	return db_connect(d, e) == 0 ? 1 : -1;
}

int
db_exec(struct db *d, struct arena *a, const struct stmt *s,
    const char *const *params, json_t **rows, struct err *e)
{
	PGresult	*res;
	int		 rc;

	if (!db_ready(d, e))
		return ERR_UNAVAILABLE;
	res = PQexecPrepared(d->conn, s->name, s->nparams, params,
	    NULL, NULL, 0);
	if ((rc = reconnected(d, d->in_tx, res, e)) < 0)
		return e->code;
	if (rc > 0)
		res = PQexecPrepared(d->conn, s->name, s->nparams, params,
	    NULL, NULL, 0);
	rc = result_rows(d, a, res, rows, e);
	PQclear(res);
	return rc;
}

int
db_exec_sql(struct db *d, struct arena *a, const char *sql, int nparams,
    const char *const *params, json_t **rows, struct err *e)
{
	PGresult	*res;
	int		 rc;

	if (!db_ready(d, e))
		return ERR_UNAVAILABLE;
	res = PQexecParams(d->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0);
	if ((rc = reconnected(d, d->in_tx, res, e)) < 0)
		return e->code;
	if (rc > 0)
		res = PQexecParams(d->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0);
	rc = result_rows(d, a, res, rows, e);
	PQclear(res);
	return rc;
}

int
db_one(struct db *d, struct arena *a, const struct stmt *s,
    const char *const *params, json_t **row, struct err *e)
{
	json_t	*rows;
	int	 rc;

	*row = NULL;
	if ((rc = db_exec(d, a, s, params, &rows, e)) != 0)
		return rc;
	if (json_array_size(rows) > 0)
		*row = json_array_get(rows, 0);
	return 0;
}

int
db_simple(struct db *d, const char *sql, struct err *e)
{
	PGresult	*res;
	int		 rc;

	if (!db_ready(d, e))
		return ERR_UNAVAILABLE;
	res = PQexec(d->conn, sql);
	if ((rc = reconnected(d, d->in_tx, res, e)) < 0)
		return e->code;
	if (rc > 0)
		res = PQexec(d->conn, sql);
	rc = result_rows(d, NULL, res, NULL, e);
	PQclear(res);
	return rc;
}

int
db_begin(struct db *d, struct err *e)
{
	int	rc;

	if ((rc = db_simple(d, "BEGIN", e)) == 0)
		d->in_tx = 1;
	return rc;
}

int
db_commit(struct db *d, struct err *e)
{
	int	rc;

	rc = db_simple(d, "COMMIT", e);
	d->in_tx = 0;
	return rc;
}

void
db_rollback(struct db *d)
{
	PGresult	*res;

	if (d->conn != NULL && PQstatus(d->conn) == CONNECTION_OK) {
		res = PQexec(d->conn, "ROLLBACK");
		PQclear(res);
	}
	d->in_tx = 0;
}

int
db_in_tx(const struct db *d)
{
	return d->in_tx;
}

int
db_should_retry(const struct db *d)
{
	return d->retry;
}

unsigned long
db_error_count(const struct db *d)
{
	return d->errors;
}

/*
 * db.h -- the only interface to PostgreSQL (libpq stays inside db/).
 *
 * Statements are declared as `struct stmt` values next to the code that
 * uses them and registered before connecting; every one is prepared when
 * a connection opens, so a typo or schema drift stops the process at
 * start, not on the first request.  Results come back as jansson values:
 * an array of row objects, typed by column (int, bool, json, text).
 */
#ifndef PY_DB_H
#define PY_DB_H

#include <jansson.h>

struct arena;
struct err;

struct stmt {
	const char	*name;
	const char	*sql;
	int		 nparams;
};

struct db;

/* Adds statements to the process-wide list prepared on every connect. */
void		 db_register(const struct stmt *, size_t n);

/* Returns a handle (not yet connected). */
struct db	*db_new(const char *conninfo);
void		 db_free(struct db *);
/*
 * Connects and prepares every registered statement.  Returns 0,
 * ERR_UNAVAILABLE when the server cannot be reached, or ERR_INTERNAL when
 * a statement does not prepare (message names it).
 */
int		 db_connect(struct db *, struct err *);
/* 1 when connected (reconnects at most once a second when not). */
int		 db_ready(struct db *, struct err *);

/*
 * Runs a registered statement with text parameters (NULL = SQL NULL).
 * *rows (if not NULL) gets a json array of row objects that the arena
 * frees.  Returns 0 or the mapped error (see db_sqlstate_error).
 */
int		 db_exec(struct db *, struct arena *, const struct stmt *,
		    const char *const *params, json_t **rows, struct err *);
/* As db_exec, returning the first row (or NULL) in *row; ERR_OK either way. */
int		 db_one(struct db *, struct arena *, const struct stmt *,
		    const char *const *params, json_t **row, struct err *);
/* Runs SQL text without parameters (migrations, BEGIN/COMMIT). */
int		 db_simple(struct db *, const char *sql, struct err *);

int		 db_begin(struct db *, struct err *);
int		 db_commit(struct db *, struct err *);
void		 db_rollback(struct db *);
int		 db_in_tx(const struct db *);

/* True when the last error was a serialization failure worth one retry. */
int		 db_should_retry(const struct db *);
/* Count of database errors since start (for metrics). */
unsigned long	 db_error_count(const struct db *);

/* Statement that has no registration (one-shot commands): SQL + params. */
int		 db_exec_sql(struct db *, struct arena *, const char *sql,
		    int nparams, const char *const *params, json_t **rows,
		    struct err *);

#endif

/*
 * numbers.h -- gap-free document numbers: SO-2026-00042.
 *
 * Numbers come from the SQL function next_document_number(kind, at)
 * (sql/0003_customers.sql): one counter row per kind and year, updated
 * under its row lock inside the caller's transaction.  Allocate the
 * number in the same transaction that stores the document: if that
 * transaction rolls back, so does the counter, and the number is handed
 * out again; concurrent transactions wait for each other, so numbers are
 * dense and unique.  See docs/internals/numbers.md.
 */
#ifndef PY_DOMAIN_NUMBERS_H
#define PY_DOMAIN_NUMBERS_H

struct arena;
struct db;
struct err;

/* Document kinds. */
#define NUMBERS_SALES_ORDER	 "SO"
#define NUMBERS_PRODUCTION_ORDER "PO"
#define NUMBERS_QUOTE		 "Q"
#define NUMBERS_INVOICE		 "INV"

/*
 * The statement numbers_next() runs.  The settings resource lists it in
 * its statement table, so every worker prepares it at connect (a statement
 * is registered once, by one table).
 */
#define NUMBERS_STMT_NAME	"numbers_next"
#define NUMBERS_STMT_SQL \
	"SELECT next_document_number($1, coalesce($2::timestamptz, now())) " \
	"AS number"
#define NUMBERS_STMT	{ NUMBERS_STMT_NAME, NUMBERS_STMT_SQL, 2 }

/*
 * Allocates the next number of `kind` for a document dated `at` (RFC 3339
 * text, or NULL for now; the year counts in the business time zone) and
 * stores it, arena-owned, in *number.  Must run inside a transaction (the
 * framework opens one for unsafe methods).  Returns 0, ERR_INVALID for an
 * unknown kind or a bad date, or a database error code.
 */
int	numbers_next(struct db *, struct arena *, const char *kind,
	    const char *at, const char **number, struct err *);

#endif

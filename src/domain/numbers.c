/*
 * numbers.c -- the C side of gap-free document numbers.  The rule lives
 * in SQL (next_document_number), so every writer gets the same numbers;
 * this file is the one way C code asks for one.
 *
 * Invariant: called only inside the transaction that stores the document.
 */

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "db/db.h"
#include "domain/numbers.h"

/* Prepared through the settings resource's table (see numbers.h). */
static const struct stmt numbers_next_stmt = NUMBERS_STMT;

int
numbers_next(struct db *db, struct arena *a, const char *kind,
    const char *at, const char **number, struct err *e)
{
	const char	*p[2];
	json_t		*row;
	const char	*s;

	*number = NULL;
	if (!db_in_tx(db))
		return err_set(e, ERR_INTERNAL, "a document number must be "
		    "allocated inside the document's transaction");
	p[0] = kind;
	p[1] = at;
	if (db_one(db, a, &numbers_next_stmt, p, &row, e) != 0)
		return e->code;
	if (row == NULL || (s = json_string_value(json_object_get(row,
	    "number"))) == NULL)
		return err_set(e, ERR_INTERNAL, "no document number came back");
	*number = arena_strdup(a, s);
	return 0;
}

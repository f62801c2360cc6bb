/*
 * corrections.h -- what printed quotes teach the estimate: the factors
 * per material and printer class that turn a quote's estimate into what
 * printing really took (sql/0014_quote_actuals.sql keeps the pairs).
 */
#ifndef PY_DOMAIN_CORRECTIONS_H
#define PY_DOMAIN_CORRECTIONS_H

#include <jansson.h>

struct arena;
struct db;
struct err;

#define CORRECTIONS_DAYS	90	/* actuals this recent count */

/* Registers the statements corrections_fit uses. */
void	corrections_register(void);

/*
 * Fits the factors again from the actuals of the last CORRECTIONS_DAYS
 * days (estimate_correction, grams and minutes apart) and replaces
 * quote_corrections with those of every material and printer class that
 * keeps enough pairs, in one transaction with an audit row (actor
 * "jobs").  *result says what was fitted.  Returns 0, or the database's
 * error.
 */
int	corrections_fit(struct db *, struct arena *, json_t **result,
	    struct err *);

#endif

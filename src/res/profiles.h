/*
 * profiles.h -- what the product pages use of print profiles.
 */
#ifndef PY_RES_PROFILES_H
#define PY_RES_PROFILES_H

#include <jansson.h>

struct req;

/*
 * Adds a plate typed in (in: name, print_minutes, units, nozzle_mm,
 * slots, ...) to the product of the request's {id}; audited.  *row gets
 * the plate.  Returns 0 or the error, with the fields named.
 */
int	profiles_insert(struct req *, json_t *in, json_t **row);

#endif

/*
 * spools.h -- what other pages use of the spools resource.
 */
#ifndef PY_RES_SPOOLS_H
#define PY_RES_SPOOLS_H

#include <jansson.h>

struct req;

/*
 * What is below its low-stock threshold, dressed for a page (the
 * inventory page and the dashboard): available_text, threshold_text and
 * days_text.  Rows live on the request arena.
 */
int	spools_low_for_page(struct req *, json_t **low);

#endif

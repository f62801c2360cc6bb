/*
 * quotes.h -- what other resources tell the quotes: that an order moved,
 * so the page of the quote it came from (/q/{token}) draws itself again;
 * and the quotes' own background work, which the jobs worker runs.
 */
#ifndef PY_RES_QUOTES_H
#define PY_RES_QUOTES_H

#include <jansson.h>

struct err;
struct job;
struct req;

/*
 * Publishes on the live channel of the quote whose order is order_id, if
 * there is one.  Errors are logged, never returned: a page that misses an
 * update is no reason to undo the order's move.
 */
void	quotes_order_moved(struct req *, long long order_id);

/*
 * Job "quote_slice" {part_id, key}: slices a quoted part with CuraEngine
 * (the shop's print profile, the part's material, layer height and
 * infill, which key names) and, when the part still has those options
 * and its quote is open, prices the quote again with the sliced grams
 * and minutes and tells its page.  A slice that the engine cannot make
 * is recorded on the part (failed, or unavailable when the engine or its
 * printer definitions are missing); the job itself fails only when it
 * could not run, and is then retried.
 */
int	quotes_slice_job(struct job *, json_t **result, struct err *);

#endif

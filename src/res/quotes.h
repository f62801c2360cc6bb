/*
 * quotes.h -- what other resources tell the quotes: that an order moved,
 * so the page of the quote it came from (/q/{token}) draws itself again.
 */
#ifndef PY_RES_QUOTES_H
#define PY_RES_QUOTES_H

struct req;

/*
 * Publishes on the live channel of the quote whose order is order_id, if
 * there is one.  Errors are logged, never returned: a page that misses an
 * update is no reason to undo the order's move.
 */
void	quotes_order_moved(struct req *, long long order_id);

#endif

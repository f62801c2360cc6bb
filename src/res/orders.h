/*
 * orders.h -- what other resources use of the orders pages: the order
 * page, which the print job forms show again when they fail.
 */
#ifndef PY_RES_ORDERS_H
#define PY_RES_ORDERS_H

struct req;

/*
 * Fills r->out with the view of the order page (templates/orders/show)
 * of order id; job_id (0: none) marks the print job whose form the
 * page shows again with its errors.
 */
int	orders_page_view(struct req *, long long id, long long job_id);

#endif

/*
 * orders.h -- what other resources use of the orders: making and
 * confirming one (quotes become orders), and the order page, which the
 * print job forms show again when they fail.
 */
#ifndef PY_RES_ORDERS_H
#define PY_RES_ORDERS_H

#include <jansson.h>

struct req;

/*
 * Creates a sales order from in (the body POST /api/v1/orders takes:
 * customer_id, source, external_id, lines, ...) with its number, and
 * audits it; *id gets its id.  Errors name the fields.
 */
int	orders_make(struct req *, json_t *in, long long *id);

/*
 * Confirms draft order id: production orders, requirements,
 * reservations and print jobs follow (domain/production.c); audited.
 */
int	orders_confirm(struct req *, long long id);
/*
 * Moves order id to status `to` as PATCH .../status does (cancelled
 * releases what production has not used); audited.
 */
int	orders_move(struct req *, long long id, const char *to);

/*
 * Fills r->out with the view of the order page (templates/orders/show)
 * of order id; job_id (0: none) marks the print job whose form the
 * page shows again with its errors.
 */
int	orders_page_view(struct req *, long long id, long long job_id);

#endif

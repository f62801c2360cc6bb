/*
 * customers.h -- what other resources use of the customers: making one
 * from a request whose body holds the customer's fields.
 */
#ifndef PY_RES_CUSTOMERS_H
#define PY_RES_CUSTOMERS_H

#include <jansson.h>

struct req;

/*
 * Creates a customer from the customer fields of r's body (name, email,
 * phone, billing_* and shipping_* address, vat_id, notes), validated as
 * POST /api/v1/customers does, with source (NULL: what the body says,
 * else "manual"); audits it.  *row gets the stored customer; errors name
 * the fields.
 */
int	customers_make_from(struct req *, const char *source, json_t **row);

#endif

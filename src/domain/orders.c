/*
 * orders.c -- order totals and the status tables (see orders.h).
 */
#include <string.h>

#include "core/str.h"
#include "domain/costing.h"
#include "domain/orders.h"

/*
 * quantity x unit price less discount_bp of it, rounded half away from
 * zero.  The product fits 64 bits (10^5 x 10^11); the discount is split
 * so no intermediate value exceeds 10^16.
 */
static long long
orders_amount(long long qty, long long unit, long long discount_bp)
{
	long long	v, off;

	v = qty * unit;
	off = v / 10000 * discount_bp + costing_share(v % 10000, discount_bp);
	return v - off;
}

int
orders_totals(struct orders_line *l, size_t n, int incl, struct orders_totals *t)
{
	struct orders_rate	*rt;
	size_t			 i, k;
	long long		 sum;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++) {
		if (l[i].quantity < 1 || l[i].quantity > 100000 ||
		    l[i].unit_price_cents < 0 || l[i].unit_price_cents >
		    100000000000LL || l[i].discount_bp < 0 ||
		    l[i].discount_bp > 10000 || l[i].vat_bp < 0 ||
		    l[i].vat_bp > 10000 || l[i].vat_rate == NULL)
			return -1;
		l[i].amount_cents = orders_amount(l[i].quantity,
		    l[i].unit_price_cents, l[i].discount_bp);
		for (k = 0; k < t->nrates; k++)
			if (t->rates[k].bp == l[i].vat_bp &&
			    strcmp(t->rates[k].name, l[i].vat_rate) == 0)
				break;
		if (k == t->nrates) {
			if (t->nrates == ORDERS_MAX_RATES)
				return -1;
			t->rates[k].name = l[i].vat_rate;
			t->rates[k].bp = l[i].vat_bp;
			t->nrates++;
		}
		/* the sum so far is below 10^13 and an amount below 10^16 */
		rt = &t->rates[k];
		if (incl)
			rt->gross_cents += l[i].amount_cents;
		else
			rt->net_cents += l[i].amount_cents;
		if (rt->gross_cents + rt->net_cents > ORDERS_MAX_CENTS)
			return -1;
	}
	sum = 0;
	for (k = 0; k < t->nrates; k++) {
		rt = &t->rates[k];
		if (incl) {
			rt->net_cents = costing_net_of_gross(rt->gross_cents,
			    rt->bp);
			rt->vat_cents = rt->gross_cents - rt->net_cents;
		} else {
			rt->vat_cents = costing_share(rt->net_cents, rt->bp);
			rt->gross_cents = rt->net_cents + rt->vat_cents;
		}
		t->net_cents += rt->net_cents;
		t->vat_cents += rt->vat_cents;
		t->gross_cents += rt->gross_cents;
		sum += rt->gross_cents;
		if (sum > ORDERS_MAX_CENTS)
			return -1;
	}
	return 0;
}

/* Each machine: its states, and the states allowed after each. */
struct orders_edge {
	const char	*from;
	const char	*to;	/* "a|b" */
};

static const struct orders_edge orders_sales[] = {
	{ "draft", "confirmed|cancelled" },
	{ "confirmed", "in_production|ready|cancelled" },
	{ "in_production", "ready|cancelled" },
	{ "ready", "shipped|cancelled" },
	{ "shipped", "completed" },
	{ "completed", "" },
	{ "cancelled", "" },
	{ NULL, NULL },
};

static const struct orders_edge orders_production[] = {
	{ "planned", "in_progress|done|cancelled" },
	{ "in_progress", "done|cancelled" },
	{ "done", "" },
	{ "cancelled", "" },
	{ NULL, NULL },
};

static const struct orders_edge orders_job[] = {
	{ "queued", "started|cancelled" },
	{ "started", "completed|failed|cancelled" },
	{ "completed", "" },
	{ "failed", "" },
	{ "cancelled", "" },
	{ NULL, NULL },
};

static const struct orders_edge *
orders_table(enum orders_machine m)
{
	switch (m) {
	case ORDERS_SALES:
		return orders_sales;
	case ORDERS_PRODUCTION:
		return orders_production;
	case ORDERS_JOB:
		return orders_job;
	}
	return NULL;
}

const char *
orders_next(enum orders_machine m, const char *from)
{
	const struct orders_edge	*e;

	if (from == NULL || (e = orders_table(m)) == NULL)
		return NULL;
	for (; e->from != NULL; e++)
		if (strcmp(e->from, from) == 0)
			return e->to;
	return NULL;
}

int
orders_known(enum orders_machine m, const char *state)
{
	return orders_next(m, state) != NULL;
}

int
orders_can(enum orders_machine m, const char *from, const char *to)
{
	const char	*next;

	next = orders_next(m, from);
	return next != NULL && to != NULL && *to != '\0' &&
	    str_in_choices(next, to);
}

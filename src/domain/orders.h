/*
 * orders.h -- the rules of orders that are not SQL: what a line and an
 * order add up to, and which status may follow which.
 *
 * Totals: a line's amount is quantity x unit price, less its discount,
 * rounded once to the cent.  Amounts are summed per VAT rate; the VAT of
 * a rate is taken from that sum (rounded once per rate, as an invoice
 * shows it), from the gross sum when prices include VAT, else from the
 * net sum.  The order's net, VAT and gross are the sums of the rates, so
 * every figure a person sees adds up to the cent.
 *
 * State machines (sales order, production order, print job): one table
 * each; an answer of "no" comes with the list of states allowed next.
 * Pure functions: no I/O, no globals beyond the constant tables.
 */
#ifndef PY_DOMAIN_ORDERS_H
#define PY_DOMAIN_ORDERS_H

#include <stddef.h>

/* Distinct VAT rates one order may carry. */
#define ORDERS_MAX_RATES	8
/* Largest order total, in cents (10^13: 100 billion). */
#define ORDERS_MAX_CENTS	10000000000000LL

struct orders_line {
	long long	 quantity;	/* 1 .. 100000 */
	long long	 unit_price_cents; /* 0 .. 10^11 */
	long long	 discount_bp;	/* 0 .. 10000 */
	const char	*vat_rate;	/* name, e.g. "standard" */
	long long	 vat_bp;	/* 1900 = 19 % */
	long long	 amount_cents;	/* out */
};

struct orders_rate {
	const char	*name;
	long long	 bp;
	long long	 net_cents;
	long long	 vat_cents;
	long long	 gross_cents;
};

struct orders_totals {
	long long		 net_cents;
	long long		 vat_cents;
	long long		 gross_cents;
	struct orders_rate	 rates[ORDERS_MAX_RATES];
	size_t			 nrates;
};

/*
 * Fills each line's amount and *t.  Returns 0, or -1 when a value is out
 * of range, the order holds more than ORDERS_MAX_RATES rates or its total
 * exceeds ORDERS_MAX_CENTS.
 */
int	orders_totals(struct orders_line *, size_t n, int prices_include_vat,
	    struct orders_totals *t);

enum orders_machine {
	ORDERS_SALES,		/* draft, confirmed, in_production, ... */
	ORDERS_PRODUCTION,	/* planned, in_progress, done, cancelled */
	ORDERS_JOB		/* queued, started, completed, failed, ... */
};

/* 1 when `state` is a state of the machine. */
int		 orders_known(enum orders_machine, const char *state);
/* The states allowed after `from` as "a|b" ("" for none, NULL: unknown). */
const char	*orders_next(enum orders_machine, const char *from);
/* 1 when `to` may follow `from`. */
int		 orders_can(enum orders_machine, const char *from,
		    const char *to);

#endif

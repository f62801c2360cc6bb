/*
 * costing.c -- rounding of product costs to whole cents (see costing.h).
 *
 * Every rounding is half away from zero on exact integers or on the exact
 * decimal text that PostgreSQL's numeric produced; no floating point.
 */
#include <stddef.h>

#include "domain/costing.h"

#define COSTING_MAX	1000000000000000LL	/* 10^15 cents */

int
costing_round(const char *s, long long *cents)
{
	long long	v;
	int		neg, digits;

	if (s == NULL)
		return -1;
	neg = 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	v = 0;
	digits = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > COSTING_MAX)
			return -1;
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		if (*s >= '5' && *s <= '9')
			v++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits++;
		}
	}
	if (*s != '\0' || digits == 0)
		return -1;
	*cents = neg ? -v : v;
	return 0;
}

long long
costing_muldiv(long long a, long long num, long long den)
{
	long long	p;
	int		neg;

	p = a * num;
	neg = p < 0;
	if (neg)
		p = -p;
	p = (2 * p + den) / (2 * den);
	return neg ? -p : p;
}

long long
costing_share(long long cents, long long bp)
{
	return costing_muldiv(cents, bp, 10000);
}

long long
costing_price_for_margin(long long cost, long long margin_bp)
{
	if (margin_bp < 0 || margin_bp >= 10000)
		return cost;
	return costing_muldiv(cost, 10000, 10000 - margin_bp);
}

long long
costing_net_of_gross(long long gross, long long vat_bp)
{
	return costing_muldiv(gross, 10000, 10000 + vat_bp);
}

long long
costing_gross_of_net(long long net, long long vat_bp)
{
	return costing_muldiv(net, 10000 + vat_bp, 10000);
}

long long
costing_margin_bp(long long net, long long cost)
{
	if (net <= 0)
		return 0;
	return costing_muldiv(net - cost, 10000, net);
}

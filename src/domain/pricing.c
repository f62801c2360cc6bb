/*
 * pricing.c -- the price of printed parts (see pricing.h).
 *
 * Pure: no I/O, no globals.  Doubles appear only where the estimate is
 * a measure (grams, minutes); each is turned into cents by one rounding
 * and from then on everything is integer arithmetic.
 */
#include <math.h>
#include <string.h>

#include "domain/orders.h"
#include "domain/pricing.h"

/* Largest unit price a sales order line takes. */
#define PRICING_MAX_UNIT	100000000000LL

/* Cents of a measure, rounded half away from zero; -1 past the limit. */
static long long
pricing_cents(double v)
{
	if (!isfinite(v) || v < 0 || v > (double)ORDERS_MAX_CENTS)
		return -1;
	return llround(v);
}

/* The discount of the highest tier quantity reaches. */
static long long
pricing_tier(const struct pricing_settings *s, long long qty)
{
	long long	bp = 0;
	size_t		i;

	for (i = 0; i < s->ntiers && i < PRICING_MAX_TIERS; i++)
		if (qty >= s->tier_qty[i])
			bp = s->tier_bp[i];
	return bp;
}

static void
pricing_add(struct pricing_lines *sum, const struct pricing_lines *l)
{
	sum->material_cents += l->material_cents;
	sum->machine_cents += l->machine_cents;
	sum->labour_cents += l->labour_cents;
	sum->setup_cents += l->setup_cents;
	sum->overhead_cents += l->overhead_cents;
	sum->margin_cents += l->margin_cents;
	sum->discount_cents += l->discount_cents;
}

static int
pricing_part(const struct pricing_settings *s, struct pricing_part *p)
{
	struct pricing_lines	*l = &p->lines;
	long long		 base, target, step = s->rounding_cents;
	double			 q = (double)p->quantity;

	if (p->quantity < 1 || p->quantity > 10000 || !(p->grams >= 0) ||
	    !(p->minutes >= 0) || p->cost_per_kg_cents < 0 ||
	    p->markup_bp < 0)
		return -1;
	l->material_cents = pricing_cents(p->grams * q *
	    (double)p->cost_per_kg_cents / 1000.0 *
	    (double)(10000 + p->markup_bp) / 10000.0);
	l->machine_cents = pricing_cents(p->minutes * q *
	    (double)s->machine_rate_cents / 60.0);
	l->labour_cents = pricing_cents(s->handling_minutes * q *
	    (double)s->labour_rate_cents / 60.0);
	l->setup_cents = s->setup_fee_cents;
	if (l->material_cents < 0 || l->machine_cents < 0 ||
	    l->labour_cents < 0)
		return -1;
	base = l->material_cents + l->machine_cents + l->labour_cents +
	    l->setup_cents;
	l->overhead_cents = pricing_cents((double)base *
	    (double)s->overhead_bp / 10000.0);
	if (l->overhead_cents < 0)
		return -1;
	if (p->override_unit_cents >= 0)
		p->unit_cents = p->override_unit_cents;
	else {
		/* the net price whose margin is the target, per piece */
		target = pricing_cents((double)(base + l->overhead_cents) *
		    10000.0 / (double)(10000 - s->margin_bp) / q);
		if (target < 0)
			return -1;
		p->unit_cents = (target + step - 1) / step * step;
	}
	if (p->unit_cents > PRICING_MAX_UNIT ||
	    p->unit_cents > ORDERS_MAX_CENTS / p->quantity)
		return -1;
	p->discount_bp = pricing_tier(s, p->quantity);
	l->margin_cents = p->unit_cents * p->quantity - base -
	    l->overhead_cents;
	p->unit_gross_cents = pricing_cents((double)p->unit_cents *
	    (double)(10000 + s->vat_bp) / 10000.0);
	return 0;
}

int
pricing_quote(const struct pricing_settings *s, struct pricing_part *parts,
    size_t n, struct pricing_total *t)
{
	struct orders_line	 l[PRICING_MAX_PARTS + 1];
	struct orders_totals	 ot;
	size_t			 i;

	memset(t, 0, sizeof(*t));
	if (n > PRICING_MAX_PARTS || s->rounding_cents < 1 ||
	    s->margin_bp < 0 || s->margin_bp > 9000 || s->overhead_bp < 0 ||
	    s->vat_bp < 0 || s->vat_bp > 10000 || s->minimum_cents < 0 ||
	    !(s->handling_minutes >= 0))
		return -1;
	for (i = 0; i < n; i++) {
		if (pricing_part(s, &parts[i]) != 0)
			return -1;
		memset(&l[i], 0, sizeof(l[i]));
		l[i].quantity = parts[i].quantity;
		l[i].unit_price_cents = parts[i].unit_cents;
		l[i].discount_bp = parts[i].discount_bp;
		l[i].vat_rate = s->vat_rate;
		l[i].vat_bp = s->vat_bp;
	}
	if (orders_totals(l, n, 0, &ot) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		parts[i].amount_cents = l[i].amount_cents;
		parts[i].lines.discount_cents = parts[i].unit_cents *
		    parts[i].quantity - l[i].amount_cents;
		pricing_add(&t->lines, &parts[i].lines);
	}
	if (ot.net_cents < s->minimum_cents) {
		/* the same line the sales order will carry */
		t->minimum_cents = s->minimum_cents - ot.net_cents;
		memset(&l[n], 0, sizeof(l[n]));
		l[n].quantity = 1;
		l[n].unit_price_cents = t->minimum_cents;
		l[n].vat_rate = s->vat_rate;
		l[n].vat_bp = s->vat_bp;
		if (orders_totals(l, n + 1, 0, &ot) != 0)
			return -1;
	}
	t->net_cents = ot.net_cents;
	t->vat_cents = ot.vat_cents;
	t->gross_cents = ot.gross_cents;
	return 0;
}

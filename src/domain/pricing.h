/*
 * pricing.h -- the price of printed parts, in one place.
 *
 * Each part of a quote is priced from its estimate per piece (grams,
 * minutes) and the shop's settings; all money is integer minor units and
 * every amount is rounded exactly once, here:
 *
 *   material  grams x quantity x cost per kg x (1 + markup)
 *   machine   minutes x quantity x machine rate per hour
 *   labour    handling minutes x quantity x labour rate per hour
 *   setup     the setup fee, once per part
 *   overhead  overhead % of the four above
 *   unit      (costs + overhead) / (1 - target margin) per piece, rounded
 *             up to a multiple of the rounding step (or the staff's
 *             override)
 *   discount  the quantity tier's % of unit x quantity
 *   margin    what is left: unit x quantity - costs - overhead
 *
 * so that material + machine + labour + setup + overhead + margin -
 * discount is exactly the part's amount.  A quote whose parts come to
 * less than the minimum order value gets a "minimum" line for the rest.
 * VAT is computed by orders_totals() over the same lines a sales order
 * will hold, so the order made from the quote has the quote's totals to
 * the cent.
 */
#ifndef PY_DOMAIN_PRICING_H
#define PY_DOMAIN_PRICING_H

#include <stddef.h>

#define PRICING_MAX_TIERS	8
#define PRICING_MAX_PARTS	100

struct pricing_settings {
	long long	 machine_rate_cents;	/* per hour of printing */
	long long	 labour_rate_cents;	/* per hour of handling */
	long long	 setup_fee_cents;	/* per part */
	double		 handling_minutes;	/* per piece */
	long long	 overhead_bp;
	long long	 margin_bp;		/* 0 .. 9000 */
	long long	 minimum_cents;
	long long	 rounding_cents;	/* >= 1 */
	long long	 tier_qty[PRICING_MAX_TIERS];	/* ascending */
	long long	 tier_bp[PRICING_MAX_TIERS];
	size_t		 ntiers;
	const char	*vat_rate;		/* name, e.g. "standard" */
	long long	 vat_bp;
};

/* The lines a price is made of, for one part or the whole quote. */
struct pricing_lines {
	long long	 material_cents;
	long long	 machine_cents;
	long long	 labour_cents;
	long long	 setup_cents;
	long long	 overhead_cents;
	long long	 margin_cents;
	long long	 discount_cents;
};

struct pricing_part {
	/* in */
	double		 grams;			/* per piece */
	double		 minutes;		/* per piece */
	long long	 quantity;		/* 1 .. 10000 */
	long long	 cost_per_kg_cents;
	long long	 markup_bp;
	long long	 override_unit_cents;	/* < 0: none */
	/* out */
	struct pricing_lines	 lines;
	long long	 discount_bp;
	long long	 unit_cents;		/* net, per piece */
	long long	 unit_gross_cents;	/* with VAT, for consumers */
	long long	 amount_cents;		/* net, after discount */
};

struct pricing_total {
	struct pricing_lines	 lines;	/* the parts' summed */
	long long	 minimum_cents;		/* surcharge up to the minimum */
	long long	 net_cents;
	long long	 vat_cents;
	long long	 gross_cents;
};

/*
 * Prices n parts (fills their out fields) and the quote.  Returns 0, or
 * -1 when an input is out of range or an amount would pass the largest
 * order total (the caller answers 422).
 */
int	pricing_quote(const struct pricing_settings *, struct pricing_part *,
	    size_t n, struct pricing_total *);

#endif

/*
 * costing.h -- the one place where product costs are rounded to cents.
 *
 * Amounts are computed exactly (PostgreSQL numeric, or integers here)
 * and rounded only by these functions, half away from zero, to whole
 * minor units of the currency.  A roll-up rounds each listed part once
 * and adds the rounded parts, so the parts a person sees add up to the
 * total to the cent.  Pure functions: no I/O, no globals.
 */
#ifndef PY_DOMAIN_COSTING_H
#define PY_DOMAIN_COSTING_H

/*
 * What an hour of printer time costs when no printer tells (wear,
 * energy, depreciation): 1.50 per hour.  Plates cost the average
 * machine_rate_cents_per_hour of the active printers that can print
 * them, print jobs the rate of the printer that ran them
 * (sql/0006_printers.sql); this rate stands in when there is none.
 */
#define COSTING_MACHINE_RATE_CENTS_PER_HOUR	150
/* How deep sub-products may nest in a roll-up. */
#define COSTING_MAX_DEPTH			16

/*
 * Rounds an exact decimal amount of cents ("1234.5678", "-0.5", "12")
 * to whole cents into *cents.  Returns 0, or -1 when the text is not a
 * plain decimal or is out of range (above 10^15).
 */
int		 costing_round(const char *decimal, long long *cents);
/* a * num / den rounded; den > 0, |a * num| below 2^62. */
long long	 costing_muldiv(long long a, long long num, long long den);
/* The share bp (basis points, 1 % = 100) of cents, rounded. */
long long	 costing_share(long long cents, long long bp);
/*
 * The net price at which cost leaves margin_bp of the price as margin:
 * cost / (1 - margin), rounded.  margin_bp must be below 10000.
 */
long long	 costing_price_for_margin(long long cost, long long margin_bp);
/* Gross <-> net with a VAT rate in basis points, rounded. */
long long	 costing_net_of_gross(long long gross, long long vat_bp);
long long	 costing_gross_of_net(long long net, long long vat_bp);
/* The margin of a net price over a cost, in basis points (0 if no price). */
long long	 costing_margin_bp(long long net, long long cost);

#endif

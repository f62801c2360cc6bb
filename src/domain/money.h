/*
 * money.h -- amounts and rates typed by people, as exact integers.
 *
 * Money is kept as integer minor units (cents) and rates as basis points
 * (1 % = 100 bp).  People type decimals ("45.50", "45,5", "19", "7.5"):
 * these functions turn such text into integers and back without floating
 * point, so a value shown in a form and sent back unchanged is unchanged.
 * Pure functions: no I/O, no globals.
 */
#ifndef PY_DOMAIN_MONEY_H
#define PY_DOMAIN_MONEY_H

#include <stddef.h>

/*
 * Parses an unsigned decimal with at most `digits` places after a '.'
 * or ',' (surrounding blanks allowed) into units of 10^-digits: with
 * digits = 2, "45,5" is 4550.  Returns 0, or -1 for anything else
 * (signs, thousands separators, more places, values above max).
 */
int	 money_parse(const char *s, int digits, long long max, long long *out);
/*
 * Writes v (units of 10^-digits) as plain decimal text with '.' into out:
 * "45.50" for 4550 with digits = 2; with trim set, trailing zero places
 * go ("19" for 1900, "12.5" for 1250).  Returns out.
 */
char	*money_text(char *out, size_t len, long long v, int digits, int trim);

#endif

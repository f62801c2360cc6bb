/*
 * money.c -- decimal text to integer minor units and basis points, and
 * back.  Exact: integers only; overflow is refused before it happens.
 */
#include <stdio.h>
#include <string.h>

#include "domain/money.h"

static int
money_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
money_parse(const char *s, int digits, long long max, long long *out)
{
	long long	 v;
	int		 places, seen_sep, any;

	if (s == NULL || digits < 0 || digits > 6)
		return -1;
	while (money_blank(*s))
		s++;
	v = 0;
	places = seen_sep = any = 0;
	for (; *s != '\0' && !money_blank(*s); s++) {
		if (*s == '.' || *s == ',') {
			if (seen_sep || !any)
				return -1;
			seen_sep = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (seen_sep && ++places > digits)
			return -1;
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
		any = 1;
	}
	while (money_blank(*s))
		s++;
	if (*s != '\0' || !any || (seen_sep && places == 0))
		return -1;
	for (; places < digits; places++) {
		if (v > max / 10)
			return -1;
		v *= 10;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

char *
money_text(char *out, size_t len, long long v, int digits, int trim)
{
	long long	 unit, whole, frac;
	size_t		 n;
	int		 i;

	for (unit = 1, i = 0; i < digits; i++)
		unit *= 10;
	whole = v / unit;
	frac = v % unit;
	if (frac < 0)
		frac = -frac;
	if (digits == 0)
		snprintf(out, len, "%lld", whole);
	else
		snprintf(out, len, "%s%lld.%0*lld", v < 0 && whole == 0 ?
		    "-" : "", whole, digits, frac);
	if (trim && digits > 0 && strchr(out, '.') != NULL) {
		n = strlen(out);
		while (n > 0 && out[n - 1] == '0')
			out[--n] = '\0';
		if (n > 0 && out[n - 1] == '.')
			out[--n] = '\0';
	}
	return out;
}

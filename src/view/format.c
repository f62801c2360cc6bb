/*
 * format.c -- money and dates per language.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "view/format.h"

void
format_set_timezone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static const char *
currency_symbol(const char *code)
{
	if (strcmp(code, "EUR") == 0)
		return "€";
	if (strcmp(code, "USD") == 0)
		return "$";
	if (strcmp(code, "GBP") == 0)
		return "£";
	if (strcmp(code, "CHF") == 0)
		return "CHF";
	return code;
}

/* Groups the whole units with sep every three digits. */
static void
group(char *out, size_t len, unsigned long long units, char sep)
{
	char	digits[32], *o;
	int	n, i;

	n = snprintf(digits, sizeof(digits), "%llu", units);
	o = out;
	for (i = 0; i < n && (size_t)(o - out) + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			*o++ = sep;
		*o++ = digits[i];
	}
	*o = '\0';
}

char *
format_money(char *out, size_t len, long long cents, const char *currency,
    const char *lang)
{
	unsigned long long	 abs;
	char			 whole[48];
	const char		*sym, *sign;
	int			 de;

	de = lang != NULL && strcmp(lang, "de") == 0;
	sign = cents < 0 ? "-" : "";
	abs = cents < 0 ? 0ULL - (unsigned long long)cents :
	    (unsigned long long)cents;
	group(whole, sizeof(whole), abs / 100, de ? '.' : ',');
	sym = currency_symbol(currency != NULL ? currency : "EUR");
	if (de)
		snprintf(out, len, "%s%s,%02llu %s", sign, whole, abs % 100,
		    sym);
	else if (strlen(sym) > 1 && strcmp(sym, "€") != 0 &&
	    strcmp(sym, "£") != 0)
		snprintf(out, len, "%s%s %s.%02llu", sign, sym, whole,
		    abs % 100);
	else
		snprintf(out, len, "%s%s%s.%02llu", sign, sym, whole,
		    abs % 100);
	return out;
}

char *
format_datetime(char *out, size_t len, const char *s, const char *lang)
{
	struct tm	 tm;
	const char	*end;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	out[0] = '\0';
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) ==
	    NULL)
		return out;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") != 0)
		return out;
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(out, len, lang != NULL && strcmp(lang, "de") == 0 ?
	    "%d.%m.%Y, %H:%M" : "%d %b %Y, %H:%M", &tm);
	return out;
}

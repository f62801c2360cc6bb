/*
 * format.h -- numbers and dates as people read them, per language.
 *
 * Money is integer minor units (cents) plus an ISO 4217 code; the result
 * is exact (no floating point).  Times arrive from the database as
 * RFC 3339 UTC text and are shown in the business time zone set by
 * format_set_timezone().
 */
#ifndef PY_FORMAT_H
#define PY_FORMAT_H

#include <stddef.h>

/* Sets the business time zone (an IANA name such as "Europe/Berlin"). */
void	format_set_timezone(const char *tz);

/*
 * "€1,234.56" (en) or "1.234,56 €" (de) into out; negative amounts get a
 * leading minus.  Returns out.
 */
char	*format_money(char *out, size_t len, long long cents,
	    const char *currency, const char *lang);

/*
 * "21 Nov 2026, 12:59" (en) or "21.11.2026, 12:59" (de), local time of
 * the business; "" when the text is not an RFC 3339 UTC time.
 */
char	*format_datetime(char *out, size_t len, const char *rfc3339,
	    const char *lang);

#endif

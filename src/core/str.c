/*
 * str.c -- small string helpers.
 */
#include <string.h>

#include "core/str.h"

int
str_in_choices(const char *choices, const char *v)
{
	const char	*p, *bar;
	size_t		 n;

	n = strlen(v);
	for (p = choices; p != NULL; p = bar != NULL ? bar + 1 : NULL) {
		bar = strchr(p, '|');
		if ((size_t)((bar != NULL ? bar : p + strlen(p)) - p) == n &&
		    strncmp(p, v, n) == 0)
			return 1;
	}
	return 0;
}

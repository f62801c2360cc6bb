/*
 * str.c -- small string helpers.
 */
#include <ctype.h>
#include <string.h>

#include "core/arena.h"
#include "core/str.h"

char *
str_trim(struct arena *a, const char *s)
{
	size_t	n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return arena_strndup(a, s, n);
}

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

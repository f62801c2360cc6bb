/*
 * str.h -- small string helpers.
 */
#ifndef PY_STR_H
#define PY_STR_H

struct arena;

/* An arena copy of s without surrounding white space. */
char	*str_trim(struct arena *, const char *s);

/* 1 when v is one of the '|'-separated words of choices ("a|b|c"). */
int	str_in_choices(const char *choices, const char *v);

#endif

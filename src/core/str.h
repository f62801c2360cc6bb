/*
 * str.h -- small string helpers.
 */
#ifndef PY_STR_H
#define PY_STR_H

/* 1 when v is one of the '|'-separated words of choices ("a|b|c"). */
int	str_in_choices(const char *choices, const char *v);

#endif

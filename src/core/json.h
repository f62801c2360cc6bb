/*
 * json.h -- jansson values that live as long as an arena.
 */
#ifndef PY_JSON_H
#define PY_JSON_H

#include <jansson.h>

struct arena;

/* Hands j's reference to the arena (dropped at reset) and returns j. */
json_t	*arena_json(struct arena *, json_t *j);

#endif

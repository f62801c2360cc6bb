/*
 * json.c -- jansson values that live as long as an arena.
 */
#include "core/arena.h"
#include "core/json.h"

static void
json_drop(void *p)
{
	json_decref(p);
}

json_t *
arena_json(struct arena *a, json_t *j)
{
	if (j != NULL)
		arena_defer(a, json_drop, j);
	return j;
}

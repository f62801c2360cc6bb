/*
 * json.h -- jansson values that live as long as an arena.
 */
#ifndef PY_JSON_H
#define PY_JSON_H

#include <jansson.h>

struct arena;

/* Hands j's reference to the arena (dropped at reset) and returns j. */
json_t	*arena_json(struct arena *, json_t *j);

struct buf;

/*
 * Appends j as compact JSON to b, keys in the order they were set (an
 * answer's bytes go straight into the response).  0, or -1 when the
 * buffer's ceiling was reached.
 */
int	json_to_buf(struct buf *, json_t *j);

/* j as compact JSON text with sorted keys, on the arena (NULL: NULL). */
const char *arena_json_text(struct arena *, json_t *j);

/* The words of a '|'-separated list ("a|b") as an array ("": []). */
json_t	*json_words(const char *list);

/* A field of a row object: integer, number or string (0, 0, NULL if absent). */
long long	 json_row_int(json_t *row, const char *key);
double		 json_row_num(json_t *row, const char *key);
const char	*json_row_str(json_t *row, const char *key);

#endif

/*
 * json.c -- jansson values that live as long as an arena.
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
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

const char *
arena_json_text(struct arena *a, json_t *j)
{
	char		*s;
	const char	*out;

	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	out = arena_strdup(a, s != NULL ? s : "null");
	free(s);
	return out;
}

long long
json_row_int(json_t *row, const char *key)
{
	return (long long)json_integer_value(json_object_get(row, key));
}

double
json_row_num(json_t *row, const char *key)
{
	return json_number_value(json_object_get(row, key));
}

const char *
json_row_str(json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static int
json_buf_add(const char *s, size_t n, void *b)
{
	return buf_add(b, s, n) == 0 ? 0 : -1;
}

int
json_to_buf(struct buf *b, json_t *j)
{
	return json_dump_callback(j, json_buf_add, b, JSON_COMPACT |
	    JSON_ENCODE_ANY);
}

json_t *
json_words(const char *s)
{
	json_t		*a;
	const char	*end;

	a = json_array();
	for (; s != NULL && *s != '\0'; s = *end != '\0' ? end + 1 : end) {
		end = strchr(s, '|');
		if (end == NULL)
			end = s + strlen(s);
		json_array_append_new(a, json_stringn(s, (size_t)(end - s)));
	}
	return a;
}

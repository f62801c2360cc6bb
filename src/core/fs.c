/*
 * fs.c -- small file-system helpers.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/fs.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **
fs_list(struct arena *a, const char *dir, const char *suffix, size_t max,
    size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	char		**names;
	size_t		 len, slen;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	names = arena_calloc(a, max > 0 ? max : 1, sizeof(*names));
	slen = strlen(suffix);
	while ((de = readdir(d)) != NULL && *n < max) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen ||
		    strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		names[(*n)++] = arena_strdup(a, de->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), by_name);
	return names;
}

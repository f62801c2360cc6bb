/*
 * openapi.c -- loads docs/openapi.yaml once and keeps it as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/err.h"
#include "parse/yaml.h"

#define OPENAPI_MAX	(4 * 1024 * 1024)

int	openapi_load(struct arena *, const char *, json_t **, struct err *);

int
openapi_load(struct arena *a, const char *path, json_t **out, struct err *e)
{
	FILE	*f;
	char	*s;
	size_t	 n;
	int	 rc;

	if ((f = fopen(path, "rb")) == NULL)
		return err_set(e, ERR_INTERNAL, "cannot read %s", path);
	s = arena_alloc(a, OPENAPI_MAX);
	n = fread(s, 1, OPENAPI_MAX, f);
	fclose(f);
	if (n == OPENAPI_MAX)
		return err_set(e, ERR_INTERNAL, "%s is too large", path);
	if ((rc = yaml_to_json(s, n, out, e)) != 0) {
		err_detail(e, "in %s", path);
		return rc;
	}
	arena_json(a, *out);
	return 0;
}

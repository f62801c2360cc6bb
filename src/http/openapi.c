/*
 * openapi.c -- loads the API description once and keeps it as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/err.h"
#include "core/fs.h"
#include "parse/yaml.h"

#define OPENAPI_MAX	(4 * 1024 * 1024)
#define OPENAPI_FRAGMENTS	256

int	openapi_load(struct arena *, const char *, json_t **, struct err *);

/* Reads one YAML file into a new JSON value. */
static int
load_yaml(struct arena *a, const char *path, json_t **out, struct err *e)
{
	FILE	*f;
	char	*s;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return err_set(e, ERR_INTERNAL, "cannot read %s", path);
	s = arena_alloc(a, OPENAPI_MAX);
	n = fread(s, 1, OPENAPI_MAX, f);
	fclose(f);
	if (n == OPENAPI_MAX)
		return err_set(e, ERR_INTERNAL, "%s is too large", path);
	if (yaml_to_json(s, n, out, e) != 0) {
		err_detail(e, "in %s", path);
		return e->code;
	}
	return 0;
}

/*
 * Merges a fragment's "paths" and "components" sections into the main
 * document; a path or component named twice is an error.
 */
static int
merge(json_t *doc, json_t *frag, const char *path, struct err *e)
{
	json_t		*dst, *src, *sect, *v, *have;
	const char	*key, *kind;

	json_object_foreach(frag, key, v) {
		if (strcmp(key, "paths") != 0 && strcmp(key, "components") != 0)
			return err_set(e, ERR_INTERNAL, "%s: a fragment holds "
			    "only paths and components, not \"%s\"", path, key);
	}
	src = json_object_get(frag, "paths");
	dst = json_object_get(doc, "paths");
	json_object_foreach(src, key, v) {
		if (json_object_get(dst, key) != NULL)
			return err_set(e, ERR_INTERNAL, "%s: path %s is "
			    "described twice", path, key);
		json_object_set(dst, key, v);
	}
	json_object_foreach(json_object_get(frag, "components"), kind, sect) {
		if ((have = json_object_get(json_object_get(doc,
		    "components"), kind)) == NULL) {
			have = json_object();
			json_object_set_new(json_object_get(doc, "components"),
			    kind, have);
		}
		json_object_foreach(sect, key, v) {
			if (json_object_get(have, key) != NULL)
				return err_set(e, ERR_INTERNAL, "%s: component "
				    "%s/%s is described twice", path, kind,
				    key);
			json_object_set(have, key, v);
		}
	}
	return 0;
}

/*
 * The API description is docs/openapi.yaml (info, shared components and
 * the system routes) plus one fragment per resource in the folder
 * openapi/ beside it, merged in name order.
 */
int
openapi_load(struct arena *a, const char *path, json_t **out, struct err *e)
{
	char		*dir, *slash, **names;
	size_t		 n, i;
	json_t		*frag;
	int		 rc;

	if (load_yaml(a, path, out, e) != 0)
		return e->code;
	arena_json(a, *out);
	if (!json_is_object(json_object_get(*out, "paths")) ||
	    !json_is_object(json_object_get(*out, "components")))
		return err_set(e, ERR_INTERNAL, "%s needs paths and components",
		    path);
	dir = arena_strdup(a, path);
	slash = strrchr(dir, '/');
	dir = slash != NULL ? arena_printf(a, "%.*s/openapi", (int)(slash -
	    dir), dir) : arena_strdup(a, "openapi");
	if ((names = fs_list(a, dir, ".yaml", OPENAPI_FRAGMENTS, &n)) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		path = arena_printf(a, "%s/%s", dir, names[i]);
		if (load_yaml(a, path, &frag, e) != 0)
			return e->code;
		rc = merge(*out, frag, path, e);
		json_decref(frag);
		if (rc != 0)
			return rc;
	}
	return 0;
}

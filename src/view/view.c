/*
 * view.c -- load templates and catalogs; render by name.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fs.h"
#include "view/mustache.h"
#include "view/view.h"

#define VIEW_MAX_TEMPLATES	512
#define VIEW_MAX_FILE		(1024 * 1024)

struct tpl {
	const char		*name;
	const struct mustache	*m;
};

struct view {
	struct tpl	 tpls[VIEW_MAX_TEMPLATES];
	size_t		 ntpls;
	json_t		*en;
	json_t		*de;
};

static char *
read_file(struct arena *a, const char *path, size_t *len, struct err *e)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		err_set(e, ERR_INVALID, "cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    n > VIEW_MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		err_set(e, ERR_INVALID, "%s is unreadable or too large", path);
		return NULL;
	}
	p = arena_alloc(a, (size_t)n + 1);
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		err_set(e, ERR_INVALID, "cannot read %s", path);
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static int
load_dir(struct view *v, struct arena *a, const char *root, const char *rel,
    struct err *e)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*path, *sub, *src;
	size_t		 len, nlen;
	int		 rc;

	path = rel[0] ? arena_printf(a, "%s/%s", root, rel) :
	    arena_strdup(a, root);
	if ((d = opendir(path)) == NULL)
		return err_set(e, ERR_INVALID, "cannot open template folder "
		    "%s: %s", path, strerror(errno));
	rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		sub = rel[0] ? arena_printf(a, "%s/%s", rel, de->d_name) :
		    arena_strdup(a, de->d_name);
		if (stat(arena_printf(a, "%s/%s", root, sub), &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = load_dir(v, a, root, sub, e);
			continue;
		}
		nlen = strlen(sub);
		if (nlen < 10 || strcmp(sub + nlen - 9, ".mustache") != 0)
			continue;
		if (v->ntpls == VIEW_MAX_TEMPLATES) {
			rc = err_set(e, ERR_INVALID, "too many templates");
			break;
		}
		if ((src = read_file(a, arena_printf(a, "%s/%s", root, sub),
		    &len, e)) == NULL) {
			rc = e->code;
			break;
		}
		v->tpls[v->ntpls].name = arena_strndup(a, sub, nlen - 9);
		v->tpls[v->ntpls].m = mustache_compile(a, src, len, e);
		if (v->tpls[v->ntpls].m == NULL) {
			err_detail(e, "in template %s", sub);
			rc = e->code;
			break;
		}
		v->ntpls++;
	}
	closedir(d);
	return rc;
}

static json_t *
load_json(struct arena *a, const char *path, struct err *e)
{
	json_error_t	 je;
	json_t		*j, *val;
	const char	*key;

	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		err_set(e, ERR_INVALID, "catalog %s: %s", path,
		    j == NULL ? je.text : "not an object");
		json_decref(j);
		return NULL;
	}
	arena_json(a, j);
	json_object_foreach(j, key, val) {
		if (!json_is_string(val)) {
			err_set(e, ERR_INVALID, "catalog %s: %s is not text",
			    path, key);
			return NULL;
		}
	}
	return j;
}

/*
 * A language's catalog is i18n/<lang>.json (the shell) plus every
 * i18n/<lang>/<resource>.json, merged; a key defined twice is an error.
 */
static json_t *
load_catalog(struct arena *a, const char *dir, const char *lang,
    struct err *e)
{
	json_t		*all, *part, *val;
	const char	*key, *sub;
	char		**names;
	size_t		 n, i;

	if ((all = load_json(a, arena_printf(a, "%s/i18n/%s.json", dir, lang),
	    e)) == NULL)
		return NULL;
	sub = arena_printf(a, "%s/i18n/%s", dir, lang);
	if ((names = fs_list(a, sub, ".json", VIEW_MAX_TEMPLATES, &n)) == NULL)
		return all;
	for (i = 0; i < n; i++) {
		part = load_json(a, arena_printf(a, "%s/%s", sub, names[i]), e);
		if (part == NULL)
			return NULL;
		json_object_foreach(part, key, val) {
			if (json_object_get(all, key) != NULL) {
				err_set(e, ERR_INVALID, "catalog %s/%s: \"%s\" "
				    "is defined twice", sub, names[i], key);
				return NULL;
			}
			json_object_set(all, key, val);
		}
	}
	return all;
}

int
view_load(struct view **out, struct arena *a, const char *dir, struct err *e)
{
	struct view	*v;
	const char	*key;
	json_t		*val;

	v = arena_calloc(a, 1, sizeof(*v));
	if (load_dir(v, a, dir, "", e) != 0)
		return e->code;
	if ((v->en = load_catalog(a, dir, "en", e)) == NULL ||
	    (v->de = load_catalog(a, dir, "de", e)) == NULL)
		return e->code;
	json_object_foreach(v->en, key, val) {
		if (json_object_get(v->de, key) == NULL)
			return err_set(e, ERR_INVALID,
			    "catalog de.json lacks \"%s\"", key);
	}
	if (json_object_size(v->de) != json_object_size(v->en))
		return err_set(e, ERR_INVALID,
		    "catalog de.json has keys that en.json lacks");
	*out = v;
	return 0;
}

static const struct mustache *
view_find(const struct view *v, const char *name)
{
	size_t	i;

	for (i = 0; i < v->ntpls; i++)
		if (strcmp(v->tpls[i].name, name) == 0)
			return v->tpls[i].m;
	return NULL;
}

static const struct mustache *
partial_cb(void *ctx, const char *name)
{
	return view_find(ctx, name);
}

int
view_has(const struct view *v, const char *name)
{
	return view_find(v, name) != NULL;
}

size_t
view_count(const struct view *v)
{
	return v->ntpls;
}

int
view_render(struct view *v, const char *name, json_t *data,
    struct buf *out, struct err *e)
{
	const struct mustache	*m;

	if ((m = view_find(v, name)) == NULL)
		return err_set(e, ERR_INTERNAL, "no template \"%s\"", name);
	return mustache_render(m, data, partial_cb, v, out, e);
}

json_t *
view_catalog(const struct view *v, const char *lang)
{
	return lang != NULL && strcmp(lang, "de") == 0 ? v->de : v->en;
}

const char *
view_pick_lang(const char *al)
{
	const char	*p;
	double		 q_en, q_de, q;
	char		*end;
	int		 is_de, is_en;

	if (al == NULL)
		return "en";
	q_en = q_de = -1;
	for (p = al; *p != '\0'; ) {
		while (*p == ' ' || *p == ',')
			p++;
		is_de = strncasecmp(p, "de", 2) == 0 &&
		    (p[2] == '\0' || p[2] == '-' || p[2] == ';' ||
		    p[2] == ',' || p[2] == ' ');
		is_en = strncasecmp(p, "en", 2) == 0 &&
		    (p[2] == '\0' || p[2] == '-' || p[2] == ';' ||
		    p[2] == ',' || p[2] == ' ');
		q = 1.0;
		while (*p != '\0' && *p != ',' && *p != ';')
			p++;
		if (*p == ';') {
			while (*p == ';' || *p == ' ')
				p++;
			if (strncmp(p, "q=", 2) == 0) {
				q = strtod(p + 2, &end);
				p = end;
			}
			while (*p != '\0' && *p != ',')
				p++;
		}
		if (is_de && q > q_de)
			q_de = q;
		if (is_en && q > q_en)
			q_en = q;
	}
	return q_de > q_en ? "de" : "en";
}

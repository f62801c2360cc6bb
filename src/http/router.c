/*
 * router.c -- the table check, path matching and parameter rules.
 *
 * Paths are matched segment by segment; "{name}" matches one non-empty
 * segment.  The table is small (hundreds of routes), so a linear scan over
 * pre-split paths is fast enough and keeps the code obvious.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "http/router.h"

#define MAX_ROUTES	1024
#define MAX_SEGS	12

struct compiled {
	struct route_entry	 e;
	const char		*segs[MAX_SEGS];
	size_t			 seglen[MAX_SEGS];
	int			 nsegs;
};

const struct param params_id[] = {
	PARAM_ID,
	PARAM_END,
};
const struct param params_id_page[] = {
	PARAM_ID,
	PARAM_PAGE,
	PARAM_END,
};
const struct param params_page[] = {
	PARAM_PAGE,
	PARAM_END,
};

static struct compiled	table[MAX_ROUTES];
static size_t		ntable;

static int
split(const char *path, const char **segs, size_t *lens, int max)
{
	const char	*p, *slash;
	int		 n;

	if (*path != '/')
		return -1;
	n = 0;
	for (p = path + 1; *p != '\0'; p = slash + 1) {
		slash = strchr(p, '/');
		if (slash == NULL)
			slash = p + strlen(p);
		if (n == max)
			return -1;
		segs[n] = p;
		lens[n] = (size_t)(slash - p);
		n++;
		if (*slash == '\0')
			break;
	}
	return n;
}

static int
is_param(const char *s, size_t n)
{
	return n > 2 && s[0] == '{' && s[n - 1] == '}';
}

static int
unsafe(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

int
router_init(int (*has_template)(const char *), struct err *e)
{
	const struct resource	*res;
	const struct route	*rt;
	struct compiled		*c;
	size_t			 i, j, k;
	int			 s;

	ntable = 0;
	for (i = 0; i < nresources; i++) {
		res = resources[i];
		for (j = 0; j < res->nroutes; j++) {
			rt = &res->routes[j];
			if (ntable == MAX_ROUTES)
				return err_set(e, ERR_INTERNAL,
				    "more than %d routes", MAX_ROUTES);
			c = &table[ntable];
			c->e.route = rt;
			c->e.resource = res;
			c->nsegs = split(rt->path, c->segs, c->seglen,
			    MAX_SEGS);
			if (c->nsegs < 0 || rt->handler == NULL ||
			    rt->roles == 0)
				return err_set(e, ERR_INTERNAL,
				    "route %s %s (%s) is malformed", rt->method,
				    rt->path, res->name);
			if ((rt->flags & ROUTE_PAGE) && (rt->template == NULL ||
			    (has_template != NULL &&
			    !has_template(rt->template))))
				return err_set(e, ERR_INTERNAL,
				    "route %s %s names template \"%s\" which "
				    "does not exist", rt->method, rt->path,
				    rt->template ? rt->template : "(none)");
			for (k = 0; k < ntable; k++) {
				if (strcmp(table[k].e.route->method,
				    rt->method) != 0 ||
				    table[k].nsegs != c->nsegs)
					continue;
				for (s = 0; s < c->nsegs; s++) {
					if (is_param(c->segs[s], c->seglen[s]) &&
					    is_param(table[k].segs[s],
					    table[k].seglen[s]))
						continue;
					if (c->seglen[s] != table[k].seglen[s] ||
					    memcmp(c->segs[s], table[k].segs[s],
					    c->seglen[s]) != 0)
						break;
				}
				if (s == c->nsegs)
					return err_set(e, ERR_INTERNAL,
					    "route %s %s is declared twice (%s "
					    "and %s)", rt->method, rt->path,
					    table[k].e.resource->name,
					    res->name);
			}
			ntable++;
		}
	}
	(void)unsafe;
	return 0;
}

size_t
router_count(void)
{
	return ntable;
}

const struct route_entry *
router_entry(size_t i)
{
	return i < ntable ? &table[i].e : NULL;
}

static int
path_matches(const struct compiled *c, const char **segs, const size_t *lens,
    int n)
{
	int	s;

	if (n != c->nsegs)
		return 0;
	for (s = 0; s < n; s++) {
		if (is_param(c->segs[s], c->seglen[s])) {
			if (lens[s] == 0)
				return 0;
			continue;
		}
		if (lens[s] != c->seglen[s] ||
		    memcmp(segs[s], c->segs[s], lens[s]) != 0)
			return 0;
	}
	return 1;
}

int
router_match(struct arena *a, const char *method, const char *path,
    json_t *args, int *index, const char **allow, struct err *e)
{
	const char		*segs[MAX_SEGS];
	size_t			 lens[MAX_SEGS];
	const struct compiled	*c, *found;
	char			*methods;
	size_t			 i;
	int			 n, s, best_literal, literal;

	*allow = NULL;
	n = split(path, segs, lens, MAX_SEGS);
	/* A trailing slash is not a different resource. */
	if (n > 0 && lens[n - 1] == 0 && n > 1)
		n--;
	if (n < 0)
		return err_set(e, ERR_NOT_FOUND, "no such page: %s", path);
	found = NULL;
	best_literal = -1;
	methods = NULL;
	for (i = 0; i < ntable; i++) {
		c = &table[i];
		if (!path_matches(c, segs, lens, n))
			continue;
		if (strcmp(c->e.route->method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 &&
		    strcmp(c->e.route->method, "GET") == 0)) {
			methods = methods == NULL ?
			    arena_strdup(a, c->e.route->method) :
			    arena_printf(a, "%s, %s", methods,
			    c->e.route->method);
			continue;
		}
		/* Prefer the route with more literal segments. */
		literal = 0;
		for (s = 0; s < n; s++)
			if (!is_param(c->segs[s], c->seglen[s]))
				literal++;
		if (literal > best_literal) {
			best_literal = literal;
			found = c;
			*index = (int)i;
		}
	}
	if (found == NULL) {
		if (methods != NULL) {
			*allow = methods;
			return err_set(e, ERR_METHOD,
			    "%s is not allowed here; use %s", method, methods);
		}
		return err_set(e, ERR_NOT_FOUND, "no such page: %s", path);
	}
	for (s = 0; s < n; s++)
		if (is_param(found->segs[s], found->seglen[s]))
			json_object_set_new(args, arena_strndup(a,
			    found->segs[s] + 1, found->seglen[s] - 2),
			    json_stringn(segs[s], lens[s]));
	return 0;
}

/*
 * Converts one value.  Text values (path, query, form) are parsed; JSON
 * values must already have the right type.
 */
static int
param_value(const struct param *p, json_t *v, json_t **out, const char **why)
{
	const char	*s;
	char		*end;
	long long	 n;
	size_t		 i, len;
	json_t		*item;

	*why = NULL;
	switch (p->type) {
	case P_ANY:
		*out = json_incref(v);
		return 0;
	case P_INT:
		if (json_is_integer(v))
			n = json_integer_value(v);
		else if (json_is_string(v)) {
			s = json_string_value(v);
			errno = 0;
			n = strtoll(s, &end, 10);
			if (*s == '\0' || *end != '\0' || errno != 0) {
				*why = "must be a whole number";
				return -1;
			}
		} else {
			*why = "must be a whole number";
			return -1;
		}
		if (n < p->min || n > p->max) {
			*why = "is out of range";
			return -1;
		}
		*out = json_integer(n);
		return 0;
	case P_BOOL:
		if (json_is_boolean(v)) {
			*out = json_incref(v);
			return 0;
		}
		s = json_string_value(v);
		if (s != NULL && (strcmp(s, "true") == 0 ||
		    strcmp(s, "1") == 0 || strcmp(s, "on") == 0)) {
			*out = json_true();
			return 0;
		}
		if (s != NULL && (strcmp(s, "false") == 0 ||
		    strcmp(s, "0") == 0 || strcmp(s, "off") == 0)) {
			*out = json_false();
			return 0;
		}
		*why = "must be true or false";
		return -1;
	case P_STR:
	case P_ENUM:
		if (!json_is_string(v)) {
			*why = "must be text";
			return -1;
		}
		s = json_string_value(v);
		len = json_string_length(v);
		if (strlen(s) != len) {
			*why = "must not contain NUL characters";
			return -1;
		}
		if (p->type == P_ENUM && !str_in_choices(p->choices, s)) {
			*why = "is not one of the allowed values";
			return -1;
		}
		if (p->type == P_STR && ((long long)len < p->min ||
		    (long long)len > p->max)) {
			*why = (long long)len < p->min ? "is too short" :
			    "is too long";
			return -1;
		}
		*out = json_incref(v);
		return 0;
	case P_STRLIST:
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    (long long)json_array_size(v) > p->max) {
			*why = "must be a non-empty list";
			return -1;
		}
		json_array_foreach(v, i, item) {
			if (!json_is_string(item) ||
			    !str_in_choices(p->choices, json_string_value(item))) {
				*why = "holds a value that is not allowed";
				return -1;
			}
		}
		*out = json_incref(v);
		return 0;
	}
	*why = "has an unknown rule";
	return -1;
}

int
params_validate(const struct route *rt, json_t *query, json_t *body,
    json_t *args, struct err *e)
{
	const struct param	*p;
	const char		*key, *why;
	json_t			*v, *out, *src;
	int			 known;

	if (body != NULL) {
		json_object_foreach(body, key, v) {
			known = 0;
			for (p = rt->params; p != NULL && p->name != NULL; p++)
				if (p->in == IN_BODY &&
				    strcmp(p->name, key) == 0)
					known = 1;
			/* Forms carry the CSRF token next to the fields. */
			if (!known && (rt->flags & ROUTE_FORM) &&
			    strcmp(key, "_csrf") == 0)
				known = 1;
			if (!known)
				err_field(e, key, "is not a known field");
		}
		if (e->code != ERR_OK) {
			err_set(e, ERR_INVALID, "the body has unknown fields");
			return ERR_INVALID;
		}
	}
	for (p = rt->params; p != NULL && p->name != NULL; p++) {
		src = p->in == IN_PATH ? args : p->in == IN_QUERY ? query :
		    body;
		v = src != NULL ? json_object_get(src, p->name) : NULL;
		if (v == NULL || json_is_null(v) ||
		    ((rt->flags & ROUTE_FORM) && p->in == IN_BODY &&
		    json_is_string(v) && json_string_length(v) == 0 &&
		    p->type != P_STR)) {
			if (p->required && p->in == IN_BODY)
				err_field(e, p->name, "is required");
			else if (p->required)
				return err_set(e, ERR_BAD_REQUEST,
				    "parameter \"%s\" is required", p->name);
			continue;
		}
		if (param_value(p, v, &out, &why) != 0) {
			if (p->in == IN_PATH)
				return err_set(e, ERR_NOT_FOUND,
				    "no such %s: %s", p->name,
				    json_string_value(v));
			if (p->in == IN_QUERY)
				return err_set(e, ERR_BAD_REQUEST,
				    "parameter \"%s\" %s", p->name, why);
			err_field(e, p->name, "%s", why);
			continue;
		}
		json_object_set_new(args, p->name, out);
	}
	if (e->code != ERR_OK)
		return e->code;
	return 0;
}

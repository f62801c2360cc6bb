/*
 * router.h -- the resource table, matching and parameter validation.
 */
#ifndef PY_ROUTER_H
#define PY_ROUTER_H

#include "http/req.h"

struct arena;

/* Every resource; defined in res/resources.c. */
extern const struct resource *const	resources[];
extern const size_t			nresources;

/* Flattened view of the table, built once by router_init. */
struct route_entry {
	const struct route	*route;
	const struct resource	*resource;
};

/*
 * Checks the table (duplicate method+path, malformed paths, page routes
 * without a template, unsafe public routes without a reason) and builds
 * the lookup.  has_template says whether a template name exists.
 * Returns 0 or ERR_INTERNAL naming the bad route.
 */
int	router_init(int (*has_template)(const char *), struct err *);
size_t	router_count(void);
const struct route_entry *router_entry(size_t i);

/*
 * Finds the route for method and path.  Path parameters go into args (as
 * strings; validation converts them).  ERR_NOT_FOUND when no path matches;
 * ERR_METHOD with *allow = "GET, POST" when the path matches another method.
 * Returns the route index through *index.
 */
int	router_match(struct arena *, const char *method, const char *path,
	    json_t *args, int *index, const char **allow, struct err *);

/*
 * Validates path/query/body values against the route's rules and writes
 * the typed values into args.  Unknown body fields are ERR_INVALID;
 * bad query or path values ERR_BAD_REQUEST (path: ERR_NOT_FOUND).
 */
int	params_validate(const struct route *, json_t *query, json_t *body,
	    json_t *args, struct err *);

#endif

/*
 * resources.c -- the one table that names every resource.
 */
#include "http/req.h"
#include "http/router.h"

extern const struct resource	apikeys_resource;
extern const struct resource	auth_resource;
extern const struct resource	health_resource;
extern const struct resource	jobs_resource;
extern const struct resource	pages_resource;
extern const struct resource	users_resource;
/* inventory */
/* customers */

const struct resource *const resources[] = {
	&health_resource,
	&auth_resource,
	&users_resource,
	&apikeys_resource,
	&jobs_resource,
	&pages_resource,
	/* inventory */
	/* customers */
};

const size_t nresources = sizeof(resources) / sizeof(resources[0]);

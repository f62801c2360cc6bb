/*
 * routes.c -- printyard routes: the route table as JSON.
 *
 * Tests walk it to prove that every role gets 403 where it should and that
 * docs/openapi.yaml names exactly these routes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "cmd/cmd.h"
#include "http/router.h"

static int
routes_run(struct cmd_ctx *c, int argc, char **argv)
{
	const struct route_entry	*re;
	const struct route		*rt;
	struct err			 e = { 0 };
	json_t				*list, *roles;
	char				*s;
	size_t				 i;

	if (router_init(NULL, &e) != 0)
		return cmd_fail("%s", e.message);
	list = json_array();
	for (i = 0; i < router_count(); i++) {
		re = router_entry(i);
		rt = re->route;
		roles = json_array();
		if (rt->roles & ROLE_PUBLIC)
			json_array_append_new(roles, json_string("public"));
		if (rt->roles & ROLE_OWNER)
			json_array_append_new(roles, json_string("owner"));
		if (rt->roles & ROLE_STAFF)
			json_array_append_new(roles, json_string("staff"));
		if (rt->roles & ROLE_ACCOUNTANT)
			json_array_append_new(roles,
			    json_string("accountant"));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, "
		    "s:b, s:b, s:b}", "resource", re->resource->name, "method",
		    rt->method, "path", rt->path, "roles", roles, "page",
		    (rt->flags & ROUTE_PAGE) != 0, "form",
		    (rt->flags & ROUTE_FORM) != 0, "idempotent",
		    (rt->flags & ROUTE_IDEMPOTENT) != 0));
	}
	s = json_dumps(list, JSON_INDENT(1));
	puts(s);
	free(s);
	json_decref(list);
	return 0;
}

const struct command cmd_routes = {
	"routes", "print the route table as JSON",
	"usage: printyard routes\n\n"
	"Prints every route with its method, path, roles and flags.\n",
	routes_run,
};

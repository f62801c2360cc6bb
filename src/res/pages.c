/*
 * pages.c -- the navigation pages that have no resource of their own yet:
 * dashboard, reports and settings (printers: res/farm.c).  Each
 * renders its template with the base view; the templates say what will
 * appear there.
 */
#include "http/req.h"
#include "res/etsy.h"
#include "res/farm.h"
#include "res/spools.h"

static int
pages_show(struct req *r)
{
	return 0;
}

/* The dashboard: the printer cards and what is low on stock. */
static int
pages_dashboard(struct req *r)
{
	json_t	*low;

	if (spools_low_for_page(r, &low) != 0)
		return r->err.code;
	r->out = json_pack("{s:O, s:b}", "low", low, "has_low",
	    json_array_size(low) > 0);
	if (etsy_dashboard(r, r->out) != 0)
		return r->err.code;
	return farm_cards_for_page(r, r->out);
}

#define PAGE(path, tpl, roles) \
	{ "GET", path, pages_show, roles, ROUTE_PAGE, NULL, tpl }

static const struct route pages_routes[] = {
	{ "GET", "/", pages_dashboard, ROLE_ANY, ROUTE_PAGE, NULL,
	    "pages/dashboard" },
	PAGE("/reports", "pages/reports", ROLE_ANY),
	PAGE("/settings", "settings/index", ROLE_ANY),
};

const struct resource pages_resource = {
	"pages", pages_routes, sizeof(pages_routes) / sizeof(pages_routes[0]),
	NULL, 0,
};

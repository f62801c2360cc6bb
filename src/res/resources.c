/*
 * resources.c -- the one table that names every resource.
 */
#include "http/req.h"
#include "http/router.h"

extern const struct resource	apikeys_resource;
extern const struct resource	auth_resource;
extern const struct resource	health_resource;
extern const struct resource	jobs_resource;
extern const struct resource	live_resource;
extern const struct resource	pages_resource;
extern const struct resource	users_resource;
/* inventory */
extern const struct resource	locations_resource;
extern const struct resource	vendors_resource;
extern const struct resource	filaments_resource;
extern const struct resource	spools_resource;
extern const struct resource	items_resource;
extern const struct resource	stock_resource;
/* customers */
/* products */
extern const struct resource	products_resource;
extern const struct resource	profiles_resource;
/* labels */
extern const struct resource	labels_resource;
/* orders */
extern const struct resource	orders_resource;
extern const struct resource	production_orders_resource;
extern const struct resource	print_jobs_resource;
extern const struct resource	customers_resource;
extern const struct resource	settings_resource;
/* quotes */
extern const struct resource	quotes_resource;
extern const struct resource	quote_settings_resource;
/* etsy */
extern const struct resource	etsy_resource;
extern const struct resource	etsy_sync_resource;
/* printers */
extern const struct resource	farm_resource;
extern const struct resource	printer_commands_resource;
extern const struct resource	commands_resource;
extern const struct resource	printer_files_resource;
extern const struct resource	printers_resource;

const struct resource *const resources[] = {
	&health_resource,
	&auth_resource,
	&users_resource,
	&apikeys_resource,
	&jobs_resource,
	&live_resource,
	&pages_resource,
	/* inventory */
	&locations_resource,
	&vendors_resource,
	&filaments_resource,
	&spools_resource,
	&items_resource,
	&stock_resource,
	/* customers */
	/* products */
	&products_resource,
	&profiles_resource,
	/* labels */
	&labels_resource,
	/* orders */
	&orders_resource,
	&production_orders_resource,
	&print_jobs_resource,
	&customers_resource,
	&settings_resource,
	/* quotes */
	&quotes_resource,
	&quote_settings_resource,
	/* etsy */
	&etsy_resource,
	&etsy_sync_resource,
	/* printers */
	&farm_resource,
	&printer_commands_resource,
	&commands_resource,
	&printer_files_resource,
	&printers_resource,
};

const size_t nresources = sizeof(resources) / sizeof(resources[0]);

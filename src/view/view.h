/*
 * view.h -- the loaded templates and message catalogs.
 *
 * Every *.mustache file under the template folder is compiled at load time
 * under its path without the suffix ("settings/users").  Catalogs are
 * i18n/<lang>.json, flat objects of key -> text; every language must have
 * exactly the keys of English, or loading fails.
 */
#ifndef PY_VIEW_H
#define PY_VIEW_H

#include <jansson.h>

struct arena;
struct buf;
struct err;
struct view;

#define VIEW_LANGS	"en|de"

/* Loads templates and catalogs into the arena. ERR_INVALID names the file. */
int		 view_load(struct view **, struct arena *, const char *dir,
		    struct err *);
int		 view_has(const struct view *, const char *name);
/* Renders a template by name into out. */
int		 view_render(struct view *, const char *name,
		    json_t *data, struct buf *out, struct err *);
/* The catalog of a language ("en" when unknown); borrowed. */
json_t		*view_catalog(const struct view *, const char *lang);
/* Picks "en" or "de" from an Accept-Language header (NULL: "en"). */
const char	*view_pick_lang(const char *accept_language);
/* Number of templates loaded. */
size_t		 view_count(const struct view *);

#endif

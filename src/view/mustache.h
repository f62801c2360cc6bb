/*
 * mustache.h -- Printyard's Mustache renderer over jansson values.
 *
 * Templates are compiled once (into the arena given) and rendered many
 * times.  Implements the spec's interpolation, sections, inverted sections,
 * comments, partials (with standalone indentation) and set-delimiter tags.
 * {{name}} is HTML-escaped; {{{name}}} and {{& name}} insert raw text and are
 * reserved for HTML that Printyard produced itself.
 */
#ifndef PY_MUSTACHE_H
#define PY_MUSTACHE_H

#include <stddef.h>
#include <jansson.h>

struct arena;
struct buf;
struct err;
struct mustache;

/*
 * Looks up a partial by name; returns NULL when there is none (a missing
 * partial renders as the empty string, as the spec asks).
 */
typedef const struct mustache *(*mustache_partial_fn)(void *ctx,
    const char *name);

/*
 * Compiles src.  The result lives in the arena.  Returns NULL and sets err
 * (ERR_INVALID, with the line number in the message) on an unclosed
 * section, a mismatched closing tag, an unclosed tag or a bad delimiter.
 */
struct mustache	*mustache_compile(struct arena *, const char *src, size_t len,
		    struct err *);

/*
 * Renders a compiled template with view as the context stack's bottom,
 * appending to out.  Returns 0, or ERR_TOO_LARGE when out reaches its
 * ceiling, or ERR_INVALID when partials nest deeper than 64.
 */
int		 mustache_render(const struct mustache *, json_t *view,
		    mustache_partial_fn, void *ctx, struct buf *out,
		    struct err *);

/* Appends s HTML-escaped (& < > " ' are replaced by entities). */
int		 mustache_escape(struct buf *, const char *s, size_t len);

#endif

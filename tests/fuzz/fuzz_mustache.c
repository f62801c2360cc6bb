/*
 * fuzz_mustache.c -- libFuzzer target for view/mustache.c.
 *
 * The input is a template, then a NUL byte or a newline (whichever comes
 * first), then a JSON view.  The template is compiled and, when it
 * compiles, rendered into a buffer capped at 1 MiB, with a few partials:
 * "self" is the template itself (so recursion reaches the depth limit),
 * "line" and "list" are fixed templates with standalone lines.
 *
 * Invariants checked: compile either succeeds or fails with ERR_INVALID
 * and a "line N:" message; render returns 0, ERR_TOO_LARGE or ERR_INVALID
 * and never writes past the ceiling; nothing crashes or leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "view/mustache.h"

#define OUT_MAX		(1024 * 1024)

struct fuzz_partials {
	const struct mustache	*self;
	const struct mustache	*line;
	const struct mustache	*list;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct mustache *
fuzz_partial(void *ctx, const char *name)
{
	struct fuzz_partials	*p = ctx;

	if (strcmp(name, "self") == 0)
		return p->self;
	if (strcmp(name, "line") == 0)
		return p->line;
	if (strcmp(name, "list") == 0)
		return p->list;
	return NULL;
}

static const struct mustache *
compile_fixed(struct arena *a, const char *src)
{
	const struct mustache	*m;
	struct err		 err;

	memset(&err, 0, sizeof(err));
	if ((m = mustache_compile(a, src, strlen(src), &err)) == NULL)
		abort();
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_partials	 parts;
	struct arena		*a;
	struct mustache		*m;
	struct buf		 out, again;
	struct err		 err;
	json_error_t		 jerr;
	json_t			*view;
	const char		*src;
	size_t			 tlen, vlen;
	int			 rc;

	src = (const char *)data;
	for (tlen = 0; tlen < size; tlen++)
		if (src[tlen] == '\0' || src[tlen] == '\n')
			break;
	vlen = tlen < size ? size - tlen - 1 : 0;

	a = arena_new(4096);
	memset(&err, 0, sizeof(err));
	m = mustache_compile(a, src, tlen, &err);
	if (m == NULL) {
		if (err.code != ERR_INVALID ||
		    strncmp(err.message, "line ", 5) != 0)
			abort();
		arena_free(a);
		return 0;
	}

	parts.self = m;
	parts.line = compile_fixed(a, "  {{.}}\n{{! note }}\n  <{{>self}}>\n");
	parts.list = compile_fixed(a,
	    "{{#.}}\n\t{{>line}}\n{{/.}}\n{{^.}}\n  {{>self}}\n{{/.}}\n");
	view = vlen > 0 ? json_loadb(src + tlen + 1, vlen, JSON_DECODE_ANY,
	    &jerr) : NULL;

	buf_init(&out, OUT_MAX);
	rc = mustache_render(m, view, fuzz_partial, &parts, &out, &err);
	if (rc != 0 && rc != ERR_TOO_LARGE && rc != ERR_INVALID)
		abort();
	if (out.len > OUT_MAX || (out.data != NULL &&
	    out.data[out.len] != '\0'))
		abort();

	/* A second render of the same template must give the same bytes. */
	if (rc == 0 && out.len < 4096) {
		buf_init(&again, OUT_MAX);
		if (mustache_render(m, view, fuzz_partial, &parts, &again,
		    &err) != 0 || again.len != out.len ||
		    (out.len > 0 && memcmp(again.data, out.data, out.len) != 0))
			abort();
		buf_free(&again);
	}

	buf_free(&out);
	json_decref(view);
	arena_free(a);
	return 0;
}

/*
 * arena.h -- memory by lifetime.
 *
 * An arena hands out memory that lives until arena_reset() or arena_free().
 * Foreign resources (PGresult, json_t, files) are registered with
 * arena_defer() and released, newest first, when the arena resets.
 * Allocation never returns NULL: running out of memory aborts the process
 * (the serve master starts a fresh worker).
 */
#ifndef PY_ARENA_H
#define PY_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* Returns a new arena whose blocks are at least blocksize bytes. */
struct arena	*arena_new(size_t blocksize);
/* Frees every block and runs every deferred cleanup. */
void		 arena_free(struct arena *);
/* Runs the deferred cleanups and forgets every allocation, keeping one block. */
void		 arena_reset(struct arena *);

/* Memory aligned for any type; lives until the next reset. */
void		*arena_alloc(struct arena *, size_t);
/* As arena_alloc, zero-filled, with an overflow check on n * size. */
void		*arena_calloc(struct arena *, size_t n, size_t size);
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);
char		*arena_printf(struct arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
char		*arena_vprintf(struct arena *, const char *, va_list);

/* Calls fn(p) when the arena resets or is freed. */
void		 arena_defer(struct arena *, void (*fn)(void *), void *p);

/* Bytes handed out since the last reset (for metrics and tests). */
size_t		 arena_used(const struct arena *);

#endif

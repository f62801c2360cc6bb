/*
 * arena.c -- memory by lifetime.
 *
 * Blocks form a singly linked list, newest first.  Large requests get a
 * block of their own.  Deferred cleanups form a list of their own, run
 * newest first on reset.  A reset keeps the first (oldest) block so a
 * request loop does not go back to malloc for small requests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define ARENA_ALIGN	16

struct arena_block {
	struct arena_block	*next;
	size_t			 size;
	size_t			 used;
	unsigned char		 data[] __attribute__((aligned(ARENA_ALIGN)));
};

struct arena_defer {
	struct arena_defer	*next;
	void			(*fn)(void *);
	void			*p;
};

struct arena {
	struct arena_block	*blocks;
	struct arena_defer	*defers;
	size_t			 blocksize;
	size_t			 handed;
};

static void *
xmalloc(size_t n)
{
	void	*p;

	p = malloc(n);
	if (p == NULL) {
		fputs("printyard: out of memory\n", stderr);
		abort();
	}
	return p;
}

static struct arena_block *
block_new(size_t size)
{
	struct arena_block	*b;

	b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(size_t blocksize)
{
	struct arena	*a;

	if (blocksize < 1024)
		blocksize = 1024;
	a = xmalloc(sizeof(*a));
	a->blocksize = blocksize;
	a->blocks = block_new(blocksize);
	a->defers = NULL;
	a->handed = 0;
	return a;
}

static void
run_defers(struct arena *a)
{
	struct arena_defer	*d;

	/* A cleanup may defer more work; take the list each time round. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->p);
	}
}

void
arena_reset(struct arena *a)
{
	struct arena_block	*b, *next, *keep;

	run_defers(a);
	keep = NULL;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		if (next == NULL && b->size == a->blocksize)
			keep = b;
		else
			free(b);
	}
	if (keep == NULL)
		keep = block_new(a->blocksize);
#ifdef PY_DEBUG
	memset(keep->data, 0xa5, keep->size);
#endif
	keep->used = 0;
	keep->next = NULL;
	a->blocks = keep;
	a->handed = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_block	*b, *next;

	if (a == NULL)
		return;
	run_defers(a);
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block	*b, *big;
	size_t			 off;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN) {
		fputs("printyard: arena request too large\n", stderr);
		abort();
	}
	b = a->blocks;
	off = (b->used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (off <= b->size && n <= b->size - off) {
		b->used = off + n;
		a->handed += n;
		return b->data + off;
	}
	if (n > a->blocksize / 4) {
		/* Big allocations get their own block behind the current one. */
		big = block_new(n);
		big->used = n;
		big->next = b->next;
		b->next = big;
		a->handed += n;
		return big->data;
	}
	b = block_new(a->blocksize);
	b->next = a->blocks;
	a->blocks = b;
	b->used = n;
	a->handed += n;
	return b->data;
}

void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size) {
		fputs("printyard: arena_calloc overflow\n", stderr);
		abort();
	}
	p = arena_alloc(a, n * size);
	memset(p, 0, n * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;
	char	*p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct arena_defer	*d;

	d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}

size_t
arena_used(const struct arena *a)
{
	return a->handed;
}

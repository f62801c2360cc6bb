/*
 * buf.h -- growable byte buffers with a ceiling.
 *
 * Every buffer has a maximum size fixed when it is created; growing past it
 * fails with ERR_TOO_LARGE and leaves the buffer as it was.  The data is
 * always NUL-terminated (the NUL is not counted in len).  Memory comes from
 * malloc: release it with buf_free(), or hand the buffer to an arena with
 * buf_on_arena().
 */
#ifndef PY_BUF_H
#define PY_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);
/* Empties the buffer, keeping its memory. */
void	 buf_reset(struct buf *);
/*
 * Frees the buffer's memory when the arena resets; the struct buf itself
 * must live at least as long (arena memory or the request record, never a
 * function's stack frame).
 */
void	 buf_on_arena(struct buf *, struct arena *);

/* Each returns 0 or ERR_TOO_LARGE. */
/* Makes room for n more bytes and the NUL, adding none. */
int	 buf_reserve(struct buf *, size_t n);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_addc(struct buf *, char);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list);

#endif

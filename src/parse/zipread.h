/*
 * zipread.h -- bounded reading of a ZIP archive held in memory, the
 * container layer of the 3MF readers (parse/threemf.c, parse/model3mf.c).
 *
 * zipread.c is the only file that uses libzip.  Nothing here trusts the
 * sizes an archive states: every byte is counted while it inflates, and a
 * read stops as soon as an entry passes its ceiling, the archive passes
 * its total, or an entry inflates to more than `ratio` times its packed
 * size (past `ratio_free` bytes, so that small entries, which compress
 * well, are not taken for bombs).  Entries are streamed in pieces of at
 * most ZIPREAD_CHUNK bytes to a callback, or unpacked whole into one
 * malloc'd buffer for the callers that want them so.  Pure: no I/O, no
 * globals.  The error record e may be NULL wherever one is taken.
 */
#ifndef PY_PARSE_ZIPREAD_H
#define PY_PARSE_ZIPREAD_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct zipread;

#define ZIPREAD_CHUNK	(64 * 1024)
#define ZIPREAD_STOP	(-1)	/* a callback's "enough, and fine" */

struct zipread_limits {
	size_t		 entries;	/* entries the archive may hold */
	uint64_t	 entry;		/* bytes one entry may inflate to */
	uint64_t	 total;		/* bytes all reads together may */
	unsigned	 ratio;		/* inflated : packed, per entry */
	uint64_t	 ratio_free;	/* bytes an entry inflates freely */
};

/*
 * Opens buf[0..len) (which must outlive the archive) with the limits
 * lim (copied).  Returns 0 with *zr set, ERR_INVALID when it is not a
 * ZIP archive, ERR_TOO_LARGE past lim->entries.  Close with
 * zipread_close.
 */
int		 zipread_open(const char *buf, size_t len,
		    const struct zipread_limits *lim, struct zipread **zr,
		    struct err *e);
void		 zipread_close(struct zipread *);

/* The number of entries, and the raw name of entry i (NULL: none). */
size_t		 zipread_count(const struct zipread *);
const char	*zipread_name(const struct zipread *, size_t i);

/*
 * The index of the entry called name: the exact name first, else the
 * same name in other letter case (3MF part names ignore case).
 * Returns 0 with *i set, or -1 when there is none.
 */
int		 zipread_find(const struct zipread *, const char *name,
		    size_t *i);

/*
 * Inflates entry i and hands it to fn in pieces of at most
 * ZIPREAD_CHUNK bytes.  fn returns 0 for more, ZIPREAD_STOP to end the
 * read early, or an error code of its own (it sets its own record),
 * which is returned as it is.  Returns 0 once fn had everything (or
 * stopped), ERR_TOO_LARGE past a limit (the message names it),
 * ERR_INVALID for a damaged or encrypted entry.
 */
int		 zipread_stream(struct zipread *, size_t i,
		    int (*fn)(void *arg, const char *data, size_t n),
		    void *arg, struct err *e);

/*
 * The first n bytes of entry i into out (fewer, *got of them, when the
 * entry is shorter).  The errors of zipread_stream.
 */
int		 zipread_head(struct zipread *, size_t i, unsigned char *out,
		    size_t n, size_t *got, struct err *e);

/*
 * Unpacks entry i whole into a new NUL-terminated malloc'd buffer
 * (*out, *outlen; the caller frees it) of at most max bytes; it must
 * unpack to exactly the size it states.  Returns 0, ERR_TOO_LARGE past
 * max or a limit (or without memory for it), ERR_INVALID for a damaged
 * or encrypted entry.
 */
int		 zipread_whole(struct zipread *, size_t i, size_t max,
		    char **out, size_t *outlen, struct err *e);

#endif
